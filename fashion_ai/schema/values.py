"""The garment schema's allowed values: what the extractor may answer and what search and filters speak.

The vocabulary is grounded in Fashionpedia's ontology (27 apparel categories; attribute groups silhouette,
length, neckline, sleeve, opening, textile pattern, material) plus colour, style and occasion, which shoppers
search by. The model is asked to emit a JSON list of garments, each an object whose keys are a subset of
``FIELDS``; only ``category`` is required.
"""

from __future__ import annotations

# Fashionpedia's 27 apparel categories, with their multi-name labels shortened to one shopper word.
CATEGORIES: tuple[str, ...] = (
    "shirt", "top", "sweater", "cardigan", "jacket", "vest", "pants", "shorts", "skirt", "coat", "dress",
    "jumpsuit", "cape", "glasses", "hat", "headband", "tie", "glove", "watch", "belt", "leg warmer", "tights",
    "sock", "shoe", "bag", "scarf", "umbrella",
)
COLORS: tuple[str, ...] = (
    "black", "white", "grey", "navy", "blue", "red", "pink", "green", "yellow", "orange", "purple", "brown",
    "beige", "gold", "silver", "khaki",
)
# Fashionpedia "textile pattern" group, names simplified; "colour-block" is a common shop facet.
PATTERNS: tuple[str, ...] = (
    "solid", "striped", "checked", "dotted", "floral", "colour-block", "animal", "geometric", "paisley",
    "camouflage", "abstract",
)
SILHOUETTES: tuple[str, ...] = (
    "a-line", "straight", "fit and flare", "pencil", "peplum", "tent", "wrap", "bodycon", "oversized", "slim",
    "wide-leg", "bootcut", "flare", "balloon", "mermaid",
)
LENGTHS: tuple[str, ...] = (
    "above-the-hip", "hip", "micro", "mini", "above-the-knee", "knee", "midi", "below-the-knee", "maxi", "floor",
    "ankle", "cropped",
)
NECKLINES: tuple[str, ...] = (
    "crew", "v-neck", "scoop", "square", "boat", "halter", "off-the-shoulder", "one-shoulder", "sweetheart",
    "turtleneck", "collared", "cowl", "keyhole", "plunging",
)
SLEEVES: tuple[str, ...] = ("sleeveless", "short", "elbow-length", "three-quarter", "long")
OPENINGS: tuple[str, ...] = (
    "single breasted", "double breasted", "zip-up", "lace up", "wrapping", "buckled", "toggled", "fly",
    "no opening",
)
MATERIALS: tuple[str, ...] = (
    "cotton", "linen", "silk", "wool", "cashmere", "denim", "leather", "suede", "polyester", "knit", "velvet",
    "satin", "chiffon", "lace", "canvas", "straw", "rubber",
)
STYLES: tuple[str, ...] = (
    "classic", "casual", "elegant", "sporty", "bohemian", "minimalist", "streetwear", "romantic", "business",
    "preppy",
)
OCCASIONS: tuple[str, ...] = (
    "everyday", "work", "party", "wedding", "beach", "sport", "date night", "formal", "travel", "outdoor",
)
# Catalog metadata, not something a photo shows: items carry a season, the extractor never answers one.
SEASONS: tuple[str, ...] = ("spring", "summer", "autumn", "winter")
GENDERS: tuple[str, ...] = ("women", "men", "unisex")

# field name -> allowed values; "colors" is a list field, every other field holds one value.
FIELDS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "colors": COLORS,
    "pattern": PATTERNS,
    "silhouette": SILHOUETTES,
    "length": LENGTHS,
    "neckline": NECKLINES,
    "sleeve": SLEEVES,
    "opening": OPENINGS,
    "material": MATERIALS,
    "style": STYLES,
    "occasion": OCCASIONS,
}
LIST_FIELDS: frozenset[str] = frozenset({"colors"})
