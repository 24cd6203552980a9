"""Bad clients beside a burst of shoppers (bench_load.py --burst --abuse), and what they leave behind.

Three bad clients come with the second and third of three bursts: one opens 100 connections and never finishes a request, one
uploads a 10 MB photo and asks for its attributes 50 times in a row, one drops its calls mid-way (a photo call
whose answer it stops reading, an upload cut off halfway), 20 times. The shoppers' p95 in the clean burst and in
the one beside the bad clients are reported side by side, and the app's threads, child processes, open files,
upload folder (GRADIO_TEMP_DIR) and resident memory (its own and its worker's) are read after the clean burst and
again once the bad clients are gone and the app has settled.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import psutil
from PIL import Image

logger = logging.getLogger(__name__)

IDLE_CONNECTIONS = 100
BIG_UPLOADS = 50
BIG_PHOTO_BYTES = 10 * 10**6  # 10 MB, under the app's 10 MiB upload cap
DROPPED_CALLS = 20
SETTLE_S = 15  # the dropped calls still run in the queue; the app's threads go idle


def big_photo(folder: Path) -> Path:
    """A noise PNG of about 10 MB (noise does not compress), 3.3 MP."""
    side = int((BIG_PHOTO_BYTES / 3) ** 0.5)
    pixels = np.random.default_rng(36).integers(0, 256, (side, side, 3), dtype=np.uint8)
    path = folder / "big-photo.png"
    Image.fromarray(pixels).save(path, compress_level=0)
    return path


def usage(pid: int, upload_dir: Path | None) -> dict:
    """The app's threads, child processes, open files, upload folder and resident memory (MiB) now."""
    app = psutil.Process(pid)
    children = app.children(recursive=True)
    files = [p for p in upload_dir.rglob("*") if p.is_file()] if upload_dir and upload_dir.is_dir() else []
    return {"threads": app.num_threads(), "child_processes": len(children),
            "child_threads": sum(child.num_threads() for child in children), "open_files": app.num_fds(),
            "connections": len(app.net_connections()), "upload_files": len(files),
            "upload_mib": round(sum(p.stat().st_size for p in files) / 2**20, 1),
            "app_rss_mib": round(app.memory_info().rss / 2**20, 1),
            "children_rss_mib": round(sum(child.memory_info().rss for child in children) / 2**20, 1)}


def _idle_connections(url: str, stop: threading.Event, outcome: Counter) -> None:
    """IDLE_CONNECTIONS sockets, each with half a request's headers, held until stop."""
    host, port = urlparse(url).hostname, urlparse(url).port
    held = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n".encode())  # never the blank line that ends it
            held.append(sock)
        outcome["opened"] = len(held)
        stop.wait()
    except OSError as exc:
        outcome[f"refused: {exc}"] += 1
    finally:
        for sock in held:
            sock.close()


def _big_uploads(url: str, photo: Path, outcome: Counter) -> None:
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=False)
    for _ in range(BIG_UPLOADS):
        try:
            client.predict(handle_file(str(photo)), api_name="/attributes")
            outcome["answered"] += 1
        except Exception as exc:  # a plain refusal is an answer too: counted with its message
            outcome[f"refused: {' '.join(str(exc).split())[:120]}"] += 1


def _dropped_calls(url: str, photo: str, outcome: Counter) -> None:
    """A photo call whose answer is never read to the end, then an upload cut off halfway, DROPPED_CALLS times."""
    host, port = urlparse(url).hostname, urlparse(url).port
    body = Path(photo).read_bytes()
    with httpx.Client(base_url=url, timeout=30) as http:
        for k in range(DROPPED_CALLS):
            try:
                if k % 2 == 0:
                    path = http.post("gradio_api/upload", files={"files": ("photo.png", io.BytesIO(body))}).json()[0]
                    event = http.post("gradio_api/call/attributes", json={"data": [
                        {"path": path, "meta": {"_type": "gradio.FileData"}}]}).json()["event_id"]
                    with httpx.stream("GET", f"{url}gradio_api/call/attributes/{event}", timeout=30) as stream:
                        next(stream.iter_bytes(), b"")  # the first bytes, then hang up
                else:
                    with socket.create_connection((host, port), timeout=5) as sock:
                        sock.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/"
                                     f"form-data; boundary=x\r\nContent-Length: {2 * len(body) + 200}\r\n\r\n--x\r\n"
                                     f'Content-Disposition: form-data; name="files"; filename="p.png"\r\n'
                                     f"Content-Type: image/png\r\n\r\n".encode() + body)
                outcome["dropped"] += 1
            except (OSError, httpx.HTTPError, KeyError, ValueError) as exc:
                outcome[f"failed to start: {exc}"] += 1
            time.sleep(0.3)


def abused_burst(url: str, proc, clients: int, photos: list[str], run_burst: Callable[..., dict],
                 upload_dir: Path | None, scratch: Path) -> dict:
    """A clean burst, then one beside the bad clients; the app's usage after each (the second once settled)."""
    report: dict = {"burst": run_burst(url, clients, photos)}
    time.sleep(SETTLE_S)
    report["usage_before"] = usage(proc.pid, upload_dir)
    photo = big_photo(scratch)
    # Twice: memory the allocator keeps after the first round (its high-water mark) is reused by the second; a leak
    # would grow again.
    for suffix in ("", "_again"):
        stop = threading.Event()
        outcomes = {"idle connections": Counter(), "10 MB uploads": Counter(), "dropped calls": Counter()}
        bad = [threading.Thread(target=_idle_connections, args=(url, stop, outcomes["idle connections"])),
               threading.Thread(target=_big_uploads, args=(url, photo, outcomes["10 MB uploads"])),
               threading.Thread(target=_dropped_calls, args=(url, photos[1], outcomes["dropped calls"]))]
        for thread in bad:
            thread.start()
        time.sleep(1)  # the bad clients are in before the shoppers come
        report[f"usage_during{suffix}"] = usage(proc.pid, upload_dir)
        report[f"abused_burst{suffix}"] = run_burst(url, clients, photos)
        stop.set()
        for thread in bad:
            thread.join()
        time.sleep(SETTLE_S)
        report[f"usage_after{suffix}"] = usage(proc.pid, upload_dir)
        report[f"bad_clients{suffix}"] = {name: dict(outcome) for name, outcome in outcomes.items()}
    return report


def print_abuse(report: dict) -> None:
    """The shoppers' p95 without and beside the bad clients, and the app's usage before, during and after."""
    clean, abused = report["burst"]["endpoints"], report["abused_burst"]["endpoints"]
    again = report["abused_burst_again"]["endpoints"]
    print("\nthe shoppers' p95 (ms): clean burst -> beside the bad clients -> again")
    for name in clean:
        print(f"  {name:<18}{clean[name]['p95_ms']:>8.0f} -> {abused[name]['p95_ms']:.0f} -> {again[name]['p95_ms']:.0f}")
    for suffix in ("", "_again"):
        print("bad clients: " + "; ".join(f"{name}: {outcome}" for name, outcome in report[f"bad_clients{suffix}"].items()))
    whens = ("before", "during", "after", "during_again", "after_again")
    print(f"{'app usage':<20}" + "".join(f"{when:>14}" for when in whens))
    for key in report["usage_before"]:
        print(f"  {key:<18}" + "".join(f"{report[f'usage_{when}'][key]:>14}" for when in whens))
