"""Benchmark of the catalog store at scale: the store and raw Chroma side by side on the same synthetic catalog,
with numpy's exact search as the floor.

    python bench/bench_store.py --items 100000            # about 15 min on a 2-core box
    python bench/bench_store.py --items 1000000 --keep    # about 80 min; --keep lets a re-run reuse the indexes
    python bench/bench_store.py --items 100000 --server   # the same through a `chroma run` server (CHROMA_URL path)

1. Data (bench/synthetic.py): clustered 512-d unit vectors with demo-world metadata, cached under --cache, with
   numpy's exact answers for every query and filter.
2. Build: the store's add() (records, metadata, Chroma's largest batch) against Chroma's own add() of the same
   ids and vectors with the same HNSW settings, and the metadata with the facet keys Chroma's own filter reads
   (an embedded store leaves those out): items/s.
3. Queries (n=60, as a search asks; recall@10 on their first ten), every kind's i-th query in turn, after 200
   other queries have warmed the caches (reported as the first queries after opening): unfiltered; filtered by
   category, gender, colour, price, an outfit slot (group + gender + price), all four facets, each agreeing with
   what the query shows as a shopper's words would; and by a category or outfit group the query does not show
   (the worst case).
   p50/p95 ms, and recall@10 against the exact top ten among the items that pass the filter.
4. RSS growth and bytes on disk per item (this process's, or the server's when there is one).

Prints a table and writes bench/results/store-<items>.json. Timings depend on what else runs on the machine: the
load average is recorded with them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from synthetic import (  # noqa: E402
    CATEGORIES,
    COLORS,
    SyntheticWorld,
    cached_json,
    cached_vectors,
    exact_neighbours,
    facet_arrays,
)

from fashion_ai.catalog.filters import as_filter, build_where, combine_where  # noqa: E402
from fashion_ai.catalog.hnsw import IndexSettings  # noqa: E402
from fashion_ai.catalog.records import item_to_metadata, record_id  # noqa: E402
from fashion_ai.catalog.store import CatalogStore  # noqa: E402
from fashion_ai.retrieval.outfits import OUTFIT_GROUPS, group_of  # noqa: E402

RESULTS = ROOT / "bench" / "results"
N_RESULTS = 60  # what a search asks the store for (12 shown x 5 over-fetched)
MAX_PRICE = 100.0
OUTFIT_PRICE = 150.0
GENDERS = ("women", "men", "unisex")


# --------------------------------------------------------------------------------------------- filters
def _group_where(group: str) -> dict:
    categories = list(OUTFIT_GROUPS[group])
    return {"category": categories[0]} if len(categories) == 1 else {"category": {"$in": categories}}


def filter_kinds(categories: list[str], colors: list[str], seed: int) -> dict[str, list[dict | None]]:
    """Per kind of query, the where clause of each query (what outfits.py and search.py build), as a where dict (the
    ground truth below reads them apart from the store's code; the store reads them into its CatalogFilter)."""
    rng = np.random.default_rng([seed, 7])
    other_category = [CATEGORIES[(CATEGORIES.index(c) + rng.integers(1, len(CATEGORIES))) % len(CATEGORIES)]
                      for c in categories]
    groups = [g for g in OUTFIT_GROUPS if any(group_of(c) == g for c in CATEGORIES)]
    other_group = [groups[(groups.index(group_of(c)) + rng.integers(1, len(groups))) % len(groups)]
                   for c in categories]
    slot = build_where(gender="women", max_price=OUTFIT_PRICE)
    return {
        "unfiltered": [None] * len(categories),
        "unfiltered, 10 asked": [None] * len(categories),
        "category": [build_where(category=c) for c in categories],
        "gender": [build_where(gender="women")] * len(categories),
        "colour": [build_where(color=c) for c in colors],
        "price": [build_where(max_price=MAX_PRICE)] * len(categories),
        "outfit slot": [combine_where(slot, _group_where(group_of(c))) for c in categories],
        "all four facets": [build_where(gender="women", category=c, color=k, max_price=OUTFIT_PRICE * 2)
                            for c, k in zip(categories, colors)],
        "category, not the query's": [build_where(category=c) for c in other_category],
        "outfit slot, another group": [combine_where(slot, _group_where(g)) for g in other_group],
    }


def mask_of(where: dict | None, facets: dict[str, np.ndarray]) -> np.ndarray | None:
    """The items a where clause selects, computed apart from the store's own filter code (numpy, not Python)."""
    if where is None:
        return None
    if "$and" in where:
        out = np.ones(len(facets["category"]), bool)
        for part in where["$and"]:
            out &= mask_of(part, facets)
        return out
    (key, value), = where.items()
    if key == "category":
        wanted = value["$in"] if isinstance(value, dict) else [value]
        return np.isin(facets["category"], [CATEGORIES.index(c) for c in wanted if c in CATEGORIES])
    if key == "gender":
        wanted = value["$in"] if isinstance(value, dict) else [value]
        return np.isin(facets["gender"], [GENDERS.index(g) for g in wanted])
    if key == "price":
        return facets["price"] <= value["$lte"]
    if key.startswith("color_"):
        return (facets["colors"] & (1 << COLORS.index(key[len("color_"):]))) != 0
    raise ValueError(f"no mask for {where}")


def ground_truth(vectors: np.ndarray, queries: np.ndarray, kinds: dict, facets: dict, path: Path) -> dict:
    """The exact top ten per kind and query (item indices, -1 where fewer pass), cached in a file."""
    def compute() -> dict:
        truth: dict[str, list[list[int]]] = {}
        for kind, wheres in kinds.items():
            rows: list[list[int]] = [[] for _ in wheres]
            by_where: dict[str, list[int]] = {}
            for i, where in enumerate(wheres):
                by_where.setdefault(json.dumps(where, sort_keys=True), []).append(i)
            for key, members in by_where.items():
                ids, _ = exact_neighbours(vectors, queries[members], 10, mask_of(json.loads(key), facets))
                for i, row in zip(members, ids):
                    rows[i] = row.tolist()
            truth[kind] = rows
            print(f"  exact answers: {kind}", flush=True)
        return truth

    return cached_json(path, compute)


# --------------------------------------------------------------------------------------------- measuring
def rss_bytes(pid: int | None = None) -> int:
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def disk_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def drop_pages(array: np.ndarray) -> None:
    """Give the vectors' memory-mapped pages back, so RSS measures the index, not the benchmark's input."""
    base = getattr(array, "_mmap", None)
    if base is not None and hasattr(base, "madvise"):
        base.madvise(mmap.MADV_DONTNEED)


def summary(times: list[float], recalls: list[float]) -> dict:
    ms = np.array(times) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "recall_at_10": round(float(np.mean(recalls)), 4) if recalls else None, "queries": len(times)}


