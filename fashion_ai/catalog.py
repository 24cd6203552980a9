"""The shop's catalog: items with metadata, and the seeded generator of the offline demo catalog.

The demo catalog is a world we own: procedural product photos of 13 garment categories, 13 colours and 6
patterns, drawn on a light background with variation in position, scale, sleeve and length, so that a
model has to look at the garment to tell them apart. Every item carries shop metadata and a caption in
shopper language (style, occasion, material, pattern).
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from fashion_ai.schema import Garment

logger = logging.getLogger(__name__)

DEFAULT_IMAGE_SIZE = 256
DEFAULT_DEMO_SEED = 7
DEFAULT_DEMO_ITEMS = 320
CATALOG_FILE = "catalog.jsonl"

# name -> RGB; chosen to stay apart after downscaling to a small model's input size.
DEMO_COLORS: dict[str, tuple[int, int, int]] = {
    "black": (25, 25, 28), "white": (252, 252, 252), "grey": (128, 128, 132), "navy": (22, 36, 92),
    "blue": (45, 110, 225), "red": (205, 30, 35), "pink": (245, 140, 185), "green": (30, 140, 60),
    "yellow": (245, 210, 40), "orange": (245, 125, 20), "purple": (120, 50, 160), "brown": (110, 65, 30),
    "beige": (215, 190, 150),
}
DEMO_PATTERNS: tuple[str, ...] = ("solid", "striped", "checked", "dotted", "floral", "colour-block")


@dataclass(frozen=True)
class _CategorySpec:
    nouns: tuple[str, ...]
    genders: tuple[str, ...]
    materials: tuple[str, ...]
    styles: tuple[str, ...]
    occasions: tuple[str, ...]
    seasons: tuple[str, ...]
    price: tuple[int, int]
    sleeves: tuple[str, ...] = ()
    lengths: tuple[str, ...] = ()


_ALL_SEASONS = ("spring", "summer", "autumn", "winter")
DEMO_CATEGORIES: dict[str, _CategorySpec] = {
    "top": _CategorySpec(("t-shirt", "tank top", "tee"), ("women", "men", "unisex"), ("cotton", "linen", "knit"),
                         ("casual", "sporty", "minimalist", "streetwear"), ("everyday", "beach", "sport", "travel"),
                         ("spring", "summer"), (12, 45), sleeves=("sleeveless", "short")),
    "shirt": _CategorySpec(("shirt", "blouse", "oxford shirt"), ("women", "men"), ("cotton", "linen", "silk"),
                           ("classic", "business", "preppy", "elegant"), ("work", "everyday", "date night", "formal"),
                           _ALL_SEASONS, (25, 90), sleeves=("short", "long")),
    "sweater": _CategorySpec(("sweater", "jumper", "pullover"), ("women", "men", "unisex"), ("wool", "cashmere", "knit"),
                             ("classic", "casual", "minimalist", "preppy"), ("everyday", "work", "travel"),
                             ("autumn", "winter"), (35, 150), sleeves=("long",)),
    "jacket": _CategorySpec(("jacket", "blazer", "denim jacket"), ("women", "men", "unisex"),
                            ("denim", "leather", "wool", "cotton"), ("classic", "streetwear", "business", "casual"),
                            ("work", "everyday", "date night", "party"), ("spring", "autumn"), (60, 220),
                            sleeves=("long",)),
    "coat": _CategorySpec(("coat", "trench coat", "overcoat"), ("women", "men"), ("wool", "cashmere", "cotton"),
                          ("classic", "elegant", "minimalist", "business"), ("work", "formal", "everyday", "travel"),
                          ("autumn", "winter"), (90, 320), sleeves=("long",)),
    "dress": _CategorySpec(("dress", "sundress", "gown"), ("women",), ("silk", "cotton", "chiffon", "satin", "linen"),
                           ("elegant", "romantic", "bohemian", "classic"),
                           ("wedding", "party", "date night", "beach", "formal"), ("spring", "summer", "autumn"),
                           (40, 260), sleeves=("sleeveless", "short", "long"), lengths=("mini", "knee", "maxi")),
    "skirt": _CategorySpec(("skirt", "a-line skirt", "flared skirt"), ("women",), ("cotton", "denim", "wool", "satin"),
                           ("romantic", "classic", "bohemian", "preppy"), ("everyday", "work", "party", "date night"),
                           _ALL_SEASONS, (25, 120), lengths=("mini", "knee", "maxi")),
    "pants": _CategorySpec(("trousers", "jeans", "chinos"), ("women", "men", "unisex"), ("denim", "cotton", "wool", "linen"),
                           ("classic", "casual", "business", "streetwear"), ("work", "everyday", "travel", "formal"),
                           _ALL_SEASONS, (30, 140)),
    "shorts": _CategorySpec(("shorts", "denim shorts", "bermuda shorts"), ("women", "men", "unisex"),
                            ("denim", "cotton", "linen"), ("casual", "sporty", "streetwear"),
                            ("beach", "sport", "everyday", "travel"), ("summer", "spring"), (15, 60)),
    "shoe": _CategorySpec(("sneakers", "ankle boots", "loafers"), ("women", "men", "unisex"),
                          ("leather", "suede", "canvas", "rubber"), ("sporty", "classic", "streetwear", "casual"),
                          ("everyday", "sport", "work", "party"), _ALL_SEASONS, (45, 220)),
    "bag": _CategorySpec(("handbag", "tote bag", "shoulder bag"), ("women", "unisex"), ("leather", "canvas", "straw", "suede"),
                         ("elegant", "classic", "minimalist", "bohemian"), ("work", "party", "wedding", "beach", "everyday"),
                         _ALL_SEASONS, (35, 400)),
    "hat": _CategorySpec(("hat", "sun hat", "fedora"), ("women", "men", "unisex"), ("straw", "wool", "cotton"),
                         ("bohemian", "classic", "casual"), ("beach", "wedding", "outdoor", "travel"),
                         ("summer", "winter", "spring"), (18, 90)),
    "scarf": _CategorySpec(("scarf", "wrap scarf", "knit scarf"), ("women", "men", "unisex"),
                           ("wool", "cashmere", "silk", "knit"),
                           ("classic", "elegant", "bohemian", "casual"), ("everyday", "travel", "work", "outdoor"),
                           ("autumn", "winter", "spring"), (20, 120)),
}


@dataclass
class CatalogItem:
    """A product in the shop, with the attributes a shopper filters and searches by."""

    id: str
    title: str
    caption: str
    category: str
    gender: str
    colors: list[str]
    pattern: str
    season: str
    price: float | None  # None: the source catalog has no price
    url: str
    image_path: str
    style: str | None = None
    occasion: str | None = None
    material: str | None = None
    sleeve: str | None = None
    length: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def garment(self) -> Garment:
        """The item as the garment the attribute model should see in its photo."""
        return Garment(category=self.category, colors=list(self.colors), pattern=self.pattern, sleeve=self.sleeve,
                       length=self.length, material=self.material, style=self.style, occasion=self.occasion)

    def visible_garment(self) -> Garment:
        """Only what a photo shows: the demo attribute model is taught these fields and no others."""
        return Garment(category=self.category, colors=self.colors[:1], pattern=self.pattern, sleeve=self.sleeve,
                       length=self.length)


# --------------------------------------------------------------------------------------------- drawing
def _pattern_layer(size: int, pattern: str, primary: tuple[int, int, int], secondary: tuple[int, int, int],
                   rng: random.Random, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """A full-canvas texture; the garment's silhouette (bounding box `box`) is cut out of it.

    Every pattern must still read as itself at a small model's 64 px input: bold repeats, and shapes that
    differ in kind (bands, a two-way plaid, discs, five-petal flowers, one large block), never thin lines.
    """
    layer = Image.new("RGB", (size, size), primary)
    draw = ImageDraw.Draw(layer)
    step = rng.randint(size // 7, size // 5)
    if pattern == "striped":
        # Bold horizontal bands (Breton stripes): one direction only, so they never read as a check.
        width = max(3, int(step * 0.4))
        for pos in range(rng.randint(0, step), size, step):
            draw.rectangle((0, pos, size, pos + width), fill=secondary)
    elif pattern == "checked":
        # Gingham: half-tone bands both ways, full secondary where they cross; three tones in a grid that thin
        # check lines (which blur into dots at 64 px) never gave. The base colour still covers the most area.
        width = max(3, int(step * 0.3))
        offset = rng.randint(0, step)
        band = (np.arange(size) - offset) % step < width
        weight = 0.5 * band[None, :] + 0.5 * band[:, None]
        texture = (np.array(primary, dtype=np.float32) * (1 - weight[..., None])
                   + np.array(secondary, dtype=np.float32) * weight[..., None])
        return Image.fromarray(texture.round().astype(np.uint8), "RGB")
    elif pattern == "dotted":
        radius = max(3, int(step * 0.27))
        offset = rng.randint(0, step)
        for row, y in enumerate(range(offset, size + step, step)):
            for x in range(offset + (step // 2 if row % 2 else 0), size + step, step):
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=secondary)
    elif pattern == "floral":
        petal = max(4, int(step * 0.3))
        centre_color = (250, 220, 60) if secondary != (245, 210, 40) else (250, 250, 250)
        spacing = int(step * 1.45)
        # Large flowers on a loosely jittered grid: every patch of the garment shows petals, in no straight rows.
        centres = [(x + rng.uniform(-0.3, 0.3) * spacing, y + rng.uniform(-0.3, 0.3) * spacing)
                   for y in range(rng.randint(0, spacing), size + spacing, spacing)
                   for x in range(rng.randint(0, spacing), size + spacing, spacing)]
        for cx, cy in centres:
            turn = rng.uniform(0, 2 * math.pi / 5)
            for k in range(5):
                angle = turn + 2 * math.pi * k / 5
                px, py = cx + petal * math.cos(angle), cy + petal * math.sin(angle)
                draw.ellipse((px - petal * 0.75, py - petal * 0.75, px + petal * 0.75, py + petal * 0.75), fill=secondary)
            draw.ellipse((cx - petal * 0.5, cy - petal * 0.5, cx + petal * 0.5, cy + petal * 0.5), fill=centre_color)
    elif pattern == "colour-block":
        # Split the garment itself (not the canvas) so the second block always shows, at 35-45% of it.
        left, top, right, bottom = box or (0, 0, size, size)
        if rng.random() < 0.5:
            draw.rectangle((0, int(top + (bottom - top) * rng.uniform(0.55, 0.65)), size, size), fill=secondary)
        else:
            draw.rectangle((int(left + (right - left) * rng.uniform(0.55, 0.65)), 0, size, size), fill=secondary)
    return layer


def _shape(category: str, sleeve: str | None, length: str | None, noun: str, rng: random.Random
           ) -> tuple[list[list[tuple[float, float]]], list[list[tuple[float, float]]]]:
    """Polygons of the silhouette and detail lines, in free units (fitted into the canvas later)."""
    j = lambda a: a * rng.uniform(0.93, 1.07)  # noqa: E731 - small per-item proportion jitter
    polys: list[list[tuple[float, float]]] = []
    lines: list[list[tuple[float, float]]] = []

    def torso(width: float, height: float, neck: float) -> list[tuple[float, float]]:
        return [(-width / 2, 0), (-neck, 0), (0, neck * 0.8), (neck, 0), (width / 2, 0), (width / 2, height),
                (-width / 2, height)]

    def sleeves(width: float, kind: str | None, drop: float = 0.0) -> None:
        if kind in (None, "sleeveless"):
            return
        arm = {"short": 0.3, "long": 0.95}[kind]
        dx, dy, nx, ny = 0.57, 0.82, 0.82, -0.57  # sleeve direction and its normal
        for side in (-1, 1):
            x0 = side * width / 2
            cx, cy = x0 + side * dx * arm, drop + 0.2 + dy * arm
            polys.append([(x0, drop), (cx + side * nx * 0.16, cy + ny * 0.16), (cx - side * nx * 0.16, cy - ny * 0.16),
                          (x0, drop + 0.42)])

    if category == "top":
        w, h = j(1.0), j(1.15)
        polys.append(torso(w, h, 0.17))
        sleeves(w, sleeve)
        if sleeve == "sleeveless":
            polys[-1] = [(-w / 2, 0.25), (-w * 0.3, 0), (-0.15, 0), (0, 0.2), (0.15, 0), (w * 0.3, 0), (w / 2, 0.25),
                         (w / 2, h), (-w / 2, h)]
    elif category == "shirt":
        w, h = j(1.0), j(1.35)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2, h), (0, h + 0.1), (-w / 2, h)])
        sleeves(w, sleeve)
        polys.append([(-0.3, -0.1), (0, 0.02), (-0.05, 0.3)])  # big pointed collar
        polys.append([(0.3, -0.1), (0, 0.02), (0.05, 0.3)])
        lines.append([(0, 0.05), (0, h + 0.05)])  # placket
        for k in range(5):
            y = 0.25 + k * (h - 0.35) / 4
            lines.append([(0.06, y), (0.1, y)])
    elif category == "sweater":
        w, h = j(1.3), j(1.05)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2, h), (-w / 2, h)])
        polys.append([(-0.2, -0.28), (0.2, -0.28), (0.2, 0.02), (-0.2, 0.02)])  # turtleneck
        for side in (-1, 1):  # dropped shoulders, sleeves hanging close to the body
            x0 = side * w / 2
            polys.append([(x0, 0), (x0 + side * 0.35, 0.1), (x0 + side * 0.4, h), (x0 + side * 0.12, h), (x0, 0.4)])
            lines.append([(x0 + side * 0.4, h - 0.1), (x0 + side * 0.12, h - 0.1)])  # cuff bands
        lines.append([(-w / 2, h - 0.12), (w / 2, h - 0.12)])  # ribbed hem band
        lines.append([(-0.2, -0.12), (0.2, -0.12)])
    elif category in ("jacket", "coat"):
        w = j(1.15)
        h = j(1.05) if category == "jacket" else j(2.1)
        gap_end = h * 0.6 if category == "jacket" else 0.9
        # Open front: a wide V of background down the middle, the garment's most visible trait.
        polys.append([(-w / 2, 0), (-0.26, 0), (-0.02, gap_end), (-0.02, h), (-w / 2, h)])
        polys.append([(w / 2, 0), (0.26, 0), (0.02, gap_end), (0.02, h), (w / 2, h)])
        sleeves(w, "long")
        lines.append([(-0.26, 0), (-0.38, 0.3), (-0.12, gap_end * 0.5)])  # lapels
        lines.append([(0.26, 0), (0.38, 0.3), (0.12, gap_end * 0.5)])
        if category == "coat":
            lines.append([(-w / 2 + 0.04, 1.05), (w / 2 - 0.04, 1.05)])  # belt
            for y in (1.3, 1.6):  # double-breasted buttons
                lines.append([(-0.2, y), (-0.16, y)])
                lines.append([(0.16, y), (0.2, y)])
    elif category == "dress":
        bodice_w = j(0.7)
        skirt_len = {"mini": 0.55, "knee": 1.05, "maxi": 1.75}[length or "knee"] * rng.uniform(0.95, 1.05)
        hem = bodice_w / 2 + 0.25 + skirt_len * 0.3
        polys.append([(-bodice_w / 2, 0), (-0.12, 0), (0, 0.15), (0.12, 0), (bodice_w / 2, 0), (bodice_w / 2 - 0.05, 0.6),
                      (hem, 0.6 + skirt_len), (-hem, 0.6 + skirt_len), (-bodice_w / 2 + 0.05, 0.6)])
        if sleeve == "sleeveless":
            polys[-1][0] = (-bodice_w / 2, 0.12)
            polys[-1][4] = (bodice_w / 2, 0.12)
            polys.append([(-0.28, -0.02), (-0.2, -0.02), (-0.2, 0.12), (-0.28, 0.12)])
            polys.append([(0.2, -0.02), (0.28, -0.02), (0.28, 0.12), (0.2, 0.12)])
        else:
            sleeves(bodice_w, sleeve)
        lines.append([(-bodice_w / 2 + 0.05, 0.6), (bodice_w / 2 - 0.05, 0.6)])
    elif category == "skirt":
        top_w = j(0.8)
        skirt_len = {"mini": 0.55, "knee": 1.05, "maxi": 1.75}[length or "knee"] * rng.uniform(0.95, 1.05)
        hem = top_w / 2 + 0.2 + skirt_len * 0.3
        polys.append([(-top_w / 2, 0), (top_w / 2, 0), (top_w / 2, 0.12), (hem, 0.12 + skirt_len),
                      (-hem, 0.12 + skirt_len), (-top_w / 2, 0.12)])
        lines.append([(-top_w / 2, 0.12), (top_w / 2, 0.12)])
    elif category in ("pants", "shorts"):
        w = j(0.9)
        leg = j(2.0) if category == "pants" else j(0.6)
        flare = 0.05 if category == "pants" else 0.12
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2 + flare, leg), (0.06, leg), (0, 0.35), (-0.06, leg),
                      (-w / 2 - flare, leg)])
        lines.append([(-w / 2, 0.1), (w / 2, 0.1)])
    elif category == "shoe":
        boot = "boot" in noun
        h = j(0.9) if boot else j(0.45)
        polys.append([(0, 0), (0.35, 0), (0.4, h - 0.25), (1.15, h - 0.12), (1.25, h), (0, h)])
        polys.append([(-0.02, h), (1.27, h), (1.27, h + 0.1), (-0.02, h + 0.1)])  # sole
        lines.append([(0.45, h - 0.2), (0.6, h - 0.35)])
    elif category == "bag":
        w, h = j(1.2), j(0.85)
        polys.append([(-w / 2, 0.45), (w / 2, 0.45), (w / 2 + 0.08, 0.45 + h), (-w / 2 - 0.08, 0.45 + h)])
        handle = [(0.35 * math.cos(a / 12 * math.pi) * w / 1.2, 0.45 - 0.42 * math.sin(a / 12 * math.pi)) for a in range(13)]
        lines.append(handle)
        lines.append([(-w / 2, 0.65), (w / 2, 0.65)])
    elif category == "hat":
        brim = j(1.6)
        crown = j(0.8)
        polys.append([(-crown / 2, 0.1), (crown / 2, 0.1), (crown / 2 + 0.05, 0.55), (-crown / 2 - 0.05, 0.55)])
        polys.append([(-brim / 2, 0.55), (brim / 2, 0.55), (brim / 2 - 0.1, 0.7), (-brim / 2 + 0.1, 0.7)])
        lines.append([(-crown / 2 - 0.04, 0.45), (crown / 2 + 0.04, 0.45)])
    elif category == "scarf":
        w, h = j(0.42), j(2.2)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2 + 0.1, h), (-w / 2 + 0.1, h)])
        for i in range(7):  # fringe
            x = -w / 2 + 0.1 + (i + 0.5) * w / 7
            lines.append([(x, h), (x, h + 0.15)])
    else:
        raise ValueError(f"the demo generator cannot draw category {category!r}")
    return polys, lines


def render_item(category: str, primary: str, secondary: str, pattern: str, sleeve: str | None,
                length: str | None, noun: str, rng: random.Random, size: int = DEFAULT_IMAGE_SIZE
                ) -> tuple[Image.Image, Image.Image]:
    """Draw one product photo: the garment's silhouette filled with its pattern, on a light background.

    Returns the photo and the garment's mask (L mode, 255 on the garment), which training uses as dense labels.
    """
    polys, lines = _shape(category, sleeve, length, noun, rng)
    points = [p for poly in polys + lines for p in poly]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    target = size * rng.uniform(0.62, 0.88)
    scale = target / span
    if rng.random() < 0.5 and category in ("shoe", "bag", "hat"):
        xs = [-x for x in xs]  # face the other way
        polys = [[(-x, y) for x, y in poly] for poly in polys]
        lines = [[(-x, y) for x, y in line] for line in lines]
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2
    slack = (size - target) / 2
    ox = size / 2 + rng.uniform(-slack, slack) * 0.8
    oy = size / 2 + rng.uniform(-slack, slack) * 0.8

    def to_px(poly: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [((x - cx) * scale + ox, (y - cy) * scale + oy) for x, y in poly]

    shade = rng.randint(236, 250)
    background = (shade, shade - rng.randint(0, 6), shade - rng.randint(0, 10))
    image = Image.new("RGB", (size, size), background)
    mask = Image.new("L", (size, size), 0)
    mask_draw = ImageDraw.Draw(mask)
    for poly in polys:
        mask_draw.polygon(to_px(poly), fill=255)
    texture = _pattern_layer(size, pattern, DEMO_COLORS[primary], DEMO_COLORS[secondary], rng, mask.getbbox())
    image.paste(texture, (0, 0), mask)
    draw = ImageDraw.Draw(image)
    edge = tuple(max(0, int(c * 0.55)) for c in DEMO_COLORS[primary])
    edge_width = max(1, size // 128)
    for poly in polys:
        draw.polygon(to_px(poly), outline=edge, width=edge_width)
    # Details (collars, bands, buttons) in a shade that stands out from the garment, thick enough to survive
    # downscaling to a small model's input.
    r, g, b = DEMO_COLORS[primary]
    detail = (45, 45, 48) if 0.3 * r + 0.6 * g + 0.1 * b > 100 else (215, 215, 218)
    for line in lines:
        draw.line(to_px(line), fill=detail, width=max(2, size // 64))
    return image, mask


# --------------------------------------------------------------------------------------------- items
def _secondary_color(primary: str, rng: random.Random) -> str:
    """A second colour that contrasts with the first, so patterns stay visible."""
    pr = DEMO_COLORS[primary]
    options = [c for c, rgb in DEMO_COLORS.items() if c != primary and sum(abs(a - b) for a, b in zip(pr, rgb)) > 220]
    return rng.choice(options)


def generate_item(index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE) -> tuple[CatalogItem, Image.Image]:
    """The index-th item of the demo world for a seed: its metadata and its photo (deterministic)."""
    item, image, _ = generate_example(index, seed, size)
    return item, image


def generate_example(index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE
                     ) -> tuple[CatalogItem, Image.Image, Image.Image]:
    """Like generate_item, plus the garment's mask (for dense supervision in training)."""
    rng = random.Random(f"{seed}:{index}")
    category = rng.choice(sorted(DEMO_CATEGORIES))
    spec = DEMO_CATEGORIES[category]
    primary = rng.choice(sorted(DEMO_COLORS))
    pattern = rng.choice(DEMO_PATTERNS)
    secondary = _secondary_color(primary, rng)
    sleeve = rng.choice(spec.sleeves) if spec.sleeves else None
    length = rng.choice(spec.lengths) if spec.lengths else None
    noun = rng.choice(spec.nouns)
    material = rng.choice(spec.materials)
    style = rng.choice(spec.styles)
    occasion = rng.choice(spec.occasions)
    season = rng.choice(spec.seasons)
    gender = rng.choice(spec.genders)
    low, high = spec.price
    price = round(rng.uniform(low, high)) - 0.01
    colors = [primary] if pattern == "solid" else [primary, secondary]
    pattern_words = "" if pattern == "solid" else f"{pattern} "
    detail = " ".join(w for w in (
        f"{length} length" if length else "",
        f"{sleeve} sleeve" if sleeve and sleeve != "sleeveless" else ("sleeveless" if sleeve else ""),
    ) if w)
    title = f"{primary.capitalize()} {pattern_words}{material} {noun}".replace("  ", " ")
    accents = f"{', '.join(colors[1:])} accents" if colors[1:] else "a clean plain finish"
    caption = (f"A {style} {primary} {pattern_words}{noun} in {material}{', ' + detail if detail else ''}, "
               f"with {accents}, perfect for {occasion} in {season}.")
    item_id = f"demo-{seed}-{index:05d}"
    item = CatalogItem(
        id=item_id, title=title, caption=caption, category=category, gender=gender, colors=colors, pattern=pattern,
        season=season, price=price, url=f"https://shop.example.com/p/{item_id}", image_path=f"images/{item_id}.png",
        style=style, occasion=occasion, material=material, sleeve=sleeve, length=length,
    )
    image, mask = render_item(category, primary, secondary, pattern, sleeve, length, noun, rng, size)
    return item, image, mask


