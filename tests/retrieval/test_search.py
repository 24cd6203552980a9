"""Search: query cleaning, the hybrid ranking (hard constraints in the store, soft ones in the score), filters,
photo search, and what the shopper is told when nothing matches.

Ranking is tested on stores whose geometry we set by hand (embeddings at a chosen cosine to the query's real CLIP
text embedding), so the results do not depend on an untrained model's taste.
"""

import numpy as np
import pytest

from fashion_ai.catalog import load_catalog
from fashion_ai.catalog.index import build_index, build_text_index
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import BadQueryError, IndexMissingError
from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.clip.loading import load_clip
from fashion_ai.retrieval.outfits import complete_outfit
from fashion_ai.retrieval.query import clean_query
from fashion_ai.retrieval.reading import QueryReader, lexicon_reader
from fashion_ai.retrieval.search import (
    MAX_EXCLUDED_FETCH,
    OVERFETCH,
    SearchContext,
    SearchFilters,
    SearchHit,
    find_items,
    search_catalog,
)
from fashion_ai.retrieval.steer import Steer
from tests.retrieval.helpers import at_cosine, fill, make_item


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


def test_without_terms_the_ranking_follows_the_photos(embedder, store):
    query = "something nice"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"item-{k}", "top") for k in range(4)]
    fill(store, items, at_cosine(q, [0.2, 0.9, 0.5, 0.7]))
    hits = search_catalog(query, embedder, store, n=3)
    assert [hit.item.id for hit in hits] == ["item-1", "item-3", "item-2"]
    assert all(isinstance(hit, SearchHit) and hit.reason for hit in hits)


def test_a_named_category_is_a_constraint_and_attributes_rank_within_it(embedder, store):
    query = "red dress for a wedding"
    q = embedder.embed_texts([query])[0]
    items = [
        make_item("blue-shirt", "shirt", ("blue",)),  # the closest photo, but not a dress
        make_item("red-dress-party", "dress", ("red",), occasion="party"),
        make_item("red-dress-wedding", "dress", ("red",), occasion="wedding"),
        make_item("white-red-dress", "dress", ("white", "red"), occasion="wedding"),  # red only as an accent
        make_item("blue-dress", "dress", ("blue",)),
    ]
    fill(store, items, at_cosine(q, [0.9, 0.6, 0.55, 0.6, 0.62]))
    hits = search_catalog(query, embedder, store, n=5)
    assert [hit.item.id for hit in hits][0] == "red-dress-wedding" and hits[-1].item.id == "blue-dress"
    assert {hit.item.id for hit in hits[1:3]} == {"red-dress-party", "white-red-dress"}  # each matches one less
    assert hits[0].reason == "red · for wedding"
    party = next(hit for hit in hits if hit.item.id == "red-dress-party")
    assert party.reason.startswith("red") and "wedding" not in party.reason  # its occasion is party: not claimed


def test_a_named_colour_comes_first_and_the_notes_say_how_it_is_shown(embedder, store):
    """A shopper who asks for a black dress sees the dresses showing black before closer-looking ones that do not,
    and is told when black is only an accent, or nowhere."""
    query = "a black dress"
    q = embedder.embed_texts([query])[0]
    items = [make_item("beige-green-dress", "dress", ("beige", "green")),  # the closest photo, no black at all
             make_item("blue-black-dress", "dress", ("blue", "black")),
             make_item("black-top", "top", ("black",)),  # black, but not a dress
             make_item("red-dress", "dress", ("red",))]
    fill(store, items, at_cosine(q, [0.9, 0.2, 0.95, 0.6]))
    ctx = SearchContext(embedder, store, lexicon_reader())
    result = find_items(query, ctx, n=3)
    assert [hit.item.id for hit in result.hits] == ["blue-black-dress", "beige-green-dress", "red-dress"]
    assert result.hits[0].reason.startswith("black accents")
    assert result.notes == ["none of these is mainly black; those with black accents come first"]

    # A garment read from a photo (the Attributes tab's "Find items like this") ranks its colour softly, silently.
    read = find_items(query, ctx, n=3, worded=False)
    assert read.hits[0].item.id == "beige-green-dress" and read.notes == []

    white = find_items("a white dress", ctx, n=3)
    assert [hit.item.id for hit in white.hits] == ["beige-green-dress", "red-dress", "blue-black-dress"]
    assert white.notes == ["nothing in white fits everything else you asked; these are the closest"]


