"""The offline demo world: seeded procedural product photos with shop metadata and shopper captions.

A world we own: 13 garment categories, 13 colours and 6 patterns, drawn on a light background with variation in
position, scale, sleeve and length, so a model has to look at the garment to tell them apart; and empty scenes,
photos with no garment in them, so that a model learns to say so. Everything outside
this package uses only the names below.
"""

from fashion_ai.demo_world.empty import EMPTY_KINDS, generate_empty_scene
from fashion_ai.demo_world.generate import (
    DEFAULT_DEMO_ITEMS,
    DEFAULT_DEMO_SEED,
    generate_example,
    generate_item,
    iter_demo_items,
    write_catalog,
)
from fashion_ai.demo_world.render import DEFAULT_IMAGE_SIZE
from fashion_ai.demo_world.specs import DEMO_CATEGORIES, DEMO_COLORS, DEMO_PATTERNS

# What a demo photo can show, as class lists for training heads (fixed order: saved models depend on it).
DEMO_CATEGORY_NAMES: tuple[str, ...] = tuple(sorted(DEMO_CATEGORIES))
DEMO_COLOR_NAMES: tuple[str, ...] = tuple(sorted(DEMO_COLORS))
DEMO_NOUNS: tuple[str, ...] = tuple(noun for spec in DEMO_CATEGORIES.values() for noun in spec.nouns)

__all__ = [
    "DEFAULT_DEMO_ITEMS", "DEFAULT_DEMO_SEED", "DEFAULT_IMAGE_SIZE", "DEMO_CATEGORY_NAMES", "DEMO_COLOR_NAMES",
    "DEMO_NOUNS", "DEMO_PATTERNS", "EMPTY_KINDS", "generate_empty_scene", "generate_example", "generate_item",
    "iter_demo_items", "write_catalog",
]
