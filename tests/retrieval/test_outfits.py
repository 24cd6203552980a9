"""Complete the outfit: one piece per slot, the dress code and the weather respected, a total budget split across
the pieces, and the anchor piece following the words and the filters."""

from collections import Counter

import pytest

from fashion_ai.catalog import CatalogItem
from fashion_ai.retrieval.outfits import OUTFIT_GROUPS, complete_outfit, group_of, plan_outfit
from fashion_ai.retrieval.reading import lexicon_reader
from fashion_ai.retrieval.search import DEFAULT_RESULTS, MAX_EXCLUDED_FETCH, SearchContext, SearchFilters, SearchHit
from fashion_ai.retrieval.steer import Steer
from tests.retrieval.helpers import fill, make_item


@pytest.fixture
def wardrobe(store):
    items = [
        make_item("top-casual", "top", ("white",), occasion="everyday", season="summer", title="white cotton tee"),
        make_item("shirt-work", "shirt", ("blue",), occasion="work", style="business"),
        make_item("pants-work", "pants", ("navy",), occasion="work", gender="men", style="business"),
        make_item("skirt-party", "skirt", ("red",), occasion="party"),
        make_item("shorts-beach", "shorts", ("yellow",), occasion="beach", price=20),
        make_item("dress-wedding", "dress", ("red",), occasion="wedding", style="classic", material="silk", price=180),
        make_item("dress-beach", "dress", ("yellow",), occasion="beach", season="summer", material="linen"),
        make_item("jacket-work", "jacket", ("black",), occasion="work", style="business"),
        make_item("coat-formal", "coat", ("beige",), occasion="formal", price=300, material="wool"),
        make_item("shoe-wedding-pink", "shoe", ("pink",), occasion="wedding", material="leather", style="elegant",
                  price=90),
        make_item("shoe-party-black", "shoe", ("black",), occasion="party", material="leather", price=70),
        make_item("shoe-wedding-black", "shoe", ("black",), occasion="wedding", material="leather", style="elegant",
                  price=150),
        make_item("shoe-sneaker", "shoe", ("white",), occasion="everyday", material="rubber", style="sporty",
                  title="white rubber sneakers", price=40),
        make_item("boots-winter", "shoe", ("brown",), occasion="everyday", material="suede", title="suede ankle boots"),
        make_item("shoe-work", "shoe", ("brown",), occasion="work", material="leather", style="classic"),
        make_item("bag-wedding", "bag", ("gold",), occasion="wedding", style="elegant", price=120),
        make_item("bag-work", "bag", ("black",), occasion="work", style="business", price=60),
        make_item("bag-beach", "bag", ("beige",), occasion="beach", material="straw", price=25),
        make_item("hat-beach", "hat", ("beige",), occasion="beach", material="straw", price=30),
        make_item("scarf-wool", "scarf", ("grey",), occasion="work", material="wool", style="classic"),
        make_item("scarf-silk", "scarf", ("gold",), occasion="wedding", material="silk", style="elegant", price=60),
    ]
    fill(store, items)
    return store


def groups(hits: list[SearchHit]) -> list[str]:
    return [group_of(hit.item.category) for hit in hits]


def ids(hits: list[SearchHit]) -> set[str]:
    return {hit.item.id for hit in hits}


def test_a_summer_wedding_dress_outfit(embedder, wardrobe):
    hits = complete_outfit("a red dress for a summer wedding", embedder, wardrobe)
    assert groups(hits) == ["one-piece", "shoes", "bag", "accessory"]  # a dress replaces top and bottom; summer: no coat
    dress, shoes, bag, accessory = (hit.item for hit in hits)
    assert dress.id == "dress-wedding" and bag.id == "bag-wedding"
    # Of the wedding shoes, the pink one clashes with the red dress and the black one goes with it.
    assert shoes.id == "shoe-wedding-black" and "black goes with the red dress" in hits[1].reason
    assert accessory.id == "scarf-silk"  # not the wool scarf (summer), not the straw beach hat (a wedding)
    assert "sneaker" not in " ".join(ids(hits))


def test_separates_for_the_office(embedder, wardrobe):
    hits = complete_outfit("an outfit for the office", embedder, wardrobe)
    assert groups(hits) == ["top", "bottom", "outerwear", "shoes", "bag", "accessory"]
    assert ids(hits) == {"shirt-work", "pants-work", "jacket-work", "shoe-work", "bag-work", "scarf-wool"}
    assert all("for work" in hit.reason for hit in hits)


def test_the_beach_and_the_gym_leave_out_what_does_not_belong(embedder, wardrobe):
    beach = complete_outfit("a beach outfit", embedder, wardrobe)
    assert "outerwear" not in groups(beach) and not ids(beach) & {"boots-winter", "scarf-wool", "coat-formal"}
    assert {"shorts-beach", "bag-beach", "hat-beach"} <= ids(beach)
    gym = complete_outfit("clothes for the gym", embedder, wardrobe)
    assert "accessory" not in groups(gym) and "outerwear" not in groups(gym)


