"""The AI stylist: colour harmony, one piece per slot around the shopper's garment, its own slot left out, and honest
reasons."""

from collections import Counter
from itertools import combinations_with_replacement

import pytest

from fashion_ai.catalog import load_catalog
from fashion_ai.catalog.index import build_index
from fashion_ai.demo_world import write_catalog
from fashion_ai.errors import BadQueryError, IndexMissingError
from fashion_ai.retrieval.harmony import NEUTRALS, colour_harmony
from fashion_ai.retrieval.outfits import group_of
from fashion_ai.retrieval.rules import suits_occasion
from fashion_ai.retrieval.stylist import StylistPick, style_item
from fashion_ai.schema import COLORS, Garment
from tests.retrieval.helpers import fill, make_item


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
@pytest.fixture
def wardrobe(store):
    """Every photo looks alike to the embedder: the stylist's own rules decide."""
    items = [
        make_item("dress-1", "dress", ("green",)), make_item("dress-2", "dress", ("white",)),
        make_item("skirt-1", "skirt", ("navy",)), make_item("top-1", "top", ("white",)),
        make_item("shirt-1", "shirt", ("blue",)),
        make_item("pants-navy", "pants", ("navy",)), make_item("pants-pink", "pants", ("pink",)),
        make_item("shorts-1", "shorts", ("beige",)),
        make_item("shoe-wedding", "shoe", ("black",), occasion="wedding", material="leather", style="classic"),
        make_item("shoe-sport", "shoe", ("black",), occasion="sport", title="black rubber sneakers", style="sporty"),
        make_item("shoe-classic", "shoe", ("black",), style="classic"),
        make_item("bag-1", "bag", ("black",)), make_item("bag-2", "bag", ("brown",)),
        make_item("bag-3", "bag", ("white",)),
        make_item("jacket-1", "jacket", ("black",)), make_item("coat-1", "coat", ("beige",), material="wool"),
        make_item("hat-1", "hat", ("beige",)), make_item("scarf-1", "scarf", ("grey",), material="wool"),
    ]
    fill(store, items)
    return store


def test_a_dress_gets_one_piece_per_slot_never_a_skirt_or_top(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"]), "", embedder, wardrobe, n=6)
    assert all(isinstance(p, StylistPick) for p in picks)
    groups = [group_of(p.item.category) for p in picks]
    assert groups == ["outerwear", "shoes", "bag", "accessory"]  # a dress wants no top, bottom or second dress


def test_asking_for_the_same_category_allows_it(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"]), "another dress", embedder, wardrobe, n=6)
    assert picks[0].item.category == "dress" and [group_of(p.item.category) for p in picks].count("one-piece") == 1


def test_a_top_wants_a_bottom_in_a_colour_that_goes_with_it(embedder, wardrobe):
    picks = style_item(Garment("top", colors=["red"]), "", embedder, wardrobe, n=6)
    assert "top" not in {group_of(p.item.category) for p in picks}
    bottom = next(p for p in picks if group_of(p.item.category) == "bottom")
    # Same photo for every bottom: the pink trousers clash with a red top; a neutral goes with it, and says so.
    assert bottom.item.id != "pants-pink" and colour_harmony(bottom.item.colors[0], "red") >= 0.7
    assert f"{bottom.item.colors[0]} goes with your red top" in bottom.reason


def test_the_occasion_decides_the_shoes_and_the_reason_says_why(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"], style="classic"), "for a wedding", embedder, wardrobe)
    shoes = next(p for p in picks if p.item.category == "shoe")
    assert shoes.item.id == "shoe-wedding"  # the sneakers are too casual for a wedding; this one is for weddings
    assert shoes.reason == "for wedding · dressy enough for wedding · black goes with your red dress"


def test_summer_takes_no_wool_and_no_coat(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"]), "a summer garden party", embedder, wardrobe)
    assert not {"coat-1", "scarf-1", "jacket-1"} & {p.item.id for p in picks}  # no outerwear, no wool scarf
    assert {group_of(p.item.category) for p in picks} == {"shoes", "bag", "accessory"}


def test_reasons_only_claim_real_attributes(embedder, wardrobe):
    picks = style_item(Garment("dress", colors=["red"], style="classic"), "for a wedding", embedder, wardrobe, n=8)
    claims: Counter[str] = Counter()
    for pick in picks:
        assert pick.reason and "\n" not in pick.reason
        for part in pick.reason.split(" · "):
            if part.startswith("for "):
                claims["occasion"] += 1
                assert part == f"for {pick.item.occasion}"
            elif part.endswith("enough for wedding"):
                claims["dress code"] += 1
                assert suits_occasion(pick.item, "wedding")
            elif part.endswith(" goes with your red dress"):
                claims["colour"] += 1
                assert part == f"{pick.item.colors[0]} goes with your red dress"
                assert colour_harmony(pick.item.colors[0], "red") >= 0.7
            else:
                claims["other"] += 1
                assert part == f"a {pick.item.category} to complete it", part
    assert claims["occasion"] >= 1 and claims["dress code"] >= 3 and claims["colour"] >= 3  # each kind was checked


def test_a_garment_without_colour_still_gets_reasons(embedder, wardrobe):
    picks = style_item(Garment("skirt"), "", embedder, wardrobe, n=3)
    assert picks and all("your" not in p.reason for p in picks)  # nothing claimed about the shopper's colour
    first = picks[0].item
    assert picks[0].reason == f"a {first.category} to complete it"
    # The rest go with the first piece chosen.
    assert all(p.reason.endswith(f"goes with the {first.colors[0]} {first.category}") or
               p.reason == f"a {p.item.category} to complete it" for p in picks[1:])


@pytest.mark.parametrize("category", ["dress", "skirt", "top", "shirt", "pants", "shorts", "shoe", "bag", "jacket",
                                      "coat", "hat", "scarf"])
def test_the_stylist_never_returns_the_uploads_own_category(embedder, wardrobe, category):
    picks = style_item(Garment(category, colors=["white"]), "an outfit for the weekend", embedder, wardrobe, n=10)
    assert picks and category not in {p.item.category for p in picks}
    assert group_of(category) not in {group_of(p.item.category) for p in picks}  # nor its slot


def test_prompt_cleaning(embedder, wardrobe):
    assert style_item(Garment("dress", colors=["red"]), "\x00\x1b\n", embedder, wardrobe)  # nothing left: default
    with pytest.raises(BadQueryError, match="under 10"):
        style_item(Garment("dress"), "shoes for a long evening out", embedder, wardrobe, max_chars=10)


def test_an_empty_index_says_so(embedder, store):
    with pytest.raises(IndexMissingError, match="empty"):
        style_item(Garment("top", colors=["red"]), "wedding", embedder, store)


def test_stylist_over_an_indexed_demo_catalog(embedder, store, tmp_path):
    write_catalog(tmp_path / "catalog", 40, seed=11, size=64)
    build_index(load_catalog(tmp_path / "catalog"), embedder, store)
    picks = style_item(Garment("top", colors=["red"], style="casual"), "something for the weekend", embedder, store)
    assert 0 < len(picks) <= 6
    groups = [group_of(p.item.category) for p in picks]
    assert "top" not in groups and len(set(groups)) == len(groups)
