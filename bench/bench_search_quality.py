"""Search and stylist quality on a demo catalog of a seed nothing was tuned on, before (the ranking of a baseline
commit) and after (this checkout), side by side in one run.

    python bench/bench_search_quality.py [--seed 2027] [--items 800] [--baseline-ref cec9bef]

The development set (bench/search_dev_set.json) holds shoppers' queries and stylist requests, each judged by the
catalog's metadata alone: precision of the top 6 out of what exists (min(6, matching items)) per query kind, and
whether the matches come first (R-precision: of the first min(6, matching items) results, the share that match; the
top 6 can hold every match below a miss), and the share of stylist picks a stylist would accept (never the shopper's
own slot, the dress code and the weather as the set writes them; an outfit over its total budget counts as not
accepted). The baseline runs from a git worktree of --baseline-ref in its own process, on the same catalog and the
same demo models. Weights and thresholds were tuned on seed 2026; report on others.

Prints a table and writes bench/results/search_quality.json.
"""

from __future__ import annotations

import argparse
import atexit
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "search_quality.json"
DEV_SET = ROOT / "bench" / "search_dev_set.json"
BASELINE_REF = "cec9bef"  # main before "Search and stylist that understand shoppers"
TOP = 6
GROUPS = {"top": {"top", "shirt", "sweater", "cardigan", "vest"}, "bottom": {"pants", "shorts", "skirt"},
          "one-piece": {"dress", "jumpsuit"}, "outerwear": {"jacket", "coat", "cape"}, "shoes": {"shoe"},
          "bag": {"bag"}, "accessory": {"hat", "scarf", "glasses", "belt", "watch", "tie", "glove"}}

# The baseline's own API (as of BASELINE_REF), run in its worktree: ids of what it returns for every request.
BASELINE_RUNNER = r'''
import json, sys, tempfile, time
from pathlib import Path
import torch
torch.set_num_threads(int(sys.argv[4]))
from fashion_ai.catalog import load_catalog
from fashion_ai.catalog.index import build_index
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import AppConfig
from fashion_ai.models.registry import load_embedder
from fashion_ai.retrieval.outfits import complete_outfit
from fashion_ai.retrieval.search import search_catalog
from fashion_ai.retrieval.stylist import style_item
from fashion_ai.schema import Garment
catalog, dev, out = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3])
embedder = load_embedder(AppConfig(profile="demo"), "demo")
store = CatalogStore(Path(tempfile.mkdtemp()) / "chroma", embedder_name=embedder.name)
build_index(load_catalog(catalog), embedder, store)
results, times = {"queries": [], "stylist": []}, {"queries": [], "stylist": []}
for query in dev["queries"]:
    started = time.perf_counter()
    results["queries"].append([h.item.id for h in search_catalog(query["text"], embedder, store, n=6)])
    times["queries"].append(time.perf_counter() - started)
for request in dev["stylist"]:
    started = time.perf_counter()
    if request["garment"]:
        hits = style_item(Garment(**request["garment"]), request["prompt"], embedder, store, n=6)
    else:
        hits = complete_outfit(request["prompt"], embedder, store)
    results["stylist"].append([h.item.id for h in hits])
    times["stylist"].append(time.perf_counter() - started)
out.write_text(json.dumps({"results": results, "times": times}))
'''


