"""The AI stylist: given a garment the shopper has, pick catalog items of other categories that go with it.

Picks are ranked by four things a stylist weighs: how well the item fits the shopper's words (CLIP text vs
the item's photo, plus the occasion, season and style words matched against its metadata), colour harmony
with the garment, style match, and whether its category completes the garment (a dress wants shoes and a bag,
not a skirt). Every reason is built from the attributes that earned the pick."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.retrieval.harmony import colour_harmony
from fashion_ai.retrieval.outfits import OUTFIT_GROUPS, group_of
from fashion_ai.retrieval.query import DEFAULT_MAX_CHARS, clean_query, clean_text, parse_terms
from fashion_ai.retrieval.search import match_terms, require_items
from fashion_ai.schema import Garment, normalize_value

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder

logger = logging.getLogger(__name__)


DEFAULT_STYLIST_PROMPT = "an outfit"
DEFAULT_PICKS = 6

# --------------------------------------------------------------------------------------------- category
# garment's group -> groups that complete it, and how much; a group not listed is never suggested.
COMPLEMENTS: dict[str, dict[str, float]] = {
    "one-piece": {"shoes": 1.0, "bag": 0.9, "outerwear": 0.8, "accessory": 0.7},
    "top": {"bottom": 1.0, "shoes": 0.8, "outerwear": 0.7, "bag": 0.6, "accessory": 0.5},
    "bottom": {"top": 1.0, "shoes": 0.8, "outerwear": 0.7, "bag": 0.6, "accessory": 0.5},
    "outerwear": {"top": 0.8, "bottom": 0.8, "one-piece": 0.8, "shoes": 0.7, "accessory": 0.7, "bag": 0.5},
    "shoes": {"bottom": 0.9, "one-piece": 0.8, "top": 0.7, "bag": 0.7, "outerwear": 0.6, "accessory": 0.5},
    "bag": {"one-piece": 0.8, "shoes": 0.8, "top": 0.6, "bottom": 0.6, "outerwear": 0.6, "accessory": 0.5},
    "accessory": {"one-piece": 0.8, "top": 0.7, "bottom": 0.7, "outerwear": 0.7, "shoes": 0.6, "bag": 0.6},
}
_ANY_GROUP = {group: 0.6 for group in OUTFIT_GROUPS}

W_COMPLEMENT = 0.25
W_ASKED_CATEGORY = 0.30
W_HARMONY = 0.20
W_GARMENT_STYLE = 0.10
PROMPT_WEIGHTS: dict[str, float] = {"colors": 0.15, "pattern": 0.05, "material": 0.04, "style": 0.08, "occasion": 0.12,
                                    "season": 0.06}
PER_CATEGORY = 2  # at most this many picks of one category (3 of a category the prompt asks for)


@dataclass
class StylistPick:
    """A catalog item suggested for the shopper's garment, with its score and a one-line reason."""

    item: CatalogItem
    score: float
    reason: str


def _reason_parts(item: CatalogItem, garment: Garment, terms: dict[str, list[str]], harmony: float | None,
                  asked_category: str | None) -> list[str]:
    parts: list[str] = []
    g_colour = garment.colors[0] if garment.colors else ""
    if harmony is not None and harmony >= 0.7:
        parts.append(f"{item.colors[0]} pairs with your {g_colour} {garment.category}")
    if asked_category and item.category == asked_category:
        parts.append(f"the {item.category} you asked for")
    for colour in terms.get("colors", []):
        if colour in item.colors:
            parts.append(f"{colour} as you asked")
    if item.pattern and item.pattern in terms.get("pattern", []):
        parts.append(f"{item.pattern} pattern")
    if item.material and item.material in terms.get("material", []):
        parts.append(f"in {item.material}")
    if item.occasion and item.occasion in terms.get("occasion", []):
        parts.append(f"occasion: {item.occasion}")
    if item.season and item.season in terms.get("season", []):
        parts.append(f"for {item.season}")
    if item.style and (item.style == garment.style or item.style in terms.get("style", [])):
        parts.append(f"{item.style} style")
    if not parts:
        described = " ".join(w for w in (g_colour, garment.category) if w)
        parts.append(f"a {item.category} to complete your {described}")
    return parts


def style_item(garment: Garment, prompt: str, embedder: Embedder, store: CatalogStore, n: int = DEFAULT_PICKS,
               max_chars: int = DEFAULT_MAX_CHARS) -> list[StylistPick]:
    """Up to n items of other categories that go with the garment, best first, spanning several categories.

    The garment's own category is left out unless the prompt asks for it ("a similar dress"). An empty prompt
    means "an outfit"; a prompt longer than max_chars raises BadQueryError.
    """
    text = clean_query(clean_text(prompt) or DEFAULT_STYLIST_PROMPT, max_chars)
    require_items(store)
    if n <= 0:
        return []
    category = normalize_value("category", garment.category) or garment.category.strip().lower()
    garment = replace(garment, category=category)
    terms = parse_terms(text)
    asked = terms.get("category", [None])[0]
    complements = dict(COMPLEMENTS.get(group_of(category) or "", _ANY_GROUP))
    asked_group = group_of(asked)
    if asked_group:
        complements.setdefault(asked_group, 0.0)  # asking for a category makes it welcome, whatever the garment
    g_colour = garment.colors[0] if garment.colors else None
    vector = embedder.embed_texts([text])[0]
    fetch = max(3 * n, 12)
    scored: list[StylistPick] = []
    for group, complement in complements.items():
        categories = [c for c in OUTFIT_GROUPS[group] if c != category or c == asked]
        if not categories:
            continue
        clause = {"category": categories[0]} if len(categories) == 1 else {"category": {"$in": categories}}
        for item, cosine in store.query(vector, fetch, clause):
            harmony = colour_harmony(g_colour, item.colors[0]) if g_colour and item.colors else None
            bonus, _ = match_terms(item, terms, PROMPT_WEIGHTS)
            score = cosine + bonus + W_COMPLEMENT * complement + W_HARMONY * (0.5 if harmony is None else harmony)
            if item.category == asked:
                score += W_ASKED_CATEGORY
            if garment.style and item.style == garment.style:
                score += W_GARMENT_STYLE
            reason = "; ".join(_reason_parts(item, garment, terms, harmony, asked))
            scored.append(StylistPick(item, score, reason))
    scored.sort(key=lambda pick: (-pick.score, pick.item.id))
    # One per category first so the picks span the wardrobe, then seconds; a category the prompt asks for
    # ("another dress") may fill up to PER_CATEGORY + 1 slots from the start.
    picks: list[StylistPick] = []
    chosen: set[str] = set()
    per_category: Counter[str] = Counter()
    for cap in (1, PER_CATEGORY):
        for pick in scored:
            limit = PER_CATEGORY + 1 if pick.item.category == asked else cap
            if len(picks) < n and pick.item.id not in chosen and per_category[pick.item.category] < limit:
                picks.append(pick)
                chosen.add(pick.item.id)
                per_category[pick.item.category] += 1
    picks.sort(key=lambda pick: (-pick.score, pick.item.id))
    logger.info("stylist for %s %r: %s", category, text, [p.item.id for p in picks])
    return picks