def recall(found: list[int], truth: list[int]) -> float | None:
    wanted = [t for t in truth if t >= 0]
    return len(set(found[:10]) & set(wanted)) / len(wanted) if wanted else None


def run_queries(ask, queries: np.ndarray, wheres: list, truth: list[list[int]], limit: int) -> dict:
    times, recalls = [], []
    for i in range(min(limit, len(wheres))):
        started = time.perf_counter()
        found = ask(queries[i], wheres[i])
        times.append(time.perf_counter() - started)
        value = recall(found, truth[i])
        if value is not None:
            recalls.append(value)
    return summary(times, recalls)


def asked(kind: str) -> int:
    return 10 if kind.endswith("10 asked") else N_RESULTS


def item_index(item_id: str) -> int:
    return int(item_id.split("-")[1].split("~")[0])


# --------------------------------------------------------------------------------------------- building
def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["chroma", "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not answer within 60 s")


def build_both(store: CatalogStore, raw, world: SyntheticWorld, vectors: np.ndarray, count: int,
               batch: int) -> dict[str, float]:
    """Seconds each took: the store's add() and Chroma's own add() of the very same records (ids, vectors,
    metadata made beforehand), a batch of each in turn. Making the items is not timed."""
    spent = {"store": 0.0, "raw": 0.0}
    for k, start in enumerate(range(0, count, batch)):
        items = world.items(start, min(batch, count - start))
        chunk = np.asarray(vectors[start:start + len(items)])
        ids, metas = [record_id(i) for i in items], [item_to_metadata(i) for i in items]
        writes = {"store": lambda items=items, chunk=chunk: store.add(items, chunk),
                  "raw": lambda ids=ids, chunk=chunk, metas=metas: raw.add(ids=ids, embeddings=chunk, metadatas=metas)}
        for who in (("store", "raw") if k % 2 == 0 else ("raw", "store")):  # each goes first every other batch
            if who == "raw" and raw is None:
                continue
            began = time.perf_counter()
            writes[who]()
            spent[who] += time.perf_counter() - began
    return spent if raw is not None else {"store": spent["store"]}


