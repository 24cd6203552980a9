"""Load benchmark: a crowd of shoppers on the app at once, each a gradio_client, for a bounded number of calls.

    python bench/bench_load.py                      # starts `python app.py` (demo profile) on a free port
    python bench/bench_load.py --url http://127.0.0.1:7860/ --clients 16 --calls 160
    python bench/bench_load.py --burst              # the burst (below), then the interleaved mix, in one run
    python bench/bench_load.py --burst --compare    # the same for each way of sharing the cores, side by side
    python bench/bench_load.py --burst --abuse      # a clean burst, then one beside bad clients (load_abuse.py)

The interleaved mix: every client takes the next call from a shared count until --calls have been made; call k goes
to the endpoint the mix says (by default of every 8 calls: 4 searches, 2 outfits, 1 photo's attributes, 1 stylist),
so the mix is the same whatever the timing. The burst (--burst): once the app has answered one search and one photo,
--burst-clients shoppers start together (a barrier) and each makes the same four calls in a row: a search, "complete
the outfit", a photo's attributes, another search (what a Space sees when a link is shared). Prints p50/p95/max per
endpoint and every error; writes bench/results/load.json. Only 127.0.0.1: this drives a local app, never someone
else's.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import os
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
DEFAULT_MIX = "search=4,complete_outfit=2,attributes=1,stylist=1"
QUERIES = ("a red dress for a summer wedding", "navy wool coat for work", "striped shirt", "sneakers for the weekend",
           "a boho outfit for the beach", "black leather bag", "grey sweater for the office", "floral skirt")
PROMPT = "what goes with this for a summer wedding?"
BURST = ("search", "complete_outfit", "attributes", "search")  # each shopper of a burst, in this order


def plan(mix: str, calls: int) -> list[str]:
    """The endpoint of each call, in order: the mix repeated."""
    cycle: list[str] = []
    for part in mix.split(","):
        name, _, weight = part.partition("=")
        cycle += [name.strip()] * int(weight or 1)
    if not cycle:
        raise ValueError("the mix names no endpoint")
    return [cycle[k % len(cycle)] for k in range(calls)]


def call(client, endpoint: str, k: int, photos: list[str]):
    from gradio_client import handle_file

    query = QUERIES[k % len(QUERIES)]
    if endpoint in ("search", "complete_outfit"):
        return client.predict(query=query, api_name=f"/{endpoint}")
    if endpoint == "attributes":
        return client.predict(handle_file(photos[k % len(photos)]), api_name="/attributes")
    if endpoint == "stylist":
        return client.predict(handle_file(photos[k % len(photos)]), PROMPT, api_name="/stylist")
    raise ValueError(f"unknown endpoint {endpoint!r}")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of values (share in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Tally:
    """Latency (ms), answers and refusals per endpoint, from many shopper threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.answered: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def timed(self, client, endpoint: str, k: int, photos: list[str]) -> None:
        """Make call k to the endpoint and count it (a refusal is counted with its message, never raised)."""
        started = time.perf_counter()
        try:
            result = call(client, endpoint, k, photos)
            ok = bool(result) and all(part is not None for part in result)
        except Exception as exc:  # every refusal is counted with its message
            ok = False
            with self.lock:
                self.errors[f"/{endpoint}: {' '.join(str(exc).split())[:160]}"] += 1
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times.setdefault(endpoint, []).append(elapsed)
            self.answered[endpoint] += ok

    def report(self, wall: float, **about) -> dict:
        per_endpoint = {}
        for name, values in sorted(self.times.items()):
            per_endpoint[f"/{name}"] = {
                "calls": len(values), "answered": self.answered[name], "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 0.95), 1), "max_ms": round(max(values), 1)}
        everything = [t for values in self.times.values() for t in values]
        calls = len(everything)
        return {**about, "calls": calls, "wall_s": round(wall, 2), "calls_per_s": round(calls / wall, 2),
                "all_p50_ms": round(statistics.median(everything), 1), "all_p95_ms": round(percentile(everything, 0.95), 1),
                "endpoints": per_endpoint, "errors": dict(self.errors)}


def shoppers(url: str, clients: int, work) -> float:
    """Run work(client) in `clients` threads, each with its own gradio_client, started together; the wall time."""
    from gradio_client import Client

    # gradio_client makes a new httpx client per request, and with it a TLS context that loads every CA
    # certificate, even for plain http: 55 of a call's 61 ms of the shopper's CPU, taken from the server's two
    # cores. One context made here and shared leaves a call 5 ms of client CPU, as a browser elsewhere would.
    tls = ssl.create_default_context()
    ready = threading.Barrier(clients + 1)
    began = [0.0]

    def shopper() -> None:
        client = Client(url, verbose=False, download_files=False, ssl_verify=tls)
        ready.wait()
        work(client)

    threads = [threading.Thread(target=shopper) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()  # every client connected: the clock starts when they all go
    began[0] = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began[0]


def run_load(url: str, clients: int, calls: int, mix: str, photos: list[str]) -> dict:
    """clients threads sharing `calls` calls; latency per endpoint (ms) and errors."""
    endpoints = plan(mix, calls)
    tally = Tally()
    taken = itertools.count()

    def work(client) -> None:
        while (k := next(taken)) < calls:  # itertools.count is atomic under the GIL
            tally.timed(client, endpoints[k], k, photos)

    wall = shoppers(url, clients, work)
    return tally.report(wall, clients=clients, mix=mix)


def run_burst(url: str, clients: int, photos: list[str], sequence: tuple[str, ...] = BURST) -> dict:
    """clients shoppers that start together, each making the sequence's calls in a row; latency per endpoint (ms)."""
    tally = Tally()
    counter = itertools.count()

    def work(client) -> None:
        shopper = next(counter)
        for step, endpoint in enumerate(sequence):
            tally.timed(client, endpoint, shopper * len(sequence) + step, photos)

    wall = shoppers(url, clients, work)
    return tally.report(wall, clients=clients, sequence=list(sequence))


def warm(url: str, photo: str) -> float:
    """One status, one search and one photo answered (models loaded, index open, worker started); seconds."""
    from gradio_client import Client, handle_file

    started = time.perf_counter()
    client = Client(url, verbose=False, download_files=False)
    client.predict(api_name="/status")
    client.predict(query=QUERIES[0], api_name="/search")
    client.predict(handle_file(photo), api_name="/attributes")
    return time.perf_counter() - started


# Ways of sharing the cores between requests and the photo model, compared by --compare in one run. Each is the
# environment of the app it starts: OMP_NUM_THREADS sets the app process's torch threads (the budget's app share;
# None: torch's default, one per core), FASHION_AI_MODEL_* the worker's (fashion_ai/models/threads.py), BENCH_*
# the Gradio queues' sizes (app_variant.py). "{cores}" is this machine's cores.
VARIANTS: dict[str, dict[str, str | None]] = {
    "torch default: app and model a thread per core, nice 10": {"OMP_NUM_THREADS": None,
                                                                "FASHION_AI_MODEL_THREADS": "{cores}"},
    "budget: app 1, model cores-1, nice 10": {"OMP_NUM_THREADS": "1"},
    "budget: app 1, model cores-1, nice 19": {"OMP_NUM_THREADS": "1", "FASHION_AI_MODEL_NICENESS": "19"},
    "app 1, model every core, nice 19": {"OMP_NUM_THREADS": "1", "FASHION_AI_MODEL_THREADS": "{cores}",
                                         "FASHION_AI_MODEL_NICENESS": "19"},
    "budget, nice 19, search queue 16 at once": {"OMP_NUM_THREADS": "1", "FASHION_AI_MODEL_NICENESS": "19",
                                                 "BENCH_SEARCH_CONCURRENCY": "16"},
}


def variant_env(overrides: dict[str, str | None], cores: int) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value.format(cores=cores)
    return env


def serve_and_measure(args, photos: list[str], env: dict[str, str] | None, script: str = "app.py") -> dict:
    """Start the app (unless --url), warm it, run the burst (with --burst) and the interleaved mix; the report."""
    proc = None
    report: dict = {}
    try:
        url = args.url
        if not url:
            from bench_app import start_app, stop

            data = Path(tempfile.mkdtemp(prefix="bench-load-"))
            atexit.register(shutil.rmtree, data, True)  # the app's index and uploads: gone when the bench ends
            env = dict(env or os.environ)
            if args.abuse:  # its own upload folder, to count what the bad clients leave there
                env["GRADIO_TEMP_DIR"] = str(data / "uploads")
            proc, url, started_s, _ = start_app(data, env, script=script)
            report["started_s"] = round(started_s, 1)
            print(f"app started in {started_s:.1f} s at {url}", flush=True)
        # The crowd comes once the app is ready (models and index loaded, one photo read): this measures serving,
        # not a cold start (bench_app.py measures that).
        report["warm_s"] = round(warm(url, photos[0]), 1)
        print(f"ready after another {report['warm_s']:.1f} s (one search and one photo answered)", flush=True)
        if args.burst:
            if args.abuse:
                from load_abuse import abused_burst

                report.update(abused_burst(url, proc, args.burst_clients, photos, run_burst,
                                           Path(env["GRADIO_TEMP_DIR"]), data))
            else:
                report["burst"] = run_burst(url, args.burst_clients, photos, tuple(args.sequence.split(",")))
        report.update(run_load(url, args.clients, args.calls, args.mix, photos))
    finally:
        if proc is not None:
            stop(proc)
    return report


def print_table(title: str, run: dict) -> None:
    print(f"\n{title}: {run['calls']} calls in {run['wall_s']} s, all calls p50 {run['all_p50_ms']:.0f} ms, "
          f"p95 {run['all_p95_ms']:.0f} ms")
    header = f"{'endpoint':<18}{'calls':>7}{'answered':>10}{'p50':>10}{'p95':>10}{'max':>10}"
    print(header + "\n" + "-" * len(header))
    for name, row in run["endpoints"].items():
        print(f"{name:<18}{row['calls']:>7}{row['answered']:>10}{row['p50_ms']:>8.0f}ms{row['p95_ms']:>8.0f}ms"
              f"{row['max_ms']:>8.0f}ms")
    for message, count in run["errors"].items():
        print(f"error x{count}: {message}")


def print_comparison(results: dict[str, dict]) -> None:
    header = f"{'variant':<58}{'burst search':>13}{'outfit':>8}{'photo':>8}{'mix search':>11}{'outfit':>8}{'photo':>8}"
    print("\np95 (ms) per variant, the burst beside the interleaved mix\n" + header + "\n" + "-" * len(header))
    for name, report in results.items():
        burst, mix = report.get("burst", {}).get("endpoints", {}), report["endpoints"]

        def p95(rows: dict, endpoint: str) -> str:
            return f"{rows[endpoint]['p95_ms']:.0f}" if endpoint in rows else "-"

        print(f"{name:<58}{p95(burst, '/search'):>13}{p95(burst, '/complete_outfit'):>8}{p95(burst, '/attributes'):>8}"
              f"{p95(mix, '/search'):>11}{p95(mix, '/complete_outfit'):>8}{p95(mix, '/attributes'):>8}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app on 127.0.0.1 (default: start `python app.py` here)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent shoppers of the interleaved mix")
    parser.add_argument("--calls", type=int, default=160, help="calls in all of the interleaved mix (bounds the run)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="endpoint=weight,... (search, complete_outfit, "
                                                           "attributes, stylist)")
    parser.add_argument("--burst", action="store_true", help="first a burst: shoppers start together, each "
                        f"making {len(BURST)} calls ({', '.join(BURST)})")
    parser.add_argument("--burst-clients", type=int, default=16, help="shoppers of the burst")
    parser.add_argument("--sequence", default=",".join(BURST), help="each burst shopper's calls, in order (e.g. "
                        "without the photo, to see what searches wait for)")
    parser.add_argument("--compare", action="store_true", help="start the app once per way of sharing the cores "
                        "(VARIANTS) and print their p95s side by side")
    parser.add_argument("--abuse", action="store_true", help="with --burst: a clean burst, then one beside bad "
                        "clients (100 idle connections, 50 uploads of a 10 MB photo, calls dropped mid-way), and the "
                        "app's threads, processes, temp files and memory before and after")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads of the app's process in the app it "
                        "starts (OMP_NUM_THREADS); 0: as the app decides (its thread budget)")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)
    if args.clients <= 0 or args.calls <= 0 or args.burst_clients <= 0:
        parser.error("--clients, --calls and --burst-clients must be positive")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be an app on this machine (127.0.0.1)")
    if args.url and (args.compare or args.abuse):
        parser.error("--compare and --abuse start the app themselves: leave out --url")
    if args.abuse and not args.burst:
        parser.error("--abuse goes with --burst")
    if not set(args.sequence.split(",")) <= {"search", "complete_outfit", "attributes", "stylist"}:
        parser.error("--sequence: search, complete_outfit, attributes or stylist, comma-separated")
    os.environ.setdefault("FASHION_AI_PROFILE", "demo")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    if args.threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import load_config
    from fashion_ai.models.threads import thread_budget

    photos = [item.image_path for item in load_catalog(Path(load_config(None).catalog_dir))[:24]]
    budget = thread_budget()
    load_before = os.getloadavg()[0]
    if args.compare:
        results = {}
        for name, overrides in VARIANTS.items():
            print(f"\n== {name}", flush=True)
            results[name] = serve_and_measure(args, photos, variant_env(overrides, budget.cores), "bench/app_variant.py")
        report = {"variants": results, "cores": budget.cores}
    else:
        report = serve_and_measure(args, photos, None)
    report["load_average_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    report["thread_budget"] = {"cores": budget.cores, "app": budget.app_threads, "model": budget.model_threads,
                               "model_niceness": budget.model_niceness}
    print(f"\nload average {report['load_average_before_after']} (before, after); {budget.cores} cores")
    runs = report["variants"] if args.compare else {"": report}
    for name, run in runs.items():
        for label, part in (("the burst", run.get("burst")), ("the burst beside bad clients", run.get("abused_burst")),
                            ("again beside bad clients", run.get("abused_burst_again")), ("the interleaved mix", run)):
            if part:
                print_table(f"{name + ': ' if name else ''}{label} ({part['clients']} shoppers)", part)
    if args.compare:
        print_comparison(report["variants"])
    if args.abuse:
        from load_abuse import print_abuse

        print_abuse(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    errors = [run.get(key, {}).get("errors") for run in runs.values()
              for key in ("burst", "abused_burst", "abused_burst_again")]
    return 0 if not any(errors) and not any(run["errors"] for run in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
