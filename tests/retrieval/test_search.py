"""Text-to-outfit search: query cleaning, shopper words, hybrid ranking, filters, and outfit grouping rules.

Ranking is tested on stores whose geometry we set by hand (embeddings at a chosen cosine to the query's real
CLIP text embedding), so the results do not depend on an untrained model's taste.
"""

from collections import Counter

import numpy as np
import pytest

from fashion_ai.catalog import CatalogItem, load_catalog
from fashion_ai.catalog.index import build_index
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import BadQueryError, IndexMissingError
from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.clip.loading import load_clip
from fashion_ai.retrieval.outfits import OUTFIT_GROUPS, complete_outfit, group_of
from fashion_ai.retrieval.query import clean_query, query_terms
from fashion_ai.retrieval.search import SearchFilters, SearchHit, search_catalog


def make_item(item_id: str, category: str, colors=("black",), *, gender: str = "women", price: float = 50.0,
              pattern: str = "solid", season: str = "spring", style: str | None = None, occasion: str | None = None,
              material: str | None = None) -> CatalogItem:
    return CatalogItem(id=item_id, title=item_id, caption=f"a {category}", category=category, gender=gender,
                       colors=list(colors), pattern=pattern, season=season, price=price,
                       url=f"https://shop.example.com/p/{item_id}", image_path=f"/img/{item_id}.png", style=style,
                       occasion=occasion, material=material)


def at_cosine(target: np.ndarray, cosines: list[float], seed: int = 0) -> np.ndarray:
    """Unit vectors with the given cosine similarity to a unit target vector."""
    rng = np.random.default_rng(seed)
    rows = []
    for cosine in cosines:
        noise = rng.normal(size=target.shape)
        noise -= noise.dot(target) * target
        noise /= np.linalg.norm(noise)
        rows.append(cosine * target + np.sqrt(1 - cosine**2) * noise)
    return np.stack(rows).astype(np.float32)


def fill(store: CatalogStore, items: list[CatalogItem], vectors: np.ndarray | None = None) -> None:
    """Upsert items; without vectors every photo looks alike to the embedder, so metadata decides the ranking."""
    if vectors is None:
        vectors = at_cosine(np.eye(128, dtype=np.float32)[0], [0.999] * len(items))
    store.upsert(items, vectors)


# --------------------------------------------------------------------------------------------- query text
@pytest.mark.parametrize("raw, cleaned", [
    ("  red   dress ", "red dress"),
    ("red\tdress\nfor a\r\nwedding", "red dress for a wedding"),  # newlines and tabs separate words
    ("red\x00dress\x1b[31m", "red dress [31m"),  # control characters become spaces, never reach the model
    ("red\u200b dress\u202e", "red dress"),  # zero-width and bidi overrides removed
    ("ｒｅｄ dress", "red dress"),  # full-width letters folded
])
def test_clean_query(raw, cleaned):
    assert clean_query(raw, 300) == cleaned


@pytest.mark.parametrize("raw", [None, "", "   ", "\x00\x07\n", "\u200b"])
def test_empty_queries_are_refused_with_a_plain_message(raw):
    with pytest.raises(BadQueryError, match="Type what you are looking for"):
        clean_query(raw, 300)


def test_long_queries_are_refused_after_cleaning():
    assert clean_query("a" * 10 + " " * 500, 10) == "a" * 10  # whitespace does not count
    with pytest.raises(BadQueryError, match="11 characters long; please keep it under 10"):
        clean_query("a" * 11, 10)


@pytest.mark.parametrize("query, terms", [
    ("a classic dress for a summer wedding",
     {"category": "dress", "style": "classic", "occasion": "wedding", "season": "summer"}),
    ("Red striped T-shirt", {"category": "top", "colors": "red", "pattern": "striped"}),  # not "shirt"
    ("navy wool trench coat for the office", {"category": "coat", "colors": "navy", "material": "wool",
                                              "occasion": "work"}),
    ("sneakers for the gym in fall", {"category": "shoe", "occasion": "sport", "season": "autumn"}),
    ("red and white polka dots blouse", {"category": "shirt", "colors": "red,white", "pattern": "dotted"}),
    ("boho gown for date night", {"category": "dress", "style": "bohemian", "occasion": "date night"}),
    ("gray jeans", {"category": "pants", "colors": "grey"}),
    ("I'm bored of tanks", {}),  # "red" inside "bored", "tank" plural is not a word we know: nothing
    ("", {}),
])
def test_query_terms(query, terms):
    assert query_terms(query) == terms


