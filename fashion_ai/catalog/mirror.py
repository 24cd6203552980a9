"""Every record's vector and facets in this process's memory, for the filters the HNSW graph cannot serve.

A filter *against* the query (a red-dress query pinned to shoes) finds no match among the query's neighbours;
Chroma's own filter then costs 55-345 ms at 100k items and seconds at a million (README, "Catalogs of a million
items"), while numpy over the matches' vectors takes milliseconds and is exact (a probe at 100k: 1.6 ms for 6,100
matches). The filter runs over the facets the record ids carry, clause by clause, each clause evaluated once per
distinct value of its facet by the very predicate the store's fast path uses (filters.compile_where): the same
answers by construction.

Only an embedded store mirrors: one process owns its folder (locking.py), so every write passes through that store
and reaches the mirror. A store shared through a Chroma server has other writers and never mirrors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from fashion_ai.catalog.filters import compile_where, facet_of
from fashion_ai.catalog.records import Facets, parse_record_id

logger = logging.getLogger(__name__)

_BLANK = Facets("", "", (), "", None)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class VectorMirror:
    """The collection's record ids, unit vectors and facets; exact filtered search over them. Thread-safe."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}
        self._facets: list[Facets] = []
        self._buffer = np.zeros((0, 0), dtype=np.float32)  # room for more rows than there are
        self._alive_buffer = np.zeros(0, dtype=bool)
        self._vectors, self._alive = self._buffer, self._alive_buffer  # the rows there are
        self._columns: dict[str, tuple[np.ndarray, list]] = {}  # facet -> (code per row, distinct values)
        self._tables: dict[str, np.ndarray] = {}  # a clause -> whether each distinct value passes it

    def claim(self) -> bool:
        """True once: to whoever is to fill it (again after release(), when a fill failed)."""
        with self._lock:
            claimed, self._started = not self._started, True
            return claimed

    def release(self) -> None:
        with self._lock:
            self._started = False

    def fill_in_background(self, read_page: Callable[[int], tuple[list[str], np.ndarray]], page: int,
                           count: Callable[[], int], lock: threading.RLock, name: str) -> None:
        """Fill it in a thread of its own, unless one is at it: pages of `page` records read by offset under `lock`
        (the store's write lock: no write lands between two pages); on failure the next call tries again."""
        if self.claim():
            threading.Thread(target=self._fill_from, args=(read_page, page, count, lock, name), daemon=True,
                             name="mirror-fill").start()

    def _fill_from(self, read_page: Callable[[int], tuple[list[str], np.ndarray]], page: int,
                   count: Callable[[], int], lock: threading.RLock, name: str) -> None:
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
                self.fill(pages(), total=count())
            logger.info("mirrored %d records of %r for filters against the query", len(self), name)
        except Exception as exc:  # the store's other paths keep serving; the next filtered search tries again
            logger.warning("could not mirror the catalog %r: %s", name, exc)
            self.release()

    def fill(self, pages: Iterable[tuple[Sequence[str], np.ndarray]], total: int = 0) -> None:
        """Take every record (pages of ids and vectors, read while no write can happen; `total` of them expected,
        so the vectors go straight into one array) and become ready."""
        with self._lock:
            for page_ids, page in pages:
                self._append(list(page_ids), page, total)
            self._changed()
        self.ready.set()

    def apply(self, records: Sequence[str], vectors: np.ndarray, removed: Iterable[str] = (), replace: bool = True
              ) -> None:
        """A write that reached Chroma: these records added (replaced, unless Chroma keeps the existing one: add),
        those removed. Ignored until filled (the fill reads every write before it)."""
        if not self.ready.is_set():
            return
        with self._lock:
            for rid in removed:
                row = self._rows.pop(rid, None)
                if row is not None:
                    self._alive[row] = False
            fresh, fresh_vectors = [], []
            for rid, vector in zip(records, _unit(vectors), strict=True):
                row = self._rows.get(rid)
                if row is None:
                    fresh.append(rid)
                    fresh_vectors.append(vector)
                elif replace:
                    self._vectors[row] = vector
            if fresh:
                self._append(fresh, np.stack(fresh_vectors))
            self._changed()

    def _append(self, ids: list[str], vectors: np.ndarray, total: int = 0) -> None:
        """New rows at the end (under the lock); the arrays grow by doubling, so a write never copies them all."""
        if not ids:
            return
        size, needed = len(self._ids), len(self._ids) + len(ids)
        if needed > len(self._buffer):
            grown = np.empty((max(total, 2 * len(self._buffer), needed), vectors.shape[1]), dtype=np.float32)
            grown[:size] = self._buffer[:size] if size else 0.0
            alive = np.zeros(len(grown), dtype=bool)
            alive[:size] = self._alive
            self._buffer, self._alive_buffer = grown, alive
        self._buffer[size:needed] = _unit(vectors)
        self._alive_buffer[size:needed] = True
        self._rows.update((rid, size + k) for k, rid in enumerate(ids))
        self._ids.extend(ids)
        self._facets.extend(parse_record_id(rid)[1] for rid in ids)
        # Views of the live rows: a search holding the old ones (or the old arrays, once grown) reads consistently.
        self._vectors, self._alive = self._buffer[:needed], self._alive_buffer[:needed]

    def search(self, vector: np.ndarray, n: int, where: dict) -> list[tuple[str, float]]:
        """The n records nearest to the vector among those that pass the filter: (record id, cosine distance)."""
        compile_where(where)  # a malformed filter says so, whatever the mirror holds
        with self._lock:  # the rows that pass; the arithmetic below runs unlocked (numpy lets go of the GIL)
            rows = np.flatnonzero(self._mask(where) & self._alive)
            vectors, ids = self._vectors, self._ids
        if not rows.size or n <= 0:
            return []
        similarity = vectors[rows] @ _unit(vector).reshape(-1)
        k = min(n, rows.size)
        best = np.argpartition(-similarity, k - 1)[:k]
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [(ids[rows[i]], 1.0 - float(similarity[i])) for i in best]

    def __len__(self) -> int:
        return int(self._alive.sum())

    # ------------------------------------------------------------------------------------------- filters
    def _changed(self) -> None:
        self._columns.clear()
        self._tables.clear()

    def _column(self, name: str) -> tuple[np.ndarray, list]:
        if name not in self._columns:
            index: dict = {}
            codes = np.fromiter((index.setdefault(getattr(f, name), len(index)) for f in self._facets),
                                dtype=np.int32, count=len(self._facets))
            self._columns[name] = (codes, list(index))
        return self._columns[name]

    def _mask(self, where: dict) -> np.ndarray:
        (key, value), = where.items()
        if key in ("$and", "$or"):
            parts = [self._mask(part) for part in value]
            return np.logical_and.reduce(parts) if key == "$and" else np.logical_or.reduce(parts)
        name = facet_of(key)
        codes, values = self._column(name)
        clause = repr(where)
        if clause not in self._tables:
            test = compile_where(where)  # the store's own predicate, asked once per distinct value
            self._tables[clause] = np.array([test(_BLANK._replace(**{name: v})) for v in values], dtype=bool)
        table = self._tables[clause]
        return table[codes] if len(codes) else np.zeros(0, dtype=bool)