def test_a_named_colour_is_found_beyond_the_overfetch_of_other_attributes(embedder, store):
    """Nothing is black and floral, and twenty pink floral dresses look closer than the one black dress: the shopper
    is told that nothing is both, never that nothing is black."""
    query = "a black floral dress"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"floral-{k:02d}", "dress", ("pink",), pattern="floral") for k in range(20)]
    items.append(make_item("black-solid-dress", "dress", ("black",)))
    fill(store, items, at_cosine(q, [0.8] * 20 + [0.1]))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=2)
    assert len(result.hits) == 2 and result.notes == ["nothing is black and floral; these match part of it"]


def test_a_named_colour_is_fetched_past_the_items_the_shopper_set_aside(embedder, store):
    """The one casual black dress was rejected: the other black dress is still found, not "nothing in black"."""
    query = "a casual black dress"
    q = embedder.embed_texts([query])[0]
    items = [make_item("casual-black", "dress", ("black",), style="casual"),
             make_item("plain-black", "dress", ("black",))]
    items += [make_item(f"pink-{k:02d}", "dress", ("pink",)) for k in range(20)]
    fill(store, items, at_cosine(q, [0.9, 0.1] + [0.8] * 20))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=2,
                        steer=Steer(excluded={"casual-black"}))
    assert result.hits[0].item.id == "plain-black" and result.notes == []


def test_thousands_set_aside_do_not_make_every_query_fetch_thousands(embedder, store, monkeypatch):
    """A steer is a client's own state: one that sets aside 5,000 ids fetches at most MAX_EXCLUDED_FETCH more."""
    items = [make_item(f"dress-{k:02d}", "dress", ("red",)) for k in range(40)]
    fill(store, items)
    asked, query = [], store.query
    monkeypatch.setattr(store, "query", lambda vector, n, where=None: asked.append(n) or query(vector, n, where))
    excluded = {f"gone-{k}" for k in range(5000)} | {"dress-00", "dress-01"}
    result = find_items("a red dress", SearchContext(embedder, store, lexicon_reader()), n=6,
                        steer=Steer(excluded=excluded))
    assert asked and max(asked) == OVERFETCH * 6 + MAX_EXCLUDED_FETCH
    assert len(result.hits) == 6 and not {"dress-00", "dress-01"} & {hit.item.id for hit in result.hits}


def test_named_visible_attributes_rank_by_how_many_an_item_shows(embedder, store):
    """Black, leather, shoes: nothing is black and leather, so what shows one of them comes before what shows
    neither, the scores deciding between the two halves, and the shopper is told."""
    query = "black leather shoes"
    q = embedder.embed_texts([query])[0]
    items = [make_item("pink-canvas-shoe", "shoe", ("pink",), material="canvas"),  # the closest photo, neither
             make_item("black-suede-shoe", "shoe", ("black",), material="suede"),
             make_item("brown-leather-shoe", "shoe", ("brown",), material="leather"),
             make_item("black-leather-bag", "bag", ("black",), material="leather")]  # both, but not a shoe
    fill(store, items, at_cosine(q, [0.95, 0.3, 0.9, 0.99]))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=3)
    assert [hit.item.id for hit in result.hits] == ["brown-leather-shoe", "black-suede-shoe", "pink-canvas-shoe"]
    assert result.notes == ["nothing is black and leather; these match part of it"]