def iter_demo_items(count: int, seed: int, size: int = DEFAULT_IMAGE_SIZE, start: int = 0
                    ) -> Iterator[tuple[CatalogItem, Image.Image]]:
    """Items start..start+count of the demo world for a seed."""
    for index in range(start, start + count):
        yield generate_item(index, seed, size)


def write_catalog(directory: Path, count: int = DEFAULT_DEMO_ITEMS, seed: int = DEFAULT_DEMO_SEED,
                  size: int = DEFAULT_IMAGE_SIZE) -> list[CatalogItem]:
    """Generate a demo catalog into a folder: images/ plus catalog.jsonl (written last, atomically)."""
    directory = Path(directory)
    (directory / "images").mkdir(parents=True, exist_ok=True)
    items = []
    for item, image in iter_demo_items(count, seed, size):
        image.save(directory / item.image_path, optimize=True)
        items.append(item)
    tmp = directory / (CATALOG_FILE + ".tmp")
    tmp.write_text("".join(json.dumps(asdict(item)) + "\n" for item in items))
    tmp.replace(directory / CATALOG_FILE)
    logger.info("wrote %d demo items to %s", len(items), directory)
    return items


def load_catalog(directory: Path) -> list[CatalogItem]:
    """Read a catalog folder (catalog.jsonl + images); image paths come back absolute."""
    directory = Path(directory)
    path = directory / CATALOG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no catalog at {path}: generate one with `python -m fashion_ai.catalog {directory}`")
    items = []
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            item = CatalogItem(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"{path}:{line_no}: not a catalog item ({exc})") from exc
        if not Path(item.image_path).is_absolute():
            item.image_path = str(directory / item.image_path)
        items.append(item)
    return items


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m fashion_ai.catalog OUT_DIR [--count N] [--seed S] writes a demo catalog."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Generate the seeded demo catalog (images + catalog.jsonl).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=DEFAULT_DEMO_ITEMS)
    parser.add_argument("--seed", type=int, default=DEFAULT_DEMO_SEED)
    parser.add_argument("--size", type=int, default=DEFAULT_IMAGE_SIZE)
    args = parser.parse_args(argv)
    if args.count <= 0 or args.size < 64:
        print("error: --count must be positive and --size at least 64", file=sys.stderr)
        return 1
    items = write_catalog(args.out_dir, args.count, args.seed, args.size)
    print(f"wrote {len(items)} items to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
