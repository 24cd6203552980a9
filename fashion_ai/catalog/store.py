"""The catalog's vector store: CLIP image embeddings of the items in a Chroma collection, with their metadata.

Queries run concurrently (Chroma is thread-safe in one process and releases the GIL while it searches); writes
take a lock. A filtered query asks Chroma for ids and distances only, filters by the facets the record ids carry
(records.py) and fetches the metadata of the n it keeps (recent hits are remembered: cache.py). When the nearest
hold too few matches (a filter against the query), an embedded store searches its in-memory mirror of every
record exactly (mirror.py; filled in the background, a filtered query waits for it), so its records leave out
the facet keys only Chroma's own filter reads (each one more SQLite row read back with every hit). A server's
store, which other processes write to, never mirrors: it reads on or hands the filter to Chroma, whose filter
goes through SQLite at a cost that grows with the collection (planning.py). A rebuild fills a collection of its
own and is swapped in by one atomic write (serving.py). One process owns an embedded store's folder (locking.py);
several processes or machines share one store through a Chroma server (``chroma run --path DIR --port N``) and
``url="http://host:port"``. Errors name no file paths (shoppers read them); the log has the folder.

The store is made of parts, each with its own public interface: ``collection`` (the Chroma collection serving its
name, read through swaps: collection.py), ``mirror`` (mirror.py), ``lookups`` (reads by item id and of the whole
catalog: lookups.py), ``planner`` (planning.py) and ``cache`` (cache.py). The store itself searches, writes and
swaps rebuilt indexes in.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fashion_ai.catalog import CatalogItem, serving
from fashion_ai.catalog.cache import RecordCache
from fashion_ai.catalog.clients import open_client
from fashion_ai.catalog.collection import ServingCollection
from fashion_ai.catalog.failures import check_room
from fashion_ai.catalog.filters import CatalogFilter, as_filter, build_where, color_flag, combine_where
from fashion_ai.catalog.hnsw import IndexSettings
from fashion_ai.catalog.locking import unlock_folder
from fashion_ai.catalog.lookups import ItemLookups
from fashion_ai.catalog.mirror import StoreMirror
from fashion_ai.catalog.planning import NEIGHBOUR_US, FilterPlanner, first_fetch, next_fetch
from fashion_ai.catalog.records import item_to_metadata, metadata_to_item, record_id

__all__ = ["DEFAULT_COLLECTION", "CatalogFilter", "CatalogStore", "build_where", "color_flag", "combine_where",
           "item_to_metadata", "metadata_to_item"]

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "catalog"


def _scored(result: dict) -> tuple[list[tuple[CatalogItem, float]], bool]:
    """A query's items with cosine similarity, and whether each had its metadata (a record seen while it is
    deleted, or while its collection is dropped for a rebuilt one, has none)."""
    pairs = list(zip(result["metadatas"][0], result["distances"][0], strict=True))
    return [(metadata_to_item(meta), 1.0 - float(dist)) for meta, dist in pairs if meta is not None], \
        all(meta is not None for meta, _ in pairs)


class CatalogStore:
    """Catalog items and their image embeddings in one Chroma collection (cosine space).

    Thread-safe inside one process. An embedded store's folder is locked for one process; share a store between
    processes through a Chroma server (``url``).
    """

    def __init__(self, path: str | Path | None = None, url: str = "", collection: str = DEFAULT_COLLECTION,
                 embedder_name: str = "", reset: bool = False, settings: IndexSettings | None = None,
                 filter_keys: bool | None = None, build: bool = False):
        """Open (or create) the index serving `collection`, removing what killed rebuilds left; reset=True drops it
        first. build=True opens a new, empty collection for `collection` instead, which serves once replace_with()
        swaps it in (a rebuild's staging; see staging()). A new collection's records carry facet keys for Chroma's
        filter when filter_keys is True (by default: a server's store).

        Raises IndexMissingError when the collection was built by another embedder, by another version of the
        store, or in a non-cosine space; IndexLockedError when another process has the folder open.
        An empty embedder_name skips the embedder check (read-only tools that do not embed).
        """
        self.name = collection
        self.embedder_name = embedder_name
        self.settings = settings or IndexSettings()
        self._url = url
        self._building, self._beat_at = build, 0.0  # a rebuild's staging, and when its heartbeat was last written
        self.client, self.location, self._lock_key = open_client(path, url)
        self.place = self._lock_key or url  # where this store's index lives, the same for every store there
        self.collection = ServingCollection(self.client, collection, self.location, url, embedder_name, self.settings,
                                            bool(url) if filter_keys is None else filter_keys)
        self.mirror = StoreMirror(self.collection, enabled=not url)
        self.lookups = ItemLookups(self.collection, self.mirror)
        self.planner = FilterPlanner(self.mirror.planning_size, self.mirror.planning_ids)
        self.cache = RecordCache()
        if reset:
            self.reset()
        elif build:
            self.collection.serve(self._start_build())
        else:
            self._remove_leftovers()
            self.collection.serve(self.collection.open())

    @property
    def filter_keys(self) -> bool:
        """Whether the serving collection's records carry facet keys for Chroma's filter."""
        return self.collection.filter_keys

    @property
    def stale_settings(self) -> str:
        """HNSW settings fixed at build that differ from self.settings, for a report ("" when none)."""
        return self.collection.stale_settings

    def close(self) -> None:
        """Give back the folder lock (an embedded store); the store must not be used afterwards."""
        if self._building:  # a staging closed unswapped: its collection is a leftover now
            serving.unregister(self.place, self.collection.current.name)
            self._building = False
        if self._lock_key:
            unlock_folder(self._lock_key)
            self._lock_key = ""

    # ------------------------------------------------------------------------------------------- reads
    def count(self) -> int:
        """How many items the store holds (Chroma counts the collection's rows: ~7 ms at 100k items)."""
        return self.collection.count()

    def is_empty(self) -> bool:
        """Whether the store holds no item (one row looked up, whatever the size)."""
        return not self.collection.read(lambda col: col.get(limit=1, include=[])["ids"], "reading the catalog")

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """The subset of ids already in the store."""
        return self.lookups.existing_ids(ids)

    def get_items(self, ids: Sequence[str]) -> list[CatalogItem]:
        """The stored items with these ids, in the order asked; unknown ids are left out."""
        return self.lookups.get_items(ids)

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of the items with these ids (unknown ids are left out)."""
        return self.lookups.embeddings(ids)

    def get_where(self, where: CatalogFilter | dict | None, limit: int = 1000) -> list[CatalogItem]:
        """Up to `limit` stored items that pass the filter, unranked (rare look-ups; see ItemLookups.get_where)."""
        return self.lookups.get_where(where, limit)

    def all_items(self) -> list[CatalogItem]:
        """Every stored item, sorted by id."""
        return self.lookups.all_items()

    def fill_mirror(self, timeout: float | None = None) -> bool:
        """Fill the in-memory mirror now (it fills on first need otherwise); whether it is ready within timeout.
        A server's store never mirrors (False)."""
        return self.mirror.fill(timeout)

    def query(self, embedding: np.ndarray, n: int, where: CatalogFilter | dict | None = None
              ) -> list[tuple[CatalogItem, float]]:
        """The n items nearest to an embedding that pass the filter (a where dict is read into one), with cosine
        similarity, best first."""
        where = as_filter(where)
        if n <= 0 or (where is not None and where.matches_nothing):
            return []
        vector = np.asarray(embedding, dtype=np.float32).reshape(1, -1)
        collection = self.collection.current
        found, whole = self._query(vector, n, where)
        # Records without metadata: the collection was swapped for a rebuilt one meanwhile (maybe by another
        # process, while the old one is being dropped): ask the one serving now.
        if not whole and (self.collection.current is not collection or self.collection.reopen_if_swapped(collection)):
            found, _ = self._query(vector, n, where)
        return found

    def _query(self, vector: np.ndarray, n: int, where: CatalogFilter | None
               ) -> tuple[list[tuple[CatalogItem, float]], bool]:
        """query()'s answer, and whether every record found still had its metadata when it was read."""
        if where is None:
            return _scored(self.collection.nearest(vector, n, ["metadatas", "distances"]))
        passes = where.predicate()
        fetch, plan = first_fetch(n, self.settings.ef_search, self.planner.known_size()), None
        while True:
            result = self.collection.nearest(vector, fetch, ["distances"])
            found = list(zip(result["ids"][0], result["distances"][0], strict=True))
            hits = []
            for rid, dist in found:
                if passes(self.cache.facets(rid)):
                    hits.append((rid, dist))
                    if len(hits) == n:
                        break
            if len(hits) >= n or len(found) < fetch:  # enough, or every item was seen
                break
            plan = plan or self.planner.plan(where)
            next_round = next_fetch(plan, fetch, len(found), len(hits), n)
            # No match among the neighbours (a filter against the query), or reading on would cost more than
            # Chroma's filter: exact search over the filter's matches. Otherwise the mirror answers only when it
            # costs less than the next round would (its cost grows with the rows it multiplies: a colour at 1M
            # passes 140,000 rows in every category, a filter with a category only that category's).
            mirror, found_all = self.mirror.current(), None
            if mirror is not None:
                budget = math.inf if next_round is None or not hits else NEIGHBOUR_US * next_round
                if mirror.worth_asking(where, plan.share, budget):
                    found_all = mirror.search(vector, n, where, budget_us=budget)
            elif next_round is None and not self.filter_keys:  # Chroma cannot filter these records
                mirror = self.mirror.waited()
                found_all = mirror.search(vector, n, where) if mirror else None
                next_round = min(4 * fetch, (self.planner.known_size() or 4 * fetch) + 1)
            if found_all is not None:
                hits = found_all
                break
            if next_round is None:
                logger.info("filter %s: %d of the nearest %d pass; Chroma filters", where.where(), len(hits), fetch)
                return self._query_chroma_filtered(vector, n, where)
            fetch = next_round
        hits = hits[:n]
        if not hits:
            return [], True
        items = self._items_of([rid for rid, _ in hits])
        return [(items[rid], 1.0 - float(dist)) for rid, dist in hits if rid in items], len(items) == len(hits)

    def _items_of(self, records: list[str]) -> dict[str, CatalogItem]:
        """The items of these records: remembered ones, the rest in one get (a record being deleted has none)."""
        collection = self.collection.current
        items = self.cache.items(collection.id.hex, records)
        missing = [rid for rid in records if rid not in items]
        if missing:
            got = self.collection.read(lambda col: col.get(ids=missing, include=["metadatas"]), "searching")
            fetched = {rid: metadata_to_item(meta) for rid, meta in zip(got["ids"], got["metadatas"] or [],
                                                                         strict=False) if meta is not None}
            if self.collection.current is collection:  # not a rebuilt one's items under the old collection's name
                self.cache.remember(collection.id.hex, fetched)
            items.update(fetched)
        return items

    def _query_chroma_filtered(self, vector: np.ndarray, n: int, where: CatalogFilter) -> tuple[list, bool]:
        return _scored(self.collection.nearest(vector, n, ["metadatas", "distances"], where=where.chroma_where()))

    # ------------------------------------------------------------------------------------------- writes
    def _check(self, items: Sequence[CatalogItem], embeddings: np.ndarray) -> np.ndarray:
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(items):
            raise ValueError(f"expected one embedding per item: {len(items)} items, embeddings of shape {vectors.shape}")
        if len({item.id for item in items}) != len(items):
            raise ValueError("item ids must be unique within one upsert")
        self._beat()
        return vectors

    def _beat(self, now: bool = False) -> None:
        """A staging on a shared server says it is alive (at most once a minute, or now), so that other
        processes' cleanup leaves it alone; it fails here when it was taken for dead and removed."""
        if self._building and self._url and (now or time.monotonic() - self._beat_at > serving.HEARTBEAT_S):
            meta = {**self.collection.new_metadata(), serving.ALIVE_KEY: time.time()}
            self.collection.call(lambda: self.collection.current.modify(metadata=meta), "indexing")
            self._beat_at = time.monotonic()

    def _check_room(self, items: int, dim: int) -> None:
        if not self._url:  # a server's disk is its own: it answers for it
            check_room(Path(self.location), items, dim)

    def add(self, items: Sequence[CatalogItem], embeddings: np.ndarray) -> None:
        """Insert items known not to be in the store (a fresh build): no look-ups, the largest batches Chroma takes.

        An item already stored under the same facets is left as it was; use upsert to replace items."""
        vectors, batch = self._check(items, embeddings), self.collection.max_batch
        with self.collection.lock:
            for start in range(0, len(items), batch):
                chunk = items[start:start + batch]
                self._check_room(len(chunk), vectors.shape[1])
                records = [record_id(item) for item in chunk]
                self.collection.call(lambda chunk=chunk, start=start, records=records: self.collection.current.add(
                    ids=records, embeddings=vectors[start:start + len(chunk)],
                    metadatas=[item_to_metadata(item, filter_keys=self.filter_keys) for item in chunk]), "indexing")
                self.mirror.apply(records, vectors[start:start + len(chunk)], replace=False)

    def upsert(self, items: Sequence[CatalogItem], embeddings: np.ndarray) -> None:
        """Insert or replace items with their image embeddings (one row per item), in batches Chroma accepts."""
        vectors, batch = self._check(items, embeddings), self.collection.max_batch
        with self.collection.lock:
            for start in range(0, len(items), batch):
                chunk = items[start:start + batch]
                records = [record_id(item) for item in chunk]
                # An item whose facets changed has a new record id: its old record goes.
                self._check_room(len(chunk), vectors.shape[1])
                stale = sorted(set(self.lookups.record_ids_of([item.id for item in chunk])) - set(records))
                try:
                    if stale:
                        self.collection.call(lambda stale=stale: self.collection.current.delete(ids=stale), "indexing")
                        self.mirror.apply([], vectors[:0], removed=stale)
                    self.collection.call(lambda chunk=chunk, start=start, records=records: self.collection.current.upsert(
                        ids=records, embeddings=vectors[start:start + len(chunk)],
                        metadatas=[item_to_metadata(item, clear_absent=True, filter_keys=self.filter_keys)
                                   for item in chunk]), "indexing")
                    self.mirror.apply(records, vectors[start:start + len(chunk)])
                finally:  # searches read the new metadata from now on, even of a batch half written
                    self.cache.forget(item.id for item in chunk)

    def restore(self, items: Sequence[CatalogItem]) -> int:
        """Store these items again with the vectors already stored for them: new facets and metadata (their tags),
        the same photos, nothing embedded again. Items not in the store are left out; returns how many were."""
        vectors = self.embeddings([item.id for item in items])
        kept = [item for item in items if item.id in vectors]
        if kept:
            self.upsert(kept, np.stack([vectors[item.id] for item in kept]))
        return len(kept)

    def reset(self) -> None:
        """Drop every item: delete the collection serving (and the pointer naming it) and create it again, empty."""
        with self.collection.lock:
            dropped = self.collection.call(lambda: serving.drop_serving(self.client, self.name),
                                           "dropping the old index")
            if dropped:
                logger.info("deleted %s at %s", ", ".join(dropped), self.location)
            self._remove_leftovers()
            self.collection.serve(self.collection.open())
            self.cache.forget()

    def _remove_leftovers(self) -> None:
        """Delete the collections that killed rebuilds and swaps of this store left (see serving.py)."""
        self.collection.call(lambda: serving.remove_leftovers(self.client, self.name, self.place,
                                                              shared=bool(self._url)), "opening the index")

    def _start_build(self) -> Any:
        """A new collection of this store's own, registered as a running rebuild's until it is swapped in."""
        name = serving.build_name(self.name)
        meta = {**self.collection.new_metadata(), serving.ALIVE_KEY: time.time()}
        serving.register(self.place, name)  # before it exists: a cleanup in another thread must not take it
        col = self.collection.call(lambda: self.client.create_collection(
            name, configuration=self.settings.configuration(), metadata=meta, embedding_function=None),
            "starting the rebuild")
        self._beat_at = time.monotonic()
        return self.collection.check(col)

    def staging(self) -> CatalogStore:
        """An empty store beside this one, under a name no other rebuild uses, to build a new index in while this
        one serves; replace_with() then swaps it in."""
        return CatalogStore(path=None if self._url else self.location, url=self._url, collection=self.name,
                            embedder_name=self.embedder_name, settings=self.settings,
                            filter_keys=self.collection.new_filter_keys, build=True)

    def replace_with(self, staging: CatalogStore) -> None:
        """Serve the staging store's index under this store's name, and drop the old one.

        One write decides (the pointer, serving.py): a process killed before it leaves the old index serving,
        after it the new one. Readers never see a half-built index; a reader elsewhere finds the new one when the
        old one is gone."""
        if not staging._building or staging.name != self.name or staging.place != self.place:
            raise ValueError("replace_with takes a staging() of this store")
        with self.collection.lock:
            old, new = self.collection.current, staging.collection.current
            staging._beat(now=True)  # on a server: alive, and still there (not taken for dead meanwhile)
            serving.swap_step("staged")
            retired = self.collection.call(lambda: serving.point(self.client, self.name, serves=new.name),
                                           "swapping in the rebuilt index")
            serving.swap_step("pointed")
            # The rebuilt records' layout and settings note, not the old collection's.
            self.collection.filter_keys = staging.collection.filter_keys
            self.collection.stale_settings = staging.collection.stale_settings
            self.collection.serve(new)
            staging.close()
            for collection in dict.fromkeys((retired, old.name)):  # the same, unless another process swapped too
                try:
                    serving.drop(self.client, collection)
                except Exception as exc:  # swapped all the same: the next open removes it
                    logger.warning("could not drop the old index %r at %s (%s); the next open will", collection,
                                   self.location, exc)
            serving.swap_step("retired")
            logger.info("swapped in the rebuilt index %r at %s (%d items)", self.name, self.location, new.count())
