"""The Chroma-backed catalog store: metadata round trip, cosine scores, filters, safety on reopen."""

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import replace

import chromadb
import numpy as np
import pytest
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogFilter, CatalogStore, build_where, combine_where
from fashion_ai.demo_world import generate_item
from fashion_ai.errors import IndexMissingError
from tests.conftest import need

DIM = 8


def make_item(item_id: str, category: str = "dress", colors=("red",), gender: str = "women", price: float = 50.0,
              **extra) -> CatalogItem:
    return CatalogItem(id=item_id, title=f"{item_id} title", caption=f"A {category}", category=category, gender=gender,
                       colors=list(colors), pattern=extra.pop("pattern", "solid"), season=extra.pop("season", "summer"),
                       price=price, url=f"https://shop.example.com/p/{item_id}", image_path=f"/img/{item_id}.png",
                       **extra)


def unit(index: int, dim: int = DIM) -> np.ndarray:
    vector = np.zeros(dim, dtype=np.float32)
    vector[index] = 1.0
    return vector


def random_units(count: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path):
    return CatalogStore(tmp_path / "chroma", embedder_name="test-embedder")


def test_items_round_trip_with_every_field(store):
    demo = [generate_item(i, seed=3, size=64)[0] for i in range(12)]
    odd = make_item("odd-1", category="bag", colors=("navy", "gold", "white"), style=None, occasion="wedding",
                    material="leather", extra={"brand": "Acme", "sku": "A-1"})
    items = demo + [odd]
    store.upsert(items, random_units(len(items)))
    assert store.count() == len(items) and not store.is_empty()
    assert store.all_items() == sorted(items, key=lambda item: item.id)
    # Order as asked; unknown ids are left out; None fields come back as None, not as "".
    got = store.get_items(["odd-1", "nope", demo[3].id])
    assert got == [odd, demo[3]]
    assert got[0].style is None and got[0].sleeve is None and got[0].extra == {"brand": "Acme", "sku": "A-1"}
    assert store.existing_ids(["odd-1", "nope", demo[0].id]) == {"odd-1", demo[0].id}


def test_query_scores_are_cosine_similarities_best_first(store):
    items = [make_item("same"), make_item("between"), make_item("orthogonal"), make_item("opposite")]
    between = (unit(0) + unit(1)) / np.sqrt(2)
    store.upsert(items, np.stack([unit(0), between, unit(1), -unit(0)]))
    results = store.query(unit(0) * 3.0, n=10)  # the store normalises: a longer query vector changes nothing
    assert [item.id for item, _ in results] == ["same", "between", "orthogonal", "opposite"]
    scores = [score for _, score in results]
    assert scores == pytest.approx([1.0, np.sqrt(0.5), 0.0, -1.0], abs=1e-4)
    assert [item.id for item, _ in store.query(unit(0), n=2)] == ["same", "between"]
    assert store.query(unit(0), n=0) == []


def test_query_on_an_empty_store_returns_nothing(store):
    assert store.count() == 0 and store.is_empty()
    assert store.query(unit(0), n=5) == []
    assert store.all_items() == []


@pytest.fixture
def shop(store):
    items = [
        make_item("w-red-dress", "dress", ("red",), "women", 80.0),
        make_item("w-blue-dress", "dress", ("blue", "red"), "women", 250.0),  # red as an accent colour
        make_item("m-grey-shoe", "shoe", ("grey",), "men", 120.0),
        make_item("u-red-shoe", "shoe", ("red", "white"), "unisex", 60.0),
        make_item("m-navy-shirt", "shirt", ("navy",), "men", 40.0),
        make_item("w-black-bag", "bag", ("black",), "women", 300.0),
    ]
    store.upsert(items, random_units(len(items), seed=1))
    return store


