"""A stylist's tables: dress codes (which pieces are formal enough, or too formal, for an occasion) and weather
(which pieces are too warm for summer or too light for winter). Every rule is a table here, read by the outfit
planner and the stylist, and named in the reasons they give.

Dress-code levels: 1 casual, 2 smart casual, 3 business / cocktail, 4 formal. What an item's title words, category,
material and style each allow is a vote for those levels (the title's counts 1.5: "rubber sneakers" in a "classic"
style are casual); the item's range is the levels with the most votes. An occasion accepts a range; an item suits
it when the two meet, and fits it better the more of its votes fall inside. Some occasions also rule out materials
(no suede at the beach, no wool at the gym) and slots (no scarf or coat at the gym). Weather: a warm wish (summer,
the beach) takes nothing with a cold sign (a coat, wool, knit, boots), a cold wish nothing with a warm one. The
title nouns and the climate words are the shopper vocabulary's (schema/vocabulary.json), plurals by inflect.
"""

from __future__ import annotations

from fashion_ai.catalog import CatalogItem
from fashion_ai.schema.lexicon import noun_pattern, vocabulary

LEVELS = {1: "casual", 2: "smart casual", 3: "business", 4: "formal"}
OCCASION_LEVELS: dict[str, tuple[int, int]] = {
    "everyday": (1, 2), "beach": (1, 1), "sport": (1, 1), "outdoor": (1, 1), "travel": (1, 2), "work": (2, 3),
    "date night": (2, 3), "party": (2, 4), "wedding": (3, 4), "formal": (4, 4),
}
STYLE_LEVELS: dict[str, tuple[int, int]] = {
    "sporty": (1, 1), "streetwear": (1, 1), "casual": (1, 2), "bohemian": (1, 3), "romantic": (2, 4),
    "preppy": (2, 3), "minimalist": (2, 4), "classic": (2, 4), "business": (3, 3), "elegant": (3, 4),
}
MATERIAL_LEVELS: dict[str, tuple[int, int]] = {
    "denim": (1, 2), "canvas": (1, 2), "rubber": (1, 1), "straw": (1, 3), "knit": (1, 3), "polyester": (1, 3),
    "silk": (3, 4), "satin": (3, 4), "chiffon": (3, 4), "velvet": (3, 4), "lace": (2, 4), "cashmere": (2, 4),
}
CATEGORY_LEVELS: dict[str, tuple[int, int]] = {
    "shorts": (1, 1), "top": (1, 2), "sweater": (1, 3), "cardigan": (1, 3), "leg warmer": (1, 1), "sock": (1, 2),
    "tie": (3, 4), "umbrella": (1, 4),
}
_DRESS_CODE, _CLIMATE = vocabulary()["dress_code"], vocabulary()["climate"]
# Title nouns that settle a piece's level whatever else it is (the vocabulary's dress-code table).
TITLE_LEVELS = tuple((noun_pattern(row["nouns"]), (row["levels"][0], row["levels"][1]))
                     for row in _DRESS_CODE["title_levels"])
# Materials an occasion rules out whatever their dress code, and slots it leaves empty.
OCCASION_MATERIALS_OUT: dict[str, frozenset[str]] = {
    "beach": frozenset({"leather", "suede", "velvet", "wool", "cashmere", "knit", "satin"}),
    "sport": frozenset({"leather", "suede", "velvet", "wool", "cashmere", "silk", "satin", "chiffon", "lace", "straw"}),
    "outdoor": frozenset({"silk", "satin", "chiffon", "velvet", "lace"}),
}
OCCASION_SLOTS_OUT: dict[str, frozenset[str]] = {"sport": frozenset({"accessory", "outerwear"})}
OCCASION_CATEGORIES_OUT: dict[str, frozenset[str]] = {"sport": frozenset({"dress", "skirt", "coat", "scarf"})}
# A piece's own style or make that a dress code rules out whatever its other words vote: nothing sporty or
# streetwear from smart casual up, no denim, rubber, canvas, shorts, tees or sneakers from business up, nothing
# dressy for a casual-only wish (the gym, the beach).
STYLES_OUT_FROM: dict[int, frozenset[str]] = {2: frozenset({"sporty", "streetwear"})}
MATERIALS_OUT_FROM: dict[int, frozenset[str]] = {3: frozenset({"denim", "rubber", "canvas"})}
CATEGORIES_OUT_FROM: dict[int, frozenset[str]] = {3: frozenset({"shorts", "top"})}
TITLES_OUT_FROM = {int(level): noun_pattern(nouns) for level, nouns in _DRESS_CODE["titles_out_from"].items()}
STYLES_OUT_CASUAL = frozenset({"business", "elegant", "romantic"})
COLD_CATEGORIES = frozenset(_CLIMATE["cold_categories"])
COLD_MATERIALS = frozenset(_CLIMATE["cold_materials"])
WARM_CATEGORIES = frozenset(_CLIMATE["warm_categories"])
WARM_MATERIALS = frozenset(_CLIMATE["warm_materials"])
WARM_TITLES = noun_pattern(_CLIMATE["warm_titles"])
COLD_TITLES = noun_pattern(_CLIMATE["cold_titles"])
WARM_SEASONS = frozenset(_CLIMATE["warm_seasons"])
COLD_SEASONS = frozenset(_CLIMATE["cold_seasons"])


