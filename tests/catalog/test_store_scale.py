"""The store's scale machinery: records that carry facets, filters that agree with Chroma's, filtered results
exactly as Chroma's own filter gives them, HNSW settings, the folder lock, rebuilds readers never see half-done."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import replace

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings

from fashion_ai.catalog import CatalogItem, planning
from fashion_ai.catalog.filters import CatalogFilter, as_filter, build_where, combine_where
from fashion_ai.catalog.hnsw import IndexSettings, built_with
from fashion_ai.catalog.mirror import VectorMirror
from fashion_ai.catalog.records import Facets, item_to_metadata, metadata_to_item, parse_record_id, record_id
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.errors import IndexLockedError
from tests.catalog.test_store import make_item, random_units

DIM = 16
CATEGORIES = ("dress", "shoe", "shirt", "top", "bag", "hat", "skirt", "coat")
COLORS = ("red", "blue", "black", "white", "light blue", "navy")


def odd_shop(count: int, seed: int = 3) -> list[CatalogItem]:
    """Items with every facet shape the store must keep apart: unisex, no price, several colours, odd ids."""
    rng = random.Random(seed)
    items = []
    for k in range(count):
        colors = rng.sample(COLORS, rng.choice((0, 1, 1, 2, 3)))
        item = make_item(f"item~{k}%,{k}" if k % 17 == 0 else f"item-{k}", rng.choice(CATEGORIES), colors,
                         rng.choice(("women", "men", "unisex")), rng.choice((None, 19.99, 50.0, 80.0, 120.0, 300.0)),
                         pattern=rng.choice(("solid", "striped", "colour-block")))
        items.append(item)
    return items


@pytest.mark.parametrize("item", [
    make_item("plain"),
    make_item("we~ird,id%20", colors=("light blue", "Navy"), price=None),
    make_item("no-colours", colors=(), gender="", category="leg warmer"),
])
def test_record_ids_carry_the_facets_and_metadata_the_item(item):
    rid = record_id(item)
    assert parse_record_id(rid) == (item.id, Facets.of(item))
    assert metadata_to_item(item_to_metadata(item)) == item
    assert Facets.of(item).colors == tuple(c.lower().replace(" ", "_") for c in item.colors)


def test_a_record_id_from_elsewhere_is_refused():
    with pytest.raises(ValueError, match="not a catalog record id"):
        parse_record_id("just-an-id")


@pytest.mark.parametrize("where, message", [
    ({"sleeve": "long"}, "filters by category, gender, pattern, material, style, occasion, season, colours and price, "
                         "not 'sleeve'"),
    ({"category": {"$in": []}}, "non-empty list"),
    ({"category": {"$eq": "a", "$ne": "b"}}, "exactly one operator"),
    ({"color_red": False}, "filtered with True"),
    ({"$and": []}, "non-empty list"),
    ({"category": {"$like": "d%"}}, "unknown filter operator"),
    ({"price": {"$gt": 50}}, "price is filtered with $gte, $lte, $lt and a number"),  # no producer bounds it so
    ({"price": {"$lte": "cheap"}}, "max_price is a number"),
    ({"$or": [{"category": "hat"}, {"price": {"$lte": 20}}]}, "takes $or over colours only"),
])
def test_filters_the_store_cannot_answer_are_refused_loudly(where, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("$", r"\$")):
        CatalogFilter.from_where(where)
    with pytest.raises(ValueError, match="not 'sleeve'"):
        CatalogFilter(only={"sleeve": ("long",)})


# Every filter shape the app builds (the pinned facets, search's visible terms and refusals, outfit groups and
# slot caps, the stylist's categories), plus the edges: missing prices, refusals of missing values, several colours;
# some as the where dicts callers outside the store still pass.
CLAUSES = [
    build_where(category="dress"),
    CatalogFilter.pinned(gender="women"),
    CatalogFilter.pinned(gender="unisex"),
    CatalogFilter.pinned(color="red"),
    build_where(color="light blue"),
    CatalogFilter.pinned(max_price=80),
    CatalogFilter.pinned(gender="men", category="shoe", color="black", max_price=150),
    combine_where(build_where(gender="women", max_price=120), {"category": {"$in": ["top", "shirt"]}}),
    combine_where({"category": "dress"}, {"$or": [{"color_red": True}, {"color_blue": True}]}, {"pattern": "striped"}),
    CatalogFilter(only={"category": ("dress",), "pattern": ("striped",)}, colours=(("red", "blue"), ("navy",))),
    CatalogFilter(min_price=50.0), CatalogFilter(price_below=80), CatalogFilter(min_price=19.99, max_price=80),
    CatalogFilter(refused={"category": ("dress", "shoe")}), {"gender": {"$ne": "unisex"}},
    CatalogFilter(refused_colours=("navy", "light blue")), {"colors": {"$contains": "white"}},
    CatalogFilter(only={"category": ("hat", "bag")}, max_price=20),
    {"category": "cape"},  # nothing matches
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    items = odd_shop(240)
    # Facet keys in the records (a server's layout), so Chroma's own filter can be the reference.
    store = CatalogStore(tmp_path_factory.mktemp("shop") / "chroma", embedder_name="t", filter_keys=True)
    store.add(items, random_units(len(items), seed=5, dim=DIM))
    return store, items


@pytest.mark.parametrize("where", CLAUSES, ids=lambda w: str(w)[:60])
def test_an_embedded_stores_records_without_facet_keys_filter_alike(shop, where, tmp_path, monkeypatch):
    keyed, items = shop
    slim = CatalogStore(tmp_path / "chroma", embedder_name="t")  # the embedded default: no facet keys
    slim.add(items, random_units(len(items), seed=5, dim=DIM))
    assert not slim.filter_keys and keyed.filter_keys
    record = slim.collection.current.get(limit=1, include=["metadatas"])["metadatas"][0]
    assert set(record) == {"item_id", "item"}
    vector = random_units(1, seed=11, dim=DIM)[0]
    for name in ("MAX_FETCH", "MIN_FETCH_LIMIT"):
        monkeypatch.setattr(planning, name, 40)  # too few neighbours may be read: the mirror must answer
    for store in (keyed, slim):
        monkeypatch.setattr(store, "settings", IndexSettings(ef_search=20))
    # The mirror is not filled yet: the filtered query waits for it rather than asking Chroma's filter.
    assert [(i.id, pytest.approx(s, abs=1e-5)) for i, s in slim.query(vector, 30, where)] == \
        [(i.id, s) for i, s in keyed.query(vector, 30, where)]
    assert sorted(i.id for i in slim.get_where(where, limit=500)) == sorted(i.id for i in keyed.get_where(where, 500))
    assert len(slim.get_where(where, limit=3)) == min(3, len(keyed.get_where(where, 500)))
    # Served by a Chroma server (no mirror there), such records are read on to the end, and scanned for look-ups.
    monkeypatch.setattr(slim.mirror, "enabled", False)
    assert slim.mirror.waited() is None
    assert [i.id for i, _ in slim.query(vector, 30, where)] == [i.id for i, _ in keyed.query(vector, 30, where)]
    assert sorted(i.id for i in slim.get_where(where, limit=500)) == sorted(i.id for i in keyed.get_where(where, 500))
    slim.close()


@pytest.mark.parametrize("where", CLAUSES, ids=lambda w: str(w)[:60])
def test_filtered_queries_match_chromas_own_filter_exactly(shop, where, monkeypatch):
    store, items = shop
    by_id = {item.id: item for item in items}
    vector = random_units(1, seed=11, dim=DIM)[0]
    passes = as_filter(where).predicate()
    expected = {item.id for item in items if passes(Facets.of(item))}
    # Chroma's own filter over the stored metadata selects the same items as the Python test of the ids' facets.
    chroma = store.collection.current.get(where=as_filter(where).chroma_where(), include=[])["ids"]
    assert {parse_record_id(rid)[0] for rid in chroma} == expected
    # The store's answer is Chroma's own filtered answer, item for item and score for score (small store: exact),
    # by the fast path and by the fallback to Chroma's filter.
    raw = store.collection.current.query(query_embeddings=vector[None], n_results=30, where=as_filter(where).chroma_where(),
                                  include=["distances"])
    wanted = [(parse_record_id(rid)[0], pytest.approx(1 - d, abs=1e-5))
              for rid, d in zip(raw["ids"][0], raw["distances"][0])]
    assert [(item.id, score) for item, score in store.query(vector, 30, where)] == wanted
    assert [(item.id, score) for item, score in store.query(vector, 300, where)][:30] == wanted
    # Too few among the neighbours read: the store's in-memory mirror answers (exact search over the filter's
    # matches) once it is filled, and Chroma's own filter until then (and always for a server's store).
    fallbacks = []
    original = CatalogStore._query_chroma_filtered
    monkeypatch.setattr(CatalogStore, "_query_chroma_filtered",
                        lambda self, *args: fallbacks.append("chroma") or original(self, *args))
    original_search = VectorMirror.search

    def search(self, *args, **kwargs):
        found = original_search(self, *args, **kwargs)
        fallbacks.extend(["mirror"] if found is not None else [])
        return found

    monkeypatch.setattr(VectorMirror, "search", search)
    for name in ("MAX_FETCH", "MIN_FETCH_LIMIT"):
        monkeypatch.setattr(planning, name, 40)  # too few neighbours may be read
    monkeypatch.setattr(store, "settings", IndexSettings(ef_search=20))
    nearest = store.collection.current.query(query_embeddings=vector[None], n_results=40, include=[])["ids"][0]
    too_few = sum(passes(parse_record_id(rid)[1]) for rid in nearest) < 30
    with pytest.MonkeyPatch.context() as unmirrored:
        unmirrored.setattr(store.mirror, "current", lambda: None)
        got = store.query(vector, 30, where)
    assert [(item.id, score) for item, score in got] == wanted
    assert fallbacks == (["chroma"] if too_few else [])
    store.mirror.current()  # starts filling it, if it was not
    assert store.mirror.vectors.ready.wait(30)
    fallbacks.clear()
    got = store.query(vector, 30, where)
    assert [(item.id, score) for item, score in got] == wanted
    assert fallbacks == (["mirror"] if too_few else [])
    assert all(item == by_id[item.id] for item, _ in got)


def test_a_changed_item_keeps_one_record_and_its_new_facets(shop):
    store, items = shop
    item = items[5]
    changed = replace(item, category="coat", colors=["black"], price=None)
    store.upsert([changed], random_units(1, seed=99, dim=DIM))
    try:
        assert store.get_items([item.id]) == [changed]
        assert store.count() == len(items)
        vector = random_units(1, seed=99, dim=DIM)[0]
        assert store.query(vector, 1, build_where(category="coat", color="black"))[0][0] == changed
        assert item.id not in {i.id for i, _ in store.query(vector, 300, build_where(max_price=1000))}
    finally:
        store.upsert([item], random_units(len(items), seed=5, dim=DIM)[5:6])


@pytest.mark.parametrize("fetched, seen, hits, expected", [
    (256, 256, 30, 1024),  # 30 of 256 pass, 60 wanted: 1.5 * 60 / (30/256) = 768, but at least 4x what was read
    (256, 256, 3, 7680),  # rare here: as many as the query's own neighbourhood says
    (256, 100, 0, 1800),  # none among a few: the catalog's share (5%) is the guess
    (256, 256, 0, None),  # none where 13 were due: a filter against the query, Chroma's filter at once
    (1000, 1000, 12, 7500),
    (8000, 8000, 1, 10_000),  # never past the limit...
    (10_000, 10_000, 0, None),  # ...and at the limit Chroma's filter is the cheaper way
])
def test_how_many_neighbours_a_filtered_query_reads(fetched, seen, hits, expected):
    plan = planning.FetchPlan(limit=10_000, share=0.05, matches=5000)
    assert planning.next_fetch(plan, fetched, seen, hits, 60) == expected
    rare = planning.FetchPlan(limit=10_000, share=0.0001, matches=50)  # fewer match than are wanted: Chroma's
    assert planning.next_fetch(rare, fetched, seen, hits, 60) is None


def test_a_filter_against_the_query_reads_on_only_when_chroma_filter_costs_more():
    costly = planning.FetchPlan(limit=planning.MAX_FETCH, share=0.05, matches=5000)  # several wide clauses
    assert planning.next_fetch(costly, 256, 256, 0, 60) == 1800


@pytest.mark.parametrize("size, expected", [(None, 256), (100_000, 256), (500, 501), (40, 41)])
def test_a_small_collection_is_read_whole_at_once(size, expected):
    assert planning.first_fetch(60, 256, size) == expected


def test_the_plan_prices_chromas_filter_from_a_sample(shop):
    store, items = shop
    size, sample = store.planner.sample()
    assert size == len(items) and len(sample) == len(items)  # a small catalog is sampled whole
    plan = store.planner.plan(CatalogFilter.pinned(gender="women", category="dress"))
    passes = CatalogFilter.pinned(gender="women", category="dress").predicate()
    assert plan.share == pytest.approx(sum(passes(Facets.of(i)) for i in items) / len(items))
    assert plan.matches == pytest.approx(plan.share * len(items))
    assert plan.limit == planning.MIN_FETCH_LIMIT  # 240 items: Chroma's filter is cheap, reading 1000 is all


# --------------------------------------------------------------------------------------------- HNSW settings
def test_a_new_index_gets_the_settings_and_an_old_one_is_reported(tmp_path, caplog):
    path = tmp_path / "chroma"
    wanted = IndexSettings(max_neighbors=24, ef_construction=150, ef_search=90)
    store = CatalogStore(path, embedder_name="t", settings=wanted)
    assert built_with(store.collection.current) == {"space": "cosine", "max_neighbors": 24, "ef_construction": 150,
                                             "ef_search": 90}
    assert store.stale_settings == ""
    other = CatalogStore(path, embedder_name="t", settings=IndexSettings(max_neighbors=32, ef_search=200))
    assert "max_neighbors 24, not 32" in other.stale_settings and "--rebuild" in other.stale_settings
    assert "max_neighbors 24, not 32" in caplog.text
    assert built_with(other.collection.current)["ef_search"] == 200  # changeable: changed


def test_hnsw_settings_are_validated():
    with pytest.raises(ValueError, match="max_neighbors must be a positive integer"):
        IndexSettings(max_neighbors=0)


# --------------------------------------------------------------------------------------------- processes
HOLD = """
import sys, time
from fashion_ai.catalog.store import CatalogStore
CatalogStore(sys.argv[1], embedder_name="t")
print("open", flush=True)
sys.stdin.readline()
"""


def test_a_folder_another_process_holds_is_refused_in_one_sentence(tmp_path, caplog):
    path = tmp_path / "chroma"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(IndexLockedError, match=rf"in use by another process \(pid {holder.pid}\).*CHROMA_URL") as err:
            CatalogStore(path, embedder_name="t")
        assert str(tmp_path) not in str(err.value) and str(path) in caplog.text  # the folder: in the log only
    finally:
        holder.communicate("\n", timeout=60)
    assert CatalogStore(path, embedder_name="t").count() == 0  # the lock went with the process


def test_a_rebuild_is_never_half_visible_to_readers(tmp_path):
    from fashion_ai.catalog.index import build_index

    class Vectors:
        name = "t"

        def embed_images(self, images):
            return random_units(len(images), seed=len(images), dim=DIM)

    old = [make_item(f"old-{k}") for k in range(30)]
    new = [make_item(f"new-{k}", "shoe") for k in range(50)]
    for item in old + new:
        item.image_path = str(PROJECT_ROOT / "assets" / "catalog" / "images" / "demo-7-00000.png")
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    store.add(old, random_units(len(old), dim=DIM))
    reader = CatalogStore(tmp_path / "chroma", embedder_name="t")  # another store on the same index
    seen, errors, done, reading = [], [], threading.Event(), threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                found = reader.query(random_units(1, dim=DIM)[0], 100)
                seen.append((frozenset(item.id.split("-")[0] for item, _ in found), len(found)))
            except Exception:  # collected with where it came from: an assertion inside a thread would be lost
                errors.append(traceback.format_exc())
            reading.set()

    thread = threading.Thread(target=read)
    thread.start()
    try:
        assert reading.wait(30)
        report = build_index(new, Vectors(), store, batch_size=7, rebuild=True)
        deadline = time.monotonic() + 30
        while seen[-1][1] != 50 and time.monotonic() < deadline:  # a read after the swap
            time.sleep(0.01)
    finally:
        done.set()
        thread.join()
    assert errors == [] and report.total == 50
    assert set(seen) == {(frozenset({"old"}), 30), (frozenset({"new"}), 50)}  # all old or all new, never a mix
    assert seen[0][1] == 30 and seen[-1][1] == 50
    assert reader.count() == 50 and reader.collection.current.name == store.collection.current.name
    # Nothing left over: the pointer and the collection it names.
    assert {c.name for c in store.client.list_collections()} == {"catalog.serving", store.collection.current.name}


def test_queries_run_while_a_writer_adds(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    store.add(odd_shop(50), random_units(50, dim=DIM))
    errors: list[Exception] = []

    def reader() -> None:
        try:
            for k in range(40):
                assert store.query(random_units(1, seed=k, dim=DIM)[0], 5, build_where(gender="women"))
        except Exception as exc:  # collected: an assertion inside a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for start in range(0, 200, 20):
        store.add([make_item(f"more-{k}") for k in range(start, start + 20)], random_units(20, seed=start, dim=DIM))
    for thread in threads:
        thread.join()
    assert errors == [] and store.count() == 250


def test_the_raw_chroma_client_sees_the_same_records(shop):
    store, items = shop
    client = chromadb.PersistentClient(path=store.location, settings=Settings(anonymized_telemetry=False))
    got = client.get_collection("catalog").get(ids=[record_id(items[0])], include=["metadatas"])
    assert metadata_to_item(got["metadatas"][0]) == items[0]
    assert np.isclose(len(got["ids"]), 1)


def test_a_rebuild_swapped_in_takes_the_new_collections_record_layout(tmp_path):
    items = odd_shop(60)
    vectors = random_units(len(items), seed=5, dim=DIM)
    keyed = CatalogStore(tmp_path / "chroma", embedder_name="t", filter_keys=True)  # an index built with the keys
    keyed.add(items, vectors)
    keyed.close()
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")  # reopened embedded: rebuilds leave them out
    assert store.filter_keys
    staging = store.staging()
    staging.add(items, vectors)
    store.replace_with(staging)
    assert not store.filter_keys
    where = build_where(category="shoe")
    expected = {item.id for item in items if as_filter(where).predicate()(Facets.of(item))}
    assert {item.id for item in store.get_where(where, limit=500)} == expected
    assert {item.id for item, _ in store.query(vectors[0], 60, where)} == expected
    store.close()
