""""Is this right for a wedding?": the shopper's own outfit (garments read from a photo) held against the occasion's
dress code and the weather by the stylist's own tables (fashion_ai.retrieval.rules), with catalog pieces of the
same outfit slot that would fix what does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fashion_ai.catalog import CatalogItem
from fashion_ai.retrieval.outfits import GROUP_NOUNS, OUTFIT_GROUPS, group_of
from fashion_ai.retrieval.query import ShopperQuery, garment_phrase
from fashion_ai.retrieval.rules import (
    LEVELS,
    OCCASION_MATERIALS_OUT,
    climate,
    dress_code,
    fit_reasons,
    formality,
    suits_occasion,
    suits_weather,
    weather_signs,
)
from fashion_ai.retrieval.search import SearchContext, SearchHit, find_items
from fashion_ai.retrieval.steer import Steer
from fashion_ai.schema import Garment

FIXES_PER_PIECE = 2


@dataclass
class PieceVerdict:
    """One garment of the shopper's outfit: whether it fits, why, and catalog pieces that would fit instead."""

    garment: Garment
    fits: bool
    why: str
    fixes: list[SearchHit] = field(default_factory=list)


def as_item(garment: Garment) -> CatalogItem:
    """A garment from a photo in the shape the rules read (title from its attributes; no price, no shop)."""
    words = [garment.style or "", garment_phrase(garment)]
    return CatalogItem(id="your-photo", title=" ".join(w for w in words if w), caption="", category=garment.category,
                       gender="unisex", colors=list(garment.colors), pattern=garment.pattern or "solid", season="",
                       price=None, url="", image_path="", style=garment.style, occasion=garment.occasion,
                       material=garment.material, sleeve=garment.sleeve, length=garment.length)


def judge_piece(garment: Garment, occasion: str | None, levels: tuple[int, int] | None, season: str | None
                ) -> PieceVerdict:
    """Whether one garment suits the occasion's dress code and the weather, with the reason in a stylist's words."""
    item = as_item(garment)
    phrase = garment_phrase(garment)
    wanted = dress_code(occasion, levels)
    what = occasion or (f"{LEVELS[wanted[0]]} to {LEVELS[wanted[1]]}" if wanted else "")
    if item.material in OCCASION_MATERIALS_OUT.get(occasion or "", ()):
        return PieceVerdict(garment, False, f"your {phrase}: {item.material} is out of place for {occasion}")
    if not suits_occasion(item, occasion, levels) and wanted is not None:
        low, high = formality(item)
        reads = LEVELS[low] + (f" to {LEVELS[high]}" if high != low else "")
        asks = LEVELS[wanted[0]] + (f" to {LEVELS[wanted[1]]}" if wanted[1] != wanted[0] else "")
        side = "too casual" if high < wanted[0] else "too formal"
        return PieceVerdict(garment, False, f"your {phrase}: {side} for {what} (it reads {reads}; {what} asks {asks})")
    wish_climate = climate(season, occasion)
    if not suits_weather(item, wish_climate):
        heat = "warm" in weather_signs(item)
        return PieceVerdict(garment, False, f"your {phrase}: {'too light for the cold' if heat else 'too warm for the heat'}")
    reasons = fit_reasons(item, occasion, wish_climate, levels)
    return PieceVerdict(garment, True, f"your {phrase} works" + (f": {', '.join(reasons)}" if reasons else ""))


def judge_outfit(garments: list[Garment], ctx: SearchContext, occasion: str | None, levels: tuple[int, int] | None,
                 season: str | None, limits: ShopperQuery | None = None) -> list[PieceVerdict]:
    """Every garment judged; for each that does not fit, the best catalog pieces of its slot that do, within the
    shopper's limits (price per item, refusals, audience)."""
    limits = limits or ShopperQuery(text="")
    verdicts = [judge_piece(g, occasion, levels, season) for g in garments]
    wish_climate = climate(season, occasion)
    for verdict in verdicts:
        if verdict.fits:
            continue
        group = group_of(verdict.garment.category)
        categories = list(OUTFIT_GROUPS[group]) if group else [verdict.garment.category]
        wanted = {"category": categories, **({"occasion": [occasion]} if occasion else {}),
                  **({"season": [season]} if season else {})}
        noun = GROUP_NOUNS.get(group or "", verdict.garment.category)
        text = " ".join([noun] + (["for", occasion] if occasion else []) + (["in", season] if season else []))
        query = ShopperQuery(text=text, wanted=wanted, refused=dict(limits.refused),
                             refused_kinds=list(limits.refused_kinds), max_price=limits.max_price, gender=limits.gender)
        hits = find_items(text, ctx, n=12, query=query, steer=Steer()).hits
        verdict.fixes = [hit for hit in hits
                         if suits_occasion(hit.item, occasion, levels) and suits_weather(hit.item, wish_climate)
                         ][:FIXES_PER_PIECE]
    return verdicts
