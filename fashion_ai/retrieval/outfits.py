"""Outfits: the slots a look is made of (top and bottom, or a one-piece; outerwear, shoes, bag, accessory) and one
planner behind both "complete the outfit" (words in) and the AI stylist (a garment the shopper has, plus words).

Per slot, candidates come from CLIP (a prompt for the piece against the photos) and the text model (the same prompt
against item texts), under the shopper's hard constraints (audience, price per item, refusals). The stylist's tables
(fashion_ai.retrieval.rules) then drop pieces that do not suit the occasion's dress code or the weather, unless the
shopper named that piece. Each remaining piece scores its CLIP and text similarity (scaled as in search), the
occasion, style and season it matches, and how its colour goes with the outfit's first piece (or the shopper's
garment). A total budget ("under $200 in all") picks the best combination that fits it.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.filters import CatalogFilter
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import DEFAULT_MAX_QUERY_CHARS
from fashion_ai.retrieval.harmony import colour_harmony
from fashion_ai.retrieval.kinds import called, live_kinds
from fashion_ai.retrieval.query import ShopperQuery, clean_query
from fashion_ai.retrieval.rules import (
    OCCASION_SLOTS_OUT,
    climate,
    fit_reasons,
    occasion_fit,
    suits_occasion,
    suits_weather,
)
from fashion_ai.retrieval.search import (
    DEFAULT_RESULTS,
    MAX_EXCLUDED_FETCH,
    SearchContext,
    SearchFilters,
    SearchHit,
    SearchResult,
    hard_filter,
    match_terms,
    require_items,
    scaled,
)
from fashion_ai.retrieval.steer import W_STEER, Steer
from fashion_ai.schema import Garment, normalize_value

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder

logger = logging.getLogger(__name__)

# Complementary groups of an outfit: one piece each.
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
DROP_FIRST = ("accessory", "bag", "outerwear")  # slots given up, in this order, when a budget cannot cover all
_CATEGORY_GROUP = {category: group for group, categories in OUTFIT_GROUPS.items() for category in categories}

# A piece's look and text weigh less than a search result's (search.W_IMAGE, W_TEXT: 0.35): they share its score
# with the dress code and the colour harmony, which search does not have. As tuned with the stylist requests of
# bench/search_dev_set.json.
W_PIECE_IMAGE, W_PIECE_TEXT, W_HARMONY, W_DRESS_CODE = 0.3, 0.3, 0.2, 0.3
PIECE_WEIGHTS: dict[str, float] = {"occasion": 0.2, "style": 0.1, "season": 0.1, "material": 0.1}
ANCHOR_WEIGHTS: dict[str, float] = {**PIECE_WEIGHTS, "colors": 0.35, "pattern": 0.25}
BUDGET_CHOICES = 5  # candidates per slot a total budget chooses among


def group_of(category: str | None) -> str | None:
    """The outfit group of a category ("skirt" -> "bottom"), or None."""
    if not category:
        return None
    return _CATEGORY_GROUP.get(normalize_value("category", category) or category.strip().lower())


def _slot_filter(group: str, category: str | None) -> CatalogFilter:
    """The pieces of a slot: of the category the shopper named, else of any of the slot's categories."""
    return CatalogFilter(only={"category": (category,) if category else OUTFIT_GROUPS[group]})


def _piece_prompt(group: str, query: ShopperQuery, text: str) -> str:
    """What to look for in one slot: "classic shoes for wedding in summer"."""
    words = [query.first("style")] if query.first("style") else []
    words.append(GROUP_NOUNS[group])
    if query.first("occasion"):
        words += ["for", query.first("occasion")]
    if query.first("season"):
        words += ["in", query.first("season")]
    return " ".join(words) if len(words) > 1 else f"{GROUP_NOUNS[group]} to wear with {text}"


def _plan(anchor_group: str | None, worn_group: str | None, wish_climate: str | None, occasion: str | None
          ) -> list[str]:
    one_piece = "one-piece" in (anchor_group, worn_group)
    plan = [g for g in (ONE_PIECE_PLAN if one_piece else SEPARATES_PLAN) if g != worn_group or g == anchor_group]
    if anchor_group and anchor_group not in plan:
        plan.insert(0, anchor_group)  # e.g. "a dress" with a top worn: the words win
        plan = [g for g in plan if g not in (("top", "bottom") if anchor_group == "one-piece" else ("one-piece",))]
    if wish_climate == "warm" and anchor_group != "outerwear":
        plan = [g for g in plan if g != "outerwear"]  # no coat or jacket for summer or the beach
    plan = [g for g in plan if g == anchor_group or g not in OCCASION_SLOTS_OUT.get(occasion or "", ())]
    return sorted(plan, key=lambda g: g != anchor_group)  # the anchor first: the others go with it


