"""Fashion AI, the app: garment attributes from a photo, text-to-outfit search, and an AI stylist.

Thin on purpose: every decision about images, models, the index and ranking lives in fashion_ai/; this file
turns shoppers' clicks into library calls and library errors into plain messages. Importing it is cheap
(`demo` is built, nothing is loaded); models and the catalog index load on first use, once per process.

    python app.py            # serve on http://127.0.0.1:7860 (see --help for every setting)
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import gradio as gr

# The settings are read before there is a service to ask (the service is made from them): the one other import of
# the library here (tests/test_imports.py keeps it so).
from fashion_ai.config import AppConfig, listen_address, load_config
from fashion_ai.service import FashionService
from ui import attributes_tab, catalog_tab, chat_tab, search_tab, stylist_tab
from ui.inputs import example_paths, hide_server_paths, on_gpu, shopper_errors  # imports `spaces` before torch loads
from ui.render import CSS, md
from ui.server import CatalogPhotos, app_kwargs

logger = logging.getLogger("fashion_ai.app")

TITLE = "Fashion AI"
TAGGING_REFRESH_S = 3.0  # how often the banner says how far tagging the catalog has got
INTRO = ("Upload a garment to read its attributes, describe what you are looking for to search the catalog, "
         "let the stylist pick what goes with a piece you own, or talk it through with the stylist chat.")
MODEL_QUEUE = "model"  # every call that runs a model shares one queue: one CPU/GPU, no oversubscription
MODEL_CONCURRENCY = 1
# Searches and outfits embed a few words and query the index (milliseconds): their own queue, several at a time,
# so a crowd's searches never wait behind photo work (the store's queries run concurrently).
SEARCH_QUEUE = "search"
SEARCH_CONCURRENCY = 4
# Gradio keeps every upload (one file per distinct photo) until the server restarts: sweep those an hour old every
# 15 minutes, so a Space that serves for weeks does not fill its disk (issue 36, bad input).
UPLOAD_CACHE = (15 * 60, 60 * 60)
EXAMPLE_CATEGORIES = ("dress", "shirt", "pants", "shoe", "bag", "jacket")  # one example photo each, when in stock


# --------------------------------------------------------------------------------------------- the app
def build_demo(config: AppConfig | None = None) -> gr.Blocks:
    """The whole UI for a config; nothing heavy happens until an event runs."""
    config = config or load_config(None)
    service = FashionService(config)
    facets = service.facets()
    max_bytes = config.max_upload_mb * 2**20
    catalog_photos = [facets.photos[category] for category in EXAMPLE_CATEGORIES if category in facets.photos]
    real_photos, shop_photos = service.real_example_photos(), service.shop_example_photos()
    # The only files on the server a photo input takes besides what it received: the photos the page offers.
    examples = example_paths([*catalog_photos, *real_photos, *shop_photos])
    caps = {"max_bytes": max_bytes, "max_chars": config.max_query_chars, "examples": examples}

    def banner_text() -> str:
        """Which model serves which tab (bold), then why any hub model fell back, a line each; the catalog's size."""
        first, *reasons = (hide_server_paths(line) for line in service.describe())  # a fallback's reason may name one
        return "  \n".join([f"**{md(first)}**", *(md(line) for line in reasons)]) + f" · {service.indexed} catalog items"

    @on_gpu
    def status(progress=gr.Progress()) -> str:
        """Which models serve, and the catalog index (built on the first visit if the server did not warm up)."""
        with shopper_errors("preparing the catalog", None):
            def report(done: int, total: int) -> None:
                progress((done, total), desc="Indexing the catalog photos", unit="items")

            service.store(report)  # first: which catalog serves is known once the index is open
            return banner_text()

    def tagging_status() -> tuple[Any, gr.Timer]:
        """The banner again while the catalog is being tagged in the background (how far it has got), and once
        more when it is done; the timer stops then, or at once when there is nothing to tag."""
        state = service.tagger.state
        if not service.indexed:  # the index is still being built (status): nothing to say yet
            return gr.update(), gr.Timer(active=True)
        if state.running or state.done:
            return banner_text(), gr.Timer(active=state.running)
        return gr.update(), gr.Timer(active=False)

    queue = {"concurrency_id": MODEL_QUEUE, "concurrency_limit": MODEL_CONCURRENCY}  # all photo work in one queue
    light = {"concurrency_id": SEARCH_QUEUE, "concurrency_limit": SEARCH_CONCURRENCY}
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=UPLOAD_CACHE) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        # Saying what serves means loading it (or asking the Hub): the page load does it, not the import.
        banner = gr.Markdown("Checking which models serve …", elem_classes="fa-banner", elem_id="banner")
        attributes_tab.build(service, catalog_photos, real_photos, shop_photos, caps, queue, light)
        search_tab.build(service, facets, caps, queue, light)
        stylist_tab.build(service, catalog_photos, caps, queue)
        chat_tab.build(service, catalog_photos, caps, queue)
        catalog_tab.build(service, light)
        # While the catalog is being tagged in the background, the banner says how far it has got.
        tagging = gr.Timer(TAGGING_REFRESH_S)
        demo.load(status, outputs=[banner], api_name="status", **queue)
        tagging.tick(tagging_status, outputs=[banner, tagging], api_name="tagging_status", api_visibility="private",
                     **light)
    demo.service = service  # for warm-up and tests: the one place this demo's models live
    demo.catalog_photos = CatalogPhotos(service)  # what /catalog-photo/<id> serves
    return demo