def run_after(catalog: Path, dev: dict, threads: int) -> dict:
    """This checkout: the service's context (CLIP, the text model, both indexes, the query reader)."""
    import torch

    from fashion_ai.catalog.index import build_index, build_text_index
    from fashion_ai.catalog.store import CatalogStore
    from fashion_ai.catalog.tags import load_tagged_catalog
    from fashion_ai.config import AppConfig
    from fashion_ai.models.registry import load_embedder
    from fashion_ai.models.text import load_text_model
    from fashion_ai.retrieval.outfits import plan_outfit
    from fashion_ai.retrieval.reading import QueryReader
    from fashion_ai.retrieval.search import SearchContext, find_items
    from fashion_ai.retrieval.stylist import style_outfit
    from fashion_ai.schema import Garment

    torch.set_num_threads(threads)
    embedder, text_model = load_embedder(AppConfig(profile="demo"), "demo"), load_text_model()
    folder = Path(tempfile.mkdtemp()) / "chroma"
    store = CatalogStore(folder, embedder_name=embedder.name)
    text_store = CatalogStore(folder, collection="catalog-text", embedder_name=text_model.name)
    items = load_tagged_catalog(catalog)  # a tagged feed (bench_tagging.py) as the app serves it
    build_index(items, embedder, store)
    build_text_index(items, text_model, text_store)
    ctx = SearchContext(embedder, store, QueryReader(text_model), text_model, text_store)
    results, times = {"queries": [], "stylist": []}, {"queries": [], "stylist": []}
    for query in dev["queries"]:
        started = time.perf_counter()
        results["queries"].append([h.item.id for h in find_items(query["text"], ctx, n=TOP).hits])
        times["queries"].append(time.perf_counter() - started)
    for request in dev["stylist"]:
        started = time.perf_counter()
        if request["garment"]:
            hits = style_outfit(Garment(**request["garment"]), request["prompt"], ctx).hits
        else:
            hits = plan_outfit(request["prompt"], ctx).hits
        results["stylist"].append([h.item.id for h in hits])
        times["stylist"].append(time.perf_counter() - started)
    return {"results": results, "times": times}


def run_baseline(ref: str, catalog: Path, threads: int) -> dict:
    """The baseline commit in a git worktree, in its own process."""
    worktree = Path(tempfile.mkdtemp(prefix="baseline-")) / "tree"
    atexit.register(shutil.rmtree, worktree.parent, True)  # what `git worktree remove` leaves: its parent folder
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), ref], check=True)
    try:
        out = worktree / "baseline.json"
        (worktree / "baseline_runner.py").write_text(BASELINE_RUNNER)
        subprocess.run([sys.executable, "baseline_runner.py", str(catalog), str(DEV_SET), str(out), str(threads)],
                       cwd=worktree, check=True, env={**_env(), "PYTHONPATH": str(worktree)})
        return json.loads(out.read_text())
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def accepts(item, rule: dict, cheap_limits: dict[str, float]) -> bool:
    """Whether an item answers a query's predicate (or a stylist request's acceptance rule)."""
    title = item.title.lower()
    checks = {
        "category": lambda v: item.category in v, "main_color": lambda v: item.colors[:1] and item.colors[0] in v,
        "not_colors": lambda v: not set(v) & set(item.colors), "pattern": lambda v: item.pattern in v,
        "not_pattern": lambda v: item.pattern not in v, "material": lambda v: item.material in v,
        "not_material": lambda v: item.material not in v, "occasion": lambda v: item.occasion in v,
        "season": lambda v: item.season in v, "style": lambda v: item.style in v,
        "not_style": lambda v: item.style not in v, "gender": lambda v: item.gender in v,
        "max_price": lambda v: item.price is not None and item.price <= v,
        "min_price": lambda v: item.price is not None and item.price >= v,
        "cheap": lambda v: item.price is not None and item.price <= cheap_limits.get(item.category, 0),
        "not_category": lambda v: item.category not in v,
        "not_groups": lambda v: not any(item.category in GROUPS[g] for g in v),
        "title": lambda v: any(word in title for word in v),
        "not_title": lambda v: not any(word in title for word in v),
    }
    return all(bool(checks[key](value)) for key, value in rule.items())


