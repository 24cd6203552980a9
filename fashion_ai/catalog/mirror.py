"""Every record's vector and facets in this process's memory, for the filters the HNSW graph cannot serve.

A filter *against* the query (a red-dress query pinned to shoes) finds no match among the query's neighbours;
Chroma's own filter then costs 55-345 ms at 100k items and seconds at a million (README, "Catalogs of a million
items"), while numpy over the matches' vectors takes milliseconds and is exact (a probe at 100k: 1.6 ms for 6,100
matches). The filter runs over the facets the record ids carry, rule by rule, each rule evaluated once per
distinct value of its facet by the very test the store's fast path uses (filters.Rule.test): the same answers by
construction.

The rows are kept apart by category, each category's vectors one contiguous array: a filter on a category reads
its rows in place, and a filter that passes most rows of a category multiplies them all rather than gathering the
passing ones first (a gather costs ~5x the multiplication: a category of 150k rows at a million items).

Only an embedded store mirrors: one process owns its folder (locking.py), so every write passes through that store
and reaches the mirror. A store shared through a Chroma server has other writers and never mirrors.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from fashion_ai.catalog.filters import CatalogFilter, Rule
from fashion_ai.catalog.records import Facets, parse_record_id

if TYPE_CHECKING:
    from fashion_ai.catalog.collection import ServingCollection

logger = logging.getLogger(__name__)

MIRROR_WAIT_S = 600.0  # the longest a filter waits for the mirror to fill (a million items: ~85 s on 2 cores)


def _grown(array: np.ndarray, size: int, room: int) -> np.ndarray:
    """A bigger array (room rows) starting with the first `size` rows of this one."""
    grown = np.zeros((room, *array.shape[1:]), dtype=array.dtype)
    grown[:size] = array[:size]
    return grown


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


# What a search costs per float it reads (512-d, 2 cores, numpy's BLAS): gathering the passing rows and
# multiplying them, or multiplying a part's contiguous rows in place (60,000 rows: 18.8 ms and 2.3 ms).
GATHER_NS, DENSE_NS = 0.6, 0.08


class _Part:
    """One category's rows: record ids, unit vectors (one array, grown by doubling), each facet as a code per row
    (kept up to date as rows come) and the filter's per-value tables. Used under the mirror's lock."""

    def __init__(self, dim: int) -> None:
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.buffer = np.zeros((0, dim), dtype=np.float32)  # room for more rows than there are
        self.alive_buffer = np.zeros(0, dtype=bool)
        self.code_buffers = {name: np.zeros(0, dtype=np.int32) for name in Facets._fields}
        self.vectors, self.alive = self.buffer, self.alive_buffer  # the rows there are
        self.values: dict[str, dict] = {name: {} for name in Facets._fields}  # facet -> {distinct value: code}
        self.tables: dict[Rule, np.ndarray] = {}  # a rule -> whether each distinct value passes it

    def append(self, ids: list[str], vectors: np.ndarray, facets: list[Facets]) -> None:
        size, needed = len(self.ids), len(self.ids) + len(ids)
        if needed > len(self.buffer):
            room = max(2 * len(self.buffer), needed)
            self.buffer = _grown(self.buffer, size, room)
            self.alive_buffer = _grown(self.alive_buffer, size, room)
            self.code_buffers = {name: _grown(codes, size, room) for name, codes in self.code_buffers.items()}
        self.buffer[size:needed] = vectors
        self.alive_buffer[size:needed] = True
        for name, codes in self.code_buffers.items():
            index = self.values[name]
            codes[size:needed] = [index.setdefault(getattr(f, name), len(index)) for f in facets]
        self.rows.update((rid, size + k) for k, rid in enumerate(ids))
        self.ids.extend(ids)
        # Views of the live rows: a search holding the old ones (or the old arrays, once grown) reads consistently.
        self.vectors, self.alive = self.buffer[:needed], self.alive_buffer[:needed]

    def trim(self) -> None:
        """No room beyond the rows there are (after a fill: up to half of the buffer)."""
        size = len(self.ids)
        if len(self.buffer) > size:
            self.buffer, self.alive_buffer = self.vectors.copy(), self.alive.copy()
            self.code_buffers = {name: codes[:size].copy() for name, codes in self.code_buffers.items()}
            self.vectors, self.alive = self.buffer, self.alive_buffer

    def column(self, name: str) -> tuple[np.ndarray, list]:
        """The facet's code per row and its distinct values, in code order."""
        return self.code_buffers[name][:len(self.ids)], list(self.values[name])

    def mask(self, where: CatalogFilter) -> np.ndarray | np.bool_:
        """Whether each row passes the filter; one bool for all when the facets it reads have one value here (a
        category rule in a category's part), so a part the filter rules out costs no pass over its rows."""
        result: np.ndarray | np.bool_ = np.bool_(True)
        for rule in where.rules():  # category rules first: they decide a whole part at once
            codes, values = self.column(rule.facet)
            table = self.tables.get(rule)
            if table is None or len(table) != len(values):  # new values came since: asked again
                test = rule.test()  # the store's own test, asked once per distinct value
                table = self.tables[rule] = np.array([test(value) for value in values], dtype=bool)
            mask = table[0] if len(table) == 1 else table[codes] if len(codes) else np.zeros(0, dtype=bool)
            result = result & mask
            if np.ndim(result) == 0 and not result:
                break
        return result


