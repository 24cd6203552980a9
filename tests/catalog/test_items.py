"""Catalog folders: what is written is read back, and a missing or broken catalog says what to do."""

import json
import re
from dataclasses import replace

import pytest

from fashion_ai.catalog import CATALOG_FILE, item_text, load_catalog
from fashion_ai.demo_world import write_catalog
from fashion_ai.demo_world.generate import generate_item


def test_write_and_load_round_trip(tmp_path):
    items = write_catalog(tmp_path, count=12, seed=3)
    loaded = load_catalog(tmp_path)
    assert [i.id for i in loaded] == [i.id for i in items]
    assert all((tmp_path / i.image_path).is_file() for i in items)
    assert loaded[0].image_path.startswith(str(tmp_path))
    assert json.loads((tmp_path / CATALOG_FILE).read_text().splitlines()[0])["id"] == items[0].id


def test_missing_or_corrupt_catalog_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="fashion_ai.demo_world"):
        load_catalog(tmp_path)
    (tmp_path / CATALOG_FILE).write_text('{"id": "x"}\n')
    with pytest.raises(ValueError, match=":1: not a catalog item"):
        load_catalog(tmp_path)


def test_item_text_says_each_attribute_once():
    item, _ = generate_item(0, seed=11, size=32)
    text = item_text(item)
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    for value in [item.category, *item.colors, item.pattern, item.season, item.gender, item.material, item.style]:
        assert value is None or set(re.findall(r"[a-z0-9]+", value)) <= words, value
    # What the caption says is not said again (tokens cost a cold start); what it does not say is.
    said_in_caption = [v for v in item.colors if v in item.caption.lower()]
    assert said_in_caption and all(f"colours: {v}" not in text for v in said_in_caption)
    bare = replace(item, title="Item 7", caption="")
    assert item_text(bare).startswith("Item 7. category: ") and f"for: {item.gender}" in item_text(bare)

