"""The garment schema: allowed values, the Garment record, the parser of model output, and shoppers' words."""

from fashion_ai.schema.colours import COLOR_RGB, colour_names
from fashion_ai.schema.garment import Garment, garments_to_json, normalize_value
from fashion_ai.schema.lexicon import SEARCH_FIELDS, SHOPPER_WORDS, SYNONYMS, plural, shopper_vocabulary
from fashion_ai.schema.parser import ParseResult, parse_garments
from fashion_ai.schema.values import (
    CATEGORIES,
    COLORS,
    FIELDS,
    GENDERS,
    LENGTHS,
    LIST_FIELDS,
    MATERIALS,
    NECKLINES,
    OCCASIONS,
    OPENINGS,
    PATTERNS,
    SEASONS,
    SILHOUETTES,
    SLEEVES,
    STYLES,
)

__all__ = [
    "COLOR_RGB", "SEARCH_FIELDS", "colour_names", "plural",
    "CATEGORIES", "COLORS", "FIELDS", "GENDERS", "LENGTHS", "LIST_FIELDS", "MATERIALS", "NECKLINES", "OCCASIONS",
    "OPENINGS", "PATTERNS", "SEASONS", "SHOPPER_WORDS", "SILHOUETTES", "SLEEVES", "STYLES", "SYNONYMS", "Garment",
    "ParseResult", "garments_to_json", "normalize_value", "parse_garments", "shopper_vocabulary",
]