def launch(demo: gr.Blocks, config: AppConfig, **overrides: Any):
    """Launch with the app's settings (address, upload and request limits, the photo route, the MCP server, theme,
    the catalog's photos servable); overrides win.

    The address is passed explicitly (launch's arguments beat Gradio's variables), so it is resolved here in the
    platform's favour: see fashion_ai.config.listen_address."""
    host, port = listen_address(config)
    # Gradio asks matplotlib for its backend around every event; left to choose, matplotlib imports pyplot to
    # answer, which held the first event after start for 0.9 s in the event loop, every shopper's call behind it.
    os.environ.setdefault("MPLBACKEND", "agg")
    kwargs: dict[str, Any] = dict(
        server_name=host, server_port=port, max_file_size=f"{config.max_upload_mb}mb",
        theme=gr.themes.Soft(primary_hue="rose", secondary_hue="slate"), css=CSS,
        allowed_paths=[str(p.resolve()) for p in demo.service.catalog_roots()],  # gallery photos; nothing else
        # The body cap and the photo route join Gradio's app as it is built, before it serves a request.
        app_kwargs=app_kwargs(config.max_request_mb * 2**20), mcp_server=config.mcp_server,
    )
    kwargs.update(overrides)
    return demo.queue(default_concurrency_limit=MODEL_CONCURRENCY).launch(**kwargs)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(sys.argv[1:] if argv is None else argv)
        host, port = listen_address(config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = build_demo(config)
    # Gradio's Spaces reloader looks for the launched app under `demo` in __main__: this is it.
    global demo
    demo = app
    try:
        launch(app, config, prevent_thread_lock=True)
    except OSError as exc:  # port taken, address not available
        print(f"error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    # The page is up at once; the models and the index load now, while the first visitors read it (their requests
    # wait for what they need, and the banner says what is loading).
    print(f"Fashion AI is serving at {app.local_url} (loading the models)", flush=True)
    app.service.warm_up(print)
    print("Fashion AI is ready", flush=True)
    app.block_thread()
    return 0


if __name__ == "__main__":  # `python app.py`: settings from the CLI too, and a plain line for a bad one
    raise SystemExit(main())

demo = build_demo()  # `import app` (Spaces, `gradio app.py`, tests): settings from FASHION_AI_* only; cheap
