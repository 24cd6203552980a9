"""The Search tab: words (and filters) in, items and a whole outfit out, with one line of what was understood; or a
photo ("find me things like this"), with words that change it ("like this but in blue")."""

from __future__ import annotations

from typing import Any

import gradio as gr

from fashion_ai.service import CatalogFacets, FashionService
from ui.inputs import on_gpu, photo_input, shopper_errors, text_input
from ui.render import gallery_items, item_lines, md, results_heading

UNPRICED_NOTE = "items without a listed price are left out under a price cap"
SEARCH_EXAMPLES = ("a red dress for a summer wedding", "navy wool coat for work", "a dress that is not black",
                   "men's striped shirt under $60", "a boho outfit for the beach")


def build(service: FashionService, facets: CatalogFacets, caps: dict[str, Any], queue: dict[str, Any],
          light: dict[str, Any]) -> None:
    """The tab's layout and events (inside a gr.Blocks); photo work in `queue`, text searches in `light`; `caps`:
    the upload's bytes and a text's characters (app.build_demo)."""

    def filters_of(gender, category, color, max_price):
        return service.filters(gender, category, color, max_price, facets.price_ceiling)

    @on_gpu
    def search(query: str, gender: str, category: str, color: str, max_price: float,
               progress=gr.Progress(track_tqdm=True)) -> tuple[list, str]:
        """Search the shop's catalog in words: the items that best fit what the shopper describes, best first.

        Args:
            query: what the shopper wants in their own words, e.g. "a red dress for a summer wedding" (one sentence).
            gender: who it is for: any, women, men or unisex.
            category: keep to one category of the catalog, or any.
            color: keep to one colour, or any.
            max_price: the highest price in dollars; the top of the range means any price.

        Returns:
            the items: a list of {image: photo URL, caption: "title — price"}
            the same items in Markdown: what was understood, then each title linked to the shop, price and why.
        """
        with shopper_errors("searching the catalog", "query"):
            progress(0.2, desc="Searching")
            filters = filters_of(gender, category, color, max_price)
            result = service.search(query, filters)  # bad words are refused before anything loads
        note = UNPRICED_NOTE if service.leaves_out_unpriced(filters) else None
        if not result.hits:
            return [], results_heading(result, "No items match. Try widening the filters (any colour, a higher price).")
        return gallery_items(service, result.hits), item_lines(result.hits, results_heading(result, extra=note))

    @on_gpu
    def search_photo(photo: str | bytes, query: str, gender: str, category: str, color: str, max_price: float,
                     progress=gr.Progress(track_tqdm=True)) -> tuple[list, str]:
        """Find catalog items like the garment in a photo; words change what is looked for ("like this but in blue").

        Args:
            photo: the garment's photo as an https URL or a data: URL (JPEG, PNG, WebP, GIF or BMP; up to 10 MB, 40 MP).
            query: optional words that change the photo's garment, e.g. "like this but in blue"; empty for look-alikes.
            gender: who it is for: any, women, men or unisex.
            category: keep to one category of the catalog, or any.
            color: keep to one colour, or any.
            max_price: the highest price in dollars; the top of the range means any price.

        Returns:
            the items: a list of {image: photo URL, caption: "title — price"}
            the same items in Markdown, after the garment read from the photo.
        """
        with shopper_errors("finding items like your photo"):
            image = service.read_photo(photo)
            progress(0.3, desc="Reading your photo")
            found = service.search_photo(image, query, filters_of(gender, category, color, max_price))
        seen = f"Your photo: {md(found.garment.to_dict()['category'])}. " if found.garment else ""
        if not found.result.hits:
            return [], seen + results_heading(found.result, "Nothing in the catalog looks like that yet.")
        return gallery_items(service, found.result.hits), seen + item_lines(found.result.hits,
                                                                              results_heading(found.result))

    @on_gpu
    def complete_outfit(query, gender, category, color, max_price, progress=gr.Progress(track_tqdm=True)):
        """Free text and filters -> one piece per part of an outfit, head to toe."""
        with shopper_errors("putting an outfit together", "query"):
            progress(0.2, desc="Putting an outfit together")
            result = service.complete_outfit(query, filters_of(gender, category, color, max_price))
        if not result.hits:
            return [], results_heading(result, "No outfit could be put together with these filters.")
        return gallery_items(service, result.hits), item_lines(result.hits, results_heading(result, title="Complete the outfit"))

    with gr.Tab("Search", id="search"):
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    query_box = text_input(caps["max_chars"], "query", label="What are you looking for?", scale=4,
                                           max_lines=2, placeholder="a red dress for a summer wedding",
                                           elem_id="query-box")
                    search_btn = gr.Button("Search", variant="primary", scale=1, elem_id="search-btn")
                with gr.Row():
                    gender_dd = gr.Dropdown(["any", *facets.genders], value="any", label="For")
                    category_dd = gr.Dropdown(["any", *facets.categories], value="any", label="Category")
                    color_dd = gr.Dropdown(["any", *facets.colors], value="any", label="Colour")
                    price_slider = gr.Slider(5, facets.price_ceiling, value=facets.price_ceiling, step=5,
                                             label="Max price ($)")
                gr.Examples(examples=[[q] for q in SEARCH_EXAMPLES], inputs=[query_box], label="Try",
                            cache_examples=False, cache_mode="lazy")
            with gr.Column(scale=1):
                search_photo_in = photo_input("Or search with a photo", "search-photo", caps["max_bytes"])
                photo_btn = gr.Button("Find items like this photo", elem_id="photo-btn")
        results_gallery = gr.Gallery(label="Results", columns=4, height="auto", object_fit="contain",
                                     elem_id="results-gallery")
        results_list = gr.Markdown(elem_id="results-list")
        gr.Markdown("### Complete the outfit")
        outfit_gallery = gr.Gallery(label="Outfit", columns=5, height="auto", object_fit="contain",
                                    elem_id="outfit-gallery")
        outfit_list = gr.Markdown(elem_id="outfit-list")

    filters = [gender_dd, category_dd, color_dd, price_slider]
    gr.on([search_btn.click, query_box.submit], search, inputs=[query_box, *filters],
          outputs=[results_gallery, results_list], api_name="search", **light)
    gr.on([search_btn.click, query_box.submit], complete_outfit, inputs=[query_box, *filters],
          outputs=[outfit_gallery, outfit_list], api_name="complete_outfit", **light)
    gr.on([photo_btn.click, search_photo_in.upload], search_photo, inputs=[search_photo_in, query_box, *filters],
          outputs=[results_gallery, results_list], api_name="search_photo", **queue)