# --------------------------------------------------------------------------------------------- search
def test_an_empty_index_says_so(embedder, store):
    with pytest.raises(IndexMissingError, match="The catalog index is empty"):
        search_catalog("red dress", embedder, store)
    with pytest.raises(IndexMissingError, match="The catalog index is empty"):
        complete_outfit("wedding", embedder, store)


def test_bad_query_is_refused_before_anything_runs(embedder, store):
    with pytest.raises(BadQueryError):
        search_catalog(" \n ", embedder, store)
    with pytest.raises(BadQueryError, match="under 20"):
        search_catalog("a very long query about dresses", embedder, store, max_chars=20)


def test_without_terms_the_ranking_is_cosine(embedder, store):
    query = "something nice"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"item-{k}", "top") for k in range(4)]
    fill(store, items, at_cosine(q, [0.2, 0.9, 0.5, 0.7]))
    hits = search_catalog(query, embedder, store, n=3)
    assert [hit.item.id for hit in hits] == ["item-1", "item-3", "item-2"]
    assert [hit.score for hit in hits] == pytest.approx([0.9, 0.7, 0.5], abs=1e-3)
    assert all(isinstance(hit, SearchHit) and hit.reason for hit in hits)


def test_metadata_terms_lift_close_candidates(embedder, store):
    query = "red dress for a wedding"
    q = embedder.embed_texts([query])[0]
    items = [
        make_item("blue-shirt", "shirt", ("blue",)),
        make_item("red-dress-party", "dress", ("red",), occasion="party"),
        make_item("red-dress-wedding", "dress", ("red",), occasion="wedding"),
        make_item("white-red-dress", "dress", ("white", "red"), occasion="wedding"),  # red only as an accent
    ]
    fill(store, items, at_cosine(q, [0.8, 0.6, 0.55, 0.6]))
    hits = search_catalog(query, embedder, store, n=4)
    assert [hit.item.id for hit in hits] == ["red-dress-wedding", "red-dress-party", "white-red-dress", "blue-shirt"]
    assert hits[0].reason == "red · dress · for wedding"
    assert hits[1].reason == "red · dress"  # its occasion is party: not claimed
    assert hits[-1].reason == "close to your words"


def test_a_named_category_is_found_beyond_the_overfetch(embedder, store):
    query = "a dress"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"top-{k:02d}", "top") for k in range(20)] + [make_item("the-dress", "dress")]
    fill(store, items, at_cosine(q, [0.5] * 20 + [0.3]))
    hits = search_catalog(query, embedder, store, n=2)  # overfetch 10 of 20 tops would never reach the dress
    assert hits[0].item.id == "the-dress" and hits[0].reason == "dress"
    assert len(hits) == 2


@pytest.fixture
def shop(store):
    fill(store, [
        make_item("w-red-dress", "dress", ("red",), gender="women", price=80),
        make_item("w-blue-dress", "dress", ("blue", "red"), gender="women", price=250),
        make_item("m-grey-shoe", "shoe", ("grey",), gender="men", price=120),
        make_item("u-red-shoe", "shoe", ("red", "white"), gender="unisex", price=60),
        make_item("m-red-shirt", "shirt", ("red",), gender="men", price=40),
        make_item("w-black-bag", "bag", ("black",), gender="women", price=300),
    ])
    return store


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(gender="men"), {"m-grey-shoe", "u-red-shoe", "m-red-shirt"}),
    (SearchFilters(gender="women", max_price=100), {"w-red-dress", "u-red-shoe"}),
    (SearchFilters(color="red", category="shoe"), {"u-red-shoe"}),
    (SearchFilters(category="any", color="any"), None),
])
def test_filters_bound_every_result(embedder, shop, filters, expected):
    hits = search_catalog("red dress", embedder, shop, filters, n=10)
    got = {hit.item.id for hit in hits}
    assert got == (expected if expected is not None else {item.id for item in shop.all_items()})
    assert len(hits) == len(got)  # no item twice