def test_the_kind_the_shopper_names_counts_like_a_named_colour(embedder, store):
    """Boots are shoes, but "black boots" names two things: the black boots show both and come first, then what
    shows one of them (black sneakers and loafers, brown boots) by score, then what shows neither."""
    query = "black boots"
    q = embedder.embed_texts([query])[0]
    items = [make_item("black-sneakers", "shoe", ("black",), title="Black leather sneakers"),
             make_item("brown-boots", "shoe", ("brown",), title="Brown suede ankle boots"),
             make_item("black-boots", "shoe", ("black",), title="Black canvas ankle boots"),
             make_item("black-loafers", "shoe", ("black",), title="Black loafers"),
             make_item("pink-sneakers", "shoe", ("pink",), title="Pink sneakers")]
    fill(store, items, at_cosine(q, [0.95, 0.6, 0.3, 0.9, 0.99]))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=5)
    assert [hit.item.id for hit in result.hits] == ["black-boots", "black-sneakers", "black-loafers", "brown-boots",
                                                    "pink-sneakers"]
    assert result.notes == [] and result.query.understood() == "shoe (boots) · colour black"


def test_a_refused_kind_leaves_those_items_out_not_the_category(embedder, store):
    """"boots, not sneakers" once read as "not shoe" and showed no shoe at all: now every shoe but the sneakers."""
    query = "boots, not sneakers"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"sneakers-{k}", "shoe", title=f"White canvas sneakers {k}") for k in range(6)]
    items += [make_item("boots", "shoe", title="Black ankle boots"), make_item("loafers", "shoe", title="Loafers"),
              make_item("dress", "dress", title="Black dress")]
    fill(store, items, at_cosine(q, [0.9] * 6 + [0.2, 0.5, 0.95]))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=4)
    assert [hit.item.id for hit in result.hits] == ["boots", "loafers"]
    assert result.query.understood() == "shoe (boots) · not sneakers"
    # Refused alone ("no sneakers") it leaves every other shoe in, and everything else.
    alone = find_items("no sneakers", SearchContext(embedder, store, lexicon_reader()), n=10)
    assert {hit.item.id for hit in alone.hits} == {"boots", "loafers", "dress"}


def test_a_kind_the_catalog_lacks_is_said(embedder, store):
    """No sundress: the closest dresses, and the shopper is told."""
    q = embedder.embed_texts(["a sundress"])[0]
    fill(store, [make_item("gown", "dress", title="Silk gown"), make_item("mini", "dress", title="Mini dress")],
         at_cosine(q, [0.5, 0.4]))
    result = find_items("a sundress", SearchContext(embedder, store, lexicon_reader()), n=2)
    assert [hit.item.id for hit in result.hits] == ["gown", "mini"]
    assert result.notes == ["none of the closest matches is called sundress; these are the closest dresses"]


def test_named_colours_are_judged_on_the_items_of_the_kind_asked(embedder, store):
    """Blue jeans: no item is both, so blue trousers and jeans in other colours show one of the two, by score; the
    note says that no jeans are blue, though the blue trousers shown are."""
    query = "blue jeans"
    q = embedder.embed_texts([query])[0]
    items = [make_item("blue-trousers", "pants", ("blue",), title="Blue denim trousers"),
             make_item("yellow-jeans", "pants", ("yellow",), title="Yellow jeans"),
             make_item("black-jeans", "pants", ("black",), title="Black skinny jeans")]
    fill(store, items, at_cosine(q, [0.9, 0.5, 0.4]))
    result = find_items(query, SearchContext(embedder, store, lexicon_reader()), n=3)
    assert [hit.item.id for hit in result.hits] == ["blue-trousers", "yellow-jeans", "black-jeans"]
    assert result.notes == ["nothing in blue fits everything else you asked; these are the closest"]


def test_a_named_category_is_found_beyond_the_overfetch(embedder, store):
    query = "a dress"
    q = embedder.embed_texts([query])[0]
    items = [make_item(f"top-{k:02d}", "top") for k in range(20)] + [make_item("the-dress", "dress")]
    fill(store, items, at_cosine(q, [0.5] * 20 + [0.3]))
    hits = search_catalog(query, embedder, store, n=2)
    assert [hit.item.id for hit in hits] == ["the-dress"]