def _candidates(ctx: SearchContext, vectors: tuple, where: CatalogFilter, k: int) -> tuple[dict, dict, dict]:
    """Candidates of one slot: the prompt's CLIP vector against the photos, its text vector against the texts."""
    pool: dict[str, CatalogItem] = {}
    image: dict[str, float] = {}
    text: dict[str, float] = {}
    clip_vector, text_vector = vectors
    for item, cosine in ctx.store.query(clip_vector, k, where):
        pool[item.id], image[item.id] = item, cosine
    if text_vector is not None and ctx.text_store is not None:
        for item, cosine in ctx.text_store.query(text_vector, k, where):
            pool[item.id], text[item.id] = item, cosine
    return pool, image, text


def plan_outfit(text: str, ctx: SearchContext, filters: SearchFilters | None = None, garment: Garment | None = None,
                slots: int | None = None, query: ShopperQuery | None = None, steer: Steer | None = None
                ) -> SearchResult:
    """One piece per slot for the words (and around the shopper's garment), best first within each slot.

    ``query`` replaces reading the words (a conversation's wish); ``steer`` keeps pinned pieces, leaves out excluded
    items, caps slots' prices, moves the dress code, and ranks toward liked items and away from rejected ones."""
    filters = filters or SearchFilters()
    query = query or ctx.reader.read(text)
    steer = steer or Steer()
    liked, rejected = steer.examples(ctx.store)
    pinned = {g: item for g, item_id in steer.pinned.items() for item in ctx.store.get_items([item_id])}
    worn = normalize_value("category", garment.category) if garment else None
    anchor_category = query.first("category")
    if anchor_category is None and filters.category and filters.category.strip().lower() not in ("any", ""):
        anchor_category = normalize_value("category", filters.category)
    anchor_group, worn_group = group_of(anchor_category), group_of(worn)
    occasion, wish_climate = query.first("occasion"), climate(query.first("season"), query.first("occasion"))
    plan = [g for g in _plan(anchor_group, worn_group, wish_climate, occasion) if g not in steer.skipped][:slots]
    # Per-item limits and refusals hold for every piece; the named category and the colour filter pick the anchor.
    base = hard_filter(replace(query, wanted={k: v for k, v in query.wanted.items() if k != "category"}),
                      SearchFilters(gender=filters.gender, max_price=filters.max_price))
    reference = garment if garment and garment.colors else None
    choices: dict[str, list[SearchHit]] = {}
    notes: list[str] = []
    prompts = [text if group == anchor_group else _piece_prompt(group, query, text) for group in plan]
    clip_vectors = ctx.embedder.embed_texts(prompts) if prompts else []
    text_vectors = ctx.text_model.embed(prompts) if ctx.text_model is not None and prompts else [None] * len(prompts)
    levels = steer.levels
    for group, vectors in zip(plan, zip(clip_vectors, text_vectors, strict=True), strict=True):
        if group in pinned:  # kept as it is: "swap the bag" changes the bag only
            choices[group] = [SearchHit(pinned[group], 1.0, "kept from the last picks")]
            reference = reference or (pinned[group].garment() if pinned[group].colors else None)
            continue
        is_anchor = group == anchor_group
        beat = steer.slot_caps.get(group)
        cap = CatalogFilter(min_price=round(beat + 0.01, 2)) if steer.pricier and beat is not None else CatalogFilter(
            price_below=beat)
        colour = CatalogFilter.pinned(color=filters.color) if is_anchor else CatalogFilter()
        where = base & _slot_filter(group, anchor_category if is_anchor else None) & colour & cap
        if liked is not None or rejected is not None:
            vectors = (Steer.moved(vectors[0], liked, rejected), vectors[1])
        k = 4 * DEFAULT_RESULTS + min(len(steer.excluded), MAX_EXCLUDED_FETCH)
        pool, image, similar = _candidates(ctx, vectors, where, k)
        if not pool and is_anchor and anchor_category:  # nothing of that exact kind: any piece of its slot
            where = base & _slot_filter(group, None) & cap
            pool, image, similar = _candidates(ctx, vectors, where, k)
        pool = {k: v for k, v in pool.items() if k not in steer.excluded and not called(v, query.refused_kinds)}
        if not is_anchor or levels is not None:  # a piece the shopper named is theirs; the rest suit the occasion
            pool = {k: v for k, v in pool.items()
                    if suits_occasion(v, occasion, levels) and suits_weather(v, wish_climate)}
        if not pool and group in steer.previous:  # nothing cheaper (or pricier) suits: keep what was shown
            kept = ctx.store.get_items([steer.previous[group]])
            if kept:
                notes.append(f"no cheaper {GROUP_NOUNS[group]} suits this; kept the one you saw")
                choices[group] = [SearchHit(kept[0], 0.0, "still the best-priced that suits this")]
                continue
        if not pool:
            notes.append(f"no {GROUP_NOUNS[group]} in the catalog suits this" + (f" {occasion}" if occasion else ""))
            continue
        scored = []
        image_scaled, text_scaled = scaled(image), scaled(similar)
        steered = scaled(Steer.similarity(ctx.store, list(pool), liked, rejected))
        for item_id, item in pool.items():
            terms = {k: v for k, v in query.wanted.items() if k != "category"}
            bonus, parts = match_terms(item, terms, ANCHOR_WEIGHTS if is_anchor or anchor_group is None else PIECE_WEIGHTS)
            score = (W_PIECE_IMAGE * image_scaled.get(item_id, 0.0) + W_PIECE_TEXT * text_scaled.get(item_id, 0.0) + bonus
                     + W_DRESS_CODE * occasion_fit(item, occasion, levels) + W_STEER * steered.get(item_id, 0.0))
            parts += fit_reasons(item, occasion, wish_climate, levels)
            if steered.get(item_id, 0.0) >= 0.8:
                parts.append("like the ones you liked")
            if reference is not None and item.colors:
                harmony = colour_harmony(reference.colors[0], item.colors[0])
                score += W_HARMONY * harmony
                if harmony >= 0.7:
                    whose = "your" if reference is garment else "the"
                    parts.append(f"{item.colors[0]} goes with {whose} {reference.colors[0]} {reference.category}")
            scored.append(SearchHit(item, score, " · ".join(dict.fromkeys(parts)) or f"a {item.category} to complete it"))
        # The anchor called what the words name ("an outfit with ankle boots") comes first, as in search.
        kinds = live_kinds(query.kinds, [anchor_category]) if is_anchor and anchor_category else []
        scored.sort(key=lambda hit: (-called(hit.item, kinds), -hit.score, hit.item.id))
        choices[group] = scored
        if reference is None and scored[0].item.colors:
            reference = scored[0].item.garment()  # the others go with the first piece chosen
    if not choices:
        require_items(ctx.store)
    picks = _within_budget(choices, query.total_budget, notes) if query.total_budget else {
        group: hits[0] for group, hits in choices.items()}
    logger.info("outfit for %r: %s", text, {g: h.item.id for g, h in picks.items()})
    return SearchResult([picks[g] for g in plan if g in picks], query, notes)


