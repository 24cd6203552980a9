"""Garment attribute schema and the parser that turns raw model text into validated garments.

The vocabulary is grounded in Fashionpedia's ontology (27 apparel categories; attribute groups silhouette,
length, neckline, sleeve, opening, textile pattern, material) plus colour, style and occasion, which shoppers
search by. The model is asked to emit a JSON list of garments, each an object whose keys are a subset of
``FIELDS``; only ``category`` is required.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import json_repair

logger = logging.getLogger(__name__)

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

# Words shoppers and other taggers use for our canonical values.
SYNONYMS: dict[str, dict[str, str]] = {
    "category": {
        "t-shirt": "top", "tshirt": "top", "tee": "top", "sweatshirt": "top", "blouse": "shirt",
        "jumper": "sweater", "pullover": "sweater", "trousers": "pants", "jeans": "pants", "sneakers": "shoe",
        "sneaker": "shoe", "boots": "shoe", "boot": "shoe", "shoes": "shoe", "sandals": "shoe", "heels": "shoe",
        "handbag": "bag", "wallet": "bag", "purse": "bag", "cap": "hat", "beanie": "hat", "tights": "tights",
        "stockings": "tights", "socks": "sock", "gloves": "glove", "sunglasses": "glasses", "overcoat": "coat",
        "blazer": "jacket", "gown": "dress",
    },
    "colors": {"gray": "grey", "cream": "beige", "ivory": "white", "tan": "beige", "maroon": "red",
               "burgundy": "red", "olive": "khaki", "violet": "purple", "teal": "green"},
    "pattern": {"plain": "solid", "stripes": "striped", "stripe": "striped", "plaid": "checked",
                "check": "checked", "polka dot": "dotted", "dots": "dotted", "flowers": "floral",
                "colour block": "colour-block", "color-block": "colour-block", "color block": "colour-block",
                "leopard": "animal", "camo": "camouflage"},
    "sleeve": {"short sleeve": "short", "long sleeve": "long", "3/4": "three-quarter"},
}


@dataclass
class Garment:
    """One garment found in an image; unset fields are None (colors: empty list)."""

    category: str
    colors: list[str] = field(default_factory=list)
    pattern: str | None = None
    silhouette: str | None = None
    length: str | None = None
    neckline: str | None = None
    sleeve: str | None = None
    opening: str | None = None
    material: str | None = None
    style: str | None = None
    occasion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The garment as the JSON object the model emits, without unset fields, in schema order."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = list(value) if name in LIST_FIELDS else value
        return out


@dataclass
class ParseResult:
    """What the parser recovered from model text, and what it had to drop or repair to get there."""

    garments: list[Garment]
    valid_json: bool  # the raw text was strict JSON of the expected shape, no repair needed
    dropped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.valid_json and not self.dropped


def garments_to_json(garments: list[Garment]) -> str:
    """The canonical compact JSON target for a list of garments (the training suffix)."""
    return json.dumps([g.to_dict() for g in garments], separators=(",", ":"))


def normalize_value(field_name: str, value: Any) -> str | None:
    """Map a raw value onto the schema's vocabulary, or None if it is not one of the allowed values."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", value.strip().lower().replace("_", " "))
    allowed = FIELDS[field_name]
    if text in allowed:
        return text
    text = SYNONYMS.get(field_name, {}).get(text, text)
    if text in allowed:
        return text
    # "knee length", "v neck", "short sleeves": drop the group word and try again.
    for suffix in (" length", " sleeves", " sleeve", " pattern", " neckline"):
        if text.endswith(suffix) and text[: -len(suffix)] in allowed:
            return text[: -len(suffix)]
    hyphenated = text.replace(" ", "-")
    return hyphenated if hyphenated in allowed else None


def _json_candidate(text: str) -> tuple[Any, bool]:
    """Decode the text as JSON, strictly if possible, else with json-repair. Returns (data, was_strict)."""
    stripped = text.strip()
    try:
        return json.loads(stripped), True
    except (ValueError, RecursionError):  # RecursionError: pathological nesting
        pass
    # Extra text around the JSON, truncation, repeated objects, single quotes: json-repair's job.
    start = min((i for i in (stripped.find("["), stripped.find("{")) if i >= 0), default=-1)
    if start < 0:
        return None, False
    try:
        return json_repair.loads(stripped[start:]), False
    except Exception:  # json-repair raises little, but a parser must never crash the app
        logger.debug("json-repair failed on %r", stripped[:200])
        return None, False


def parse_garments(text: str) -> ParseResult:
    """Parse raw model output into validated garments; repair or drop what does not fit, never raise."""
    if not isinstance(text, str) or not text.strip():
        return ParseResult([], valid_json=False, dropped=["empty model output"])
    data, strict = _json_candidate(text)
    dropped: list[str] = []
    if isinstance(data, dict):
        data = [data]
        strict = False
        dropped.append("a single object instead of a list (wrapped)")
    if not isinstance(data, list):
        return ParseResult([], valid_json=False, dropped=[f"no JSON list of garments in {text[:80]!r}"])
    garments: list[Garment] = []
    seen: set[str] = set()
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            dropped.append(f"item {index}: not an object")
            continue
        garment, problems = _garment_from_dict(raw, index)
        dropped.extend(problems)
        if garment is None:
            continue
        key = garments_to_json([garment])
        if key in seen:  # small models loop and repeat the same object
            dropped.append(f"item {index}: repeated garment")
            continue
        seen.add(key)
        garments.append(garment)
    if not garments and not dropped and not strict:
        dropped.append(f"no garments could be recovered from {text[:80]!r}")
    return ParseResult(garments, valid_json=strict, dropped=dropped)


def _garment_from_dict(raw: dict[str, Any], index: int) -> tuple[Garment | None, list[str]]:
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        name = {"color": "colors", "colours": "colors", "colour": "colors"}.get(name, name)
        if name not in FIELDS:
            problems.append(f"item {index}: unknown field {key!r}")
            continue
        if name in LIST_FIELDS:
            items = value if isinstance(value, list) else [value]
            kept = []
            for item in items:
                norm = normalize_value(name, item)
                if norm is None:
                    problems.append(f"item {index}: unknown {name} value {item!r}")
                elif norm not in kept:
                    kept.append(norm)
            values[name] = kept
        else:
            norm = normalize_value(name, value)
            if norm is None:
                problems.append(f"item {index}: unknown {name} value {value!r}")
            else:
                values[name] = norm
    if "category" not in values:
        problems.append(f"item {index}: no valid category, garment dropped")
        return None, problems
    return Garment(**values), problems
