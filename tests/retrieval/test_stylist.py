"""The AI stylist: colour harmony table, category complementarity, spread of picks, and honest reasons."""

from collections import Counter
from itertools import combinations_with_replacement

import numpy as np
import pytest

from fashion_ai.catalog import CatalogItem, load_catalog
from fashion_ai.catalog.index import build_index
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import BadQueryError, IndexMissingError
from fashion_ai.retrieval.harmony import NEUTRALS, colour_harmony
from fashion_ai.retrieval.outfits import group_of
from fashion_ai.retrieval.stylist import StylistPick, style_item
from fashion_ai.schema import COLORS, Garment


# --------------------------------------------------------------------------------------------- colour
@pytest.mark.parametrize("a, b, low, high", [
    ("black", "red", 0.8, 1.0),  # neutrals pair with everything
    ("navy", "pink", 0.8, 1.0),
    ("beige", "green", 0.8, 1.0),
    ("khaki", "purple", 0.8, 1.0),
    ("blue", "orange", 0.8, 1.0),  # complementary
    ("yellow", "purple", 0.8, 1.0),
    ("blue", "green", 0.75, 1.0),  # analogous
    ("pink", "purple", 0.75, 1.0),
    ("red", "pink", 0.0, 0.35),  # clashing neighbours
    ("orange", "purple", 0.0, 0.35),
    ("green", "purple", 0.0, 0.4),
    ("black", "brown", 0.0, 0.55),  # the classic "never", softened
    ("gold", "silver", 0.0, 0.45),  # mixed metals
    ("Gray", "BURGUNDY", 0.8, 1.0),  # shopper spellings: grey and red
    ("plaid", "red", 0.5, 0.5),  # not a colour: no opinion
])
def test_colour_harmony_table(a, b, low, high):
    assert low <= colour_harmony(a, b) <= high


def test_colour_harmony_is_symmetric_and_bounded_for_every_pair():
    for a, b in combinations_with_replacement(COLORS, 2):
        score = colour_harmony(a, b)
        assert 0.0 <= score <= 1.0 and score == colour_harmony(b, a), (a, b)
    assert all(colour_harmony(n, c) >= 0.5 for n in NEUTRALS for c in COLORS)
    assert colour_harmony("white", "white") > colour_harmony("red", "red")  # tone on tone: safe only for neutrals


# --------------------------------------------------------------------------------------------- picks
def make_item(item_id: str, category: str, colors=("black",), *, style: str | None = None,
              occasion: str | None = None, season: str = "spring") -> CatalogItem:
    return CatalogItem(id=item_id, title=item_id, caption=f"a {category}", category=category, gender="women",
                       colors=list(colors), pattern="solid", season=season, price=50.0,
                       url=f"https://shop.example.com/p/{item_id}", image_path=f"/img/{item_id}.png", style=style,
                       occasion=occasion)


@pytest.fixture
def wardrobe(store):
    """Every photo looks alike to the embedder: the stylist's own rules decide."""
    items = [
        make_item("dress-1", "dress", ("green",)), make_item("dress-2", "dress", ("white",)),
        make_item("skirt-1", "skirt", ("navy",)), make_item("top-1", "top", ("white",)),
        make_item("shirt-1", "shirt", ("blue",)),
        make_item("pants-navy", "pants", ("navy",)), make_item("pants-pink", "pants", ("pink",)),
        make_item("shorts-1", "shorts", ("beige",)),
        make_item("shoe-wedding", "shoe", ("black",), occasion="wedding"),
        make_item("shoe-sport", "shoe", ("black",), occasion="sport"),
        make_item("shoe-classic", "shoe", ("black",), style="classic"),
        make_item("bag-1", "bag", ("black",)), make_item("bag-2", "bag", ("brown",)),
        make_item("bag-3", "bag", ("white",)),
        make_item("jacket-1", "jacket", ("black",)), make_item("coat-1", "coat", ("beige",)),
        make_item("hat-1", "hat", ("beige",)), make_item("scarf-1", "scarf", ("grey",)),
    ]
    base = np.eye(128, dtype=np.float32)[0]
    noise = np.random.default_rng(0).normal(scale=1e-3, size=(len(items), 128)).astype(np.float32)
    store.upsert(items, base + noise)
    return store