@pytest.mark.parametrize("filters, expected", [
    ({}, {"w-red-dress", "w-blue-dress", "m-grey-shoe", "u-red-shoe", "m-navy-shirt", "w-black-bag"}),
    ({"gender": "women"}, {"w-red-dress", "w-blue-dress", "u-red-shoe", "w-black-bag"}),  # unisex fits women
    ({"gender": "Men"}, {"m-grey-shoe", "u-red-shoe", "m-navy-shirt"}),
    ({"gender": "unisex"}, {"u-red-shoe"}),
    ({"color": "red"}, {"w-red-dress", "w-blue-dress", "u-red-shoe"}),  # any of the item's colours
    ({"color": "Gray"}, {"m-grey-shoe"}),  # shopper spelling
    ({"category": "sneakers"}, {"m-grey-shoe", "u-red-shoe"}),  # synonym of shoe
    ({"max_price": 100}, {"w-red-dress", "u-red-shoe", "m-navy-shirt"}),
    ({"gender": "women", "color": "red", "max_price": 100}, {"w-red-dress", "u-red-shoe"}),
    ({"gender": "any", "category": "", "color": "any", "max_price": None}, None),  # everything open
    ({"max_price": 0}, None),  # a zero price limit means no limit, as an empty number box does
    ({"category": "dress", "color": "purple"}, set()),
])
def test_filters_run_inside_the_store_query(shop, filters, expected):
    everything = {item.id for item in shop.all_items()}
    where = build_where(**filters)
    got = {item.id for item, _ in shop.query(unit(0), n=50, where=where)}
    assert got == (everything if expected is None else expected)


def test_a_filter_no_item_can_pass_finds_nothing_and_is_not_sent_to_chroma(tmp_path):
    keyed = CatalogStore(tmp_path / "keyed", embedder_name="t", filter_keys=True)  # get_where asks Chroma's filter
    keyed.upsert([make_item("d", "dress"), make_item("s", "shoe")], random_units(2))
    never = combine_where(CatalogFilter.pinned(category="dress"), {"category": "shoe"})
    assert never.matches_nothing
    assert keyed.query(unit(0), 5, never) == [] and keyed.get_where(never) == []


def test_build_where_shapes_chroma_accepts():
    assert build_where() is None
    assert build_where(gender="", category="any", color=None, max_price=float("nan")) is None
    assert build_where(category="dress") == {"category": "dress"}  # one term: no $and (Chroma rejects a 1-term $and)
    where = build_where(gender="women", category="gown", color="red", max_price=99.5)
    assert where == {"$and": [{"gender": {"$in": ["women", "unisex"]}}, {"category": "dress"}, {"color_red": True},
                              {"price": {"$lte": 99.5}}]}
    assert combine_where(None, {"a": 1}) == {"a": 1}
    assert combine_where(where, {"b": 2})["$and"][-1] == {"b": 2} and len(combine_where(where, {"b": 2})["$and"]) == 5


def test_upsert_replaces_a_changed_item_without_stale_colours(shop):
    changed = replace(shop.get_items(["w-red-dress"])[0], colors=["green"], title="Green dress", style="classic")
    shop.upsert([changed], unit(2)[None, :])
    assert shop.count() == 6
    assert shop.get_items(["w-red-dress"]) == [changed]
    red = {item.id for item, _ in shop.query(unit(0), 50, build_where(color="red"))}
    assert "w-red-dress" not in red
    assert shop.query(unit(2), 1)[0][0].id == "w-red-dress"  # the embedding was replaced too


def test_upsert_rejects_mismatched_inputs(store):
    with pytest.raises(ValueError, match="one embedding per item"):
        store.upsert([make_item("a"), make_item("b")], random_units(3))
    with pytest.raises(ValueError, match="unique"):
        store.upsert([make_item("a"), make_item("a")], random_units(2))
    assert store.count() == 0


