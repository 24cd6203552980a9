"""Search: a shopper's words (and optionally a photo) against the catalog, ranked by a documented hybrid score.

1. The words are read into a ShopperQuery (fashion_ai.retrieval.reading). Hard constraints go into the store's
   filter (a CatalogFilter): a named category, everything refused ("not black", "no wool"), price bounds, the
   audience, and the shopper's pinned filters. Everything else wanted (colour, pattern, material, style, occasion,
   season) is soft.
2. Candidates come from three queries under that filter: CLIP (the words' CLIP text vector, or the photo's image
   vector, against the item photos), the text model (the words against item titles, captions and attributes), and
   the soft attributes as a filter too, so items showing what was asked are never lost behind look-alikes.
3. Each candidate scores
       W_IMAGE * image + W_TEXT * text + sum over wanted fields of ATTRIBUTE_WEIGHTS[field] * match + price term
   where image and text are its cosine similarities put on one scale (a logistic of the standard score among the
   candidates: the two models' cosines live on different scales), match is 1 for the item's value (a colour: 1 as
   its main colour, 0.5 as an accent), and the price term favours cheaper (or pricier) items when the words say
   "cheap" (or "luxury"). The reason of each result names what it matched and which model found it close.
   The colour, pattern and material the words name, and the product noun (a kind: "boots", retrieval.kinds), are
   more than preferences: an item showing more of them (a colour as main colour or accent) ranks first, and the
   notes say when none does, or none all together, or a colour only as an accent. A refused kind ("not
   sneakers") leaves those items out, not the whole category.
   Weights were chosen on the development set (bench/search_dev_set.json) over a demo catalog of seed 2026.
"""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.filters import CatalogFilter
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import DEFAULT_MAX_QUERY_CHARS, DEFAULT_RESULTS
from fashion_ai.errors import IndexMissingError
from fashion_ai.retrieval.kinds import called, category_of, fits_kinds
from fashion_ai.retrieval.query import ShopperQuery, clean_query
from fashion_ai.retrieval.steer import W_STEER, Steer
from fashion_ai.schema import SEARCH_FIELDS, plural

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.text import TextEmbedder
    from fashion_ai.retrieval.reading import QueryReader

logger = logging.getLogger(__name__)

OVERFETCH = 5  # candidates fetched per result shown, per query, before re-ranking
# Candidates fetched past the excluded items, at most: a steer of thousands of set-aside ids (a client's own state)
# must not make every query fetch thousands. A conversation's state holds at most 200 set aside and 200 swapped out.
MAX_EXCLUDED_FETCH = 400
EMPTY_INDEX_MESSAGE = ("The catalog index is empty: build it with `python -m fashion_ai.catalog.index` "
                       "(the app indexes the catalog on start).")
W_IMAGE = 0.35
W_TEXT = 0.35
W_PRICE = 0.3
# A photo alone: the words are only the extractor's reading of it (which may miss a colour), so the photo weighs
# twice as much as in a text search, and an uploaded catalog photo finds its own item first.
W_PHOTO = 2 * W_IMAGE
# Soft matches: every attribute the shopper named counts about as much as looking the part; colour and pattern,
# which a photo shows beyond doubt, a little more.
ATTRIBUTE_WEIGHTS: dict[str, float] = {"category": 0.5, "colors": 0.35, "pattern": 0.3, "material": 0.25,
                                       "occasion": 0.25, "style": 0.25, "season": 0.15}
SEARCH_WEIGHTS = ATTRIBUTE_WEIGHTS  # the outfit and stylist weigh terms from this table too
HARD_FIELDS = ("category",)  # a named category is a constraint, not a preference
# What a shopper's words name and a photo shows beyond doubt: an item showing more of those named ranks first.
VISIBLE_FIELDS = ("colors", "pattern", "material")
# The fields a query's terms are matched on, in the order a reason names them: what is seen first.
TERM_FIELDS: tuple[str, ...] = VISIBLE_FIELDS + tuple(name for name in SEARCH_FIELDS if name not in VISIBLE_FIELDS)


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

    def to_filter(self) -> CatalogFilter:
        """The store's filter of these pins (CatalogFilter.pinned: "any" and empty values pin nothing)."""
        return CatalogFilter.pinned(**asdict(self))


@dataclass
class SearchContext:
    """The catalog and the models that read it: what every search, outfit and stylist call needs."""

    embedder: Embedder
    store: CatalogStore
    reader: QueryReader
    text_model: TextEmbedder | None = None
    text_store: CatalogStore | None = None