def _within_budget(choices: dict[str, list[SearchHit]], budget: float, notes: list[str]) -> dict[str, SearchHit]:
    """The best-scoring combination, one piece per slot, whose prices add up to the budget at most; slots are given
    up (accessory, bag, outerwear) when even the cheapest combination does not fit."""
    groups = [g for g in choices if any(hit.item.price is not None for hit in choices[g])]
    while groups:
        options = [[hit for hit in choices[g] if hit.item.price is not None][:BUDGET_CHOICES] for g in groups]
        best, best_score = None, float("-inf")
        for combo in itertools.product(*options):
            total = sum(hit.item.price for hit in combo)
            score = sum(hit.score for hit in combo)
            if total <= budget and score > best_score:
                best, best_score = combo, score
        if best is not None:
            spent = sum(hit.item.price for hit in best)
            notes.append(f"${spent:,.2f} of ${budget:,.0f} in all")
            return {g: replace(hit, reason=f"{hit.reason} · ${hit.item.price:,.2f} of the ${budget:,.0f}")
                    for g, hit in zip(groups, best, strict=True)}
        drop = next((g for g in DROP_FIRST if g in groups), groups[-1])
        groups.remove(drop)
        notes.append(f"no {GROUP_NOUNS[drop]} fits the ${budget:,.0f} budget with the rest")
    notes.append(f"nothing in the catalog fits ${budget:,.0f} in all")
    return {}


def complete_outfit(query: str, embedder: Embedder, store: CatalogStore, filters: SearchFilters | None = None,
                    exclude_category: str | None = None, max_chars: int = DEFAULT_MAX_QUERY_CHARS) -> list[SearchHit]:
    """One best piece per slot for the words (CLIP and the lexicon only; the service passes its text model too)."""
    from fashion_ai.retrieval.reading import lexicon_reader

    text = clean_query(query, max_chars)
    garment = Garment(category=exclude_category) if exclude_category else None
    return plan_outfit(text, SearchContext(embedder, store, lexicon_reader()), filters, garment).hits
