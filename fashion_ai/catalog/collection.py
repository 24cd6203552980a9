"""The Chroma collection a catalog store serves from, read through rebuilds: a part of CatalogStore.

A rebuild fills a collection of its own and swaps it in by one atomic write of a pointer (serving.py); a reader
finds the new one when the old one is gone. Every read goes through ``read()``, which follows such a swap, made in
this process or another; every other Chroma call through ``call()``. Both say a vanished server, a full disk or a
broken index in one plain sentence (failures.py) that names no file path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from fashion_ai.catalog import serving
from fashion_ai.catalog.checks import REBUILD_HINT, check_collection, new_metadata, refusal
from fashion_ai.catalog.failures import plain_failure
from fashion_ai.catalog.hnsw import IndexSettings
from fashion_ai.errors import IndexMissingError, StoreUnavailableError

logger = logging.getLogger(__name__)

BUSY_RETRIES = 5
T = TypeVar("T")


class ServingCollection:
    """The collection serving a store's name, and what it says of its records (``filter_keys``: whether they carry
    facet keys for Chroma's filter) and of its HNSW settings (``stale_settings``: a note, empty when none).

    ``lock`` is held by the store's writes, swaps and the mirror's fill; ``max_batch`` is the most records Chroma
    takes in one call. Parts that keep what they read (the store's mirror) register with ``when_replaced``: they
    are told when another collection serves."""

    def __init__(self, client: Any, name: str, location: str, url: str, embedder_name: str, settings: IndexSettings,
                 new_filter_keys: bool):
        self.client, self.name, self.location, self.url = client, name, location, url
        self.embedder_name, self.settings, self.new_filter_keys = embedder_name, settings, new_filter_keys
        self.filter_keys, self.stale_settings = new_filter_keys, ""
        self.lock = threading.RLock()
        self.current: Any = None  # the Chroma collection open now
        self._listeners: list[Callable[[], None]] = []
        self.max_batch = max(1, int(self.call(client.get_max_batch_size, "connecting")))

    # ------------------------------------------------------------------------------------------- serving
    def when_replaced(self, listener: Callable[[], None]) -> None:
        """Call listener() whenever another collection starts serving (a reset, a swap, a rebuild seen)."""
        self._listeners.append(listener)

    def serve(self, collection: Any) -> None:
        """Serve from this collection (checked: see check()) from now on."""
        self.current = collection
        for listener in self._listeners:
            listener()

    def new_metadata(self) -> dict[str, Any]:
        """The metadata a new collection of this store is created with."""
        return new_metadata(self.embedder_name, self.new_filter_keys)

    def open(self) -> Any:
        """The collection serving this store's name (created when the name has none yet), checked."""
        from chromadb.errors import NotFoundError

        def fetch() -> Any:
            physical = serving.serving_name(self.client, self.name)
            if physical == self.name:
                return self.client.get_or_create_collection(self.name, configuration=self.settings.configuration(),
                                                            metadata=self.new_metadata(), embedding_function=None)
            return self.client.get_collection(physical, embedding_function=None)

        try:
            col = self.call(fetch, "opening the index")
        except NotFoundError as exc:  # the pointer names a collection removed by hand (or by a swap's rare race)
            raise refusal(f"the catalog index {self.name!r} lost its rebuilt collection", self.location) from exc
        return self.check(col)

    def check(self, col: Any) -> Any:
        """The collection, when this store can serve from it (checks.py); its layout read into this part."""
        layout = check_collection(col, self.name, self.embedder_name, self.settings, self.location)
        self.filter_keys, self.stale_settings = layout.filter_keys, layout.stale_settings
        if layout.ef_search != self.settings.ef_search:
            # Stored now; Chroma uses it when it next loads the index (this process's first query, or a restart).
            self.call(lambda: col.modify(configuration={"hnsw": {"ef_search": self.settings.ef_search}}),
                      "updating the index settings")
            logger.info("%r at %s: ef_search %s -> %d", self.name, self.location, layout.ef_search,
                        self.settings.ef_search)
        return col

    # ------------------------------------------------------------------------------------------- calls
    def call(self, fn: Callable[[], T], doing: str) -> T:
        """fn(), with a vanished server, a full disk or a broken index said in one plain sentence (and SQLite's
        passing "database is locked", seen while Chroma saves an index, retried)."""
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return fn()
            except Exception as exc:
                if "database is locked" in str(exc) and attempt < BUSY_RETRIES:
                    time.sleep(0.05 * (attempt + 1))
                    continue
                failure = plain_failure(exc, doing, self.url)
                if failure is not None:
                    raise failure from exc
                raise
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[Any], T], doing: str) -> T:
        """fn(collection); when the collection was swapped for a rebuilt one (see replace_with), the new one."""
        collection = self.current
        try:
            return fn(collection)
        except Exception as exc:
            if self.reopen_if_swapped(collection):
                return self.call(lambda: fn(self.current), doing)
            failure = plain_failure(exc, doing, self.url)
            if failure is not None:
                raise failure from exc
            raise

    def reopen_if_swapped(self, collection: Any) -> bool:
        """True when the collection under this store's name is no longer `collection` (now open instead)."""
        from chromadb.errors import NotFoundError

        with self.lock:
            if self.current is not collection:
                return True  # another thread already found the new one
            for attempt in range(5):
                try:
                    physical = serving.serving_name(self.client, self.name)
                    current = self.client.get_collection(physical, embedding_function=None)
                except NotFoundError:  # the pointer named one that the next swap retired since: read it again
                    time.sleep(0.05 * (attempt + 1))
                    continue
                except Exception:  # the server is gone, or worse: not a swap
                    return False
                if current.id == collection.id:
                    return False
                self.serve(self.check(current))
                logger.info("the index %r at %s was rebuilt elsewhere; reading the new one", self.name, self.location)
                return True
            return False

    def nearest(self, vector: np.ndarray, n: int, include: list[str], where: dict | None = None) -> dict:
        """Chroma's answer to a nearest-neighbour query (with its where, when given)."""
        def ask(col: Any) -> dict:
            result = col.query(query_embeddings=vector, n_results=n, where=where, include=include)
            if any(result.get(field) is None for field in include):  # seen while a collection is being dropped
                raise RuntimeError(f"Chroma answered without the {include} asked for")
            return result

        try:
            return self.read(ask, "searching")
        except StoreUnavailableError:
            raise
        except Exception as exc:
            if "dimension" in str(exc).lower():
                raise IndexMissingError(f"the catalog index {self.name!r} holds embeddings of another size than "
                                        f"the loaded embedder's: {REBUILD_HINT}.") from exc
            raise

    def count(self) -> int:
        """How many records the collection holds (Chroma counts its rows: ~7 ms at 100k items)."""
        return int(self.read(lambda col: col.count(), "counting the catalog"))