@dataclass
class SearchResult:
    """The items found, what was understood from the words, and anything the shopper should be told."""

    hits: list[SearchHit]
    query: ShopperQuery
    notes: list[str] = field(default_factory=list)


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
            # The main colour counts fully, an accent half; of several colours asked ("black or white"), the best.
            credit = [1.0 if item.colors[:1] == [c] else 0.5 if c in item.colors else 0.0 for c in wanted]
            bonus += weight * max(credit)
            parts.extend(c + said_by(item, name) if got == 1.0 else f"{c} accents{said_by(item, name)}"
                         for c, got in zip(wanted, credit, strict=True) if got)
            continue
        value = getattr(item, name, None)
        if value in wanted:
            bonus += weight
            parts.append((f"for {value}" if name == "occasion" else str(value)) + said_by(item, name))
    return bonus, parts


def said_by(item: CatalogItem, name: str) -> str:
    """Where a tagged value came from, for a reason ("floral, read from the photo, 0.93"); "" for the catalog's
    own values."""
    tag = item.tagged.get(name)
    if not tag:
        return ""
    sure = f", {tag['p']:.2f}" if tag.get("p") is not None else ""
    return f", read from the {tag.get('from', 'photo')}{sure}"


def require_items(store: CatalogStore) -> None:
    """IndexMissingError when the store holds nothing to search (asked when a search found nothing: Chroma's
    one-row read costs ~80 ms at a million items, more than a query)."""
    if store.is_empty():
        raise IndexMissingError(EMPTY_INDEX_MESSAGE)


def hard_filter(query: ShopperQuery, filters: SearchFilters | None = None) -> CatalogFilter:
    """The store filter of a query: named category, refusals, price bounds, audience, and the pinned facets."""
    found = (filters or SearchFilters()).to_filter()
    categories = query.wanted.get("category")
    if categories and not query.category_is_soft:
        found &= CatalogFilter(only={"category": tuple(categories)})
    for name, values in query.refused.items():
        found &= CatalogFilter.none_of(name, values)
    found &= CatalogFilter(min_price=query.min_price, max_price=query.max_price)
    if query.gender:
        found &= CatalogFilter.pinned(gender=query.gender)
    return found




def named_filter(name: str, values: list[str]) -> CatalogFilter:
    """The store filter of items with any of a field's values (a colour as main colour or accent)."""
    return CatalogFilter.any_of(name, values)


def shows(item: CatalogItem, name: str, values: list[str]) -> bool:
    """Whether the item shows any of the values of a visible field (a colour as main colour or accent)."""
    if name == "colors":
        return bool(set(values) & set(item.colors))
    return getattr(item, name, None) in values


def soft_filter(query: ShopperQuery) -> CatalogFilter:
    """The soft attributes as a filter: one extra candidate query for the items that show them."""
    found = CatalogFilter()
    for name in SEARCH_FIELDS:
        if query.wanted.get(name) and (name != "category" or query.category_is_soft):
            found &= named_filter(name, query.wanted[name])
    return found


def scaled(values: dict[str, float]) -> dict[str, float]:
    """Similarities on one scale whatever the model: a logistic of each one's standard score among the candidates
    (0.5 for the average candidate; near-ties stay near each other, clear outliers approach 0 or 1)."""
    if not values:
        return {}
    mean = float(np.mean(list(values.values())))
    spread = float(np.std(list(values.values()))) or 1.0
    return {k: 1.0 / (1.0 + np.exp(-(v - mean) / spread)) for k, v in values.items()}


def _similarities(store: CatalogStore, vector: np.ndarray, pool: dict[str, CatalogItem],
                  found: dict[str, float]) -> dict[str, float]:
    """Cosine similarity of every pool item, the ones a query did not return read from the store."""
    missing = [item_id for item_id in pool if item_id not in found]
    if missing:
        for item_id, embedding in store.embeddings(missing).items():
            found[item_id] = float(np.dot(embedding, vector))
    return {item_id: found.get(item_id, 0.0) for item_id in pool}


