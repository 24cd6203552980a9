"""A rebuild swapped in by one atomic write: killed at any step it leaves a whole index (the old or the new) and
nothing that the next open does not remove; rebuilds never reset each other's collections, on a server neither."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import pytest
from chromadb.api.client import SharedSystemClient

from fashion_ai.catalog import serving
from fashion_ai.catalog.index import build_index
from fashion_ai.catalog.serving import Pointer, leftovers
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.errors import IndexMissingError
from tests.catalog.test_store import make_item, random_units
from tests.catalog.test_store_failures import free_port, needs_chroma, open_when_up, start_chroma

PHOTO = str(PROJECT_ROOT / "assets" / "catalog" / "images" / "demo-7-00000.png")
OLD, NEW = 7, 10  # items in the index serving before the rebuild, and in the rebuilt one
KILLED = 9


def shop(prefix: str, count: int) -> list:
    return [replace(make_item(f"{prefix}-{k}"), image_path=PHOTO) for k in range(count)]


class CountingVectors:
    """A stand-in embedder: unit vectors, counting the photos it is asked for."""

    name = "t"

    def __init__(self) -> None:
        self.embedded = 0

    def embed_images(self, images):
        self.embedded += len(images)
        return random_units(len(images), seed=self.embedded)


# A rebuild in a process of its own, killed (os._exit: no cleanup, no finally) at one step: after its first batch
# ("building"), or after a step of the swap (serving.swap_step).
VICTIM = f"""
import os, sys
from fashion_ai.catalog import serving
from fashion_ai.catalog.store import CatalogStore
from tests.catalog.test_store import random_units
from tests.catalog.test_swap import shop

path, step = sys.argv[1], sys.argv[2]
serving.swap_step = lambda at: os._exit({KILLED}) if at == step else None
store = CatalogStore(path, embedder_name="t")
staging = store.staging()
items = shop("new", {NEW})
for start in range(0, len(items), 4):
    staging.add(items[start:start + 4], random_units(len(items[start:start + 4]), seed=start))
    if step == "building":
        os._exit({KILLED})
store.replace_with(staging)
"""


def collections(path) -> set[str]:
    """The collections in an embedded store's folder, read as a new process would."""
    SharedSystemClient.clear_system_cache()  # forget this process's view of the folder: others wrote to it
    store = CatalogStore(path, embedder_name="t")
    try:
        return {col.name for col in store.client.list_collections()}
    finally:
        store.close()