def run_all(store: CatalogStore, raw, queries: np.ndarray, kinds: dict[str, list], truth: dict[str, list],
            limit: int, raw_limit: int) -> dict[str, tuple[dict, dict | None]]:
    """The store's and raw Chroma's answers to the same queries, kind by kind for each query in turn, so that every
    kind meets the caches in the same state (a run kind after kind saw the unfiltered p50 at 1M anywhere from 4.2
    to 7.7 ms as the caches warmed); the items the store remembers from recent hits are forgotten before each query.
    Raw Chroma's filtered queries stop at raw_limit (its filter is slow)."""
    def ask_store(vector, where, n):
        return [item_index(item.id) for item, _ in store.query(vector, n, where)]

    def ask_raw(vector, where, n):
        got = raw.query(query_embeddings=vector[None], n_results=n, include=["metadatas", "distances"],
                        where=as_filter(where).chroma_where() if where else None)
        return [item_index(i) for i in got["ids"][0]]

    times = {kind: {"store": [], "raw": []} for kind in kinds}
    recalls = {kind: {"store": [], "raw": []} for kind in kinds}
    for i in range(min(limit, len(queries))):
        for k, (kind, wheres) in enumerate(kinds.items()):
            for who, ask in (("store", ask_store), ("raw", ask_raw))[::1 if (i + k) % 2 == 0 else -1]:
                if who == "raw" and (raw is None or (i >= raw_limit and not kind.startswith("unfiltered"))):
                    continue
                store.cache.forget()  # no item remembered from the same vector's query of another kind
                started = time.perf_counter()
                found = ask(queries[i], wheres[i], asked(kind))
                times[kind][who].append(time.perf_counter() - started)
                if (value := recall(found, truth[kind][i])) is not None:
                    recalls[kind][who].append(value)
    return {kind: (summary(times[kind]["store"], recalls[kind]["store"]),
                   summary(times[kind]["raw"], recalls[kind]["raw"]) if times[kind]["raw"] else None)
            for kind in kinds}


RSS_PROBE = """
import sys, numpy as np, chromadb
from chromadb.config import Settings
def rss():
    return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
collection = client.get_collection(sys.argv[2])
before = rss()
dim = len(collection.get(limit=1, include=["embeddings"])["embeddings"][0])
collection.query(query_embeddings=np.ones((1, dim), np.float32), n_results=60, include=["metadatas"])
print(rss() - before)
"""