def rank(pool: dict[str, CatalogItem], query: ShopperQuery, image_sim: dict[str, float], text_sim: dict[str, float],
         weights: Mapping[str, float] = ATTRIBUTE_WEIGHTS, w_image: float = W_IMAGE,
         steer_sim: dict[str, float] | None = None, named: Mapping[str, list[str]] | None = None
         ) -> list[SearchHit]:
    """The documented hybrid score of every candidate, best first (plus W_STEER * the liked-minus-rejected
    similarity, scaled alike, when a conversation steers). named: the visible fields the words named; an item
    showing more of them (a colour as main colour or accent), or called what they name (query.kinds: "boots"),
    ranks above one showing fewer, whatever the scores."""
    image, text, steered = scaled(image_sim), scaled(text_sim), scaled(steer_sim or {})
    prices = sorted(item.price for item in pool.values() if item.price is not None)
    hard = () if query.category_is_soft else HARD_FIELDS
    terms = {k: v for k, v in query.wanted.items() if k not in hard}
    hits = []
    for item_id, item in pool.items():
        bonus, parts = match_terms(item, terms, weights)
        score = w_image * image.get(item_id, 0.0) + W_TEXT * text.get(item_id, 0.0) + bonus
        if query.price_preference and item.price is not None and len(prices) > 1:
            cheapness = 1.0 - np.searchsorted(prices, item.price) / (len(prices) - 1)
            score += W_PRICE * (cheapness if query.price_preference == "low" else 1.0 - cheapness)
        if text.get(item_id, 0.0) >= 0.8:
            parts.append("close to your words")
        if image.get(item_id, 0.0) >= 0.8:
            parts.append("looks the part")
        if steered:
            score += W_STEER * steered.get(item_id, 0.0)
            if steered.get(item_id, 0.0) >= 0.8:
                parts.append("like the ones you liked")
        hits.append(SearchHit(item, score, " · ".join(parts) or "close to what you asked"))
    named = named or {}
    hits.sort(key=lambda hit: (-(bool(query.kinds) and fits_kinds(hit.item, query.kinds))
                               - sum(shows(hit.item, f, v) for f, v in named.items()), -hit.score, hit.item.id))
    return hits


def find_items(text: str, ctx: SearchContext, filters: SearchFilters | None = None, n: int = DEFAULT_RESULTS,
               photo_vector: np.ndarray | None = None, query: ShopperQuery | None = None,
               steer: Steer | None = None, w_image: float = W_IMAGE, worded: bool = True,
               tell_named: bool = True) -> SearchResult:
    """The n items that best fit the words (and photo), best first, with what was understood.

    ``query`` replaces reading the words (a garment edited by the shopper, a photo's attributes edited by words);
    ``steer`` leaves out excluded items and moves the ranking toward liked items and away from rejected ones.
    ``worded``: the query's colour, pattern and material are the shopper's words, so they rank first (named_fields;
    never with a photo, whose reading by the extractor may be wrong); ``tell_named``: the notes say how the results
    show them (named_notes; off for a caller that filters the hits further and tells it on what it shows).
    """
    query = query or ctx.reader.read(text)
    if n <= 0:
        return SearchResult([], query)
    steer = steer or Steer()
    hard = hard_filter(query, filters)
    clip_vector = photo_vector if photo_vector is not None else ctx.embedder.embed_texts([text])[0]
    liked, rejected = steer.examples(ctx.store)
    # Items called a refused kind ("not sneakers") leave after the queries: fetch enough to replace them.
    fetch = OVERFETCH * n * (2 if query.refused_kinds else 1) + min(len(steer.excluded), MAX_EXCLUDED_FETCH)
    image_found: dict[str, float] = {}
    pool: dict[str, CatalogItem] = {}
    soft = soft_filter(query)
    if liked is not None or rejected is not None:  # "more like number 2": the look is the liked items' own
        clip_vector = Steer.moved(clip_vector, liked, rejected)
    for clause in [hard] + ([hard & soft] if soft else []):
        for item, cosine in ctx.store.query(clip_vector, fetch, clause):
            pool[item.id] = item
            image_found[item.id] = cosine
    text_found: dict[str, float] = {}
    text_vector = None
    if ctx.text_model is not None and ctx.text_store is not None and text.strip():
        text_vector = ctx.text_model.embed([text])[0]
        for item, cosine in ctx.text_store.query(text_vector, fetch, hard):
            pool[item.id] = item
            text_found[item.id] = cosine
    def kept(item: CatalogItem) -> bool:  # neither set aside in the conversation nor of a refused kind
        return item.id not in steer.excluded and not called(item, query.refused_kinds)

    pool = {item_id: item for item_id, item in pool.items() if kept(item)}
    # The items showing all the named colour, pattern and material, and those showing each, are candidates even
    # when nothing shows every soft attribute (occasion, season, ...) together.
    named = named_fields(query) if worded and photo_vector is None else {}
    groups = ([tuple(named)] if len(named) > 1 else []) + [(f,) for f in named]
    for group in groups:
        if not any(all(shows(item, f, named[f]) for f in group) for item in pool.values()):
            clause = functools.reduce(operator.and_, (named_filter(f, named[f]) for f in group), hard)
            for item, cosine in ctx.store.query(clip_vector, fetch, clause):
                if kept(item):
                    pool[item.id] = item
                    image_found[item.id] = cosine
    notes: list[str] = []
    if not pool:
        require_items(ctx.store)
        notes.append(nothing_found_note(ctx.store, query, filters))
        return SearchResult([], query, notes)
    image_sim = _similarities(ctx.store, clip_vector, pool, image_found)
    text_sim = _similarities(ctx.text_store, text_vector, pool, text_found) if text_vector is not None else {}
    # A photo edited by words ("like this but in blue"): the photo's own colour must not outvote the words.
    edited = photo_vector is not None and any(query.wanted.get(f) for f in ("colors", "pattern"))
    hits = rank(pool, query, image_sim, text_sim, w_image=w_image / 2 if edited else w_image,
                steer_sim=Steer.similarity(ctx.store, list(pool), liked, rejected), named=named)
    if hits and tell_named:
        notes.extend(kind_notes(hits, query) + (named_notes(of_kind(hits, query), n, named) if named else []))
    logger.info("search %r: %d candidates; understood %s", text, len(pool), query.understood())
    return SearchResult(hits[:n], query, notes)


