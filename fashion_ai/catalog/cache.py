"""What a store remembers between queries: the facets parsed from record ids, and the items of recent hits.

A filtered query reads the facets of every candidate from its record id, and fetches the metadata of the few it
keeps in a second Chroma call. An outfit makes a dozen such queries, mostly over the same popular items: parsing
and fetching them again cost more than the nearest-neighbour search (bench/bench_store.py, bench/bench_load.py).

Facets are a function of the record id alone, so they never go stale. An item's metadata can change under the
same record id (a new title or photo; a new price or category makes a new record id): writes through the store
forget the items they touch, a rebuilt collection has a new id, and anything else (another process indexing into
a shared server) is seen within ITEM_TTL_S.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from fashion_ai.catalog.items import CatalogItem
from fashion_ai.catalog.records import Facets, parse_record_id

FACETS_KEPT = 200_000  # ~40 MB at most: the candidates of many filtered queries at a million items
ITEMS_KEPT = 20_000  # ~20 MB at most: the hits shoppers see
ITEM_TTL_S = 30.0  # how long an item's metadata is trusted without asking Chroma again


class RecordCache:
    """Bounded, thread-safe memory of parsed facets and of recent hits' items (least recently used goes)."""

    def __init__(self, facets_kept: int = FACETS_KEPT, items_kept: int = ITEMS_KEPT, ttl_s: float = ITEM_TTL_S,
                 clock: Callable[[], float] = time.monotonic):
        self._facets: dict[str, Facets] = {}
        self._items: OrderedDict[tuple[str, str], tuple[float, CatalogItem]] = OrderedDict()
        self._facets_kept, self._items_kept, self._ttl, self._clock = facets_kept, items_kept, ttl_s, clock
        self._lock = threading.Lock()

    def facets(self, record: str) -> Facets:
        """The facets a record id carries (ValueError for an id that is not a catalog record's)."""
        found = self._facets.get(record)
        if found is None:
            found = parse_record_id(record)[1]
            if len(self._facets) >= self._facets_kept:
                self._facets.clear()  # a rare full reset beats bookkeeping on every one of thousands of reads
            self._facets[record] = found
        return found

    def items(self, collection: str, records: Iterable[str]) -> dict[str, CatalogItem]:
        """The remembered items among these records of this collection (fresh ones only)."""
        now, found = self._clock(), {}
        with self._lock:
            for record in records:
                entry = self._items.get((collection, record))
                if entry is not None and now - entry[0] < self._ttl:
                    self._items.move_to_end((collection, record))
                    found[record] = entry[1]
        return found

    def remember(self, collection: str, items: dict[str, CatalogItem]) -> None:
        """Keep these records' items (record id -> item) of this collection."""
        now = self._clock()
        with self._lock:
            for record, item in items.items():
                self._items[(collection, record)] = (now, item)
                self._items.move_to_end((collection, record))
            while len(self._items) > self._items_kept:
                self._items.popitem(last=False)

    def forget(self, item_ids: Iterable[str] | None = None) -> None:
        """Forget the items with these ids (every item when None): they were written."""
        with self._lock:
            if item_ids is None:
                self._items.clear()
                return
            gone = set(item_ids)
            for key in [key for key, (_, item) in self._items.items() if item.id in gone]:
                del self._items[key]