@pytest.mark.parametrize("query, filters, exclude, expected_groups", [
    ("office", None, "shirt", ["bottom", "outerwear", "shoes", "bag", "accessory"]),  # the shopper has a top
    ("wedding", None, "gown", ["outerwear", "shoes", "bag", "accessory"]),  # has a dress: no top, bottom or dress
    ("skirt for a party", None, None, ["bottom", "top", "outerwear", "shoes", "bag", "accessory"]),  # the skirt first
    ("beach day", None, None, ["top", "bottom", "shoes", "bag", "accessory"]),  # beach: no outerwear
    ("party", SearchFilters(category="dress"), None, ["one-piece", "outerwear", "shoes", "bag", "accessory"]),
])
def test_outfit_slots(embedder, wardrobe, query, filters, exclude, expected_groups):
    hits = complete_outfit(query, embedder, wardrobe, filters, exclude_category=exclude)
    assert groups(hits) == expected_groups
    assert len(set(groups(hits))) == len(hits)  # never two items of one slot


def test_outfit_anchor_follows_the_named_category_and_filters(embedder, wardrobe):
    hits = complete_outfit("skirt for a party", embedder, wardrobe)
    assert hits[0].item.id == "skirt-party"  # the query asked for a skirt, not trousers
    hits = complete_outfit("work", embedder, wardrobe, SearchFilters(gender="women", max_price=200))
    assert groups(hits) == ["top", "bottom", "outerwear", "shoes", "bag", "accessory"]  # every slot still filled
    assert all(hit.item.gender in ("women", "unisex") and hit.item.price <= 200 for hit in hits)
    assert "pants-work" not in ids(hits) and "skirt-party" in ids(hits)  # men's trousers filtered out: the skirt


def test_the_outfit_colour_filter_picks_the_anchor_piece_only(embedder, wardrobe):
    """A colour pinned in the filters is the colour of the piece the shopper asked for; the rest of the outfit
    goes with it rather than matching it (a head-to-toe red outfit is rarely the wish)."""
    def outfit(color: str) -> tuple[CatalogItem, list[CatalogItem]]:
        hits = complete_outfit("shoes for a wedding", embedder, wardrobe, SearchFilters(color=color))
        shoes = [hit.item for hit in hits if hit.item.category == "shoe"]
        assert len(shoes) == 1 and len(hits) >= 3
        return shoes[0], [hit.item for hit in hits if hit.item.category != "shoe"]

    shoe, others = outfit("black")
    assert shoe.id == "shoe-wedding-black"
    assert {item.colors[0] for item in others} - {"black"}  # the other pieces are free to differ
    assert outfit("pink")[0].id == "shoe-wedding-pink"
    assert outfit("purple")[0].category == "shoe"  # nothing of that colour: the anchor falls back to any shoe


def test_a_total_budget_is_split_across_the_pieces(embedder, wardrobe):
    ctx = SearchContext(embedder, wardrobe, lexicon_reader())
    free = plan_outfit("a red dress for a wedding", ctx)
    assert sum(hit.item.price for hit in free.hits) > 400  # unbounded, the best pieces cost more
    result = plan_outfit("a red dress for a wedding, under $400 in all", ctx)
    spent = sum(hit.item.price for hit in result.hits)
    assert spent <= 400 and len(result.hits) >= 3 and result.query.total_budget == 400
    assert any(note.endswith("of $400 in all") for note in result.notes)
    assert all("of the $400" in hit.reason for hit in result.hits)
    tight = plan_outfit("a red dress for a wedding, $200 in total", ctx)
    assert sum(hit.item.price for hit in tight.hits) <= 200
    assert any("fits the $200 budget" in note for note in tight.notes)  # a slot given up, and said


def test_pricier_pieces_beat_the_shown_price_upward_and_cheaper_downward(embedder, wardrobe):
    ctx = SearchContext(embedder, wardrobe, lexicon_reader())
    shown = {"shoes": "shoe-party-black", "bag": "bag-work"}  # $70 and $60
    caps = {"shoes": 70.0, "bag": 60.0}
    pricier = {group_of(hit.item.category): hit.item for hit in plan_outfit("an outfit for a wedding", ctx, steer=Steer(
        slot_caps=caps, pricier=True, previous=shown)).hits}
    assert pricier["shoes"].price > 70 and pricier["bag"].price > 60
    cheaper = {group_of(hit.item.category): hit.item for hit in plan_outfit("an outfit for a wedding", ctx, steer=Steer(
        slot_caps=caps, previous=shown)).hits}
    assert cheaper["shoes"].price < 70 and cheaper["bag"].price < 60


def test_a_huge_list_of_set_aside_items_does_not_drive_the_fetch(embedder, wardrobe, monkeypatch):
    asked = []
    query = wardrobe.query

    def counted(vector, k, where=None):
        asked.append(k)
        return query(vector, k, where)

    monkeypatch.setattr(wardrobe, "query", counted)
    ctx = SearchContext(embedder, wardrobe, lexicon_reader())
    excluded = {f"gone-{i}" for i in range(100_000)} | {"shirt-work"}  # a client's own state, not ours
    result = plan_outfit("an outfit for the office", ctx, steer=Steer(excluded=excluded))
    assert asked and max(asked) == 4 * DEFAULT_RESULTS + MAX_EXCLUDED_FETCH  # not 100,048 a slot
    assert "shirt-work" not in ids(result.hits) and {"pants-work", "shoe-work"} <= ids(result.hits)  # still left out


def test_outfit_groups_cover_every_category():
    from fashion_ai.schema import CATEGORIES

    grouped = Counter(c for categories in OUTFIT_GROUPS.values() for c in categories)
    assert set(grouped) == set(CATEGORIES) and max(grouped.values()) == 1
