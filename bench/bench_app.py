"""Benchmark of the app as served: cold start, and per-endpoint latency through the server vs the library alone.

    FASHION_AI_PROFILE=demo python bench/bench_app.py [--calls 20]

1. Cold start: `python app.py` in a subprocess until its page is served, and until a first search is answered (the
   app serves its page first and loads the models and the index meanwhile), twice: first with an empty data dir
   (the catalog gets indexed), then again on the same dir (the index is reused).
2. Latency through the server: `--calls` calls of every endpoint with gradio_client; the first call is reported
   apart from the median and p90 of the rest.
3. Baselines in the same run: the same work done in-process through the library (no HTTP, no queue, no
   (de)serialisation), once the server has stopped, on the same index (the difference is what the server adds);
   and the app as it was at --baseline-ref (default cec9bef, before the text model, hybrid ranking and the stylist's
   rules), served from a git worktree and timed the same way (cold start and every endpoint it has).

Both run torch with --threads CPU threads (default 1, see --help for why).

Prints a table and writes bench/results/app.json. Takes about two minutes on a 2-core CPU box.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "app.json"
QUERY = "a red dress for a summer wedding"
BASELINE_REF = "cec9bef"  # main before "Search and stylist that understand shoppers"
PROMPT = "what goes with this for a summer wedding?"
CHAT = "an outfit for a summer wedding under $80 each"
START_TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(data_dir: Path, env: dict[str, str], tree: Path = ROOT,
              script: str = "app.py") -> tuple[subprocess.Popen, str, float, Path]:
    """Start `python app.py` (or another script taking its arguments) of a source tree; return the process, its URL
    and the seconds until the page was served."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path(tempfile.mkstemp(prefix="bench-app-", suffix=".log")[1])
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, script, "--port", str(port), "--data-dir", str(data_dir)],
                                cwd=tree, env={**env, "PYTHONPATH": str(tree)}, stdout=out, stderr=subprocess.STDOUT)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url, time.perf_counter() - started, log
        except httpx.HTTPError:
            pass
        if time.perf_counter() - started > START_TIMEOUT_S:
            proc.kill()
            raise RuntimeError(f"app.py did not serve within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def timed(fn: Callable[[], object], calls: int) -> dict:
    """first call apart; median and p90 over the rest (ms); errors counted with their message."""
    times, errors = [], {}
    for _ in range(calls):
        start = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # a plain-message refusal still costs what it costs: time it, count it
            errors[str(exc)[:120]] = errors.get(str(exc)[:120], 0) + 1
        times.append((time.perf_counter() - start) * 1000)
    rest = sorted(times[1:]) or times
    return {"first_ms": round(times[0], 1), "median_ms": round(statistics.median(rest), 1),
            "p90_ms": round(rest[min(len(rest) - 1, int(0.9 * len(rest)))], 1), "calls": calls, "errors": errors}


def bench_server(url: str, photo: str, calls: int) -> dict[str, dict]:
    from gradio_client import Client, handle_file

    # download_files=False: time the request, not the client fetching every photo (a browser does that lazily)
    client = Client(url, verbose=False, download_files=False)
    published = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    calls_by_name = {
        "/status": lambda: client.predict(api_name="/status"),
        "/attributes": lambda: client.predict(handle_file(photo), api_name="/attributes"),
        "/search": lambda: client.predict(query=QUERY, api_name="/search"),
        "/complete_outfit": lambda: client.predict(query=QUERY, api_name="/complete_outfit"),
        "/stylist": lambda: client.predict(handle_file(photo), PROMPT, api_name="/stylist"),
        "/chat_turn": lambda: client.predict(CHAT, None, "", api_name="/chat_turn"),
    }
    return {name: timed(call, calls) for name, call in calls_by_name.items() if name in published}


def bench_tree(tree: Path, photo: str, calls: int, env: dict[str, str]) -> dict:
    """Cold starts (empty index, then reused) and endpoint latency of the app in a source tree."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-app-data-"))
    try:
        proc, url, first_start, _ = start_app(data_dir, env, tree)  # empty data dir: indexes the catalog
        try:
            first_ready = first_start + first_answer(url)
        finally:
            stop(proc)
        proc, url, second_start, _ = start_app(data_dir, env, tree)  # index reused
        try:
            second_ready = second_start + first_answer(url)
            server = bench_server(url, photo, calls)
        finally:
            stop(proc)
        return {"cold_start_s": {"empty_index": round(first_start, 2), "index_reused": round(second_start, 2)},
                "first_answer_s": {"empty_index": round(first_ready, 2), "index_reused": round(second_ready, 2)},
                "server": server, "data_dir": data_dir}
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise


def first_answer(url: str) -> float:
    """Seconds from the page being served until a first search is answered (models and index loaded)."""
    from gradio_client import Client

    started = time.perf_counter()
    Client(url, verbose=False, download_files=False).predict(query=QUERY, api_name="/search")
    return time.perf_counter() - started


def baseline_tree(ref: str) -> Path:
    """A git worktree of the baseline commit (removed by the caller)."""
    tree = Path(tempfile.mkdtemp(prefix="bench-app-baseline-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
    return tree


def bench_library(data_dir: Path, photo: str, calls: int) -> dict[str, dict]:
    """The endpoints' work through the library alone, in this process, on the index the server built."""
    from fashion_ai.config import load_config
    from fashion_ai.service import FashionService

    if os.environ.get("OMP_NUM_THREADS"):
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    service = FashionService(load_config(None).with_overrides(data_dir=str(data_dir)))
    service.warm_up()

    def attributes():
        return service.extract(service.read_photo(photo))

    def stylist():
        return service.style(service.read_photo(photo), PROMPT)

    def chat_turn():
        return service.chat(CHAT, None, None)

    # Gradio runs handlers in a worker thread; so does the baseline (torch's CPU threading differs on the main thread).
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(lambda: {
            "/status": timed(lambda: service.store().count(), calls),
            "/attributes": timed(attributes, calls),
            "/search": timed(lambda: service.search(QUERY), calls),
            "/complete_outfit": timed(lambda: service.complete_outfit(QUERY), calls),
            "/stylist": timed(stylist, calls),
            "/chat_turn": timed(chat_turn, calls),
        }).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="calls per endpoint")
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref of the app to time beside this one")
    parser.add_argument("--no-baseline", action="store_true", help="time this checkout only")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads in the server and the baseline (OMP_NUM_THREADS); 0 = torch's default. "
                             "1 keeps timings steady on a shared box: with 2 threads on 2 busy cores, OpenMP waits for "
                             "a descheduled thread and a 70 ms generation takes 0.3-4.6 s")
    args = parser.parse_args(argv)
    if args.threads > 0:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read by torch when the server process starts
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("FASHION_AI_PROFILE", "demo")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import load_config

    config = load_config(None)
    photo = next(item.image_path for item in load_catalog(Path(config.catalog_dir)) if item.category == "dress")
    env = dict(os.environ)
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    before = None
    if not args.no_baseline:
        tree = baseline_tree(args.baseline_ref)
        try:
            before = bench_tree(tree, photo, args.calls, env)
            shutil.rmtree(before.pop("data_dir"), ignore_errors=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    after = bench_tree(ROOT, photo, args.calls, env)
    data_dir = after.pop("data_dir")
    try:
        library = bench_library(data_dir, photo, args.calls)  # after the server stopped: one process per store
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    server = after["server"]

    load = (load_before, os.getloadavg()[0])
    threads = args.threads or "default"
    print(f"\nFashion AI app benchmark, profile {config.profile}, {os.cpu_count()} CPUs, torch threads {threads}, "
          f"{args.calls} calls per endpoint, "
          f"load average {load[0]:.1f} -> {load[1]:.1f} (other work on the box skews CPU timings)")
    for label, key in (("until the page is served", "cold_start_s"), ("until a first search is answered", "first_answer_s")):
        print(f"cold start {label}: {after[key]['empty_index']:.1f} s with an empty index (indexes the catalog), "
              f"{after[key]['index_reused']:.1f} s with the index reused" + (
                  f"; {args.baseline_ref}: {before[key]['empty_index']:.1f} s and {before[key]['index_reused']:.1f} s"
                  if before else ""))
    print()
    header = f"{'endpoint':<18}{'before median':>15}{'server first':>14}{'server median':>15}{'server p90':>12}" \
             f"{'library median':>16}{'library p90':>13}{'server adds':>13}"
    print(header)
    print("-" * len(header))
    for name in server:
        s, lib = server[name], library.get(name)
        was = before["server"].get(name) if before else None
        print(f"{name:<18}" + (f"{was['median_ms']:>13.0f}ms" if was else f"{'-':>15}") +
              f"{s['first_ms']:>12.0f}ms{s['median_ms']:>13.0f}ms{s['p90_ms']:>10.0f}ms" + (
                  f"{lib['median_ms']:>14.0f}ms{lib['p90_ms']:>11.0f}ms{s['median_ms'] - lib['median_ms']:>11.0f}ms"
                  if lib else ""))
    for name in server:
        for where, result in (("server", server[name]), ("library", library.get(name, {"errors": {}}))):
            for message, count in result["errors"].items():
                print(f"note: {where} {name}: {count}/{args.calls} calls refused: {message}")
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_before_after": [round(x, 2) for x in load]},
        "config": {"profile": config.profile, "extractor": config.demo_extractor_dir, "embedder": config.demo_embedder_dir,
                   "catalog": config.catalog_dir},
        "cold_start_s": after["cold_start_s"], "first_answer_s": after["first_answer_s"],
        "server": server, "library": library, "calls": args.calls, "torch_threads": threads,
        "before": {"ref": args.baseline_ref, **before} if before else None,
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} ({report['bench_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
