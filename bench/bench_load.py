"""Load benchmark: a crowd of shoppers on the app at once, each a gradio_client, for a bounded number of calls.

    python bench/bench_load.py                      # starts `python app.py` (demo profile) on a free port
    python bench/bench_load.py --url http://127.0.0.1:7860/ --clients 16 --calls 160

Every client takes the next call from a shared count until --calls have been made; call k goes to the endpoint
the mix says (by default of every 8 calls: 4 searches, 2 outfits, 1 photo's attributes, 1 stylist), so the mix
is the same whatever the timing. Prints p50/p95/max per endpoint and every error; writes bench/results/load.json.
Only 127.0.0.1: this drives a local app, never someone else's.
"""

from __future__ import annotations

import argparse
import json
import os
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


def run_load(url: str, clients: int, calls: int, mix: str, photos: list[str]) -> dict:
    """clients threads sharing `calls` calls; latency per endpoint (ms) and errors."""
    from gradio_client import Client

    endpoints = plan(mix, calls)
    lock = threading.Lock()
    taken = [0]
    times: dict[str, list[float]] = {name: [] for name in set(endpoints)}
    errors: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    ready = threading.Barrier(clients)

    # gradio_client makes a new httpx client per request, and with it a TLS context that loads every CA
    # certificate, even for plain http: 55 of a call's 61 ms of the shopper's CPU, taken from the server's two
    # cores. One context made here and shared leaves a call 5 ms of client CPU, as a browser elsewhere would.
    tls = ssl.create_default_context()

    def shopper() -> None:
        client = Client(url, verbose=False, download_files=False, ssl_verify=tls)
        ready.wait()
        while True:
            with lock:
                k = taken[0]
                taken[0] += 1
            if k >= calls:
                return
            endpoint = endpoints[k]
            started = time.perf_counter()
            try:
                result = call(client, endpoint, k, photos)
                ok = bool(result) and all(part is not None for part in result)
            except Exception as exc:  # every refusal is counted with its message
                ok = False
                errors[f"/{endpoint}: {' '.join(str(exc).split())[:160]}"] += 1
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                times[endpoint].append(elapsed)
                answered[endpoint] += ok

    began = time.perf_counter()
    threads = [threading.Thread(target=shopper) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    per_endpoint = {}
    for name, values in sorted(times.items()):
        ordered = sorted(values)
        per_endpoint[f"/{name}"] = {
            "calls": len(values), "answered": answered[name], "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "max_ms": round(ordered[-1], 1)}
    return {"clients": clients, "calls": calls, "mix": mix, "wall_s": round(wall, 2),
            "calls_per_s": round(calls / wall, 2), "endpoints": per_endpoint, "errors": dict(errors)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app on 127.0.0.1 (default: start `python app.py` here)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent shoppers")
    parser.add_argument("--calls", type=int, default=160, help="calls in all (bounds the run)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="endpoint=weight,... (search, complete_outfit, "
                                                           "attributes, stylist)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads in the app it starts")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)
    if args.clients <= 0 or args.calls <= 0:
        parser.error("--clients and --calls must be positive")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be an app on this machine (127.0.0.1)")
    os.environ.setdefault("FASHION_AI_PROFILE", "demo")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import load_config

    photos = [item.image_path for item in load_catalog(Path(load_config(None).catalog_dir))[:24]]
    proc = None
    load_before = os.getloadavg()[0]
    try:
        url = args.url
        if not url:
            from bench_app import start_app, stop

            if args.threads > 0:
                os.environ["OMP_NUM_THREADS"] = str(args.threads)
            proc, url, started_s, _ = start_app(Path(tempfile.mkdtemp(prefix="bench-load-")), dict(os.environ))
            print(f"app started in {started_s:.1f} s at {url}", flush=True)
        # The crowd comes once the app is ready (models and index loaded): this measures serving, not a cold start
        # (bench_app.py measures that).
        from gradio_client import Client

        ready = time.perf_counter()
        Client(url, verbose=False).predict(api_name="/status")
        print(f"ready after another {time.perf_counter() - ready:.1f} s", flush=True)
        report = run_load(url, args.clients, args.calls, args.mix, photos)
    finally:
        if proc is not None:
            stop(proc)
    report["load_average_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(f"\n{args.clients} shoppers, {args.calls} calls ({args.mix}) in {report['wall_s']} s, "
          f"load average {report['load_average_before_after']}")
    header = f"{'endpoint':<18}{'calls':>7}{'answered':>10}{'p50':>10}{'p95':>10}{'max':>10}"
    print(header + "\n" + "-" * len(header))
    for name, row in report["endpoints"].items():
        print(f"{name:<18}{row['calls']:>7}{row['answered']:>10}{row['p50_ms']:>8.0f}ms{row['p95_ms']:>8.0f}ms"
              f"{row['max_ms']:>8.0f}ms")
    for message, count in report["errors"].items():
        print(f"error x{count}: {message}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if not report["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