@pytest.mark.parametrize("method", ["add", "upsert"])
def test_writes_batch_under_the_clients_limit(tmp_path, monkeypatch, method):
    monkeypatch.setattr(chromadb.api.client.Client, "get_max_batch_size", lambda self: 7)
    sizes = []
    original = getattr(Collection, method)

    def spy(self, *args, **kwargs):
        sizes.append(len(kwargs["ids"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Collection, method, spy)
    store = CatalogStore(tmp_path / "chroma")
    items = [make_item(f"item-{i:02d}") for i in range(23)]
    getattr(store, method)(items, random_units(23))
    assert sizes == [7, 7, 7, 2]
    assert store.count() == 23 and len(store.all_items()) == 23  # all_items pages under the limit too
    assert store.existing_ids([item.id for item in items]) == {item.id for item in items}  # > 7 ids: one read
    assert store.existing_ids(["item-03", "nope"]) == {"item-03"}


def test_a_fresh_add_looks_nothing_up(store, monkeypatch):
    calls = []
    for name in ("get", "query", "delete"):
        original = getattr(Collection, name)
        monkeypatch.setattr(Collection, name, lambda self, *a, _o=original, _n=name, **k: calls.append(_n) or _o(self, *a, **k))
    store.add([make_item(f"item-{i}") for i in range(5)], random_units(5))
    assert calls == [] and store.count() == 5


def test_reopening_with_another_embedder_asks_for_a_rebuild(tmp_path, caplog):
    path = tmp_path / "chroma"
    CatalogStore(path, embedder_name="clip-a").upsert([make_item("a")], unit(0)[None, :])
    assert CatalogStore(path, embedder_name="clip-a").count() == 1  # same embedder: data kept
    assert CatalogStore(path).count() == 1  # no name: a read-only look is allowed
    with pytest.raises(IndexMissingError, match=r"clip-a.*python -m fashion_ai\.catalog\.index --rebuild") as err:
        CatalogStore(path, embedder_name="clip-b")
    assert str(tmp_path) not in str(err.value) and str(path) in caplog.text  # shoppers read it; the log says where
    rebuilt = CatalogStore(path, embedder_name="clip-b", reset=True)
    assert rebuilt.count() == 0
    assert CatalogStore(path, embedder_name="clip-b").count() == 0


def test_a_non_cosine_collection_is_refused(tmp_path):
    path = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    client.create_collection("legacy", configuration={"hnsw": {"space": "l2"}}, embedding_function=None,
                             metadata={"embedder": "clip-a", "item_schema": 1})
    with pytest.raises(IndexMissingError, match=r"cosine.*--rebuild"):
        CatalogStore(path, collection="legacy", embedder_name="clip-a")


def test_query_with_another_embedding_size_asks_for_a_rebuild(store):
    store.upsert([make_item("a")], unit(0)[None, :])
    with pytest.raises(IndexMissingError, match="--rebuild"):
        store.query(np.ones(DIM + 4, dtype=np.float32), n=1)


def test_reset_drops_every_item(shop):
    shop.reset()
    assert shop.count() == 0 and shop.all_items() == []


def test_concurrent_writers_and_readers_in_one_process(store):
    errors = []

    def writer(worker: int) -> None:
        try:
            for batch in range(5):
                items = [make_item(f"w{worker}-{batch}-{k}") for k in range(4)]
                store.upsert(items, random_units(4, seed=worker * 10 + batch))
                store.query(unit(worker % DIM), n=3)
        except Exception as exc:  # collected: an assertion inside a thread would be lost
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 4 * 5 * 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_store_on_a_chroma_server(tmp_path):
    need(shutil.which("chroma") is not None, "the chroma CLI (installed with chromadb) is not on PATH")
    port = _free_port()
    server = subprocess.Popen(["chroma", "run", "--path", str(tmp_path / "server"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                store = CatalogStore(url=url, collection="catalog-test", embedder_name="clip-a")
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        items = [make_item("dress-1"), make_item("shoe-1", "shoe", ("black",), "men")]
        store.upsert(items, np.stack([unit(0), unit(1)]))
        assert store.location == url
        assert [item.id for item, _ in store.query(unit(1), 1)] == ["shoe-1"]
        assert [item.id for item, _ in store.query(unit(1), 5, build_where(gender="women"))] == ["dress-1"]
        with pytest.raises(IndexMissingError, match="--rebuild"):
            CatalogStore(url=url, collection="catalog-test", embedder_name="clip-b")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_malformed_server_url_is_refused():
    with pytest.raises(ValueError, match="http://host:port"):
        CatalogStore(url="localhost:8000")
