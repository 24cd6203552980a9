"""Product catalogs onto the schema."""

import logging

import pytest
from datasets import Dataset, Features, Value
from datasets import Image as ImageFeature
from PIL import Image

from fashion_ai.datasets import iter_examples
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, garments_to_json
from tests.datasets.rows import PRODUCT_COLUMNS, PRODUCTS


# --------------------------------------------------------------------------------------------- product catalogs
@pytest.fixture(scope="module")
def products_parquet(tmp_path_factory):
    """ashraq/fashion-product-images-small layout with an Image column; the last row's photo is damaged."""
    path = tmp_path_factory.mktemp("ashraq") / "train.parquet"
    rows = [*PRODUCTS, (11111, "Men", "Apparel", "Topwear", "Tshirts", "Red", "Summer", 2012, "Casual", "Red T-shirt")]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(PRODUCT_COLUMNS)}
    columns["image"] = [Image.new("RGB", (32, 44), (30 * i, 60, 90)) for i in range(len(PRODUCTS))]
    columns["image"].append({"bytes": b"not a photo", "path": None})
    features = Features({**{n: Value("int64" if n in ("id", "year") else "string") for n in PRODUCT_COLUMNS},
                         "image": ImageFeature()})
    Dataset.from_dict(columns, features=features).to_parquet(str(path))
    return path


@pytest.mark.parametrize("product_id, category, colors, pattern, occasion, style, material, gender", [
    ("15970", "shirt", ["navy"], "checked", "everyday", "casual", None, "Men"),  # "Check" in the title; Navy Blue
    ("39386", "dress", ["white"], "floral", "party", None, None, "Women"),  # Off White; "Printed Floral"
    ("21379", "shoe", ["grey"], None, "sport", "sporty", None, "Boys"),  # Grey Melange; no pattern word
    ("53759", "bag", [], None, "everyday", "casual", "leather", "Girls"),  # Multi is no colour; "Leather" in the title
])
def test_products_map_onto_the_schema(products_parquet, product_id, category, colors, pattern, occasion, style, material,
                                      gender):
    examples = {ex.id: ex for ex in iter_examples(f"products:{products_parquet}")}
    example = examples[product_id]
    garment = Garment(category=category, colors=colors, pattern=pattern, occasion=occasion, style=style, material=material)
    assert example.garments == [garment]
    assert example.suffix == garments_to_json([garment]) and example.prefix == DEFAULT_PROMPT
    assert example.hierarchy["gender"] == gender and example.hierarchy["articleType"]
    assert category in example.caption or product_id == "21379"  # shoes are "sports shoes" in the caption
    assert example.image.mode == "RGB" and example.image.size == (32, 44)


def test_products_skip_non_apparel_and_damaged_rows_and_honour_limit(products_parquet, caplog):
    with caplog.at_level(logging.INFO, logger="fashion_ai.datasets"):
        ids = [ex.id for ex in iter_examples(f"products:{products_parquet}")]
    assert ids == ["15970", "39386", "21379", "53759"]
    assert "1 rows with no apparel category (Perfume and Body Mist x1)" in caplog.text
    assert "1 unreadable images" in caplog.text
    first = next(iter(iter_examples(f"products:{products_parquet}")))
    assert first.hierarchy == {"gender": "Men", "masterCategory": "Apparel", "subCategory": "Topwear", "articleType": "Shirts"}
    assert [ex.id for ex in iter_examples(f"products:{products_parquet}", limit=2)] == ["15970", "39386"]