def named_fields(query: ShopperQuery) -> dict[str, list[str]]:
    """The colour, pattern and material the query names (VISIBLE_FIELDS), each with its values."""
    return {name: query.wanted[name] for name in VISIBLE_FIELDS if query.wanted.get(name)}


def kind_notes(hits: list[SearchHit], query: ShopperQuery) -> list[str]:
    """A shopper who named a kind ("boots") is told when none of the closest matches is called that (the words'
    nearest items by text and look: a kind is in the item's name, so these find it where the catalog has it)."""
    if not query.kinds or any(called(hit.item, query.kinds) for hit in hits):
        return []
    categories = dict.fromkeys(category_of(k) for k in query.kinds)
    return [f"none of the closest matches is called {' or '.join(query.kinds)}; these are the closest "
            f"{' or '.join(plural(c) for c in categories if c)}"]


def of_kind(hits: list[SearchHit], query: ShopperQuery) -> list[SearchHit]:
    """The hits called what the words name ("blue jeans": the jeans), which the named colour, pattern and material
    are judged on; all of them when none is (or the words name no kind)."""
    return [hit for hit in hits if fits_kinds(hit.item, query.kinds)] or hits


def named_notes(hits: list[SearchHit], n: int, named: Mapping[str, list[str]]) -> list[str]:
    """What a shopper who named a colour, pattern or material should be told when the results cannot show it as
    asked: no candidate showing it (the closest instead), none showing all of them together (find_items fetches
    those where the other queries missed them, so none among the candidates is none in the catalog), or, of the
    first n results, a colour only as an accent."""
    def words(name: str) -> str:
        return " or ".join(named[name])

    missing = [name for name in named if not any(shows(hit.item, name, named[name]) for hit in hits)]
    notes = [f"nothing {'' if name == 'pattern' else 'in '}{words(name)} fits everything else you asked; "
             "these are the closest" for name in missing]
    if len(named) > 1 and not missing and not any(all(shows(hit.item, f, v) for f, v in named.items()) for hit in hits):
        notes.append(f"nothing is {' and '.join(words(name) for name in named)}; these match part of it")
    colours = named.get("colors", [])
    if list(named) == ["colors"] and not missing and not any(hit.item.colors[:1] and hit.item.colors[0] in colours
                                                             for hit in hits[:n]):
        notes.append(f"none of these is mainly {words('colors')}; those with {words('colors')} accents come first")
    return notes


def nothing_found_note(store: CatalogStore, query: ShopperQuery, filters: SearchFilters | None) -> str:
    """Why nothing matched, in a shopper's words: the price under the cheapest, or the constraints together."""
    if query.max_price is not None:
        relaxed = ShopperQuery(text=query.text, wanted=query.wanted, refused=query.refused, gender=query.gender)
        cheapest = [item.price for item in store.get_where(hard_filter(relaxed, filters), limit=10000)
                    if item.price is not None]
        if cheapest and min(cheapest) > query.max_price:
            return f"nothing is under ${query.max_price:,.0f}; the cheapest match is ${min(cheapest):,.2f}"
    return "nothing in the catalog matches all of that; try fewer constraints"


def search_catalog(query: str, embedder: Embedder, store: CatalogStore, filters: SearchFilters | None = None,
                   n: int = DEFAULT_RESULTS, max_chars: int = DEFAULT_MAX_QUERY_CHARS, reader: QueryReader | None = None,
                   ) -> list[SearchHit]:
    """The n catalog items that best fit a shopper's words (CLIP and the lexicon only: no text model)."""
    from fashion_ai.retrieval.reading import lexicon_reader

    text = clean_query(query, max_chars)
    return find_items(text, SearchContext(embedder, store, reader or lexicon_reader()), filters, n).hits
