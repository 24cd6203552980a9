"""The in-memory mirror: a filter means there what it says, for every filter the store accepts; the search is exact;
writes through the store reach it; a server's store never mirrors."""

from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_ai.catalog.filters import CatalogFilter
from fashion_ai.catalog.mirror import StoreMirror, VectorMirror
from fashion_ai.catalog.records import parse_record_id, record_id
from fashion_ai.catalog.store import CatalogStore
from tests.catalog.test_filters import CATEGORIES, COLOURS, GENDERS, PRICES, filters, meaning
from tests.catalog.test_store import make_item, random_units, unit

items = st.builds(
    lambda k, category, gender, colours, price, season: make_item(
        f"i{k}", category=category, gender=gender, colors=colours, price=price, season=season),
    st.integers(0, 10**6), st.sampled_from(CATEGORIES), st.sampled_from(GENDERS),
    st.lists(st.sampled_from(COLOURS), max_size=2, unique=True), st.sampled_from(PRICES),
    st.sampled_from(["summer", "winter", ""]))


@settings(max_examples=300, deadline=None)
@given(st.lists(items, min_size=1, max_size=25, unique_by=lambda item: item.id), filters)
def test_the_mirror_filters_as_the_filter_says(catalog, where):
    mirror = VectorMirror()
    records = [record_id(item) for item in catalog]
    mirror.fill([(records, random_units(len(records)))])
    expected = {rid for rid in records if meaning(where, parse_record_id(rid)[1])}
    assert {rid for rid, _ in mirror.search(unit(0), len(records), where)} == expected
    assert set(mirror.matching(where, len(records))) == expected


BAGS = CatalogFilter(only={"category": ("bag",)})


def test_the_mirror_search_is_exact_and_follows_writes():
    mirror = VectorMirror()
    vectors = random_units(200, seed=3)
    catalog = [make_item(f"i{k}", category=("dress", "bag")[k % 2]) for k in range(200)]
    records = [record_id(item) for item in catalog]
    mirror.fill([(records[:120], vectors[:120]), (records[120:], vectors[120:])])
    query = random_units(1, seed=9)[0]
    bags = [k for k in range(200) if k % 2]
    exact = sorted(bags, key=lambda k: -float(vectors[k] @ query))[:10]
    assert [rid for rid, _ in mirror.search(query, 10, BAGS)] == [records[k] for k in exact]
    # A new bag right on the query comes first; a bag removed (its facets changed) is gone; add() keeps a vector.
    newcomer = record_id(make_item("new", category="bag"))
    mirror.apply([newcomer], query[None])
    mirror.apply([], vectors[:0], removed=[records[exact[0]]])
    mirror.apply([records[exact[1]]], -query[None], replace=False)
    found = [rid for rid, _ in mirror.search(query, 3, BAGS)]
    assert found == [newcomer, records[exact[1]], records[exact[2]]]
    assert abs(mirror.search(query, 1, BAGS)[0][1]) < 1e-6  # cosine distance, as Chroma's


def test_a_store_mirrors_its_own_writes_and_a_servers_store_never_mirrors(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    catalog = [make_item(f"d{k}") for k in range(30)] + [make_item(f"b{k}", category="bag") for k in range(30)]
    vectors = random_units(len(catalog), seed=1)
    store.add(catalog, vectors)
    store.mirror.current()
    assert store.mirror.vectors.ready.wait(30) and len(store.mirror.vectors) == 60
    moved = make_item("d0", category="bag")  # the dress becomes a bag: a new record id, the old one goes
    store.upsert([moved], unit(0)[None])
    hits = store.mirror.vectors.search(unit(0), 1, BAGS)
    assert parse_record_id(hits[0][0])[0] == "d0" and len(store.mirror.vectors) == 60
    store.reset()
    assert not store.mirror.vectors.ready.is_set()  # a new collection: a new mirror, filled on its first need
    shared = StoreMirror(store.collection, enabled=False)  # a server's store's
    assert shared.current() is None and shared.waited() is None and not shared.fill(timeout=0)
    assert shared.vectors.claim()  # nobody had claimed it: no filling began


def test_the_mirror_reads_a_pinned_category_in_place_and_declines_what_costs_more_than_reading_on():
    mirror = VectorMirror()
    catalog = [make_item(f"i{k}", category=("dress", "bag", "shoe")[k % 3], colors=[("red", "navy")[k % 2]])
               for k in range(3000)]
    vectors = random_units(len(catalog), seed=4)
    records = [record_id(item) for item in catalog]
    mirror.fill([(records, vectors)])
    query = random_units(1, seed=8)[0]
    red_bags, navy = BAGS & CatalogFilter(colours=(("red",),)), CatalogFilter(colours=(("navy",),))
    for where in (BAGS, red_bags, navy):
        passes = where.predicate()
        exact = sorted((k for k in range(len(catalog)) if passes(parse_record_id(records[k])[1])),
                       key=lambda k: -float(vectors[k] @ query))[:20]
        assert [rid for rid, _ in mirror.search(query, 20, where)] == [records[k] for k in exact]
    # A thousand bags multiplied in place (8 floats each: 0.64 us) fits a budget of 1 us; a colour passes half of
    # every row, 3000 rows multiplied or 1500 gathered (1.9 us at the least), and does not.
    assert mirror.search(query, 20, BAGS, budget_us=1.0) is not None
    assert mirror.search(query, 20, navy, budget_us=1.0) is None
    assert mirror.worth_asking(red_bags, 0.5, budget_us=0.0)
    assert not mirror.worth_asking(navy, 0.5, budget_us=1.0)
    assert mirror.worth_asking(navy, 0.5, budget_us=float("inf"))