def test_search_over_an_indexed_demo_catalog(embedder, store, tmp_path):
    write_catalog(tmp_path / "catalog", 24, seed=9, size=64)
    build_index(load_catalog(tmp_path / "catalog"), embedder, store)
    hits = search_catalog("red striped shirt", embedder, store, SearchFilters(gender="men", max_price=150), n=5)
    assert 0 < len(hits) <= 5
    assert all(hit.item.gender in ("men", "unisex") and hit.item.price <= 150 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert len({hit.item.id for hit in hits}) == len(hits)


# --------------------------------------------------------------------------------------------- outfits
@pytest.fixture
def wardrobe(store):
    items = [
        make_item("top-casual", "top", ("white",), occasion="everyday", season="summer"),
        make_item("shirt-work", "shirt", ("blue",), occasion="work"),
        make_item("pants-work", "pants", ("navy",), occasion="work", gender="men"),
        make_item("skirt-party", "skirt", ("red",), occasion="party"),
        make_item("dress-wedding", "dress", ("red",), occasion="wedding", style="classic"),
        make_item("dress-beach", "dress", ("yellow",), occasion="beach", season="summer"),
        make_item("jacket-work", "jacket", ("black",), occasion="work"),
        make_item("coat-formal", "coat", ("beige",), occasion="formal", price=300),
        make_item("shoe-wedding-pink", "shoe", ("pink",), occasion="wedding"),
        make_item("shoe-party-black", "shoe", ("black",), occasion="party"),
        make_item("shoe-wedding-black", "shoe", ("black",), occasion="wedding"),
        make_item("shoe-work", "shoe", ("brown",), occasion="work"),
        make_item("bag-wedding", "bag", ("gold",), occasion="wedding"),
        make_item("bag-work", "bag", ("black",), occasion="work"),
        make_item("hat-beach", "hat", ("beige",), occasion="beach"),
        make_item("scarf-work", "scarf", ("grey",), occasion="work"),
    ]
    fill(store, items)
    return store


def groups(hits: list[SearchHit]) -> list[str]:
    return [group_of(hit.item.category) for hit in hits]


def test_a_dress_outfit_replaces_top_and_bottom(embedder, wardrobe):
    hits = complete_outfit("a red dress for a summer wedding", embedder, wardrobe)
    assert groups(hits) == ["one-piece", "shoes", "bag", "accessory"]  # summer: no coat
    dress, shoes, bag, _ = (hit.item for hit in hits)
    assert dress.id == "dress-wedding" and hits[0].reason.startswith("red · dress · for wedding")
    assert bag.id == "bag-wedding"
    # Of the wedding shoes, the pink one clashes with the red dress and the black one goes with it.
    assert shoes.id == "shoe-wedding-black"
    assert hits[1].reason == "for wedding · black goes with the red dress"


def test_separates_for_the_office(embedder, wardrobe):
    hits = complete_outfit("an outfit for the office", embedder, wardrobe)
    assert groups(hits) == ["top", "bottom", "outerwear", "shoes", "bag", "accessory"]
    assert [hit.item.id for hit in hits] == ["shirt-work", "pants-work", "jacket-work", "shoe-work", "bag-work",
                                            "scarf-work"]
    assert all("for work" in hit.reason for hit in hits)


@pytest.mark.parametrize("query, filters, exclude, expected_groups", [
    ("office", None, "shirt", ["bottom", "outerwear", "shoes", "bag", "accessory"]),  # the shopper has a top
    ("wedding", None, "gown", ["outerwear", "shoes", "bag", "accessory"]),  # has a dress: no top, bottom or dress
    ("skirt for a party", None, None, ["top", "bottom", "outerwear", "shoes", "bag", "accessory"]),
    ("beach day", None, None, ["top", "bottom", "shoes", "bag", "accessory"]),  # beach: no outerwear
    ("party", SearchFilters(category="dress"), None, ["one-piece", "outerwear", "shoes", "bag", "accessory"]),
])
def test_outfit_grouping_rules(embedder, wardrobe, query, filters, exclude, expected_groups):
    hits = complete_outfit(query, embedder, wardrobe, filters, exclude_category=exclude)
    assert groups(hits) == expected_groups
    assert len(set(groups(hits))) == len(hits)  # never two items of one group


def test_outfit_anchor_follows_the_named_category_and_filters(embedder, wardrobe):
    hits = complete_outfit("skirt for a party", embedder, wardrobe)
    assert hits[1].item.id == "skirt-party"  # the query asked for a skirt, not trousers
    hits = complete_outfit("work", embedder, wardrobe, SearchFilters(gender="women", max_price=200))
    assert all(hit.item.gender in ("women", "unisex") and hit.item.price <= 200 for hit in hits)
    assert "pants-work" not in {hit.item.id for hit in hits}  # men's trousers filtered out
    assert "outerwear" in groups(hits) and "coat-formal" not in {hit.item.id for hit in hits}


def test_the_outfit_colour_filter_picks_the_anchor_piece_only(embedder, wardrobe):
    """A colour pinned in the filters is the colour of the piece the shopper asked for; the rest of the outfit
    goes with it rather than matching it (a head-to-toe red outfit is rarely the wish)."""
    def outfit(color: str) -> tuple[CatalogItem, list[CatalogItem]]:
        hits = complete_outfit("shoes for a wedding", embedder, wardrobe, SearchFilters(color=color))
        shoes = [hit.item for hit in hits if hit.item.category == "shoe"]
        assert len(shoes) == 1 and len(hits) >= 4
        return shoes[0], [hit.item for hit in hits if hit.item.category != "shoe"]

    shoe, others = outfit("black")
    assert shoe.id == "shoe-wedding-black"  # not the pink wedding shoes that rank alike without the filter
    assert {item.colors[0] for item in others} - {"black"}  # the other pieces are free to differ
    assert outfit("pink")[0].id == "shoe-wedding-pink"
    assert outfit("purple")[0].category == "shoe"  # nothing of that colour: the anchor falls back to any shoe


def test_outfit_groups_cover_every_category():
    from fashion_ai.schema import CATEGORIES

    grouped = Counter(c for categories in OUTFIT_GROUPS.values() for c in categories)
    assert set(grouped) == set(CATEGORIES) and max(grouped.values()) == 1


# --------------------------------------------------------------------------------------------- trained demo model
DEMO_EMBEDDER_DIR = PROJECT_ROOT / "assets" / "models" / "embedder"
DEMO_CATALOG_DIR = PROJECT_ROOT / "assets" / "catalog"


@pytest.mark.slow
def test_the_trained_demo_embedder_finds_what_shoppers_describe(tmp_path):
    embedder = Embedder(*load_clip(str(DEMO_EMBEDDER_DIR), device="cpu"), name="demo-embedder")
    store = CatalogStore(tmp_path / "chroma", embedder_name=embedder.name)
    items = load_catalog(DEMO_CATALOG_DIR)
    build_index(items, embedder, store)
    # CLIP alone (store.query, no metadata bonus): the nearest photos show what the words name.
    # Random ranking would give 1/13 for a category, 1/13 for a colour, 1/6 for a pattern.
    queries = [("red dress", "dress", "red", None), ("striped shirt", "shirt", None, "striped"),
               ("black shoe", "shoe", "black", None), ("floral skirt", "skirt", None, "floral"),
               ("blue pants", "pants", "blue", None), ("white bag", "bag", "white", None)]
    category_hits, colour_hits, pattern_hits = [], [], []
    for query, category, colour, pattern in queries:
        found = [item for item, _ in store.query(embedder.embed_texts([query])[0], 10)]
        category_hits += [item.category == category for item in found]
        if colour:
            colour_hits += [item.colors[0] == colour for item in found]
        if pattern:
            pattern_hits += [item.pattern == pattern for item in found]
    # Thresholds sit well above chance and below what the shipped model measured (0.45 category at 10,
    # 2026-11-23); the issue-level bar is tracked in assets/models/embedder/eval.json.
    assert np.mean(category_hits) >= 0.35, np.mean(category_hits)
    assert np.mean(colour_hits) >= 0.3, np.mean(colour_hits)
    assert np.mean(pattern_hits) >= 0.3, np.mean(pattern_hits)
    # The app's hybrid search on top: a red striped shirt asked for, shirts that are red or striped come first.
    hits = search_catalog("red striped shirt", embedder, store, n=3)
    assert all(hit.item.category == "shirt" for hit in hits)
    assert all("red" in hit.item.colors or hit.item.pattern == "striped" for hit in hits)
