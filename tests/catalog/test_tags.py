"""tags.jsonl: what models read for a catalog's empty fields, applied as the catalog loads, never over its own values."""

import json

from fashion_ai.catalog import CatalogItem, save_catalog
from fashion_ai.catalog.records import item_to_metadata, metadata_to_item, record_id
from fashion_ai.catalog.tags import (
    FROM_PHOTO,
    FROM_TITLE,
    TAGS_FILE,
    Tag,
    TagRecord,
    TagsFile,
    apply_tags,
    load_tagged_catalog,
)


def _item(item_id: str = "a", **values) -> CatalogItem:
    base = {"id": item_id, "title": "Item 1", "caption": "", "category": "", "gender": "women", "colors": [],
            "pattern": "", "season": "", "price": 10.0, "url": "", "image_path": "/x.png"}
    return CatalogItem(**(base | values))


def _record(item_id: str = "a", model: str = "m1", override: bool = False, **values) -> TagRecord:
    return TagRecord(item_id, model, {name: Tag(value, FROM_PHOTO, model, 0.9) for name, value in values.items()},
                     override=override)


def test_empty_fields_are_filled_and_say_where_they_came_from_given_values_stay():
    item = _item(category="dress", pattern="")
    tagged, = apply_tags([item], {"a": _record(category="skirt", pattern="floral", colors=["red"])})
    assert tagged.category == "dress"  # the shop's own value wins
    assert tagged.pattern == "floral" and tagged.colors == ["red"]
    assert tagged.tagged == {"pattern": {"from": "photo", "model": "m1", "p": 0.9},
                             "colors": {"from": "photo", "model": "m1", "p": 0.9}}
    assert item.pattern == "" and item.tagged == {}  # the loaded item itself is not changed
    # A --retag run's tags replace the catalog's values, as asked.
    retagged, = apply_tags([item], {"a": _record(category="skirt", override=True)})
    assert retagged.category == "skirt" and retagged.tagged["category"]["model"] == "m1"


def test_the_latest_line_per_item_wins_and_a_torn_last_line_is_skipped_then_cut(tmp_path):
    tags = TagsFile(tmp_path)
    tags.append([_record("a", category="dress"), _record("b", category="shoe")])
    tags.append([_record("a", model="m2", category="skirt")])
    with (tmp_path / TAGS_FILE).open("a") as handle:  # a run killed in the middle of writing a line
        handle.write('{"id":"c","model":"m2","tags":{"categ')
    records = tags.read()
    assert {k: (r.model, r.tags["category"].value) for k, r in records.items()} == {"a": ("m2", "skirt"),
                                                                                    "b": ("m1", "shoe")}
    tags.append([_record("c", category="hat")])  # the next run starts its lines on a line of their own
    lines = (tmp_path / TAGS_FILE).read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["id"] for line in lines)
    assert tags.read()["c"].tags["category"].value == "hat"


def test_a_catalog_loads_with_its_tags_and_the_store_keeps_them(tmp_path):
    (tmp_path / "images").mkdir()
    save_catalog(tmp_path, [_item("a", image_path="images/a.png"), _item("b", image_path="images/b.png")])
    record = TagRecord("a", "reader", {"material": Tag("linen", FROM_TITLE, "reader")})
    TagsFile(tmp_path).append([_record("a", category="dress", colors=["red"]), _record("b", category="shoe")])
    TagsFile(tmp_path).append([TagRecord("a", "m1", _record(category="dress", colors=["red"]).tags | record.tags)])
    a, b = load_tagged_catalog(tmp_path)
    assert (a.category, a.colors, a.material, b.category) == ("dress", ["red"], "linen", "shoe")
    assert a.tagged["material"] == {"from": "title", "model": "reader", "p": None}
    # The store's record carries the tags: its facets (filters) and the item it gives back (reasons).
    assert "~dress~" in record_id(a)
    assert metadata_to_item(item_to_metadata(a)) == a
    # An item without tags is stored as before (no empty provenance in its metadata).
    assert "tagged" not in json.loads(item_to_metadata(_item())["item"])