@pytest.mark.parametrize("rebuilt_before", [False, True], ids=["first-rebuild", "after-a-rebuild"])
@pytest.mark.parametrize("step, serves", [
    ("building", "old"),  # killed while filling its own collection
    ("staged", "old"),  # filled, the pointer not yet written
    ("pointed", "new"),  # the pointer written, the old index not yet dropped
    ("retired", "new"),  # the old index dropped
])
def test_a_rebuild_killed_at_each_step_leaves_a_whole_index(tmp_path, step, serves, rebuilt_before):
    path = tmp_path / "chroma"
    store = CatalogStore(path, embedder_name="t")
    build_index(shop("old", OLD), CountingVectors(), store, rebuild=rebuilt_before)
    store.close()
    SharedSystemClient.clear_system_cache()
    killed = subprocess.run([sys.executable, "-c", VICTIM, str(path), step], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == KILLED, killed.stderr

    SharedSystemClient.clear_system_cache()  # the next start
    reopened = CatalogStore(path, embedder_name="t")
    expected = shop(serves, OLD if serves == "old" else NEW)
    assert reopened.count() == len(expected)
    assert [item.id for item in reopened.all_items()] == sorted(item.id for item in expected)
    assert len(reopened.query(random_units(1, seed=3)[0], 50)) == len(expected)
    vectors = CountingVectors()
    report = build_index(expected, vectors, reopened)
    assert report.added == 0 and vectors.embedded == 0  # nothing to embed again
    # Nothing left over: the collection serving (and the pointer naming it, once there was a swap).
    names = {col.name for col in reopened.client.list_collections()}
    swapped = rebuilt_before or serves == "new"
    assert names == ({"catalog.serving", reopened.collection.current.name} if swapped else {"catalog"})
    reopened.close()
    assert collections(path) == names


def test_a_rebuild_that_fails_in_this_process_leaves_the_old_index_and_no_leftover(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    build_index(shop("old", OLD), CountingVectors(), store)

    def fail_after_a_batch(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt  # Ctrl-C in the CLI

    with pytest.raises(KeyboardInterrupt):
        build_index(shop("new", NEW), CountingVectors(), store, batch_size=4, progress=fail_after_a_batch,
                    rebuild=True)
    assert store.count() == OLD and len(store.client.list_collections()) == 2  # the old one, the one left
    assert CatalogStore(tmp_path / "chroma", embedder_name="t").count() == OLD  # an open removes the rest
    assert [col.name for col in store.client.list_collections()] == ["catalog"]


def test_a_staging_is_no_leftover_while_its_rebuild_runs_in_this_process(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    store.add(shop("old", OLD), random_units(OLD))
    staging = store.staging()
    staging.add(shop("new", 3), random_units(3))
    CatalogStore(tmp_path / "chroma", embedder_name="t")  # another store opens the index meanwhile (and tidies)
    staging.add(shop("new", NEW)[3:], random_units(NEW - 3))
    store.replace_with(staging)
    assert store.count() == NEW


def test_a_pointer_to_a_lost_collection_asks_for_a_rebuild_and_a_reset_starts_afresh(tmp_path):
    store = CatalogStore(tmp_path / "chroma", embedder_name="t")
    build_index(shop("old", OLD), CountingVectors(), store, rebuild=True)
    store.client.delete_collection(store.collection.current.name)  # by hand
    with pytest.raises(IndexMissingError, match=r"^the catalog index 'catalog' lost its rebuilt collection: rebuild"):
        CatalogStore(tmp_path / "chroma", embedder_name="t")
    fresh = CatalogStore(tmp_path / "chroma", embedder_name="t", reset=True)  # what rebuild_if_stale does
    assert fresh.count() == 0 and [col.name for col in fresh.client.list_collections()] == ["catalog"]


T0 = 1_000_000.0
STALE = T0 - serving.STALE_BUILD_S - 1


@pytest.mark.parametrize("listed, pointer, owned, shared, removed", [
    # A store never rebuilt: its own name serves, a killed rebuild's collection goes (embedded, the folder is this
    # process's alone: a recent heartbeat means nothing).
    ([("catalog", None), ("catalog.build-1-ab", {serving.ALIVE_KEY: T0})], None, set(), False, ["catalog.build-1-ab"]),
    # Pointed elsewhere: the name itself is a leftover, so are earlier versions' staging and retired collections.
    ([("catalog", {}), ("catalog.serving", {}), ("catalog.build-2-cd", {}), ("catalog-next", {}),
      ("catalog-old-17", {})], Pointer("catalog.build-2-cd"), set(), False, ["catalog", "catalog-next", "catalog-old-17"]),
    # Another store's collections are not this one's, however alike their names.
    ([("catalog-text", {}), ("catalog-text.build-1-ab", {}), ("catalog-demo", {}), ("catalog.build-x", {}),
      ("catalog-old-x", {})], None, set(), False, []),
    # This process's running rebuild stays.
    ([("catalog.build-1-ab", {})], None, {"catalog.build-1-ab"}, False, []),
    # On a server, another process's rebuild with a recent heartbeat stays; a stale one goes, and so does one
    # recent but retired by the last swap.
    ([("catalog.build-1-ab", {serving.ALIVE_KEY: T0 - 5}), ("catalog.build-2-cd", {serving.ALIVE_KEY: STALE}),
      ("catalog.build-3-ef", {serving.ALIVE_KEY: T0}), ("catalog.build-4-aa", {}), ("catalog.build-5-bb", {}),
      ("catalog.serving", {})],
     Pointer("catalog.build-5-bb", retired="catalog.build-3-ef"), set(), True,
     ["catalog.build-2-cd", "catalog.build-3-ef", "catalog.build-4-aa"]),
])
def test_what_is_left_over(listed, pointer, owned, shared, removed):
    assert leftovers(listed, "catalog", pointer, owned, shared, now=T0) == removed


# --------------------------------------------------------------------------------------------- a shared server
REBUILDER = """
import sys
from fashion_ai.catalog.store import CatalogStore
from tests.catalog.test_store import random_units
from tests.catalog.test_swap import shop

url, count = sys.argv[1], int(sys.argv[2])
store = CatalogStore(url=url, collection="catalog-test", embedder_name="t")
staging = store.staging()
staging.add(shop("theirs", count)[:3], random_units(3, seed=1))
print(staging.collection.current.name, flush=True)
sys.stdin.readline()  # the test's own rebuild and opens happen here
staging.add(shop("theirs", count)[3:], random_units(count - 3, seed=2))
store.replace_with(staging)
print("swapped", flush=True)
"""


@needs_chroma
def test_rebuilds_through_one_server_never_reset_each_others(tmp_path, monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "server", port)
    other = None
    try:
        store = open_when_up(url, server, collection="catalog-test", embedder_name="t")
        store.add(shop("old", OLD), random_units(OLD))
        other = subprocess.Popen([sys.executable, "-c", REBUILDER, url, "12"], cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        theirs = other.stdout.readline().strip()
        assert theirs.startswith("catalog-test.build-")
        # Opening the store (which removes leftovers) and a whole rebuild of our own leave theirs alone.
        build_index(shop("ours", NEW), CountingVectors(), CatalogStore(url=url, collection="catalog-test",
                                                                       embedder_name="t"), rebuild=True)
        assert CatalogStore(url=url, collection="catalog-test", embedder_name="t").count() == NEW
        assert store.client.get_collection(theirs).count() == 3
        out, _ = other.communicate("\n", timeout=120)
        assert other.returncode == 0 and "swapped" in out
        reader = CatalogStore(url=url, collection="catalog-test", embedder_name="t")
        assert {item.id for item in reader.all_items()} == {item.id for item in shop("theirs", 12)}  # the last swap
        assert store.count() == 12  # a store opened before both swaps follows them
        assert {col.name for col in store.client.list_collections()} == {"catalog-test.serving", theirs}

        # A rebuild that died (no heartbeat since: here, since a stale-age made short) is removed on the next open.
        dead = store.staging()
        dead.add(shop("dead", 3), random_units(3))
        dead_name = dead.collection.current.name
        serving.unregister(dead.place, dead_name)  # as if its process had gone
        assert dead_name in {col.name for col in store.client.list_collections()}
        CatalogStore(url=url, collection="catalog-test", embedder_name="t")
        assert dead_name in {col.name for col in store.client.list_collections()}  # recent: maybe alive elsewhere
        monkeypatch.setattr(serving, "STALE_BUILD_S", 0.5)
        time.sleep(1.0)
        assert CatalogStore(url=url, collection="catalog-test", embedder_name="t").count() == 12
        assert {col.name for col in store.client.list_collections()} == {"catalog-test.serving", theirs}
    finally:
        if other is not None and other.poll() is None:
            other.kill()
        server.terminate()
        server.wait(timeout=30)
