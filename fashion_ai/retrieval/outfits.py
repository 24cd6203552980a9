"""Outfits: the groups a look is made of (top, bottom or a one-piece, outerwear, shoes, bag, accessory) and
"complete the outfit": one best item per group for the query's occasion, head to toe."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogStore, build_where, combine_where
from fashion_ai.retrieval.harmony import colour_harmony
from fashion_ai.retrieval.query import clean_query, parse_terms
from fashion_ai.retrieval.search import (
    DEFAULT_MAX_CHARS,
    DEFAULT_RESULTS,
    SEARCH_WEIGHTS,
    SearchFilters,
    SearchHit,
    match_terms,
    require_items,
)
from fashion_ai.schema import normalize_value

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder

logger = logging.getLogger(__name__)


# In an outfit the occasion decides more: every piece must suit it.
OUTFIT_ANCHOR_WEIGHTS: dict[str, float] = {**SEARCH_WEIGHTS, "occasion": 0.15}
OUTFIT_PIECE_WEIGHTS: dict[str, float] = {"occasion": 0.15, "style": 0.06, "season": 0.05}
OUTFIT_HARMONY_WEIGHT = 0.12

# Complementary groups of an outfit: never two items of one group.
OUTFIT_GROUPS: dict[str, tuple[str, ...]] = {
    "top": ("top", "shirt", "sweater", "cardigan", "vest"),
    "bottom": ("pants", "shorts", "skirt"),
    "one-piece": ("dress", "jumpsuit"),  # replaces top + bottom
    "outerwear": ("jacket", "coat", "cape"),
    "shoes": ("shoe",),
    "bag": ("bag",),
    "accessory": ("hat", "scarf", "glasses", "belt", "watch", "tie", "headband", "glove", "umbrella", "sock",
                  "tights", "leg warmer"),
}
GROUP_NOUNS: dict[str, str] = {"top": "top", "bottom": "pants or skirt", "one-piece": "dress", "outerwear": "jacket",
                               "shoes": "shoes", "bag": "bag", "accessory": "hat or scarf"}
SEPARATES_PLAN: tuple[str, ...] = ("top", "bottom", "outerwear", "shoes", "bag", "accessory")
ONE_PIECE_PLAN: tuple[str, ...] = ("one-piece", "outerwear", "shoes", "bag", "accessory")
_CATEGORY_GROUP = {category: group for group, categories in OUTFIT_GROUPS.items() for category in categories}


def group_of(category: str | None) -> str | None:
    """The outfit group of a category ("skirt" -> "bottom"), or None."""
    if not category:
        return None
    return _CATEGORY_GROUP.get(normalize_value("category", category) or category.strip().lower())


def _group_where(group: str, category: str | None) -> dict:
    if category:
        return {"category": category}
    categories = list(OUTFIT_GROUPS[group])
    return {"category": categories[0]} if len(categories) == 1 else {"category": {"$in": categories}}


def _piece_prompt(group: str, terms: Mapping[str, list[str]], query: str) -> str:
    """What CLIP should look for in one group: "classic shoes for wedding in summer"."""
    words = [terms["style"][0]] if "style" in terms else []
    words.append(GROUP_NOUNS[group])
    if "occasion" in terms:
        words += ["for", terms["occasion"][0]]
    if "season" in terms:
        words += ["in", terms["season"][0]]
    return " ".join(words) if len(words) > 1 else f"{GROUP_NOUNS[group]} to wear with {query}"


def complete_outfit(query: str, embedder: Embedder, store: CatalogStore, filters: SearchFilters | None = None,
                    exclude_category: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> list[SearchHit]:
    """One best item per complementary group for the query's occasion, head to toe.

    A dress (named in the query, the category filter or exclude_category) replaces top and bottom. The group of
    exclude_category (a piece the shopper already has) is left out. Gender and price filters apply to every
    piece; the category and colour filters pick the anchor piece only. No outerwear for summer or the beach.
    """

    text = clean_query(query, max_chars)
    require_items(store)
    filters = filters or SearchFilters()
    terms = parse_terms(text)
    anchor_category = terms["category"][0] if "category" in terms else None
    if anchor_category is None and filters.category and filters.category.strip().lower() not in ("any", ""):
        anchor_category = normalize_value("category", filters.category)
    anchor_group = group_of(anchor_category)
    excluded_group = group_of(exclude_category)
    one_piece = "one-piece" in (anchor_group, excluded_group)
    plan = [g for g in (ONE_PIECE_PLAN if one_piece else SEPARATES_PLAN) if g != excluded_group]
    if anchor_group and anchor_group not in plan and anchor_group != excluded_group:
        plan.insert(0, anchor_group)  # e.g. "a dress" with an excluded top: the query wins
        plan = [g for g in plan if g not in (("top", "bottom") if anchor_group == "one-piece" else ("one-piece",))]
    warm = "summer" in terms.get("season", []) or "beach" in terms.get("occasion", [])
    if warm and anchor_group != "outerwear":
        plan = [g for g in plan if g != "outerwear"]

    base = build_where(gender=filters.gender, max_price=filters.max_price)
    order = sorted(plan, key=lambda g: g != anchor_group)  # anchor first: the others harmonise with it
    prompts = [text if group == anchor_group else _piece_prompt(group, terms, text) for group in order]
    vectors = embedder.embed_texts(prompts)
    picks: dict[str, SearchHit] = {}
    reference: CatalogItem | None = None
    for group, vector in zip(order, vectors, strict=True):
        is_anchor = group == anchor_group
        where = combine_where(base, _group_where(group, anchor_category if is_anchor else None),
                              build_where(color=filters.color) if is_anchor else None)
        candidates = store.query(vector, 4 * DEFAULT_RESULTS, where)
        if not candidates and is_anchor:  # nothing of that exact kind: any piece of the group
            candidates = store.query(vector, 4 * DEFAULT_RESULTS, combine_where(base, _group_where(group, None)))
        weights = OUTFIT_ANCHOR_WEIGHTS if is_anchor else dict(OUTFIT_PIECE_WEIGHTS)
        if anchor_group is None and not is_anchor:
            weights["colors"] = 0.08  # "a red outfit": every piece may carry the colour
        hits = []
        for item, cosine in candidates:
            bonus, parts = match_terms(item, terms, weights)
            if reference is not None and reference.colors and item.colors:
                harmony = colour_harmony(reference.colors[0], item.colors[0])
                bonus += OUTFIT_HARMONY_WEIGHT * harmony
                if harmony >= 0.7:
                    parts.append(f"{item.colors[0]} goes with the {reference.colors[0]} {reference.category}")
            hits.append(SearchHit(item, cosine + bonus, " · ".join(parts) or f"{item.category} to complete the outfit"))
        if hits:
            picks[group] = min(hits, key=lambda hit: (-hit.score, hit.item.id))
            reference = reference or picks[group].item
    logger.info("outfit for %r: %s", text, {g: h.item.id for g, h in picks.items()})
    return [picks[g] for g in plan if g in picks]