def test_a_dress_gets_shoes_bag_and_outerwear_never_a_skirt(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"]), "", embedder, wardrobe, n=6)
    assert len(picks) == 6 and all(isinstance(p, StylistPick) for p in picks)
    categories = [p.item.category for p in picks]
    assert not {"dress", "skirt", "top", "shirt", "pants", "shorts"} & set(categories)
    assert {group_of(c) for c in categories} >= {"shoes", "bag", "outerwear"}
    assert max(Counter(categories).values()) <= 2 and len(set(categories)) >= 4  # the picks span the wardrobe


def test_asking_for_the_same_category_allows_it(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"]), "another dress", embedder, wardrobe, n=6)
    dresses = [p for p in picks if p.item.category == "dress"]
    assert {p.item.id for p in dresses} == {"dress-1", "dress-2"}
    assert picks[0].item.category == "dress" and "the dress you asked for" in picks[0].reason


def test_a_top_wants_a_bottom_in_a_colour_that_goes_with_it(embedder, wardrobe):
    picks = style_item(Garment("top", colors=["red"]), "", embedder, wardrobe, n=6)
    assert "top" not in {p.item.category for p in picks}
    assert group_of(picks[0].item.category) == "bottom"
    # Same photo, same category: navy goes with a red top, pink clashes with it.
    by_id = {p.item.id: p for p in picks}
    assert by_id["pants-navy"].reason == "navy pairs with your red top"
    assert "pants-pink" not in by_id or by_id["pants-pink"].score < by_id["pants-navy"].score
    assert colour_harmony("navy", "red") > colour_harmony("pink", "red")


def test_prompt_occasion_and_garment_style_rank_and_explain(embedder, wardrobe):
    garment = Garment("dress", colors=["red"], style="classic")
    picks = style_item(garment, "for a wedding", embedder, wardrobe, n=8)
    shoes = [p for p in picks if p.item.category == "shoe"]
    assert [p.item.id for p in shoes] == ["shoe-wedding", "shoe-classic"]  # two at most, the sporty one left out
    assert shoes[0].reason == "black pairs with your red dress; occasion: wedding"
    assert shoes[1].reason == "black pairs with your red dress; classic style"


def test_reasons_only_claim_real_attributes(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"], style="classic"), "for a wedding", embedder, wardrobe, n=8)
    claims: Counter[str] = Counter()
    for pick in picks:
        assert pick.reason and "\n" not in pick.reason
        for part in pick.reason.split("; "):
            if part.startswith("occasion: "):
                claims["occasion"] += 1
                assert part == f"occasion: {pick.item.occasion}"
            elif part.endswith(" style"):
                claims["style"] += 1
                assert part == f"{pick.item.style} style"
            elif part.endswith(" pairs with your red dress"):
                claims["colour"] += 1
                assert part == f"{pick.item.colors[0]} pairs with your red dress"
                assert colour_harmony(pick.item.colors[0], "red") >= 0.7
            else:
                claims["complement"] += 1
                assert part == f"a {pick.item.category} to complete your red dress"
    assert claims["occasion"] >= 1 and claims["style"] >= 1 and claims["colour"] >= 3  # each kind was checked


@pytest.mark.parametrize("category", ["dress", "skirt", "top", "shirt", "pants", "shorts", "shoe", "bag", "jacket",
                                      "coat", "hat", "scarf"])
def test_the_stylist_never_returns_the_uploads_own_category(embedder, wardrobe, category):
    picks = style_item(Garment(category, colors=["white"]), "an outfit for the weekend", embedder, wardrobe, n=10)
    assert picks and category not in {p.item.category for p in picks}


def test_a_garment_without_colour_still_gets_reasons(embedder, wardrobe):
    picks = style_item(Garment("skirt"), "", embedder, wardrobe, n=3)
    assert picks and all("pairs with" not in p.reason for p in picks)
    assert any(p.reason.startswith("a ") and p.reason.endswith("to complete your skirt") for p in picks)


def test_prompt_cleaning(embedder, wardrobe):
    assert style_item(Garment("dress", colors=["red"]), "\x00\x1b\n", embedder, wardrobe)  # nothing left: default
    with pytest.raises(BadQueryError, match="under 10"):
        style_item(Garment("dress"), "shoes for a long evening out", embedder, wardrobe, max_chars=10)


def test_an_empty_index_says_so(embedder, store):
    with pytest.raises(IndexMissingError, match="empty"):
        style_item(Garment("top", colors=["red"]), "wedding", embedder, store)


def test_stylist_over_an_indexed_demo_catalog(embedder, store, tmp_path):
    write_catalog(tmp_path / "catalog", 30, seed=11, size=64)
    build_index(load_catalog(tmp_path / "catalog"), embedder, store)
    picks = style_item(Garment("top", colors=["red"], style="casual"), "something for the weekend", embedder, store)
    assert 0 < len(picks) <= 6
    assert "top" not in {p.item.category for p in picks}
    assert max(Counter(p.item.category for p in picks).values()) <= 2
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)
    assert all(p.reason and "\n" not in p.reason for p in picks)
