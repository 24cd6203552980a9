import json
import logging

import datasets
import pytest
from datasets import ClassLabel, Dataset, Features, Sequence, Value
from datasets import Image as ImageFeature
from PIL import Image

from fashion_ai.catalog import CATALOG_FILE, load_catalog
from fashion_ai.data import (
    ARTICLE_TYPES,
    BASE_COLOURS,
    CAPTION_PROMPT,
    FASHIONPEDIA_ATTRIBUTES,
    FASHIONPEDIA_CATEGORIES,
    USAGES,
    import_catalog,
    iter_examples,
    parse_spec,
)
from fashion_ai.extraction import DEFAULT_PROMPT
from fashion_ai.schema import CATEGORIES, FIELDS, Garment, garments_to_json, normalize_value

HUB_FASHIONPEDIA = "detection-datasets/fashionpedia"
PRODUCT_COLUMNS = ("id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "year", "usage",
                   "productDisplayName")
# Rows in the layout of ashraq/fashion-product-images-small (values as the real dataset spells them).
PRODUCTS = [
    (15970, "Men", "Apparel", "Topwear", "Shirts", "Navy Blue", "Fall", 2011, "Casual", "Turtle Check Men Navy Blue Shirt"),
    (39386, "Women", "Apparel", "Dress", "Dresses", "Off White", "Summer", 2012, "Party",
     "Vero Moda Women Off White Printed Floral Dress"),
    (59263, "Unisex", "Personal Care", "Fragrance", "Perfume and Body Mist", "Black", "Spring", 2017, "Casual",
     "Davidoff Cool Water Eau de Toilette"),
    (21379, "Boys", "Footwear", "Shoes", "Sports Shoes", "Grey Melange", "Summer", 2012, "Sports",
     "Nike Boys Grey Melange Sports Shoes"),
    (53759, "Girls", "Accessories", "Bags", "Handbags", "Multi", "Winter", 2016, "Casual", "Lino Perros Girls Leather Handbag"),
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    # As in CI (HF_HUB_OFFLINE=1): a Hub id fails at once instead of retrying an unreachable network.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)


def _photo(path, color=(200, 40, 40), size=(48, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


# The 46 baseColour values of the real product dataset.
REAL_BASE_COLOURS = (
    "Beige", "Black", "Blue", "Bronze", "Brown", "Burgundy", "Charcoal", "Coffee Brown", "Copper", "Cream",
    "Fluorescent Green", "Gold", "Green", "Grey", "Grey Melange", "Khaki", "Lavender", "Lime Green", "Magenta", "Maroon",
    "Mauve", "Metallic", "Multi", "Mushroom Brown", "Mustard", "Navy Blue", "Nude", "Off White", "Olive", "Orange", "Peach",
    "Pink", "Purple", "Red", "Rose", "Rust", "Sea Green", "Silver", "Skin", "Steel", "Tan", "Taupe", "Teal",
    "Turquoise Blue", "White", "Yellow",
)


# --------------------------------------------------------------------------------------------- mapping tables
def test_mapping_tables_only_produce_values_of_our_schema():
    assert len(FASHIONPEDIA_CATEGORIES) == 27 and set(FASHIONPEDIA_CATEGORIES.values()) == set(CATEGORIES)
    for name, (field_name, value) in FASHIONPEDIA_ATTRIBUTES.items():
        assert value in FIELDS[field_name], name
    assert {category for category, _ in ARTICLE_TYPES.values()} <= set(CATEGORIES)
    for occasion, style in USAGES.values():
        assert occasion in FIELDS["occasion"] + (None,) and style in FIELDS["style"] + (None,)
    for name in REAL_BASE_COLOURS:  # every real colour is mapped, or deliberately left out (a mix, a metal)
        colour = normalize_value("colors", name) or BASE_COLOURS.get(name.lower())
        assert colour in FIELDS["colors"] or name in ("Multi", "Metallic", "Bronze", "Copper"), name


# --------------------------------------------------------------------------------------------- spec and errors
@pytest.mark.parametrize("spec, error, message", [
    ("pinterest:boards", ValueError, "fashionpedia, products, jsonl"),  # unknown kind: the kinds are listed
    ("products", ValueError, "<kind>:<source>"),  # no colon at all
    ("products:", ValueError, "names no source"),
    ("products:/nowhere/styles.parquet", FileNotFoundError, "no such file"),  # a path, not a Hub id
    ("fashionpedia:/nowhere/instances_attributes_train2020.json", FileNotFoundError, "annotation file"),
    ("jsonl:/nowhere/finetune", FileNotFoundError, "no such JSONL"),
    ("products:ashraq/fashion-product-images-small", FileNotFoundError, "Hub"),  # a Hub id while offline
])
def test_bad_specs_fail_at_once_with_a_clear_error(spec, error, message):
    with pytest.raises(error, match=message):
        iter_examples(spec)  # not consumed: the source is opened when the call is made


def test_parse_spec_and_bad_arguments(tmp_path):
    assert parse_spec(" Products : ashraq/fashion-product-images-small ") == ("products", "ashraq/fashion-product-images-small")
    with pytest.raises(ValueError, match="limit"):
        iter_examples(f"jsonl:{tmp_path}", limit=-1)
    with pytest.raises(ValueError, match="products:<source>"):
        import_catalog(f"jsonl:{tmp_path}", tmp_path / "out")


# --------------------------------------------------------------------------------------------- Fashionpedia, original
def _coco(folder, image_folder):
    """A tiny instances_attributes_*.json: a dress with a sleeve and a neckline inside its box, a pair of shoes,
    a sleeve outside every garment, a bag alone, and an image with only a part."""
    for name, color in (("look1.jpg", (200, 40, 40)), ("look2.jpg", (40, 40, 200)), ("parts.jpg", (40, 200, 40))):
        _photo(image_folder / name, color, size=(64, 64))
    data = {
        "images": [{"id": 1, "file_name": "look1.jpg", "width": 64, "height": 64},
                   {"id": 2, "file_name": "look2.jpg", "width": 64, "height": 64},
                   {"id": 3, "file_name": "parts.jpg", "width": 64, "height": 64}],
        "categories": [{"id": 10, "name": "dress", "supercategory": "wholebody"},
                       {"id": 23, "name": "shoe", "supercategory": "legs and feet"},
                       {"id": 24, "name": "bag, wallet", "supercategory": "others"},
                       {"id": 31, "name": "sleeve", "supercategory": "garment parts"},
                       {"id": 33, "name": "neckline", "supercategory": "garment parts"}],
        "attributes": [{"id": 115, "name": "symmetrical", "supercategory": "silhouette"},
                       {"id": 129, "name": "a-line", "supercategory": "silhouette"},
                       {"id": 149, "name": "mini (length)", "supercategory": "length"},
                       {"id": 157, "name": "short (length)", "supercategory": "length"},
                       {"id": 160, "name": "wrist-length", "supercategory": "length"},
                       {"id": 183, "name": "v-neck", "supercategory": "neckline type"},
                       {"id": 284, "name": "leather", "supercategory": "non-textile material type"},
                       {"id": 325, "name": "floral", "supercategory": "textile pattern"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 10, "bbox": [10, 4, 40, 56], "area": 1800,
             "attribute_ids": [129, 149, 325, 115]},
            {"id": 2, "image_id": 1, "category_id": 31, "bbox": [12, 10, 8, 20], "area": 120, "attribute_ids": [160]},
            {"id": 3, "image_id": 1, "category_id": 33, "bbox": [25, 4, 10, 6], "area": 40, "attribute_ids": [183]},
            {"id": 4, "image_id": 1, "category_id": 23, "bbox": [12, 58, 10, 5], "area": 40, "attribute_ids": [284]},
            {"id": 5, "image_id": 1, "category_id": 23, "bbox": [36, 58, 10, 5], "area": 42, "attribute_ids": [284]},
            {"id": 6, "image_id": 1, "category_id": 31, "bbox": [0, 0, 6, 6], "area": 30, "attribute_ids": [157]},
            {"id": 7, "image_id": 2, "category_id": 24, "bbox": [5, 5, 20, 20], "area": 300, "attribute_ids": []},
            {"id": 8, "image_id": 3, "category_id": 31, "bbox": [1, 1, 5, 5], "area": 20, "attribute_ids": [160]},
        ],
    }
    path = folder / "instances_attributes_train2020.json"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_fashionpedia_original_maps_garments_and_part_attributes(tmp_path, caplog):
    annotations = _coco(tmp_path / "fashionpedia", tmp_path / "fashionpedia" / "train")  # photos in <dir>/<split>/
    with caplog.at_level(logging.INFO, logger="fashion_ai.data"):
        examples = list(iter_examples(f"fashionpedia:{annotations}"))
    assert [ex.id for ex in examples] == ["fashionpedia-1", "fashionpedia-2"]  # the parts-only image is skipped
    dress = Garment(category="dress", pattern="floral", silhouette="a-line", length="mini",
                    sleeve="long",  # the sleeve part's "wrist-length", inside the dress's box
                    neckline="v-neck")  # the neckline part's type
    shoes = Garment(category="shoe", material="leather")  # the pair once: the parser drops repeated garments
    first = examples[0]
    assert first.garments == [dress, shoes]  # largest first; Fashionpedia has no colour
    assert first.suffix == garments_to_json([dress, shoes]) and first.prefix == DEFAULT_PROMPT
    assert first.caption == "A floral mini a-line v-neck dress with long sleeves, worn with leather shoes."
    assert first.image.mode == "RGB" and first.image.size == (64, 64)
    assert examples[1].garments == [Garment(category="bag")]
    log = caplog.text
    assert "symmetrical x1" in log  # unmappable attribute: dropped and counted
    assert "short (length) (sleeve) x1" in log  # a sleeve inside no garment: its length has nowhere to go
    assert "1 images without apparel annotations" in log


def test_fashionpedia_original_limit_images_dir_and_missing_photos(tmp_path):
    annotations = _coco(tmp_path / "annotations", tmp_path / "photos")
    with pytest.raises(FileNotFoundError, match="images_dir"):
        list(iter_examples(f"fashionpedia:{annotations}"))
    examples = list(iter_examples(f"fashionpedia:{annotations}", limit=1, images_dir=tmp_path / "photos"))
    assert [ex.id for ex in examples] == ["fashionpedia-1"]
    not_coco = tmp_path / "other.json"
    not_coco.write_text(json.dumps([{"image": "a.jpg"}]))
    with pytest.raises(ValueError, match="not a COCO-style"):
        iter_examples(f"fashionpedia:{not_coco}")


# --------------------------------------------------------------------------------------------- Fashionpedia, Hub copy
@pytest.fixture(scope="module")
def detection_copies(tmp_path_factory):
    """The detection-datasets/fashionpedia layout, as parquet and as a save_to_disk folder. The ClassLabel's names are
    in a different order from the Hub's, so a test passes only if names come from the feature."""
    root = tmp_path_factory.mktemp("detection")
    names = ["sleeve", "shoe", "dress", "top, t-shirt, sweatshirt", "neckline"]
    features = Features({
        "image_id": Value("int64"), "image": ImageFeature(), "width": Value("int64"), "height": Value("int64"),
        "objects": Sequence({"bbox_id": Value("int64"), "category": ClassLabel(names=names),
                             "bbox": Sequence(Value("float64"), length=4), "area": Value("int64")}),
    })
    photo = Image.new("RGB", (40, 56), (90, 90, 200))
    data = {
        "image_id": [101, 102, 103], "image": [photo, photo, photo], "width": [40] * 3, "height": [56] * 3,
        "objects": [
            {"bbox_id": [1, 2, 3, 4], "category": [1, 2, 0, 1], "area": [60, 2000, 100, 55],
             "bbox": [[1, 40, 9, 50], [5, 2, 35, 50], [4, 8, 10, 20], [20, 40, 29, 50]]},
            {"bbox_id": [5], "category": [4], "area": [30], "bbox": [[10, 2, 16, 6]]},  # only a part: skipped
            {"bbox_id": [6], "category": [3], "area": [900], "bbox": [[2, 2, 30, 30]]},
        ],
    }
    dataset = Dataset.from_dict(data, features=features)
    dataset.to_parquet(str(root / "train-00000-of-00001.parquet"))
    dataset.save_to_disk(str(root / "saved"))
    return root


@pytest.mark.parametrize("copy", ["parquet", "save_to_disk", "hub id"])
def test_fashionpedia_hub_layout_gives_categories_only(detection_copies, copy, monkeypatch):
    parquet = detection_copies / "train-00000-of-00001.parquet"
    source = {"parquet": str(parquet), "save_to_disk": str(detection_copies / "saved"), "hub id": HUB_FASHIONPEDIA}[copy]
    calls = []
    if copy == "hub id":  # the Hub is unreachable here: serve the Hub id's streaming call from the local copy
        real = datasets.load_dataset

        def load_dataset(path, *args, **kwargs):
            if path != HUB_FASHIONPEDIA:
                return real(path, *args, **kwargs)
            calls.append(kwargs)
            return real("parquet", data_files={"train": [str(parquet)]}, split="train", streaming=kwargs["streaming"])

        monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    examples = list(iter_examples(f"fashionpedia:{source}"))
    assert [ex.id for ex in examples] == ["fashionpedia-101", "fashionpedia-103"]
    assert examples[0].garments == [Garment(category="dress"), Garment(category="shoe")]  # by area; shoes once, no sleeve
    assert examples[1].garments == [Garment(category="top")]
    assert examples[0].caption == "A dress, worn with shoes."
    assert examples[0].image.size == (40, 56) and examples[0].image.mode == "RGB"
    if copy == "hub id":
        assert calls == [{"split": "train", "streaming": True}]  # streamed: a limit never downloads the whole set


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
    with caplog.at_level(logging.INFO, logger="fashion_ai.data"):
        ids = [ex.id for ex in iter_examples(f"products:{products_parquet}")]
    assert ids == ["15970", "39386", "21379", "53759"]
    assert "1 rows with no apparel category (Perfume and Body Mist x1)" in caplog.text
    assert "1 unreadable images" in caplog.text
    first = next(iter(iter_examples(f"products:{products_parquet}")))
    assert first.hierarchy == {"gender": "Men", "masterCategory": "Apparel", "subCategory": "Topwear", "articleType": "Shirts"}
    assert [ex.id for ex in iter_examples(f"products:{products_parquet}", limit=2)] == ["15970", "39386"]


def _kaggle_folder(root):
    """Kaggle's styles.csv + images/<id>.jpg: one row's photo is missing, one line has an unquoted comma."""
    lines = [",".join(PRODUCT_COLUMNS)] + [",".join(str(v) for v in row) for row in PRODUCTS]
    lines.append("30805,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Wrangler Men, Blue Shirt")  # 11 fields
    root.mkdir(parents=True)
    (root / "styles.csv").write_text("\n".join(lines) + "\n")
    for product_id in (15970, 39386, 59263, 53759):  # 21379 has no photo
        _photo(root / "images" / f"{product_id}.jpg", (20, 20 + product_id % 200, 120), size=(30, 40))
    return root


def test_import_catalog_from_kaggle_csv_writes_a_folder_load_catalog_reads(tmp_path, caplog):
    source = _kaggle_folder(tmp_path / "kaggle")
    out = tmp_path / "catalog"
    with caplog.at_level(logging.INFO, logger="fashion_ai.data"):
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
    _photo(shop / "pics" / "a.png", (20, 30, 90))
    _photo(shop / "pics" / "b.png", (90, 30, 20))
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


# --------------------------------------------------------------------------------------------- JSONL folders
def test_jsonl_prefix_suffix_and_caption_rows(tmp_path):
    finetune = tmp_path / "finetune"
    _photo(finetune / "img" / "a.png")
    _photo(finetune / "img" / "b.png")
    target = '[{"category":"dress","colors":["red"],"pattern":"floral"}]'
    rows = [{"image": "img/a.png", "prefix": "extract data in JSON format", "suffix": target},
            {"image": "img/b.png", "suffix": "a red dress with white flowers"}]  # free text: no garments known
    (finetune / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    first, second = iter_examples(f"jsonl:{finetune}")
    assert first.garments == [Garment(category="dress", colors=["red"], pattern="floral")]
    assert (first.prefix, first.suffix, first.id) == ("extract data in JSON format", target, "data-1")
    assert first.caption == "A red floral dress."
    assert (second.prefix, second.suffix, second.garments) == (DEFAULT_PROMPT, "a red dress with white flowers", [])
    assert second.caption == "a red dress with white flowers"

    captions = tmp_path / "clip"
    _photo(captions / "c.png")
    (captions / "metadata.jsonl").write_text(json.dumps({"file_name": "c.png", "caption": "A red floral dress"}) + "\n")
    (example,) = iter_examples(f"jsonl:{captions}")
    # A caption row teaches a caption: PaliGemma's captioning prefix, never the extraction prompt.
    assert (example.prefix, example.suffix, example.caption, example.garments) == (
        CAPTION_PROMPT, "A red floral dress", "A red floral dress", [])


@pytest.mark.parametrize("second_line, message", [
    ("{not json", r"data.jsonl:2: not valid JSON"),
    ('{"image": "img/missing.png", "suffix": "[]"}', r"data.jsonl:2: image .*missing.png not found"),
    ('{"image": "img/a.png"}', r'data.jsonl:2: needs a "suffix"'),
    ('["img/a.png", "caption"]', r"data.jsonl:2: expected a JSON object"),
])
def test_jsonl_bad_rows_name_file_and_line(tmp_path, second_line, message):
    _photo(tmp_path / "img" / "a.png")
    (tmp_path / "data.jsonl").write_text(json.dumps({"image": "img/a.png", "caption": "ok"}) + "\n" + second_line + "\n")
    examples = iter_examples(f"jsonl:{tmp_path}")
    assert next(examples).caption == "ok"  # rows before the bad one are fine
    with pytest.raises(ValueError, match=message):
        next(examples)