@pytest.fixture
def shop(store):
    fill(store, [
        make_item("w-red-dress", "dress", ("red",), gender="women", price=80),
        make_item("w-blue-dress", "dress", ("blue", "red"), gender="women", price=250),
        make_item("w-black-dress", "dress", ("black",), gender="women", price=45, material="wool"),
        make_item("m-grey-shoe", "shoe", ("grey",), gender="men", price=120),
        make_item("u-red-shoe", "shoe", ("red", "white"), gender="unisex", price=60),
        make_item("m-red-shirt", "shirt", ("red",), gender="men", price=40, pattern="striped"),
        make_item("w-black-bag", "bag", ("black",), gender="women", price=300),
    ])
    return store


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(gender="men"), {"m-grey-shoe", "u-red-shoe", "m-red-shirt"}),
    (SearchFilters(gender="women", max_price=100), {"w-red-dress", "w-black-dress", "u-red-shoe"}),
    (SearchFilters(color="red", category="shoe"), {"u-red-shoe"}),
    (SearchFilters(category="any", color="any"), None),
])
def test_filters_bound_every_result(embedder, shop, filters, expected):
    hits = search_catalog("something red", embedder, shop, filters, n=10)
    got = {hit.item.id for hit in hits}
    assert got == (expected if expected is not None else {item.id for item in shop.all_items()})
    assert len(hits) == len(got)  # no item twice


@pytest.mark.parametrize("words, expected", [
    ("a dress that is not black", {"w-red-dress", "w-blue-dress"}),  # refused: never shown
    ("a dress without wool", {"w-red-dress", "w-blue-dress"}),
    ("dresses under $90", {"w-red-dress", "w-black-dress"}),
    ("men's things over $50", {"m-grey-shoe", "u-red-shoe"}),
    ("not red", {"m-grey-shoe", "w-black-bag", "w-black-dress"}),  # only a refusal: everything else
    ("no stripes, no dresses", {"m-grey-shoe", "u-red-shoe", "w-black-bag"}),
])
def test_words_that_constrain(embedder, shop, words, expected):
    assert {hit.item.id for hit in search_catalog(words, embedder, shop, n=10)} == expected


def test_cheap_puts_the_cheaper_first_among_alike(embedder, shop):
    hits = search_catalog("a cheap dress", embedder, shop, n=3)
    assert [hit.item.id for hit in hits][0] == "w-black-dress"


def test_a_price_below_anything_in_stock_says_what_the_cheapest_is(embedder, shop):
    result = find_items("a dress under $5", SearchContext(embedder, shop, lexicon_reader()))
    assert result.hits == [] and result.notes == ["nothing is under $5; the cheapest match is $45.00"]
    assert result.query.understood() == "dress · under $5"


def test_search_with_a_photo_and_words_that_change_it(embedder, store):
    """'Like this but in blue': the photo's look, the colour the words ask for."""
    photo = np.eye(128, dtype=np.float32)[3]
    items = [make_item("red-dress-a", "dress", ("red",)), make_item("red-dress-b", "dress", ("red",)),
             make_item("blue-dress", "dress", ("blue",)), make_item("red-shirt", "shirt", ("red",))]
    fill(store, items, at_cosine(photo, [0.95, 0.9, 0.6, 0.97]))
    ctx = SearchContext(embedder, store, lexicon_reader())
    from fashion_ai.retrieval.query import edited, garment_query
    from fashion_ai.schema import Garment

    base = garment_query(Garment(category="dress", colors=["red"]))
    alone = find_items(base.text, ctx, photo_vector=photo, query=base)
    assert [hit.item.id for hit in alone.hits] == ["red-dress-a", "red-dress-b", "blue-dress"]  # its category
    blue = find_items("like this but in blue", ctx, photo_vector=photo,
                      query=edited(base, ctx.reader.read("like this but in blue")))
    assert blue.hits[0].item.id == "blue-dress"


def test_a_photo_whose_category_was_unsure_finds_look_alikes_of_any_kind(embedder, store):
    """The extractor read "dress", unsure: its own item (a skirt, the nearest photo) is found too, after the dresses
    (still preferred) and before a top; read surely, only dresses come."""
    photo = np.eye(128, dtype=np.float32)[5]
    items = [make_item("the-skirt", "skirt", ("red",)), make_item("dress-a", "dress", ("red",)),
             make_item("dress-b", "dress", ("red",)), make_item("top-c", "top", ("red",))]
    fill(store, items, at_cosine(photo, [0.99, 0.8, 0.75, 0.8]))
    ctx = SearchContext(embedder, store, lexicon_reader())
    from fashion_ai.retrieval.query import garment_query
    from fashion_ai.schema import Garment

    sure = garment_query(Garment(category="dress", colors=["red"]))
    assert [h.item.id for h in find_items(sure.text, ctx, photo_vector=photo, query=sure).hits] == ["dress-a",
                                                                                                     "dress-b"]
    unsure = garment_query(Garment(category="dress", colors=["red"]))
    unsure.category_is_soft = True
    hits = [h.item.id for h in find_items(unsure.text, ctx, photo_vector=photo, query=unsure).hits]
    assert hits == ["dress-a", "dress-b", "the-skirt", "top-c"]


