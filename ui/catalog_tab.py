"""The Catalog tab, for the shop owner: each field's coverage (given by the catalog, tagged by a model, unknown), the
tagger's agreement with the catalog's own values and a confusion picture per field, and the items with each tagged
value marked by where it came from, so the tags can be judged before they are trusted."""

from __future__ import annotations

from typing import Any

import gradio as gr

from fashion_ai.service import FashionService
from ui.inputs import shopper_errors

SHOWN_ITEMS = 200  # the first items of the catalog, as a sample to read through
ITEM_COLUMNS = ("category", "colors", "pattern", "sleeve", "length", "material", "style", "occasion", "season", "gender")
COVERAGE_HEADERS = ["field", "given", "tagged", "unknown", "agreement with given values"]


def coverage_rows(coverage: dict) -> list[list[Any]]:
    """One row per field: counts, and the agreement as "0.97 of 120" (or "-" where no given value was read)."""
    rows = []
    for name, row in coverage["fields"].items():
        agreement = "-" if row["agreement"] is None else f"{row['agreement']:.2f} of {row['compared']:,}"
        rows.append([name, row["given"], row["tagged"], row["unknown"], agreement])
    return rows


def item_rows(items: list) -> list[list[str]]:
    """The items' values, a tagged one followed by where it came from ("floral · photo 0.93")."""
    rows = []
    for item in items[:SHOWN_ITEMS]:
        cells = [item.id, item.title]
        for name in ITEM_COLUMNS:
            value = getattr(item, name)
            text = ", ".join(value) if isinstance(value, list) else (value or "")
            tag = item.tagged.get(name)
            if tag and text:
                sure = f" {tag['p']:.2f}" if tag.get("p") is not None else ""
                text += f" · {tag.get('from', '')}{sure}"
            cells.append(text)
        rows.append(cells)
    return rows


def confusion_figure(coverage: dict, name: str):
    """Given values (rows) against what the tagger read (columns), as a small heat map; None without any pair."""
    confusion = coverage["fields"].get(name, {}).get("confusion") or {}
    if not confusion:
        return None
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    given = sorted(confusion)
    read = sorted({value for row in confusion.values() for value in row})
    counts = [[confusion[g].get(r, 0) for r in read] for g in given]
    figure, axes = plt.subplots(figsize=(1.5 + 0.45 * len(read), 1.2 + 0.35 * len(given)))
    axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(read)), read, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(given)), given, fontsize=8)
    axes.set_xlabel("read by the tagger", fontsize=8)
    axes.set_ylabel("given by the catalog", fontsize=8)
    for row, values in enumerate(counts):
        for col, value in enumerate(values):
            if value:
                axes.text(col, row, str(value), ha="center", va="center", fontsize=7)
    figure.tight_layout()
    plt.close(figure)
    return figure


def build(service: FashionService, light: dict[str, Any]) -> None:
    """The tab's layout and events (inside a gr.Blocks), in the light queue: they read files, run no model."""

    def catalog_overview(field: str | None) -> tuple[str, list, Any, list, Any]:
        """The catalog's coverage per field (given by the shop, tagged by a model, unknown), the tagger's agreement
        with the shop's own values, a confusion picture for one field, and the first items with where each tagged
        value came from.

        Args:
            field: the field whose confusion picture to draw (e.g. "category"); empty for the first field compared.
        """
        with shopper_errors("reading the catalog"):
            coverage = service.catalog_coverage()
            items = list(service.catalog_items().values())
        compared = [name for name, row in coverage["fields"].items() if row["compared"]]
        field = field if field in compared else (compared[0] if compared else None)
        models = ", ".join(coverage["models"]) or "none yet"
        summary = (f"**{coverage['items']:,} items** · tagged by: {models} · the first {min(len(items), SHOWN_ITEMS)} "
                   "below; a tagged value says where it came from (photo or title) and the model's probability")
        return (summary, coverage_rows(coverage), gr.Dropdown(choices=compared, value=field),
                item_rows(items), confusion_figure(coverage, field) if field else None)

    with gr.Tab("Catalog") as tab:
        summary = gr.Markdown("Open this tab to read the catalog's coverage.")
        coverage = gr.Dataframe(headers=COVERAGE_HEADERS, interactive=False, label="Coverage per field")
        with gr.Row():
            field = gr.Dropdown(label="Agreement with the catalog's values, for the field", choices=[], scale=1,
                                allow_custom_value=True)
            picture = gr.Plot(label="Given (rows) against read by the tagger (columns)", scale=3)
        items = gr.Dataframe(headers=["id", "title", *ITEM_COLUMNS], interactive=False, wrap=True, label="Items")
        refresh = gr.Button("Refresh", size="sm")
        outputs = [summary, coverage, field, items, picture]
        refresh.click(catalog_overview, inputs=[field], outputs=outputs, api_name="catalog_overview", **light)
        for event, name in ((field.input, "catalog_field"), (tab.select, "catalog_open")):
            event(catalog_overview, inputs=[field], outputs=outputs, api_name=name, api_visibility="private", **light)