class VectorMirror:
    """The collection's record ids, unit vectors and facets, by category; exact filtered search over them.
    Thread-safe."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self._settled = threading.Event()  # the last fill attempt ended, filled or failed
        self._started = False
        self._lock = threading.Lock()
        self._parts: dict[str, _Part] = {}
    def claim(self) -> bool:
        """True once: to whoever is to fill it (again after release(), when a fill failed)."""
        with self._lock:
            claimed, self._started = not self._started, True
            if claimed:
                self._settled.clear()
            return claimed

    def release(self) -> None:
        with self._lock:
            self._started = False

    def fill_in_background(self, read_page: Callable[[int], tuple[list[str], np.ndarray]], page: int,
                           lock: threading.RLock, name: str) -> None:
        """Fill it in a thread of its own, unless one is at it: pages of `page` records read by offset under `lock`
        (the store's write lock: no write lands between two pages); on failure the next call tries again."""
        if self.claim():
            threading.Thread(target=self._fill_from, args=(read_page, page, lock, name), daemon=True,
                             name="mirror-fill").start()

    def _fill_from(self, read_page: Callable[[int], tuple[list[str], np.ndarray]], page: int,
                   lock: threading.RLock, name: str) -> None:
        def pages() -> Iterator[tuple[list[str], np.ndarray]]:
            offset = 0
            while True:
                ids, vectors = read_page(offset)
                yield ids, vectors
                if len(ids) < page:
                    return
                offset += page

        try:
            with lock:
                self.fill(pages())
            logger.info("mirrored %d records of %r for filters against the query", len(self), name)
        except Exception as exc:  # the store's other paths keep serving; the next filtered search tries again
            logger.warning("could not mirror the catalog %r: %s", name, exc)
            self.release()
        finally:
            self._settled.set()

    def wait(self, timeout: float | None) -> bool:
        """Whether it is filled within timeout (False as soon as a fill under way fails)."""
        if not self.ready.is_set():
            self._settled.wait(timeout)
        return self.ready.is_set()

    def fill(self, pages: Iterable[tuple[Sequence[str], np.ndarray]]) -> None:
        """Take every record (pages of ids and vectors, read while no write can happen) and become ready."""
        with self._lock:
            for page_ids, page in pages:
                self._add(list(page_ids), _unit(page), [parse_record_id(rid)[1] for rid in page_ids])
            for part in self._parts.values():  # the room grown by doubling goes back (one part at a time)
                part.trim()
        self.ready.set()

    def apply(self, records: Sequence[str], vectors: np.ndarray, removed: Iterable[str] = (), replace: bool = True
              ) -> None:
        """A write that reached Chroma: these records added (replaced, unless Chroma keeps the existing one: add),
        those removed. Ignored until filled (the fill reads every write before it)."""
        if not self.ready.is_set():
            return
        with self._lock:
            for rid in removed:
                part = self._parts.get(parse_record_id(rid)[1].category)
                row = part.rows.pop(rid, None) if part else None
                if part is not None and row is not None:
                    part.alive[row] = False
            units, facets, fresh = _unit(vectors), [parse_record_id(rid)[1] for rid in records], []
            for k, rid in enumerate(records):
                part = self._parts.get(facets[k].category)
                row = part.rows.get(rid) if part else None
                if part is None or row is None:
                    fresh.append(k)
                elif replace:
                    part.vectors[row] = units[k]
            self._add([records[k] for k in fresh], units[fresh], [facets[k] for k in fresh])

    def _add(self, ids: list[str], vectors: np.ndarray, facets: list[Facets]) -> None:
        """New rows (unit vectors), each at the end of its category's part."""
        for category in dict.fromkeys(f.category for f in facets):
            rows = [k for k, f in enumerate(facets) if f.category == category]
            self._parts.setdefault(category, _Part(vectors.shape[1])).append(
                [ids[k] for k in rows], vectors[rows], [facets[k] for k in rows])

    def search(self, vector: np.ndarray, n: int, where: CatalogFilter, budget_us: float = math.inf
               ) -> list[tuple[str, float]] | None:
        """The n records nearest to the vector among those that pass the filter: (record id, cosine distance);
        None when that would cost more than budget_us (the caller has a cheaper way)."""
        with self._lock:  # the rows that pass; the arithmetic below runs unlocked (numpy lets go of the GIL)
            passing = [(part.vectors, part.ids, np.flatnonzero(part.mask(where) & part.alive))
                       for part in self._parts.values() if len(part.ids)]
        # Per part, the cheaper way: gather the passing rows, or multiply them all in place (most of it passes).
        dense = [GATHER_NS * rows.size > DENSE_NS * len(vectors) for vectors, _, rows in passing]
        cost_us = sum(vectors.shape[1] * (DENSE_NS * len(vectors) if whole else GATHER_NS * rows.size)
                      for (vectors, _, rows), whole in zip(passing, dense, strict=True) if rows.size) / 1000
        if cost_us > budget_us:
            return None
        query = _unit(vector).reshape(-1)
        found: list[tuple[float, str]] = []
        for (vectors, ids, rows), whole in zip(passing, dense, strict=True):
            if not rows.size or n <= 0:
                continue
            similarity = (vectors @ query)[rows] if whole else vectors[rows] @ query
            k = min(n, rows.size)
            best = np.argpartition(-similarity, k - 1)[:k]
            found.extend((float(similarity[i]), ids[rows[i]]) for i in best)
        found.sort(key=lambda hit: -hit[0])  # stable: ties keep the parts' order
        return [(rid, 1.0 - similarity) for similarity, rid in found[:max(0, n)]]

    def worth_asking(self, where: CatalogFilter, share: float, budget_us: float) -> bool:
        """Whether a search might cost less than budget_us, judged before any row is read: a filter that pins a
        category reads that category's rows only (search() then prices it exactly: so does any rule on the category);
        any other, about `share` of every row."""
        if budget_us == math.inf or any(rule.facet == "category" for rule in where.rules()):
            return True
        with self._lock:
            rows, dim = len(self), max((part.vectors.shape[1] for part in self._parts.values()), default=0)
        return dim * rows * min(GATHER_NS * share, DENSE_NS) / 1000 <= budget_us

    def record_ids(self, limit: int, offset: int) -> list[str]:
        """`limit` record ids from `offset` on, in the mirror's order (a sample for planning)."""
        found: list[str] = []
        with self._lock:
            for part in self._parts.values():
                if offset >= len(part.ids):
                    offset -= len(part.ids)
                    continue
                found.extend(part.ids[offset:offset + limit - len(found)])
                offset = 0
                if len(found) >= limit:
                    break
        return found

    def matching(self, where: CatalogFilter, limit: int) -> list[str]:
        """Up to `limit` record ids that pass the filter."""
        found: list[str] = []
        with self._lock:
            for part in self._parts.values():
                rows = np.flatnonzero(part.mask(where) & part.alive)[:max(0, limit - len(found))]
                found.extend(part.ids[row] for row in rows)
        return found

    def __len__(self) -> int:
        return sum(int(part.alive.sum()) for part in self._parts.values())


class StoreMirror:
    """The store's mirror (a part of CatalogStore): filled from the collection's pages under its lock on first need,
    in the background, and renewed (empty, filled again on need) whenever another collection serves. ``vectors`` is
    the VectorMirror of the collection serving now. A server's store (``enabled=False``) never mirrors: other
    processes write to it."""

    def __init__(self, collection: ServingCollection, enabled: bool):
        self.collection, self.enabled = collection, enabled
        self.vectors = VectorMirror()
        collection.when_replaced(self.renew)

    def renew(self) -> None:
        """Forget everything: another collection serves (a fill under way fills the mirror dropped here)."""
        self.vectors = VectorMirror()

    def current(self) -> VectorMirror | None:
        """The mirror when it is filled; None (and filling begins, in the background) otherwise, or always when
        disabled."""
        mirror = self.vectors
        if not self.enabled or mirror.ready.is_set():
            return mirror if self.enabled else None
        mirror.fill_in_background(self._page, self.collection.max_batch, self.collection.lock, self.collection.name)
        return None

    def waited(self) -> VectorMirror | None:
        """The mirror, waited for while it fills; None when disabled (or when it cannot be filled)."""
        self.current()
        mirror = self.vectors
        return mirror if self.enabled and mirror.wait(MIRROR_WAIT_S) else None

    def fill(self, timeout: float | None = None) -> bool:
        """Fill it now (it fills on first need otherwise); whether it is ready within timeout (False when
        disabled)."""
        self.current()
        return self.enabled and self.vectors.ready.wait(timeout)

    def apply(self, records: Sequence[str], vectors: np.ndarray, removed: Iterable[str] = (), replace: bool = True
              ) -> None:
        """A write that reached Chroma (VectorMirror.apply)."""
        self.vectors.apply(records, vectors, removed, replace)

    def planning_size(self) -> int:
        """The collection's size for planning: the mirror's, once filled (Chroma's count takes 56 ms at 1M)."""
        mirror = self.vectors
        return len(mirror) if mirror.ready.is_set() else self.collection.count()

    def planning_ids(self, limit: int, offset: int) -> list[str]:
        """Record ids for the planner's sample: the mirror's, once filled (Chroma reads up to the offset: 0.2-0.4 s
        a window at 1M)."""
        mirror = self.vectors
        if mirror.ready.is_set():
            return mirror.record_ids(limit, offset)
        return self.collection.read(lambda col: col.get(include=[], limit=limit, offset=offset)["ids"], "searching")

    def _page(self, offset: int) -> tuple[list[str], np.ndarray]:
        got = self.collection.read(lambda col: col.get(include=["embeddings"], limit=self.collection.max_batch,
                                                       offset=offset), "mirroring the catalog")
        return got["ids"], np.asarray(got["embeddings"], dtype=np.float32)
