"""Colour harmony: how well two colours of the schema pair, as a stylist would judge them."""

from __future__ import annotations

from fashion_ai.schema import COLORS, normalize_value

NEUTRALS = frozenset({"black", "white", "grey", "navy", "beige", "brown", "khaki"})
METALLICS = frozenset({"gold", "silver"})
# Chromatic pairs on the colour wheel: complementary and analogous pairs high, clashing neighbours low.
_CHROMATIC_HARMONY: dict[frozenset[str], float] = {frozenset(pair.split("+")): score for pair, score in {
    "red+orange": 0.75, "red+yellow": 0.5, "red+green": 0.7, "red+blue": 0.6, "red+purple": 0.55, "red+pink": 0.3,
    "orange+yellow": 0.75, "orange+green": 0.45, "orange+blue": 0.9, "orange+purple": 0.3, "orange+pink": 0.3,
    "yellow+green": 0.75, "yellow+blue": 0.65, "yellow+purple": 0.85, "yellow+pink": 0.5,
    "green+blue": 0.8, "green+purple": 0.35, "green+pink": 0.75,
    "blue+purple": 0.8, "blue+pink": 0.7,
    "purple+pink": 0.8,
}.items()}
# Exceptions to "neutrals go with everything" that stylists still argue about.
_NEUTRAL_EXCEPTIONS: dict[frozenset[str], float] = {
    frozenset({"black", "brown"}): 0.5, frozenset({"black", "navy"}): 0.55, frozenset({"gold", "silver"}): 0.4,
}
_SAME_COLOUR = {"neutral": 0.8, "metallic": 0.6, "chromatic": 0.6}  # tone on tone: safe for neutrals, loud otherwise


def _kind(colour: str) -> str:
    return "neutral" if colour in NEUTRALS else "metallic" if colour in METALLICS else "chromatic"


def colour_harmony(a: str, b: str) -> float:
    """How well two colours pair, 0..1 (0.5 when either is unknown)."""
    a = normalize_value("colors", a) or str(a).strip().lower()
    b = normalize_value("colors", b) or str(b).strip().lower()
    if a not in COLORS or b not in COLORS:
        return 0.5
    if a == b:
        return _SAME_COLOUR[_kind(a)]
    pair = frozenset({a, b})
    if pair in _NEUTRAL_EXCEPTIONS:
        return _NEUTRAL_EXCEPTIONS[pair]
    if a in NEUTRALS or b in NEUTRALS:
        return 0.9
    if a in METALLICS or b in METALLICS:
        return 0.75
    return _CHROMATIC_HARMONY[pair]