TITLE_VOTE = 1.5


def level_votes(item: CatalogItem) -> dict[int, float]:
    """How many of the item's words (title 1.5, category, material, style 1 each) allow each dress-code level."""
    title = item.title.lower()
    ranges = [(levels, TITLE_VOTE) for pattern, levels in TITLE_LEVELS if pattern.search(title)]
    ranges += [(table[value], 1.0) for table, value in ((CATEGORY_LEVELS, item.category),
                                                         (MATERIAL_LEVELS, item.material), (STYLE_LEVELS, item.style))
               if value in table]
    return {level: sum(weight for (low, high), weight in ranges if low <= level <= high) for level in LEVELS}


def formality(item: CatalogItem) -> tuple[int, int]:
    """The dress-code range an item can serve: the levels most of its words allow (all four if none says)."""
    votes = level_votes(item)
    best = max(votes.values())
    chosen = [level for level, count in votes.items() if count == best]
    return min(chosen), max(chosen)


def dress_code(occasion: str | None, levels: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """The dress-code range a wish asks for: the shopper's own ("more casual" moved it) or the occasion's."""
    if levels is not None:
        return (max(1, min(levels)), min(4, max(levels)))
    return OCCASION_LEVELS.get(occasion or "")


def occasion_fit(item: CatalogItem, occasion: str | None, levels: tuple[int, int] | None = None) -> float:
    """0..1: the share of the item's dress-code votes that fall in the wish's range (1 without one)."""
    wanted = dress_code(occasion, levels)
    if wanted is None:
        return 1.0
    votes = level_votes(item)
    total = sum(votes.values())
    low, high = wanted
    return sum(count for level, count in votes.items() if low <= level <= high) / total if total else 1.0


def suits_occasion(item: CatalogItem, occasion: str | None, levels: tuple[int, int] | None = None) -> bool:
    """Whether the item's dress-code range meets the wish's (any item, when neither an occasion nor levels say)."""
    if item.material in OCCASION_MATERIALS_OUT.get(occasion or "", ()) or item.category in OCCASION_CATEGORIES_OUT.get(
            occasion or "", ()):
        return False
    wanted = dress_code(occasion, levels)
    if wanted is None:
        return True
    if _ruled_out(item, wanted):
        return False
    low, high = formality(item)
    return low <= wanted[1] and wanted[0] <= high


def _ruled_out(item: CatalogItem, wanted: tuple[int, int]) -> bool:
    """Whether the piece's own style, material, kind or title is out of the dress code whatever else it votes."""
    title = item.title.lower()
    for start, styles in STYLES_OUT_FROM.items():
        if wanted[0] >= start and item.style in styles:
            return True
    for start, materials in MATERIALS_OUT_FROM.items():
        if wanted[0] >= start and item.material in materials:
            return True
    for start, categories in CATEGORIES_OUT_FROM.items():
        if wanted[0] >= start and item.category in categories:
            return True
    if any(wanted[0] >= start and pattern.search(title) for start, pattern in TITLES_OUT_FROM.items()):
        return True
    return wanted[1] <= 1 and item.style in STYLES_OUT_CASUAL


def weather_signs(item: CatalogItem) -> set[str]:
    """"warm" when anything about the piece is made for heat (shorts, linen, straw, sandals, its catalog season
    summer), "cold" when anything is made for cold (a coat, wool, knit, boots, its catalog season winter); both for
    a knit tank top, neither for most."""
    title = item.title.lower()
    signs = set()
    if (WARM_TITLES.search(title) or item.category in WARM_CATEGORIES or item.material in WARM_MATERIALS
            or item.season in WARM_SEASONS):
        signs.add("warm")
    if (COLD_TITLES.search(title) or item.category in COLD_CATEGORIES or item.material in COLD_MATERIALS
            or item.season in COLD_SEASONS):
        signs.add("cold")
    return signs


def climate(season: str | None, occasion: str | None) -> str | None:
    """What a wish's weather is: "warm" (summer, the beach), "cold" (winter) or None."""
    if season in COLD_SEASONS:  # the season said wins over the place ("a winter beach walk" is cold)
        return "cold"
    if season in WARM_SEASONS or occasion == "beach":
        return "warm"
    return None


def suits_weather(item: CatalogItem, wish_climate: str | None) -> bool:
    """No coat, wool or knit for a warm wish; no shorts, linen or straw for a cold one."""
    if wish_climate is None:
        return True
    return ("cold" if wish_climate == "warm" else "warm") not in weather_signs(item)


def fit_reasons(item: CatalogItem, occasion: str | None, wish_climate: str | None,
                levels: tuple[int, int] | None = None) -> list[str]:
    """What makes the item fit, in a stylist's words ("formal enough for a wedding", "light for summer")."""
    parts = []
    wanted = dress_code(occasion, levels)
    if wanted is not None:
        low, _ = formality(item)
        what = occasion if occasion and levels is None else f"{LEVELS[wanted[0]]} to {LEVELS[wanted[1]]}"
        parts.append(f"{'dressy' if max(low, wanted[0]) >= 3 else 'relaxed'} enough for {what}")
    signs = weather_signs(item)
    if wish_climate == "warm" and "warm" in signs:
        parts.append("light for the heat")
    elif wish_climate == "cold" and "cold" in signs:
        parts.append("warm for the cold")
    return parts
