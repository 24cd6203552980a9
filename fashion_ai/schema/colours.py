"""Colour words beyond the schema's sixteen: the names of the xkcd colour survey (and CSS), each mapped onto the schema
colour people file it under, so "crimson", "teal" or "mustard" mean red, blue and yellow.

The mapping is learnt from the survey itself: every survey colour whose name ends in one of our colours ("sky blue",
"forest green", "dusty pink") labels its shade with that colour, and any other name takes the label most common
among its five nearest labelled shades in CIELAB. The colour tables come from matplotlib.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from fashion_ai.schema.values import COLORS

# The swatch of each schema colour (the app draws them; the demo world paints with the first thirteen).
COLOR_RGB: dict[str, str] = {
    "black": "#19191c", "white": "#fcfcfc", "grey": "#808084", "navy": "#16245c", "blue": "#2d6ee1", "red": "#cd1e23",
    "pink": "#f58cb9", "green": "#1e8c3c", "yellow": "#f5d228", "orange": "#f57d14", "purple": "#7832a0",
    "brown": "#6e411e", "beige": "#d7be96", "gold": "#d4af37", "silver": "#c0c0c0", "khaki": "#a39a63",
}
# Survey names whose everyday sense in a shopping query is not a colour.
NOT_COLOURS = frozenset({
    "dark", "light", "pale", "royal", "deep", "bright", "medium", "ice", "leaf", "apple", "dust", "desert", "twilight",
    "dusk", "swamp", "bland", "booger", "bile", "diarrhea", "vomit", "puke", "poo", "poop", "shit", "bruise", "algae",
    "tea", "cement", "mud", "dirt", "dirty", "earth", "water", "sea", "ocean", "sky", "grass", "forest", "spring",
    "summer", "autumn", "winter", "snow", "night", "shadow", "steel", "iron", "metal", "gunmetal", "petrol", "squash",
    "butter", "wheat", "bean", "pea", "egg", "eggshell", "blood", "flesh", "skin", "tan", "gray", "pastel", "neon",
    "camo", "camouflage", "straw", "leather", "velvet", "denim", "linen", "cotton", "silk", "wool", "lace", "suede",
    "canvas", "rubber", "satin", "chiffon", "cashmere", "polyester", "knit", "royal blue", "key lime", "burnt",
})


def _lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 to CIELAB (D65)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def colour_names(neighbours: int = 5) -> dict[str, str]:
    """Colour name -> schema colour, for every survey and CSS colour name that is not another schema word."""
    from matplotlib import colors as mpl_colors

    survey = {name[len("xkcd:"):]: value for name, value in mpl_colors.XKCD_COLORS.items()}
    names = {**{name: value for name, value in mpl_colors.CSS4_COLORS.items() if name.isalpha()}, **survey}
    alias = {"gray": "grey"}
    labels, shades = [], []
    for name, value in survey.items():
        head = alias.get(name.split()[-1], name.split()[-1])
        if head in COLORS:
            labels.append(head)
            shades.append(mpl_colors.to_rgb(value))
    for colour, value in COLOR_RGB.items():  # our own swatches label too
        labels.append(colour)
        shades.append(mpl_colors.to_rgb(value))
    labelled = _lab(np.array(shades))
    table: dict[str, str] = {}
    for name, value in names.items():
        if name in NOT_COLOURS or name in COLORS or not all(part.isalpha() for part in name.split()):
            continue
        distance = np.linalg.norm(labelled - _lab(np.array(mpl_colors.to_rgb(value))), axis=1)
        votes = Counter(labels[i] for i in np.argsort(distance)[:neighbours])
        table[name] = votes.most_common(1)[0][0]
    return table