def test_search_over_an_indexed_demo_catalog(embedder, store, tmp_path):
    write_catalog(tmp_path / "catalog", 24, seed=9, size=64)
    build_index(load_catalog(tmp_path / "catalog"), embedder, store)
    hits = search_catalog("red striped shirt", embedder, store, SearchFilters(gender="men", max_price=150), n=5)
    assert 0 < len(hits) <= 5
    assert all(hit.item.gender in ("men", "unisex") and hit.item.price <= 150 and hit.item.category == "shirt"
               for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert len({hit.item.id for hit in hits}) == len(hits)


# --------------------------------------------------------------------------------------------- trained demo models
DEMO_EMBEDDER_DIR = PROJECT_ROOT / "assets" / "models" / "embedder"
DEMO_CATALOG_DIR = PROJECT_ROOT / "assets" / "catalog"


@pytest.mark.slow
def test_the_text_model_finds_what_the_photos_cannot_show(tmp_path):
    """Occasion and season live in the words: the text model finds them where CLIP sees only garments."""
    from fashion_ai.models.text import load_text_model

    embedder = Embedder(*load_clip(str(DEMO_EMBEDDER_DIR), device="cpu"), name="demo-embedder")
    text_model = load_text_model()
    store = CatalogStore(tmp_path / "chroma", embedder_name=embedder.name)
    text_store = CatalogStore(tmp_path / "chroma", collection="texts", embedder_name=text_model.name)
    items = load_catalog(DEMO_CATALOG_DIR)
    build_index(items, embedder, store)
    assert build_text_index(items, text_model, text_store) == len(items) == text_store.count()
    ctx = SearchContext(embedder, store, QueryReader(text_model), text_model, text_store)
    # No lexicon word says "shore" (it knows "seaside" since e91a10b): the text model reads it as the beach, and
    # finds beach items by their texts.
    query = "something to wear to the shore"
    assert ctx.reader.read(query).near == {"shore": "occasion:beach"}
    hits = find_items(query, ctx, n=6).hits
    plain = find_items(query, SearchContext(embedder, store, QueryReader()), n=6).hits  # CLIP and the lexicon only
    # Measured 6 of 6 with the text model, 0 of 6 without ("seaside" 2026-11-23, "shore" at e91a10b).
    assert sum(hit.item.occasion == "beach" for hit in hits) >= 5, [(h.item.id, h.item.occasion) for h in hits]
    assert sum(hit.item.occasion == "beach" for hit in plain) <= 2


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
    # Thresholds sit well above chance and below what the shipped model measured (category 0.65, colour 0.475,
    # pattern 0.65 at 10, 2026-11-24, contrastive batches of 512; of 64, Fashion-MNIST a quarter of each: 0.60,
    # 0.55, 0.65; at half: 0.55, 0.50, 0.85; the float32 one before it: 0.52, 0.57, 0.60; the one before that:
    # 0.50, 0.53, 0.70); the issue-level bar is tracked in assets/models/embedder/eval.json.
    assert np.mean(category_hits) >= 0.35, np.mean(category_hits)
    assert np.mean(colour_hits) >= 0.3, np.mean(colour_hits)
    assert np.mean(pattern_hits) >= 0.3, np.mean(pattern_hits)
    # The app's hybrid search on top: a red striped shirt asked for, shirts that are red or striped come first.
    hits = search_catalog("red striped shirt", embedder, store, n=3)
    assert all(hit.item.category == "shirt" for hit in hits)
    assert all("red" in hit.item.colors or hit.item.pattern == "striped" for hit in hits)
