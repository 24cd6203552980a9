"""The AI stylist tab: a garment you own (a photo) and what it is for, in; the garment's attributes and one catalog
piece per outfit slot that goes with it, out, each with its reason."""

from __future__ import annotations

from typing import Any

import gradio as gr

from fashion_ai.service import FashionService
from ui.inputs import on_gpu, photo_input, shopper_errors, text_input
from ui.render import gallery_items, garment_cards, item_lines, md

STYLIST_PROMPTS = ("what goes with this for a summer wedding?", "an outfit for the office",
                   "something for a weekend trip under $150 in all")


def build(service: FashionService, examples: list[str], caps: dict[str, Any], queue: dict[str, Any]) -> None:
    """The tab's layout and events (inside a gr.Blocks); `caps`: the upload's bytes, a text's characters and the
    example photos a photo input takes (app.build_demo)."""

    @on_gpu
    def stylist(photo: str | bytes, prompt: str, progress=gr.Progress(track_tqdm=True)) -> tuple[str, list, str]:
        """Style a garment the shopper owns: read it from a photo, then pick catalog pieces of other categories that go
        with it for what it is for, each with the reason it goes.

        Args:
            photo: the garment's photo as an https URL or a data: URL (JPEG, PNG, WebP, GIF or BMP; up to 10 MB, 40 MP).
            prompt: what the outfit is for, e.g. "a summer wedding", "the office", "a weekend trip under $150 in all".

        Returns:
            the garment read from the photo, as an HTML card
            the picks: a list of {image: photo URL, caption: "title — price"}
            the picks in Markdown: each title linked to the shop, price, category and why it goes with the garment.
        """
        with shopper_errors("styling your garment"):
            progress(0.3, desc="Reading the garment and picking what goes with it")
            result = service.style(photo, prompt)  # a bad prompt is refused before the photo is read
        garment, picks = result.garment, result.picks
        described = " ".join(w for w in (garment.colors[0] if garment.colors else "", garment.category) if w)
        card = garment_cards([garment], [result.guesses])
        understood = f"_Understood: {md(result.understood)}_" + (f"  \n{md('; '.join(result.notes))}" if result.notes else "")
        if not picks:
            return card, [], f"Nothing in the catalog goes with your {md(described)} yet.  \n{understood}"
        return (card, gallery_items(service, picks),
                item_lines(picks, f"**Picks for your {md(described)} — “{md(result.prompt)}”**  \n{understood}"))

    with gr.Tab("AI stylist", id="stylist"):
        with gr.Row():
            with gr.Column(scale=1):
                style_photo = photo_input("Your garment", "style-photo", caps["max_bytes"], caps["examples"])
                style_prompt = text_input(caps["max_chars"], "prompt", label="What is it for?", value=STYLIST_PROMPTS[0],
                                          max_lines=2, elem_id="style-prompt")
                style_btn = gr.Button("Style it", variant="primary", elem_id="style-btn")
                if examples:
                    gr.Examples(examples=[[p, STYLIST_PROMPTS[i % len(STYLIST_PROMPTS)]] for i, p in enumerate(examples)],
                                inputs=[style_photo, style_prompt], label="Catalog photos", cache_examples=False,
                                cache_mode="lazy", examples_per_page=6)
            with gr.Column(scale=2):
                style_garment = gr.HTML(label="Your garment", value="<p>Upload a garment you own.</p>",
                                        elem_id="style-garment")
                picks_gallery = gr.Gallery(label="Goes with it", columns=3, height="auto", object_fit="contain",
                                           elem_id="picks-gallery")
                picks_list = gr.Markdown(elem_id="picks-list")

    style_btn.click(stylist, inputs=[style_photo, style_prompt], outputs=[style_garment, picks_gallery, picks_list],
                    api_name="stylist", **queue)