def index_rss(folder: Path, name: str) -> int:
    """Memory an index takes once loaded: RSS growth of a fresh process that opens it and queries it once."""
    done = subprocess.run([sys.executable, "-c", RSS_PROBE, str(folder), name], capture_output=True, text=True,
                          timeout=1800, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def open_raw(url: str, folder: Path, settings: IndexSettings, fresh: bool = False):
    client = raw_client(url, folder)
    if fresh:
        try:
            client.delete_collection("bench-raw")
        except Exception:  # not there yet
            pass
    return client.get_or_create_collection("bench-raw", configuration=settings.configuration(),
                                           embedding_function=None)


def raw_client(url: str, folder: Path):
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
        return chromadb.HttpClient(host=host, port=int(port), settings=settings)
    return chromadb.PersistentClient(path=str(folder), settings=settings)


def sweep_ef(client_folder: Path, name: str, queries: np.ndarray, truth: list[list[int]], efs: list[int]) -> list:
    """Recall@10 and latency of Chroma's own unfiltered query per ef_search, on the raw index (reloaded each time)."""
    rows = []
    for ef in efs:
        client = raw_client("", client_folder)
        client.get_collection(name).modify(configuration={"hnsw": {"ef_search": ef}})
        client.clear_system_cache()  # ef_search is read when the index loads
        collection = raw_client("", client_folder).get_collection(name)
        collection.query(query_embeddings=queries[:1], n_results=10)

        def ask(vector, where, collection=collection):
            return [item_index(i) for i in collection.query(query_embeddings=vector[None], n_results=10,
                                                            include=["distances"])["ids"][0]]

        rows.append({"ef_search": ef, **run_queries(ask, queries, [None] * len(queries), truth, len(queries))})
        print(f"  ef_search {ef}: {rows[-1]}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="catalog size")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--raw-filtered-queries", type=int, default=40,
                        help="queries per kind through Chroma's own filter (slow at scale)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=RESULTS / "cache", help="generated vectors and exact answers")
    parser.add_argument("--workdir", type=Path, help="where the indexes go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the indexes (in --workdir) and reuse them next time")
    parser.add_argument("--server", action="store_true", help="run both through a `chroma run` server started here")
    parser.add_argument("--chroma-url", default="", help="run both through this Chroma server")
    parser.add_argument("--skip-raw", action="store_true", help="measure the store only")
    parser.add_argument("--sweep-ef", default="", help="comma-separated ef_search values to try on the raw index")
    parser.add_argument("--hnsw-max-neighbors", type=int, default=IndexSettings().max_neighbors)
    parser.add_argument("--hnsw-ef-construction", type=int, default=IndexSettings().ef_construction)
    parser.add_argument("--hnsw-ef-search", type=int, default=IndexSettings().ef_search)
    parser.add_argument("--out", type=Path, help="JSON report (default bench/results/store-<items>[-server].json)")
    args = parser.parse_args(argv)
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    settings = IndexSettings(args.hnsw_max_neighbors, args.hnsw_ef_construction, args.hnsw_ef_search)
    count, world = args.items, SyntheticWorld(args.seed)

    # 1. Data and exact answers.
    print(f"data: {count} items, {args.queries} queries per kind (cache {args.cache})", flush=True)
    vectors = cached_vectors(world, count, args.cache)
    facets = facet_arrays(world, count, args.cache)
    queries = world.queries(args.queries)
    kinds = filter_kinds(*world.query_labels(args.queries), seed=args.seed)
    digest = hashlib.sha1(json.dumps(kinds, sort_keys=True).encode()).hexdigest()[:10]  # new kinds: new answers
    truth = ground_truth(vectors, queries, kinds, facets, args.cache / f"truth-{args.seed}-{count}-{digest}.json")
    selectivity = {kind: round(float(np.mean([mask_of(w, facets).mean() if w else 1.0 for w in wheres[:50]])), 4)
                   for kind, wheres in kinds.items()}
    exact_times = []
    for vector in queries[:20]:
        started = time.perf_counter()
        exact_neighbours(vectors, vector[None], 10)
        exact_times.append(time.perf_counter() - started)
    drop_pages(vectors)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-store-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server, url = (start_server(workdir / "server") if args.server else (None, args.chroma_url))
    owner = server.pid if server else None
    report: dict = {"items": count, "queries": args.queries, "settings": settings.describe(), "via": url or "embedded",
                    "selectivity": selectivity, "exact_numpy": summary(exact_times, [])}
    try:
        # 2. Build both, batch by batch in turn (the same moment for both: the machine's load is shared).
        rss0 = rss_bytes(owner)
        store = CatalogStore(path=None if url else workdir / "store", url=url, collection="bench-store",
                             embedder_name="bench", settings=settings)
        raw = None if args.skip_raw else open_raw(url, workdir / "raw", settings)
        if store.count() != count or (raw is not None and raw.count() != count):
            store.reset()
            raw = None if args.skip_raw else open_raw(url, workdir / "raw", settings, fresh=True)
            print(f"building {count} items in batches of {store.collection.max_batch} ...", flush=True)
            spent = build_both(store, raw, world, vectors, count, store.collection.max_batch)
            report.update({f"{who}_build_items_per_s": round(count / seconds) for who, seconds in spent.items()})
        if not url:  # the in-memory mirror for filters against the query (filled on first need in the app)
            before, filling = rss_bytes(None), time.perf_counter()
            store.fill_mirror()
            report["store_mirror_fill_s"] = round(time.perf_counter() - filling, 1)
            report["store_mirror_rss_bytes_per_item"] = round((rss_bytes(None) - before) / count)
        # 3. Queries, the store's and raw Chroma's in turn, query by query, once other queries have warmed the
        # caches a serving index has warm (the first ones after opening one read its pages: reported, not mixed in).
        others = world.queries(2 * args.queries)[args.queries:]
        first, raw_first = run_all(store, raw, others, {"unfiltered": [None] * len(others)},
                                   {"unfiltered": [[]] * len(others)}, args.queries, args.queries)["unfiltered"]
        report["store_first_queries"], report["raw_first_queries"] = first, raw_first
        print(f"  first queries after opening (other vectors, warming the caches): store {first}"
              + (f", raw {raw_first}" if raw_first else ""), flush=True)
        for kind, (store_row, raw_row) in run_all(store, raw, queries, kinds, truth, args.queries,
                                                  args.raw_filtered_queries).items():
            report.setdefault("store", {})[kind] = store_row
            if raw_row:
                report.setdefault("raw", {})[kind] = raw_row
            print(f"  {kind}: store {store_row}" + (f", raw {raw_row}" if raw_row else ""), flush=True)
        nothing = ([None] * len(queries), [[]] * len(queries))  # no filter, no recall: timings only
        report["store_count_ms"] = run_queries(lambda v, w: [store.count()], queries, *nothing, 20)
        report["store_is_empty_ms"] = run_queries(lambda v, w: [store.is_empty()], queries, *nothing, 20)
        # 4. Memory (each index loaded in a fresh process, or the server's growth) and disk.
        if url:
            report["server_rss_bytes_per_item_both_indexes"] = round((rss_bytes(owner) - rss0) / count)
            report["server_disk_bytes_per_item_both_indexes"] = round(disk_bytes(workdir / "server") / count)
        else:
            for who, folder, name in (("store", "store", "bench-store"), ("raw", "raw", "bench-raw")):
                if (workdir / folder).is_dir() and (who == "store" or raw is not None):
                    report[f"{who}_rss_bytes_per_item"] = round(index_rss(workdir / folder, name) / count)
                    report[f"{who}_disk_bytes_per_item"] = round(disk_bytes(workdir / folder) / count)
        if args.sweep_ef and raw is not None and not url:
            report["raw_ef_sweep"] = sweep_ef(workdir / "raw", "bench-raw", queries, truth["unfiltered"],
                                              [int(x) for x in args.sweep_ef.split(",")])
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    report["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                         "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    report["bench_seconds"] = round(time.perf_counter() - began)
    print_table(report)
    out = args.out or RESULTS / f"store-{count}{'-server' if url else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out} ({report['bench_seconds']} s in all)")
    return 0


def print_table(report: dict) -> None:
    store, raw = report["store"], report.get("raw", {})
    base = store["unfiltered"]["p50_ms"]
    print(f"\nCatalog store benchmark: {report['items']} items via {report['via']}, HNSW {report['settings']}, "
          f"load average {report['machine']['load_average_before_after']}")
    header = (f"{'query (60 asked)':<28}{'share':>7}{'store p50':>10}{'p95':>8}{'x unf.':>8}{'recall@10':>10}"
              f"{'raw p50':>10}{'p95':>8}{'recall@10':>10}")
    print(header + "\n" + "-" * len(header))
    for kind, row in store.items():
        other = raw.get(kind, {})
        print(f"{kind:<28}{report['selectivity'][kind]:>7.3f}{row['p50_ms']:>10.1f}{row['p95_ms']:>8.1f}"
              f"{row['p50_ms'] / base:>8.1f}{row['recall_at_10'] or 0:>10.3f}"
              f"{other.get('p50_ms', float('nan')):>10.1f}{other.get('p95_ms', float('nan')):>8.1f}"
              f"{other.get('recall_at_10') or float('nan'):>10.3f}")
    exact = report["exact_numpy"]
    print(f"{'numpy exact, unfiltered':<28}{1:>7.3f}{exact['p50_ms']:>10.1f}{exact['p95_ms']:>8.1f}{'':>8}{1:>10.3f}")
    for what in ("build_items_per_s", "rss_bytes_per_item", "disk_bytes_per_item"):
        if f"store_{what}" in report or f"raw_{what}" in report:
            print(f"{what.replace('_', ' ')}: store {report.get('store_' + what, '-')}, "
                  f"raw Chroma {report.get('raw_' + what, '-')}")
    for what in ("server_rss_bytes_per_item_both_indexes", "server_disk_bytes_per_item_both_indexes"):
        if what in report:
            print(f"{what.replace('_', ' ')}: {report[what]}")
    first, raw_first = report.get("store_first_queries"), report.get("raw_first_queries")
    if first:
        print(f"first {first['queries']} queries after opening, unfiltered p50/p95: store {first['p50_ms']} / "
              f"{first['p95_ms']} ms" + (f", raw Chroma {raw_first['p50_ms']} / {raw_first['p95_ms']} ms"
                                         if raw_first else ""))
    if "store_mirror_fill_s" in report:
        print(f"store mirror: filled in {report['store_mirror_fill_s']} s, RSS "
              f"{report['store_mirror_rss_bytes_per_item']} bytes per item")
    print(f"store count() p50: {report['store_count_ms']['p50_ms']} ms, is_empty() p50: "
          f"{report['store_is_empty_ms']['p50_ms']} ms")

if __name__ == "__main__":
    raise SystemExit(main())
