"""The Attributes tab: a photo in, its garments as cards and JSON out; then every value editable (a dropdown per field,
from the schema) and "Find items like this" to shop the garment as edited."""

from __future__ import annotations

from typing import Any

import gradio as gr

from fashion_ai.service import FIELDS, NO_GARMENT, FashionService
from ui.inputs import on_gpu, photo_input, shopper_errors
from ui.render import gallery_items, garment_cards, item_lines, md, results_heading

# The fields a shopper edits before shopping the garment (style and occasion are a catalog's, not a photo's).
EDITABLE = ("category", "colors", "pattern", "material", "sleeve", "length", "neckline", "silhouette")


def note_on(extraction) -> str:
    """One line on the model's answer: what was found, what was unsure or repaired."""
    result = extraction.result
    found = f"Found {len(result.garments)} garment{'s' if len(result.garments) != 1 else ''}"
    unsure = [guess.field for scored in extraction.guesses for guess in scored.values() if not guess.sure]
    if not result.garments:
        return f"**No garment.** {NO_GARMENT}"
    if extraction.guesses:
        return (f"**{found}.** Every value is one of the schema's, chosen among the allowed values"
                + (f"; unsure, so left out: {md(', '.join(unsure))}." if unsure else "."))
    if result.ok:
        return f"**{found}.** The model answered in valid JSON."
    fixes = "; ".join(result.dropped[:6]) + (" …" if len(result.dropped) > 6 else "")  # plain words, no emoji
    return (f"**{found}.** The model's answer needed repair"
            f"{' (it was not strict JSON)' if not result.valid_json else ''}{': ' + md(fixes) if fixes else '.'}")


def build(service: FashionService, examples: list[str], real_photos: list[str], shop_photos: list[str],
          caps: dict[str, Any], queue: dict[str, Any], light: dict[str, Any]) -> None:
    """The tab's layout and events (inside a gr.Blocks); photo work in `queue`, text searches in `light`; `caps`:
    the upload's bytes, a text's characters and the example photos a photo input takes (app.build_demo).
    Examples: the catalog's own photos, real product photos as the dataset has them, and the same kind of photos
    coloured and framed as shops take them (`shop_photos`)."""

    @on_gpu
    def extract_attributes(photo: str | bytes, progress=gr.Progress(track_tqdm=True)) -> tuple[str, list[dict], str, str]:
        """Read the garments in a photo of clothing: category, colours, pattern, material, sleeve, length, neckline and
        silhouette, each a value of the app's fashion schema (a value the model is unsure of is left out).

        Args:
            photo: the garment's photo as an https URL or a data: URL (JPEG, PNG, WebP, GIF or BMP; up to 10 MB, 40 MP).

        Returns:
            the garments as HTML cards, with how sure the model was of each value
            the garments as JSON: a list of {category, colors, pattern, material, sleeve, length, neckline, silhouette}
            a note on the model's answer (what it was unsure of)
            the model's raw answer.
        """
        with shopper_errors("reading the garment"):
            image = service.read_photo(photo)  # bad files fail here, before any model is loaded
            progress(0.3, desc="Reading the garment")
            extraction = service.extract(image)
        garments = [g.to_dict() for g in extraction.result.garments]
        return garment_cards(extraction.result.garments, extraction.guesses), garments, note_on(extraction), extraction.raw

    def fill_editors(garments: list[dict] | None) -> list:
        """The first garment's values in the edit dropdowns (empty when no garment was read)."""
        first = (garments or [{}])[0] if isinstance(garments, list) and garments else {}
        return [gr.update(value=first.get(name, [] if name == "colors" else None)) for name in EDITABLE]

    @on_gpu
    def search_garment(category, colors, pattern, material, sleeve, length, neckline, silhouette,
                       progress=gr.Progress(track_tqdm=True)):
        """A garment as the shopper edited it -> catalog items like it."""
        with shopper_errors("finding items like this", None):
            if not category:
                raise gr.Error("Pick a category first (or read one from a photo).", print_exception=False)
            garment = service.edited_garment({
                "category": category, "colors": [c for c in (colors or []) if c], "pattern": pattern,
                "material": material, "sleeve": sleeve, "length": length, "neckline": neckline,
                "silhouette": silhouette})  # a value not in the schema is refused
            progress(0.3, desc="Searching")
            result = service.search_garment(garment)
        if not result.hits:
            return [], results_heading(result, "Nothing in the catalog is like that yet.")
        return gallery_items(service, result.hits), item_lines(result.hits, results_heading(result))

    with gr.Tab("Attributes", id="attributes"):
        with gr.Row():
            with gr.Column(scale=1):
                attr_photo = photo_input("Garment photo", "attr-photo", caps["max_bytes"], caps["examples"])
                attr_btn = gr.Button("Read the attributes", variant="primary", elem_id="attr-btn")
                if examples:
                    gr.Examples(examples=[[p] for p in examples], inputs=[attr_photo], label="Example photos",
                                cache_examples=False, cache_mode="lazy", examples_per_page=6)
                if real_photos:
                    gr.Examples(examples=[[p] for p in real_photos], inputs=[attr_photo],
                                label="Real product photos (Fashion-MNIST test split, grayscale)",
                                cache_examples=False, cache_mode="lazy", examples_per_page=10)
                if shop_photos:
                    gr.Examples(examples=[[p] for p in shop_photos], inputs=[attr_photo],
                                label="Shop-style photos (test split, coloured and framed as shops take them)",
                                cache_examples=False, cache_mode="lazy", examples_per_page=6)
            with gr.Column(scale=1):
                attr_cards = gr.HTML(label="Garments", value="<p>Upload a photo to see its garments.</p>",
                                     elem_id="attr-cards")
                attr_note = gr.Markdown(elem_id="attr-note")
                attr_json = gr.JSON(label="Garments as JSON", elem_id="attr-json")
                with gr.Accordion("What the model said", open=False):
                    attr_raw = gr.Code(label="Raw model output", language="json", interactive=False)
        gr.Markdown("### Change anything, then shop it")
        with gr.Row():
            editors = [gr.Dropdown(list(FIELDS[name]), label=name, multiselect=name == "colors", allow_custom_value=False,
                                   elem_id=f"edit-{name}") for name in EDITABLE]
        like_btn = gr.Button("Find items like this", elem_id="like-btn")
        like_gallery = gr.Gallery(label="Like this", columns=4, height="auto", object_fit="contain",
                                  elem_id="like-gallery")
        like_list = gr.Markdown(elem_id="like-list")

    gr.on([attr_btn.click, attr_photo.upload], extract_attributes, inputs=[attr_photo],
          outputs=[attr_cards, attr_json, attr_note, attr_raw], api_name="attributes", **queue)
    attr_json.change(fill_editors, inputs=[attr_json], outputs=editors, api_visibility="private")
    like_btn.click(search_garment, inputs=editors, outputs=[like_gallery, like_list], api_name="search_garment", **light)
