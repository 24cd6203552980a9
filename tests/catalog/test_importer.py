"""Importing product catalogs as catalog folders."""

import json
import logging

from PIL import Image

from fashion_ai.catalog import CATALOG_FILE, load_catalog
from fashion_ai.catalog.importer import import_catalog
from tests.datasets.rows import PRODUCT_COLUMNS, PRODUCTS, photo


def _kaggle_folder(root):
    """Kaggle's styles.csv + images/<id>.jpg: one row's photo is missing, one line has an unquoted comma."""
    lines = [",".join(PRODUCT_COLUMNS)] + [",".join(str(v) for v in row) for row in PRODUCTS]
    lines.append("30805,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Wrangler Men, Blue Shirt")  # 11 fields
    root.mkdir(parents=True)
    (root / "styles.csv").write_text("\n".join(lines) + "\n")
    for product_id in (15970, 39386, 59263, 53759):  # 21379 has no photo
        photo(root / "images" / f"{product_id}.jpg", (20, 20 + product_id % 200, 120), size=(30, 40))
    return root


def test_import_catalog_from_kaggle_csv_writes_a_folder_load_catalog_reads(tmp_path, caplog):
    source = _kaggle_folder(tmp_path / "kaggle")
    out = tmp_path / "catalog"
    with caplog.at_level(logging.INFO, logger="fashion_ai.datasets"):
        items = import_catalog(f"products:{source}", out)
    assert [i.id for i in items] == ["15970", "39386", "53759"]
    assert "1 unreadable images" in caplog.text and "Perfume and Body Mist" in caplog.text
    loaded = {item.id: item for item in load_catalog(out)}
    assert list(loaded) == ["15970", "39386", "53759"]
    shirt = loaded["15970"]
    assert (shirt.category, shirt.gender, shirt.colors, shirt.pattern, shirt.season) == ("shirt", "men", ["navy"], "checked",
                                                                                          "autumn")
    assert (shirt.price, shirt.url, shirt.occasion, shirt.style) == (None, "", "everyday", "casual")
    assert shirt.title == "Turtle Check Men Navy Blue Shirt"
    assert shirt.caption == "A casual navy checked shirt for men, perfect for everyday in autumn."
    assert {k: shirt.extra[k] for k in ("gender", "masterCategory", "subCategory", "articleType")} == {
        "gender": "Men", "masterCategory": "Apparel", "subCategory": "Topwear", "articleType": "Shirts"}
    assert shirt.extra["source"] == str(source)
    assert (loaded["53759"].gender, loaded["53759"].colors) == ("women", [])  # Girls; Multi
    with Image.open(shirt.image_path) as photo:
        assert photo.format == "JPEG" and photo.size == (30, 40)
    assert not list((out / "images").glob(".*.tmp"))

    # A second import re-writes no photo (a killed import resumes cheaply) and writes the same catalog.
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "images").iterdir()}
    catalog_text = (out / CATALOG_FILE).read_text()
    assert [i.id for i in import_catalog(f"products:{source}", out)] == ["15970", "39386", "53759"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "images").iterdir()} == stamps
    assert (out / CATALOG_FILE).read_text() == catalog_text
    assert [i.id for i in import_catalog(f"products:{source}/styles.csv", out, limit=1)] == ["15970"]
    assert [i.id for i in load_catalog(out)] == ["15970"]


def test_import_catalog_of_our_own_columns_keeps_price_and_extra_columns(tmp_path):
    shop = tmp_path / "shop"
    photo(shop / "pics" / "a.png", (20, 30, 90))
    photo(shop / "pics" / "b.png", (90, 30, 20))
    rows = [
        {"id": "sku-1", "title": "Linen summer shirt", "image": "pics/a.png", "price": "49.90",
         "url": "https://shop.example/sku-1", "category": "Blouse", "colors": "Navy Blue, white", "gender": "Women",
         "pattern": "stripes", "season": "Summer", "brand": "Acme"},
        {"id": "sku-2", "title": "Gift card", "image": "pics/b.png", "category": "voucher"},  # no apparel category
    ]
    (shop / "shop.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    items = import_catalog(f"products:{shop / 'shop.jsonl'}", tmp_path / "out")
    assert [i.id for i in items] == ["sku-1"]
    item = load_catalog(tmp_path / "out")[0]
    assert (item.category, item.colors, item.pattern, item.gender, item.season) == ("shirt", ["navy", "white"], "striped",
                                                                                     "women", "summer")
    assert (item.price, item.url, item.title) == (49.9, "https://shop.example/sku-1", "Linen summer shirt")
    assert item.extra["brand"] == "Acme" and item.caption
