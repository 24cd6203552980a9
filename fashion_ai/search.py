"""Text-to-outfit search: a shopper's words against the catalog's photos, re-ranked by the words' meaning.

CLIP ranks photos by what they show; occasion, style, season and material rarely show in a photo, so the
catalog's metadata carries them. Every result is scored as cosine similarity plus a bonus per query term the
item's metadata matches, and says in a short reason which terms those were.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogStore, build_where, color_flag, combine_where
from fashion_ai.embeddings import Embedder
from fashion_ai.errors import BadQueryError, IndexMissingError
from fashion_ai.schema import normalize_value, shopper_vocabulary

logger = logging.getLogger(__name__)

DEFAULT_RESULTS = 12
DEFAULT_MAX_CHARS = 300
OVERFETCH = 5  # candidates fetched per result shown, before re-ranking
TERM_FIELDS: tuple[str, ...] = ("colors", "pattern", "material", "category", "style", "occasion", "season")
EMPTY_INDEX_MESSAGE = ("The catalog index is empty: build it with `python -m fashion_ai.catalog.index` "
                       "(the app indexes the catalog on start).")

# Bonus added to the cosine similarity per matched term: what a photo shows counts strongly, what only the
# metadata knows (occasion, style, season, material) mildly. The category outweighs the colour: a shopper who
# asks for "a red dress" wants a blue dress before red shorts.
SEARCH_WEIGHTS: dict[str, float] = {"category": 0.50, "colors": 0.20, "pattern": 0.15, "occasion": 0.08, "style": 0.06,
                                    "season": 0.05, "material": 0.05}
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


# --------------------------------------------------------------------------------------------- query text
def clean_text(text: str | None) -> str:
    """Text with control and invisible characters removed and whitespace collapsed (may be empty)."""
    chars = []
    for ch in unicodedata.normalize("NFKC", text or ""):
        kind = unicodedata.category(ch)
        if kind == "Cc" or kind in ("Zl", "Zp"):
            chars.append(" ")  # newlines and tabs separate words
        elif not kind.startswith("C"):  # drop format, surrogate, private-use and unassigned characters
            chars.append(ch)
    return " ".join("".join(chars).split())


def clean_query(text: str | None, max_chars: int) -> str:
    """The query ready to embed; BadQueryError with a plain message when it is empty or too long."""
    cleaned = clean_text(text)
    if not cleaned:
        raise BadQueryError('Type what you are looking for, for example "a red dress for a summer wedding".')
    if len(cleaned) > max_chars:
        raise BadQueryError(f"That query is {len(cleaned)} characters long; please keep it under {max_chars}.")
    return cleaned


def _vocabulary() -> dict[str, list[tuple[re.Pattern, str]]]:
    """field -> (word pattern, canonical value), longest phrases first."""
    vocab = {}
    for name, table in shopper_vocabulary().items():
        ordered = sorted(table.items(), key=lambda kv: -len(kv[0]))
        vocab[name] = [(re.compile(r"(?<![a-z0-9])" + re.escape(w) + r"(?![a-z0-9])"), v) for w, v in ordered]
    return vocab


_VOCABULARY = _vocabulary()


def parse_terms(query: str) -> dict[str, list[str]]:
    """Schema values the query mentions, per field, in the order the query says them."""
    text = clean_text(query).lower().replace("_", " ").replace("’", "'")
    found: dict[str, list[str]] = {}
    for name, patterns in _VOCABULARY.items():
        taken: list[tuple[int, int]] = []  # per field: "t-shirt" must not also count as "shirt"
        hits: list[tuple[int, str]] = []
        for pattern, value in patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                hits.append((start, value))
        values = list(dict.fromkeys(v for _, v in sorted(hits)))
        if values:
            found[name] = values
    return found


def query_terms(query: str) -> dict[str, str]:
    """Shopper words of the query mapped to schema fields (several colours come comma-joined).

    "a classic dress for a summer wedding" -> {"category": "dress", "style": "classic", "occasion": "wedding",
    "season": "summer"}
    """
    return {name: ",".join(values) if name == "colors" else values[0] for name, values in parse_terms(query).items()}


# --------------------------------------------------------------------------------------------- scoring
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
    if store.count() == 0:
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


# --------------------------------------------------------------------------------------------- outfits
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
    from fashion_ai.stylist import colour_harmony  # stylist builds on this module

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
