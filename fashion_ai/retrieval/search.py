"""Text-to-item search: a shopper's words against the catalog's photos, re-ranked by the words' meaning.

CLIP ranks photos by what they show; occasion, style, season and material rarely show in a photo, so the
catalog's metadata carries them. Every result is scored as cosine similarity plus a bonus per query term the
item's metadata matches, and says in a short reason which terms those were."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogStore, build_where, color_flag, combine_where
from fashion_ai.errors import IndexMissingError
from fashion_ai.retrieval.query import DEFAULT_MAX_CHARS, clean_query, parse_terms

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder

logger = logging.getLogger(__name__)


DEFAULT_RESULTS = 12
OVERFETCH = 5  # candidates fetched per result shown, before re-ranking
TERM_FIELDS: tuple[str, ...] = ("colors", "pattern", "material", "category", "style", "occasion", "season")
EMPTY_INDEX_MESSAGE = ("The catalog index is empty: build it with `python -m fashion_ai.catalog.index` "
                       "(the app indexes the catalog on start).")

# Bonus added to the cosine similarity per matched term: what a photo shows counts strongly, what only the
# metadata knows (occasion, style, season, material) mildly. The category outweighs the colour: a shopper who
# asks for "a red dress" wants a blue dress before red shorts.
SEARCH_WEIGHTS: dict[str, float] = {"category": 0.50, "colors": 0.20, "pattern": 0.15, "occasion": 0.08, "style": 0.06,
                                    "season": 0.05, "material": 0.05}


@dataclass
class SearchHit:
    """One catalog item found for a query: its hybrid score and what in the query it matched."""

    item: CatalogItem
    score: float
    reason: str


@dataclass
class SearchFilters:
    """Facets a shopper can pin; None or "any" leaves a facet open."""

    gender: str | None = None
    category: str | None = None
    color: str | None = None
    max_price: float | None = None

    def where(self) -> dict | None:
        return build_where(**asdict(self))

def match_terms(item: CatalogItem, terms: Mapping[str, list[str]], weights: Mapping[str, float]
                ) -> tuple[float, list[str]]:
    """Bonus for the query terms the item matches, and those terms as reason parts, in reading order."""
    bonus = 0.0
    parts: list[str] = []
    for name in TERM_FIELDS:
        wanted = terms.get(name)
        weight = weights.get(name, 0.0)
        if not wanted or weight <= 0:
            continue
        if name == "colors":
            # The item's main colour counts fully, an accent colour half; several query colours share the weight.
            item_colors = list(item.colors)
            credit = [1.0 if item_colors[:1] == [c] else 0.5 if c in item_colors else 0.0 for c in wanted]
            bonus += weight * sum(credit) / len(wanted)
            parts.extend(c for c, got in zip(wanted, credit, strict=True) if got)
            continue
        value = getattr(item, name, None)
        if value in wanted:
            bonus += weight
            parts.append(f"for {value}" if name == "occasion" else str(value))
    return bonus, parts


def require_items(store: CatalogStore) -> None:
    """IndexMissingError when the store holds nothing to search."""
    if store.is_empty():
        raise IndexMissingError(EMPTY_INDEX_MESSAGE)


def _color_clause(colors: list[str]) -> dict | None:
    if not colors:
        return None
    flags = [{color_flag(c): True} for c in colors]
    return flags[0] if len(flags) == 1 else {"$or": flags}


def search_catalog(query: str, embedder: Embedder, store: CatalogStore, filters: SearchFilters | None = None,
                   n: int = DEFAULT_RESULTS, max_chars: int = DEFAULT_MAX_CHARS) -> list[SearchHit]:
    """The n catalog items that best fit a shopper's words, filters applied inside the store, best first."""
    text = clean_query(query, max_chars)
    require_items(store)
    if n <= 0:
        return []
    terms = parse_terms(text)
    where = (filters or SearchFilters()).where()
    vector = embedder.embed_texts([text])[0]
    # Over-fetch, and fetch again among items whose metadata shows what the query names, so a weak embedder
    # cannot hide the red dresses a shopper asked for behind visually similar items.
    visible = combine_where({"category": terms["category"][0]} if "category" in terms else None,
                            _color_clause(terms.get("colors", [])),
                            {"pattern": terms["pattern"][0]} if "pattern" in terms else None)
    wheres = [where]
    if visible:
        wheres.append(combine_where(where, visible))
    if "category" in terms and visible != {"category": terms["category"][0]}:
        wheres.append(combine_where(where, {"category": terms["category"][0]}))
    pool: dict[str, tuple[CatalogItem, float]] = {}
    for clause in wheres:
        for item, cosine in store.query(vector, OVERFETCH * n, clause):
            pool[item.id] = (item, cosine)
    hits = []
    for item, cosine in pool.values():
        bonus, parts = match_terms(item, terms, SEARCH_WEIGHTS)
        hits.append(SearchHit(item, cosine + bonus, " · ".join(parts) or "close to your words"))
    hits.sort(key=lambda hit: (-hit.score, hit.item.id))
    logger.info("search %r: %d candidates, terms %s", text, len(pool), terms)
    return hits[:n]