def judge(run: dict, dev: dict, items: dict) -> dict:
    """Precision of the top 6 per query kind, and the accepted share of stylist picks."""
    prices: dict[str, list[float]] = {}
    for item in items.values():
        if item.price is not None:
            prices.setdefault(item.category, []).append(item.price)
    cheap_limits = {c: sorted(p)[int(0.4 * (len(p) - 1))] for c, p in prices.items()}  # the cheaper 40%
    per_kind: dict[str, list[float]] = {}
    per_query = []
    for query, found in zip(dev["queries"], run["results"]["queries"], strict=True):
        exists = sum(accepts(item, query["expect"], cheap_limits) for item in items.values())
        if not exists:
            continue
        hits = [accepts(items[i], query["expect"], cheap_limits) for i in found[:TOP]]
        k = min(TOP, exists)
        precision = sum(hits) / k
        per_kind.setdefault(query["kind"], []).append(precision)
        # Order-aware: the matches come first (of the first k results, k = how many can match, the share that do).
        per_query.append({"text": query["text"], "kind": query["kind"], "p@6": round(precision, 3),
                          "first": round(sum(hits[:k]) / k, 3), "exists": exists})
    shares = []
    for request, picks in zip(dev["stylist"], run["results"]["stylist"], strict=True):
        over = request.get("total_budget") and sum(items[i].price or 0 for i in picks) > request["total_budget"]
        good = 0 if over else sum(accepts(items[i], request["accept"], cheap_limits) for i in picks)
        shares.append(good / len(picks) if picks else 0.0)
    return {"p@6": {kind: round(statistics.mean(v), 3) for kind, v in per_kind.items()},
            "p@6_all": round(statistics.mean(p["p@6"] for p in per_query), 3),
            "first_all": round(statistics.mean(p["first"] for p in per_query), 3), "queries": per_query,
            "stylist_accepted": round(statistics.mean(shares), 3), "stylist_per_request": [round(s, 3) for s in shares],
            "query_ms_p50": round(1000 * statistics.median(run["times"]["queries"]), 1),
            "stylist_ms_p50": round(1000 * statistics.median(run["times"]["stylist"]), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2027, help="the demo catalog's seed (2026 was used for tuning)")
    parser.add_argument("--items", type=int, default=800)
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref of the ranking to compare against")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only (tuning)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import os

    os.environ.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    from fashion_ai.catalog import load_catalog
    from fashion_ai.demo_world import write_catalog

    dev = json.loads(DEV_SET.read_text())
    catalog = Path(tempfile.mkdtemp(prefix=f"catalog-{args.seed}-"))
    atexit.register(shutil.rmtree, catalog, True)  # the demo catalog: gone when the bench ends
    write_catalog(catalog, args.items, args.seed)
    items = {item.id: item for item in load_catalog(catalog)}
    report = {"seed": args.seed, "items": args.items, "machine": platform.platform(), "threads": args.threads,
              "queries": len(dev["queries"]), "stylist_requests": len(dev["stylist"])}
    report["after"] = judge(run_after(catalog, dev, args.threads), dev, items)
    if not args.no_baseline:
        report["before"] = judge(run_baseline(args.baseline_ref, catalog, args.threads), dev, items)
        report["baseline_ref"] = args.baseline_ref
    runs = [name for name in ("before", "after") if name in report]
    kinds = sorted(report["after"]["p@6"])
    print(f"demo catalog seed {args.seed}, {args.items} items; {len(dev['queries'])} queries, "
          f"{len(dev['stylist'])} stylist requests")
    print(f"{'precision of the top 6':28s} " + " ".join(f"{r:>8s}" for r in runs))
    for kind in kinds:
        print(f"{'  ' + kind:28s} " + " ".join(f"{report[r]['p@6'].get(kind, 0):8.3f}" for r in runs))
    for label, key in (("  all queries", "p@6_all"), ("matches first (R-precision)", "first_all"),
                       ("stylist picks accepted", "stylist_accepted"),
                       ("query ms (median)", "query_ms_p50"), ("stylist ms (median)", "stylist_ms_p50")):
        print(f"{label:28s} " + " ".join(f"{report[r][key]:8.3f}" if "ms" not in key else f"{report[r][key]:8.1f}"
                                         for r in runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
