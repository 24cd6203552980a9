"""How the store answers a filtered query: how many nearest neighbours to read (ids only) and filter by the facets
their record ids carry, and when to hand the filter to Chroma instead.

Reading neighbours costs ~6 us each (HNSW search, ids, facets). Chroma's own filter scans the collection's rows
in SQLite (~0.13 us each) and looks up every item each clause selects (~4 us per item per clause), whatever the
query: at 1M items any filter costs it 130 ms or more (measured with 1.5.9; README "Catalogs of a million
items"). So the store reads as many neighbours as it takes, up to what Chroma's filter would cost, estimated
from a sample of the catalog's facets.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fashion_ai.catalog.filters import CatalogFilter
from fashion_ai.catalog.records import Facets, parse_record_id

SQLITE_ROW_US, SQLITE_MATCH_US, NEIGHBOUR_US = 0.13, 4.0, 6.0
MIN_FETCH_LIMIT = 1000
MAX_FETCH = 12_000
SAMPLE_WINDOWS, SAMPLE_WINDOW = 4, 250  # a sample of the catalog's facets: a few windows at random offsets
# No match among the neighbours read where the catalog's share promised this many: the filter is against the query
# (a red-dress query pinned to shoes) and its matches lie far off. When Chroma's filter is cheaper than the most
# neighbours the store ever reads, it goes to it at once rather than reading on in steps (at 100k items: 127 ms ->
# 76 ms for a category, Chroma's filter alone 69 ms); a costlier one (several wide clauses, e.g. an outfit slot's
# audience and price) still reads on, which found enough sooner (165 ms, Chroma's filter 300 ms).
AGAINST_EXPECTED = 10  # the chance of no match by luck alone: e^-10
SAMPLE_TTL_S = 30.0  # how long a sample (and the size) is trusted: for planning only, never for an answer


@dataclass(frozen=True)
class FetchPlan:
    """What a filter is worth reading for: at most `limit` neighbours; `share` of the catalog, about `matches`
    items, pass it."""

    limit: int
    share: float
    matches: float = math.inf


def first_fetch(n: int, ef_search: int, size: int | None = None) -> int:
    """The neighbours a filtered query reads first: what the HNSW search weighs anyway, at least 2n; in a small
    collection (size as last known) one more than all of it, so that one read sees every item."""
    fetch = min(MAX_FETCH, max(2 * n, ef_search))
    return size + 1 if size is not None and size < 2 * fetch else fetch


def next_fetch(plan: FetchPlan, fetched: int, seen: int, hits: int, n: int) -> int | None:
    """How many neighbours to read next after `hits` of the nearest `seen` passed; None: let Chroma filter."""
    if fetched >= plan.limit or plan.matches < n:  # read all it is worth, or so few match that Chroma's filter
        return None                                # finds them sooner than the neighbours would
    if not hits and plan.share * seen >= AGAINST_EXPECTED and plan.limit < MAX_FETCH:
        return None
    share = hits / seen if hits else plan.share  # the query's own neighbourhood says most, when it says anything
    needed = math.ceil(1.5 * n / share) if share > 0 else plan.limit
    return min(plan.limit, max(4 * fetched, needed))


class FilterPlanner:
    """Plans filtered queries from the collection's size and a sample of its facets, refreshed now and then."""

    def __init__(self, count: Callable[[], int], record_ids: Callable[[int, int], list[str]]):
        self._count, self._record_ids = count, record_ids  # record_ids(limit, offset)
        self._lock = threading.Lock()
        self._sample: tuple[int, list[Facets]] = (0, [])
        self._taken_at = -SAMPLE_TTL_S

    def known_size(self) -> int | None:
        """The collection's size as last sampled (no look-up), None before the first sample."""
        return self._sample[0] if self._taken_at >= 0 else None

    def sample(self) -> tuple[int, list[Facets]]:
        """(collection size, facets of up to SAMPLE_WINDOWS x SAMPLE_WINDOW records)."""
        with self._lock:
            if time.monotonic() - self._taken_at > SAMPLE_TTL_S:
                size = self._count()
                offsets = sorted({random.randrange(max(1, size - SAMPLE_WINDOW + 1)) for _ in range(SAMPLE_WINDOWS)})
                records = {rid for offset in offsets for rid in self._record_ids(SAMPLE_WINDOW, offset)}
                self._sample = (size, [parse_record_id(rid)[1] for rid in records])
                self._taken_at = time.monotonic()
            return self._sample

    def plan(self, where: CatalogFilter) -> FetchPlan:
        """How far to read for this filter, judged on the sample of the catalog's facets."""
        size, facets = self.sample()
        if not facets:
            return FetchPlan(MIN_FETCH_LIMIT, 0.0, 0.0)
        share = sum(map(where.predicate(), facets)) / len(facets)
        selected = sum(sum(map(leaf.on_facets(), facets)) / len(facets) for leaf in where.leaves())
        chroma_us = size * (SQLITE_ROW_US + SQLITE_MATCH_US * selected)
        return FetchPlan(max(MIN_FETCH_LIMIT, min(MAX_FETCH, int(chroma_us / NEIGHBOUR_US))), share, share * size)
