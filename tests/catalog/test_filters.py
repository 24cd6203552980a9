"""The typed filter: what each part means (against a plain reading of it), how filters combine, how the where dicts
callers still pass are read, and the two forms the store translates it to."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_ai.catalog.filters import TEXT_FACETS, CatalogFilter, as_filter, build_where, combine_where
from fashion_ai.catalog.records import Facets
from fashion_ai.schema import SEARCH_FIELDS

CATEGORIES, GENDERS, COLOURS = ["dress", "bag", "shoe", ""], ["women", "men", "unisex", ""], ["red", "navy", "white"]
PRICES = [None, 10.0, 19.99, 20.0, 55.5]
BOUNDS = st.none() | st.sampled_from([0, 10, 19.99, 20, 55.5])


def meaning(where: CatalogFilter, facets: Facets) -> bool:
    """What a filter says, read out plainly (the oracle the store's compiled test and its mirror are held to)."""
    price = facets.price
    return (all(getattr(facets, name) in values for name, values in where.only.items())
            and all(getattr(facets, name) not in values for name, values in where.refused.items())
            and all(set(group) & set(facets.colors) for group in where.colours)
            and not set(where.refused_colours) & set(facets.colors)
            and (where.min_price is None or (price is not None and price >= where.min_price))
            and (where.max_price is None or (price is not None and price <= where.max_price))
            and (where.price_below is None or (price is not None and price < where.price_below)))


values = st.lists(st.sampled_from(CATEGORIES + GENDERS + ["summer", "zzz"]), max_size=3).map(tuple)
text_facets = st.sampled_from(["category", "gender", "season"])
typed = st.builds(
    CatalogFilter, only=st.dictionaries(text_facets, values, max_size=2),
    refused=st.dictionaries(text_facets, values, max_size=2),
    colours=st.lists(st.lists(st.sampled_from(COLOURS + ["gold"]), min_size=1, max_size=2).map(tuple),
                     max_size=2).map(tuple),
    refused_colours=st.lists(st.sampled_from(COLOURS + ["gold"]), max_size=2).map(tuple),
    min_price=BOUNDS, max_price=BOUNDS, price_below=BOUNDS)
# The where dicts callers outside the store still build, in every shape the store reads.
texts = st.sampled_from(CATEGORIES + GENDERS + ["summer", "zzz"])
leaf = st.one_of(
    st.builds(lambda k, v: {k: v}, text_facets, texts | st.just(20)),
    st.builds(lambda k, op, v: {k: {op: v}}, text_facets, st.sampled_from(["$eq", "$ne"]), texts | st.just(20)),
    st.builds(lambda k, op, vs: {k: {op: vs}}, text_facets, st.sampled_from(["$in", "$nin"]),
              st.lists(texts | st.just(10), min_size=1, max_size=3)),
    st.builds(lambda op, v: {"price": {op: v}}, st.sampled_from(["$gte", "$lte", "$lt"]), st.sampled_from([0, 10, 19.99, 20])),
    st.builds(lambda c, flag: {f"color_{c}": True if flag else {"$ne": True}}, st.sampled_from(COLOURS + ["gold"]),
              st.booleans()),
    st.builds(lambda c, flag: {"colors": {"$contains" if flag else "$not_contains": c}}, st.sampled_from(COLOURS),
              st.booleans()))
colour_or = st.lists(st.sampled_from(COLOURS), min_size=2, max_size=3).map(
    lambda cs: {"$or": [{f"color_{c}": True} for c in cs]})
wheres = st.recursive(leaf | colour_or, lambda inner: st.lists(inner, min_size=2, max_size=3).map(
    lambda parts: {"$and": parts}), max_leaves=5)
filters = typed | wheres.map(CatalogFilter.from_where)
shops = st.lists(st.builds(Facets, st.sampled_from(CATEGORIES), st.sampled_from(GENDERS),
                           st.lists(st.sampled_from(COLOURS), max_size=2, unique=True).map(tuple),
                           st.sampled_from(["solid", "striped"]), st.sampled_from(PRICES),
                           season=st.sampled_from(["summer", "winter", ""])), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(shops, filters, filters)
def test_the_compiled_test_means_what_the_filter_says_and_and_is_both(shop, a, b):
    for where in (a, b, a & b):
        assert [where.predicate()(facets) for facets in shop] == [meaning(where, facets) for facets in shop]
    assert [meaning(a & b, facets) for facets in shop] == [meaning(a, f) and meaning(b, f) for f in shop]
    # Read back from its where dict, a filter means the same (the form build_where and logs show).
    if a and not a.matches_nothing:
        again = CatalogFilter.from_where(a.where())
        assert [meaning(again, facets) for facets in shop] == [meaning(a, facets) for facets in shop]


@pytest.mark.parametrize("where, expected", [
    ({"category": "dress"}, CatalogFilter(only={"category": ("dress",)})),
    ({"$and": [{"gender": {"$in": ["women", "unisex"]}}, {"price": {"$lte": 80}}]},
     CatalogFilter(only={"gender": ("women", "unisex")}, max_price=80.0)),
    ({"$or": [{"color_red": True}, {"colors": {"$contains": "Light Blue"}}]}, CatalogFilter(colours=(("red", "light_blue"),))),
    ({"$and": [{"color_red": {"$ne": True}}, {"category": {"$nin": ["coat"]}}, {"category": {"$ne": "hat"}}]},
     CatalogFilter(refused={"category": ("coat", "hat")}, refused_colours=("red",))),
    ({"$and": [{"category": {"$in": ["top", "shirt", "dress"]}}, {"category": "dress"}]},
     CatalogFilter(only={"category": ("dress",)})),
    ({"$and": [{"price": {"$lte": 80}}, {"price": {"$lte": 50}}, {"price": {"$lt": 60}}, {"price": {"$gte": 5}}]},
     CatalogFilter(min_price=5.0, max_price=50.0, price_below=60.0)),
    ({"category": {"$in": [3]}}, CatalogFilter(only={"category": ()})),  # no stored text is a number: none passes
])
def test_where_dicts_are_read_into_the_filter_they_mean(where, expected):
    assert CatalogFilter.from_where(where) == expected
    assert hash(CatalogFilter.from_where(where)) == hash(expected)


def test_pinned_facets_and_the_two_forms_the_store_translates_to():
    pinned = CatalogFilter.pinned(gender="women", category="gown", color="Light Blue", max_price=99.5)
    assert pinned == CatalogFilter(only={"gender": ("women", "unisex"), "category": ("dress",)},
                                   colours=(("light_blue",),), max_price=99.5)
    assert pinned.where() == build_where(gender="women", category="gown", color="Light Blue", max_price=99.5) == {
        "$and": [{"gender": {"$in": ["women", "unisex"]}}, {"category": "dress"}, {"color_light_blue": True},
                 {"price": {"$lte": 99.5}}]}
    assert pinned.chroma_where() == {"$and": [{"gender": {"$in": ["women", "unisex"]}}, {"category": "dress"},
                                              {"colors": {"$contains": "light_blue"}}, {"price": {"$lte": 99.5}}]}
    assert CatalogFilter(colours=(("red", "navy"),), refused_colours=("white",)).chroma_where() == {"$and": [
        {"$or": [{"colors": {"$contains": "red"}}, {"colors": {"$contains": "navy"}}]},
        {"colors": {"$not_contains": "white"}}]}
    # Chroma looks each colour of a group up on its own: the planner prices them so.
    assert len(CatalogFilter(colours=(("red", "navy"),), max_price=5).leaves()) == 3
    assert not CatalogFilter.pinned(gender="any", category="", color=None, max_price=0)  # nothing pinned
    assert as_filter(None) is None and as_filter(CatalogFilter()) is None and as_filter({"category": "bag"})


def test_combining_filters_and_where_dicts_gives_a_filter():
    both = combine_where(CatalogFilter.pinned(gender="men"), {"category": {"$in": ["shoe", "bag"]}}, None,
                         build_where(color="red"), {"price": {"$lt": 40.0}})
    assert both == CatalogFilter(only={"gender": ("men", "unisex"), "category": ("shoe", "bag")},
                                 colours=(("red",),), price_below=40.0)
    assert combine_where(None, {"a": 1}) == {"a": 1}  # where dicts alone stay where dicts
    assert (CatalogFilter(only={"category": ("dress",)}) & CatalogFilter(only={"category": ("shoe",)})).matches_nothing


def test_the_filter_speaks_the_schemas_search_fields():
    # The record layout carries every field a shopper's words are read for, and the audience and price besides.
    assert set(Facets._fields) == set(SEARCH_FIELDS) | {"gender", "price"}
    assert set(TEXT_FACETS) == set(Facets._fields) - {"colors", "price"}
