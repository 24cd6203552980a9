"""Catalog folders: what is written is read back, and a missing or broken catalog says what to do."""

import json

import pytest

from fashion_ai.catalog import CATALOG_FILE, load_catalog
from fashion_ai.demo_world import write_catalog


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
