"""The Catalog tab: coverage per field, agreement with the shop's own values, a confusion picture, items marked by
where each tagged value came from; served through the app's API."""

from gradio_client import Client

from fashion_ai.catalog import CatalogItem
from ui.catalog_tab import SHOWN_ITEMS, confusion_figure, coverage_rows, item_rows

COVERAGE = {"items": 3, "models": ["demo"], "fields": {
    "category": {"given": 2, "tagged": 1, "unknown": 0, "compared": 2, "agreement": 0.5,
                 "confusion": {"dress": {"dress": 1}, "skirt": {"dress": 1}}},
    "pattern": {"given": 0, "tagged": 1, "unknown": 2, "compared": 0, "agreement": None, "confusion": {}}}}


def test_coverage_rows_say_agreement_and_of_how_many():
    assert coverage_rows(COVERAGE) == [["category", 2, 1, 0, "0.50 of 2"], ["pattern", 0, 1, 2, "-"]]


def test_a_tagged_value_says_where_it_came_from():
    item = CatalogItem(id="a", title="Item 1", caption="", category="dress", gender="women", colors=["red"],
                       pattern="floral", season="", price=None, url="", image_path="",
                       tagged={"pattern": {"from": "photo", "model": "m", "p": 0.93},
                               "colors": {"from": "photo", "model": "m", "p": 0.991}})
    row, = item_rows([item])
    assert row[:5] == ["a", "Item 1", "dress", "red · photo 0.99", "floral · photo 0.93"]
    assert len(item_rows([item] * (SHOWN_ITEMS + 5))) == SHOWN_ITEMS


def test_the_confusion_picture_has_a_cell_per_pair_and_none_without_pairs():
    figure = confusion_figure(COVERAGE, "category")
    axes, = figure.axes
    assert [t.get_text() for t in axes.get_yticklabels()] == ["dress", "skirt"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["dress"]
    assert confusion_figure(COVERAGE, "pattern") is None


def test_the_catalog_tab_serves_the_shipped_catalogs_coverage(live_app):
    client = Client(live_app.url, verbose=False)
    summary, coverage, _field, items, _picture = client.predict("", api_name="/catalog_overview")
    rows = {row[0]: row for row in coverage["data"]}
    indexed = len(live_app.catalog_dir.joinpath("catalog.jsonl").read_text().splitlines())
    assert f"{indexed:,} items" in summary
    assert rows["category"][1:4] == [indexed, 0, 0]  # the demo catalog gives every category itself
    assert len(items["data"]) == min(indexed, SHOWN_ITEMS) and items["headers"][:3] == ["id", "title", "category"]
