"""Fashion AI, the app: garment attributes from a photo, text-to-outfit search, and an AI stylist.

Thin on purpose: every decision about images, models, the index and ranking lives in fashion_ai/; this file
turns shoppers' clicks into library calls and library errors into plain messages. Importing it is cheap
(`demo` is built, nothing is loaded); models and the catalog index load on first use, once per process.

    python app.py            # serve on http://127.0.0.1:7860 (see --help for every setting)
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import gradio as gr

try:  # Hugging Face Spaces' ZeroGPU: a GPU is attached only inside @spaces.GPU calls; a no-op everywhere else
    import spaces
except ImportError:  # not installed: run as is
    spaces = None

from fashion_ai.config import AppConfig, listen_address, load_config
from fashion_ai.errors import FashionAIError
from fashion_ai.service import NO_GARMENT, FashionService

if TYPE_CHECKING:
    from fashion_ai.catalog import CatalogItem
    from fashion_ai.models.extraction import FieldGuess
    from fashion_ai.schema import Garment

logger = logging.getLogger("fashion_ai.app")

TITLE = "Fashion AI"
INTRO = ("Upload a garment to read its attributes, describe what you are looking for to search the catalog, "
         "or let the stylist pick what goes with a piece you own.")
GPU_SECONDS = 60  # what one model call may hold a ZeroGPU for (a 3B extraction takes a few seconds)
MODEL_QUEUE = "model"  # every call that runs a model shares one queue: one CPU/GPU, no oversubscription
MODEL_CONCURRENCY = 1
# Search and outfits embed a few words and query the index (milliseconds): their own queue, several at a time,
# so a crowd's searches never wait behind photo work (the store's queries run concurrently).
SEARCH_QUEUE = "search"
SEARCH_CONCURRENCY = 4
GENDERS = ("any", "women", "men", "unisex")
SEARCH_EXAMPLES = ("a red dress for a summer wedding", "navy wool coat for work", "striped shirt",
                   "sneakers for the weekend", "a boho outfit for the beach")
STYLIST_PROMPTS = ("what goes with this for a summer wedding?", "an outfit for the office",
                   "something for a weekend trip")
SOMETHING_WRONG = "Something went wrong while {action}. Please try again{hint}."
CSS = """
.fa-banner p { margin: 0; font-size: 0.9em; opacity: 0.8; }
.fa-garment { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 10px 14px;
              margin-bottom: 10px; background: var(--background-fill-secondary); }
.fa-garment h4 { margin: 0 0 6px 0; text-transform: capitalize; }
.fa-chip { display: inline-block; margin: 2px 4px 2px 0; padding: 2px 10px; border-radius: 999px;
           background: var(--primary-100); color: var(--primary-800); font-size: 0.85em; }
.fa-chip b { font-weight: 600; margin-right: 4px; opacity: 0.7; }
.fa-conf { margin-left: 5px; font-size: 0.8em; opacity: 0.65; }
.fa-unsure { background: transparent; border: 1px dashed var(--primary-400); }
.fa-swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; margin-right: 4px;
             vertical-align: -0.05em; border: 1px solid rgba(0, 0, 0, 0.25); }
