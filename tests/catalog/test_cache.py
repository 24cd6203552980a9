"""What a store remembers between queries: facets parsed once, recent hits' items for a while, never a stale item
after a write through the store."""

from dataclasses import replace

import numpy as np

from fashion_ai.catalog.cache import RecordCache
from fashion_ai.catalog.records import parse_record_id, record_id
from fashion_ai.catalog.store import CatalogStore
from tests.catalog.test_store import make_item, random_units, unit


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_facets_are_those_of_the_record_id_whatever_the_memory_holds():
    cache = RecordCache(facets_kept=2)
    items = [make_item(f"i{k}", category=c, colors=("navy blue", "red")) for k, c in enumerate(("dress", "bag", "shoe"))]
    for _ in range(2):  # the third record fills the memory: it starts over, and answers stay right
        assert [cache.facets(record_id(item)) for item in items] == [parse_record_id(record_id(i))[1] for i in items]


def test_remembered_items_expire_the_oldest_go_first_and_writes_forget_them():
    clock = Clock()
    cache = RecordCache(items_kept=2, ttl_s=30.0, clock=clock)
    a, b, c = (make_item(k) for k in "abc")
    cache.remember("col", {"ra": a, "rb": b})
    assert cache.items("col", ["ra", "rb", "rx"]) == {"ra": a, "rb": b}
    assert cache.items("other-collection", ["ra"]) == {}  # a rebuilt collection has a new id: nothing carries over
    cache.items("col", ["ra"])
    cache.remember("col", {"rc": c})  # over the bound: the least recently read (b) goes
    assert set(cache.items("col", ["ra", "rb", "rc"])) == {"ra", "rc"}
    cache.forget(["a"])
    assert set(cache.items("col", ["ra", "rc"])) == {"rc"}
    clock.now = 30.0  # another process may have changed it: after the TTL it is asked for again
    assert cache.items("col", ["rc"]) == {}


def test_a_filtered_search_shows_an_item_as_written_right_after_an_upsert(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="test-embedder")
    items = [make_item(f"d{k}") for k in range(6)] + [make_item(f"b{k}", category="bag") for k in range(6)]
    vectors = random_units(len(items))
    vectors[0] = unit(0)
    store.upsert(items, vectors)
    dresses = {"category": "dress"}
    assert store.query(unit(0), 1, dresses)[0][0].title == "d0 title"  # read once: now remembered
    renamed = replace(items[0], title="d0 in linen", image_path="/img/d0-new.png")  # same facets, same record id
    store.upsert([renamed], vectors[:1])
    hit = store.query(unit(0), 1, dresses)[0][0]
    assert (hit.title, hit.image_path) == ("d0 in linen", "/img/d0-new.png")
    # Exactly the answers without any memory: a fresh store over the same folder agrees, hit for hit.
    remembered = [(i.id, round(s, 5)) for i, s in store.query(np.float32([1, 1, 0, 0, 0, 0, 0, 0]), 4, dresses)]
    store.close()
    fresh = CatalogStore(tmp_path / "chroma", embedder_name="test-embedder")
    assert remembered == [(i.id, round(s, 5)) for i, s in fresh.query(np.float32([1, 1, 0, 0, 0, 0, 0, 0]), 4,
                                                                      dresses)]
