"""Screenshots of each tab for the README, taken by the browser test's own steps (tests/browser_pages.py).

    python bench/screenshots.py [--out docs/images]

Starts `python app.py` with the demo profile on a free port and an empty data dir of its own (the shipped catalog
is indexed afresh), drives Debian's Chromium (/usr/bin/chromium, through Playwright's `executable_path`; never
`playwright install`) through the tabs as a shopper would, and writes, each only once its results show:

    attributes.png  the Attributes tab reading a catalog dress
    search.png      the Search tab: "a red dress for a summer wedding", its results and the outfit that completes them
    stylist.png     the AI stylist's picks for that dress and "what goes with this for a summer wedding?"
    chat.png        the Stylist chat two turns in: "an outfit for a summer wedding", then "under $60 each"

Each is the page 1280 px wide, cut at --max-height, reduced to a 256-colour palette and saved with Pillow's
optimize (a few hundred KB at most). Takes about a minute on a 2-core CPU box. Re-run it when the UI changes.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from bench_app import stop  # bench/ is this script's folder, first on sys.path
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "images"
START_TIMEOUT_S = 240
QUERY = "a red dress for a summer wedding"
PROMPT = "what goes with this for a summer wedding?"
CHAT = ("an outfit for a summer wedding", "under $60 each")
# The chat scrolls inside a box of fixed height; for the picture it grows to show both turns whole.
UNROLL_CHAT = ("#chat-bot, #chat-bot .bubble-wrap { height: auto !important; max-height: none !important; "
               "overflow: visible !important; }")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_demo(data_dir: Path) -> Iterator[str]:
    """`python app.py` with the demo profile on a free port; yields its URL once the page is served."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "FASHION_AI_PROFILE": "demo", "FASHION_AI_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "FASHION_AI_PORT": str(port), "FASHION_AI_HOST": "127.0.0.1"}
    log = data_dir.parent / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > START_TIMEOUT_S:
                raise RuntimeError(f"app.py did not serve within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)


def small_png(png: bytes, path: Path, max_height: int, colors: int) -> int:
    """Write a screenshot cut at max_height, as a palette PNG of `colors` colours; returns its size in bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > max_height:
        image = image.crop((0, 0, image.width, max_height))
    # A UI is mostly flat colour: a palette without dithering keeps edges clean and the file small.
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return path.stat().st_size


def take_screenshots(url: str, out: Path, max_height: int, colors: int) -> dict[str, int]:
    """Drive each tab with the browser test's steps; write <tab>.png under `out`; return each file's size."""
    from playwright.sync_api import sync_playwright

    from fashion_ai.catalog import load_catalog
    from fashion_ai.config import DEFAULT_CATALOG_DIR, DEMO_BANNER
    from tests import browser_pages as pages

    dress = next(item.image_path for item in load_catalog(Path(DEFAULT_CATALOG_DIR)) if item.category == "dress")
    sizes: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        sizes[name] = small_png(page.screenshot(full_page=True), out / f"{name}.png", max_height, colors)

    def chat(page) -> None:
        pages.open_chat(page)
        for turn, text in enumerate(CHAT, start=1):
            pages.say(page, text, turn)
        page.add_style_tag(content=UNROLL_CHAT)

    with sync_playwright() as playwright:
        browser = pages.launch_chromium(playwright)
        try:
            steps = {
                "attributes": lambda page: pages.read_attributes(page, str(dress)),
                "search": lambda page: pages.search(page, QUERY),
                "stylist": lambda page: pages.style(page, str(dress), PROMPT),
                "chat": chat,
            }
            for name, step in steps.items():
                with pages.app_page(browser, url, DEMO_BANNER) as (page, errors):
                    step(page)
                    page.mouse.move(0, 0)  # no hover highlight in the picture
                    shoot(page, name)
                if errors:
                    raise RuntimeError(f"JavaScript errors on the {name} page: {errors}")
        finally:
            browser.close()
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs (default docs/images)")
    parser.add_argument("--max-height", type=int, default=2400, help="cut each page at this many pixels")
    parser.add_argument("--colors", type=int, default=256, help="palette size of each PNG")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    scratch = Path(tempfile.mkdtemp(prefix="fashion-ai-screenshots-"))
    try:
        with serve_demo(scratch / "data") as url:
            sizes = take_screenshots(url, args.out, args.max_height, args.colors)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name, size in sizes.items():
        print(f"{args.out / name}.png  {size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