"""
# Swatch colours for the chips; names outside the schema get no swatch.
SWATCHES = {"black": "#19191c", "white": "#fcfcfc", "grey": "#808084", "navy": "#16245c", "blue": "#2d6ee1",
            "red": "#cd1e23", "pink": "#f58cb9", "green": "#1e8c3c", "yellow": "#f5d228", "orange": "#f57d14",
            "purple": "#7832a0", "brown": "#6e411e", "beige": "#d7be96", "gold": "#d4af37", "silver": "#c0c0c0",
            "khaki": "#a39a63"}


def on_gpu(handler: Callable) -> Callable:
    """A handler that runs a model: on ZeroGPU it gets the GPU for its call; elsewhere it is returned as it is."""
    return spaces.GPU(duration=GPU_SECONDS)(handler) if spaces is not None else handler


# --------------------------------------------------------------------------------------------- errors
@contextmanager
def shopper_errors(action: str, thing: str | None = "photo") -> Iterator[None]:
    """Domain errors become their own message; anything else is logged and becomes a polite one."""
    try:
        yield
    except gr.Error:
        raise
    except FashionAIError as exc:
        raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from exc
    except Exception as exc:
        logger.exception("unexpected error while %s", action)
        hint = f"; if it keeps happening, try another {thing}" if thing else " in a moment"
        raise gr.Error(SOMETHING_WRONG.format(action=action, hint=hint), print_exception=False) from exc


def pass_file_through(payload, max_bytes: int = 10 * 2**20) -> str | bytes | None:
    """Preprocessing for photo inputs: the uploaded file as it is, left for load_image to check and decode.

    gr.Image decodes uploads in its own preprocessing, before any handler runs, so a text file, a truncated PNG
    or a decompression bomb would fail there with a message about components. (Set on the instance rather than
    in a gr.Image subclass: gradio writes a .pyi stub next to any module that defines a component class.)
    """
    if payload is None:
        return None
    if payload.path:
        return payload.path
    if payload.url and payload.url.startswith("data:") and "," in payload.url:
        if len(payload.url) > max_bytes * 4 // 3 + 1024:  # base64 is 4/3 of the bytes: refuse before decoding
            raise gr.Error(f"That pasted image is over {max_bytes // 2**20} MB. Please upload a smaller photo.")
        try:  # a pasted image may arrive inline; load_image checks the bytes like any file
            return base64.b64decode(payload.url.split(",", 1)[1], validate=False)
        except (binascii.Error, ValueError) as exc:
            raise gr.Error("That pasted image could not be read. Please upload the file instead.") from exc
    raise gr.Error("Please upload a photo first.")


def photo_input(label: str, elem_id: str, max_bytes: int) -> gr.Image:
    photo = gr.Image(label=label, type="filepath", image_mode=None, sources=["upload", "clipboard"], height=320,
                     elem_id=elem_id)
    photo.preprocess = functools.partial(pass_file_through, max_bytes=max_bytes)
    return photo


# --------------------------------------------------------------------------------------------- rendering
def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _percent(probability: float) -> str:
    return f'<span class="fa-conf">{probability:.0%}</span>'


def garment_cards(garments: list[Garment], guesses: list[dict[str, FieldGuess]] | None = None) -> str:
    """Each garment as a card of attribute chips (HTML), with how sure the model was of each scored value and
    the fields it was unsure of (its two best values)."""
    cards = []
    for index, garment in enumerate(garments):
        scored = (guesses or [])[index] if guesses and index < len(guesses) else {}
        chips = []
        for name, value in garment.to_dict().items():
            if name == "category":
                continue
            values = value if isinstance(value, list) else [value]
            shown = " ".join(
                (f'<span class="fa-swatch" style="background:{SWATCHES[v]}"></span>' if v in SWATCHES else "") + _esc(v)
                for v in values) if name == "colors" else _esc(", ".join(values))
            sure = _percent(scored[name].probability) if name in scored else ""
            chips.append(f'<span class="fa-chip"><b>{_esc(name)}</b>{shown}{sure}</span>')
        for guess in scored.values():
            if not guess.sure:
                chips.append(f'<span class="fa-chip fa-unsure" title="left out of the JSON"><b>{_esc(guess.field)}?</b>'
                             f'{_esc(guess.value)} {_percent(guess.probability)} or {_esc(guess.runner_up)} '
                             f'{_percent(guess.runner_up_probability)}</span>')
        body = "".join(chips) or '<span class="fa-chip">no other attributes recognised</span>'
        category = scored.get("category")
        heading = _esc(garment.category) + (_percent(category.probability) if category else "")
        cards.append(f'<div class="fa-garment"><h4>{heading}</h4>{body}</div>')
    return "".join(cards) or "<p>No garment recognised.</p>"


def price_text(price: float | None) -> str:
    return f"${price:,.2f}" if price is not None else "price not listed"


def caption(item: CatalogItem) -> str:
    return f"{item.title} — {price_text(item.price)}"


def _md(text: str) -> str:
    """Text made inert for Markdown (titles and reasons come from the catalog, not from us)."""
    return "".join("\\" + ch if ch in "\\`*_[]<>|~" else ch for ch in text)


def item_lines(hits: list, heading: str) -> str:
    """A Markdown list of items: linked title, price, and why it was picked."""
    lines = [f"**{heading}**", ""]
    for number, hit in enumerate(hits, 1):
        item = hit.item
        url = item.url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        title = f"[{_md(item.title)}]({url})" if url.startswith(("https://", "http://")) else _md(item.title)
        lines.append(f"{number}. {title} — {_md(price_text(item.price))} · _{_md(item.category)}_ — {_md(hit.reason)}")
    return "\n".join(lines)


def gallery_items(service: FashionService, hits: list) -> list[tuple[str, str]]:
    """(photo path, caption) for the gallery; items whose photo is gone stay in the list only."""
    return [(str(path), caption(hit.item)) for hit in hits if (path := service.photo_of(hit.item)) is not None]


# --------------------------------------------------------------------------------------------- the app
def build_demo(config: AppConfig | None = None) -> gr.Blocks:
    """The whole UI for a config; nothing heavy happens until an event runs."""
    config = config or load_config(None)
    service = FashionService(config)
    facets = service.facets()
    max_bytes = config.max_upload_mb * 2**20

    def recognise(photo, progress: gr.Progress) -> Any:
        image = service.read_photo(photo)  # bad files fail here, before any model is loaded
        progress(0.1, desc="Loading the attribute model")
        service.models.extractor()
        progress(0.5, desc="Reading the garment")
        return service.extract(image)

    def banner_text() -> str:
        """Which model serves which tab (bold), then why any hub model fell back, a line each."""
        first, *reasons = service.describe()
        return "  \n".join([f"**{_md(first)}**", *(_md(line) for line in reasons)])

    # ---- handlers
    @on_gpu
    def status(progress=gr.Progress()) -> str:
        """Which models serve, and the catalog index (built on the first visit if the server did not warm up)."""
        with shopper_errors("preparing the catalog", None):
            banner = banner_text()

            def report(done: int, total: int) -> None:
                progress((done, total), desc="Indexing the catalog photos", unit="items")

            service.store(report)
            return f"{banner} · {service.indexed} catalog items"

    @on_gpu
    def extract_attributes(photo, progress=gr.Progress(track_tqdm=True)):
        """Photo -> garment cards, garments as JSON, a note on the model's answer, the raw answer."""
        with shopper_errors("reading the garment"):
            extraction = recognise(photo, progress)
        result = extraction.result
        garments = [g.to_dict() for g in result.garments]
        found = f"Found {len(garments)} garment{'s' if len(garments) != 1 else ''}"
        unsure = [guess.field for scored in extraction.guesses for guess in scored.values() if not guess.sure]
        if not result.garments:
            note = f"**No garment.** {NO_GARMENT}"
        elif extraction.guesses:
            note = (f"**{found}.** Every value is one of the schema's, chosen among the allowed values"
                    + (f"; unsure, so left out: {_md(', '.join(unsure))}." if unsure else "."))
        elif result.ok:
            note = f"**{found}.** The model answered in valid JSON."
        else:  # plain words, no emoji: not every system font has them
            fixes = "; ".join(result.dropped[:6]) + (" …" if len(result.dropped) > 6 else "")
            note = (f"**{found}.** The model's answer needed repair"
                    f"{' (it was not strict JSON)' if not result.valid_json else ''}{': ' + _md(fixes) if fixes else '.'}")
        return garment_cards(result.garments, extraction.guesses), garments, note, extraction.raw

    @on_gpu
    def search(query, gender, category, color, max_price, progress=gr.Progress(track_tqdm=True)):
        """Free text and filters -> gallery of items and the list with prices, links and reasons."""
        with shopper_errors("searching the catalog", "query"):
            text = service.query(query)  # before loading anything
            progress(0.2, desc="Searching")
            filters = service.filters(gender, category, color, max_price, facets.price_ceiling)
            hits = service.search(text, filters)
        if not hits:
            return [], "No items match these filters. Try widening them (any colour, a higher price)."
        note = service.price_note(filters)
        heading = f"{len(hits)} items for “{_md(text)}”" + (f" ({note})" if note else "")
        return gallery_items(service, hits), item_lines(hits, heading)

    @on_gpu
    def complete_outfit(query, gender, category, color, max_price, progress=gr.Progress(track_tqdm=True)):
        """Free text and filters -> one piece per part of an outfit, head to toe."""
        with shopper_errors("putting an outfit together", "query"):
            text = service.query(query)
            progress(0.2, desc="Putting an outfit together")
            hits = service.complete_outfit(text, service.filters(gender, category, color, max_price, facets.price_ceiling))
        if not hits:
            return [], "No outfit could be put together with these filters."
        return gallery_items(service, hits), item_lines(hits, "Complete the outfit")

    @on_gpu
    def stylist(photo, prompt, progress=gr.Progress(track_tqdm=True)):
        """Your garment + what it is for -> the garment's attributes and catalog picks that go with it."""
        with shopper_errors("styling your garment"):
            text = service.stylist_prompt(prompt)  # a bad prompt is refused before the photo is read
            image = service.read_photo(photo)
            progress(0.3, desc="Reading the garment and picking what goes with it")
            result = service.style(image, text)
        garment, picks = result.garment, result.picks
        described = " ".join(w for w in (garment.colors[0] if garment.colors else "", garment.category) if w)
        card = garment_cards([garment], [result.guesses])
        if not picks:
            return card, [], f"Nothing in the catalog goes with your {_md(described)} yet."
        return (card, gallery_items(service, picks),
                item_lines(picks, f"Picks for your {_md(described)} — “{_md(text)}”"))

    # ---- layout
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        # Saying what serves means loading it (or asking the Hub): the page load does it, not the import.
        banner = gr.Markdown("Checking which models serve …",
                             elem_classes="fa-banner", elem_id="banner")

        with gr.Tab("Attributes", id="attributes"):
            with gr.Row():
                with gr.Column(scale=1):
                    attr_photo = photo_input("Garment photo", "attr-photo", max_bytes)
                    attr_btn = gr.Button("Read the attributes", variant="primary", elem_id="attr-btn")
                    if facets.example_photos:
                        gr.Examples(examples=[[p] for p in facets.example_photos], inputs=[attr_photo], label="Catalog photos",
                                    cache_examples=False, cache_mode="lazy", examples_per_page=6)
                with gr.Column(scale=1):
                    attr_cards = gr.HTML(label="Garments", value="<p>Upload a photo to see its garments.</p>",
                                         elem_id="attr-cards")
                    attr_note = gr.Markdown(elem_id="attr-note")
                    attr_json = gr.JSON(label="Garments as JSON", elem_id="attr-json")
                    with gr.Accordion("What the model said", open=False):
                        attr_raw = gr.Code(label="Raw model output", language="json", interactive=False)

        with gr.Tab("Search", id="search"):
            with gr.Row():
                query_box = gr.Textbox(label="What are you looking for?", scale=4, max_lines=2,
                                       placeholder="a red dress for a summer wedding", elem_id="query-box")
                search_btn = gr.Button("Search", variant="primary", scale=1, elem_id="search-btn")
            with gr.Row():
                gender_dd = gr.Dropdown(list(GENDERS), value="any", label="For")
                category_dd = gr.Dropdown(["any", *facets.categories], value="any", label="Category")
                color_dd = gr.Dropdown(["any", *facets.colors], value="any", label="Colour")
                price_slider = gr.Slider(5, facets.price_ceiling, value=facets.price_ceiling, step=5, label="Max price ($)")
            gr.Examples(examples=[[q] for q in SEARCH_EXAMPLES], inputs=[query_box], label="Try",
                        cache_examples=False, cache_mode="lazy")
            results_gallery = gr.Gallery(label="Results", columns=4, height="auto", object_fit="contain",
                                         elem_id="results-gallery")
            results_list = gr.Markdown(elem_id="results-list")
            gr.Markdown("### Complete the outfit")
            outfit_gallery = gr.Gallery(label="Outfit", columns=5, height="auto", object_fit="contain",
                                        elem_id="outfit-gallery")
            outfit_list = gr.Markdown(elem_id="outfit-list")

        with gr.Tab("AI stylist", id="stylist"):
            with gr.Row():
                with gr.Column(scale=1):
                    style_photo = photo_input("Your garment", "style-photo", max_bytes)
                    style_prompt = gr.Textbox(label="What is it for?", value=STYLIST_PROMPTS[0], max_lines=2,
                                              elem_id="style-prompt")
                    style_btn = gr.Button("Style it", variant="primary", elem_id="style-btn")
                    if facets.example_photos:
                        gr.Examples(examples=[[p, STYLIST_PROMPTS[i % len(STYLIST_PROMPTS)]]
                                              for i, p in enumerate(facets.example_photos)],
                                    inputs=[style_photo, style_prompt], label="Catalog photos", cache_examples=False,
                                    cache_mode="lazy", examples_per_page=6)
                with gr.Column(scale=2):
                    style_garment = gr.HTML(label="Your garment", value="<p>Upload a garment you own.</p>",
                                            elem_id="style-garment")
                    picks_gallery = gr.Gallery(label="Goes with it", columns=3, height="auto", object_fit="contain",
                                               elem_id="picks-gallery")
                    picks_list = gr.Markdown(elem_id="picks-list")

        # ---- events: one endpoint each; photo work in one queue, searches in their own
        queue = {"concurrency_id": MODEL_QUEUE, "concurrency_limit": MODEL_CONCURRENCY}
        light = {"concurrency_id": SEARCH_QUEUE, "concurrency_limit": SEARCH_CONCURRENCY}
        demo.load(status, outputs=[banner], api_name="status", **queue)
        gr.on([attr_btn.click, attr_photo.upload], extract_attributes, inputs=[attr_photo],
              outputs=[attr_cards, attr_json, attr_note, attr_raw], api_name="attributes", **queue)
        filters = [query_box, gender_dd, category_dd, color_dd, price_slider]
        gr.on([search_btn.click, query_box.submit], search, inputs=filters, outputs=[results_gallery, results_list],
              api_name="search", **light)
        gr.on([search_btn.click, query_box.submit], complete_outfit, inputs=filters,
              outputs=[outfit_gallery, outfit_list], api_name="complete_outfit", **light)
        style_btn.click(stylist, inputs=[style_photo, style_prompt], outputs=[style_garment, picks_gallery, picks_list],
                        api_name="stylist", **queue)
    demo.service = service  # for warm-up and tests: the one place this demo's models live
    return demo


def launch(demo: gr.Blocks, config: AppConfig, **overrides: Any):
    """Launch with the app's settings (address, upload limit, theme, the catalog's photos servable); overrides win.

    The address is passed explicitly (launch's arguments beat Gradio's variables), so it is resolved here in the
    platform's favour: see fashion_ai.config.listen_address."""
    host, port = listen_address(config)
    kwargs: dict[str, Any] = dict(
        server_name=host, server_port=port, max_file_size=f"{config.max_upload_mb}mb",
        theme=gr.themes.Soft(primary_hue="rose", secondary_hue="slate"), css=CSS,
        allowed_paths=[str(p.resolve()) for p in demo.service.catalog_roots()],  # gallery photos; nothing else
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
    app.service.warm_up(print)
    try:
        launch(app, config, prevent_thread_lock=True)
    except OSError as exc:  # port taken, address not available
        print(f"error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"Fashion AI is serving at {app.local_url}", flush=True)
    app.block_thread()
    return 0


if __name__ == "__main__":  # `python app.py`: settings from the CLI too, and a plain line for a bad one
    raise SystemExit(main())

demo = build_demo()  # `import app` (Spaces, `gradio app.py`, tests): settings from FASHION_AI_* only; cheap
