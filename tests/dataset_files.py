"""Small local files in each real dataset layout fashion_ai.datasets reads, made from demo items (so they are learnable).

Shared by the training and indexing tests; each writer returns the dataset spec for its file.
"""

import json


def demo_rows(count: int, seed: int = 5):
    from fashion_ai.demo_world import generate_item

    return [generate_item(i, seed, size=64) for i in range(count)]


def _first_key(table: dict, ours, pick=lambda v: v) -> str | None:
    return next((k for k, v in table.items() if pick(v) == ours), None)


def _write_coco(root, rows):
    """Original Fashionpedia layout: instances json + photos, categories and a textile-pattern attribute."""
    from fashion_ai.datasets.fashionpedia import FASHIONPEDIA_ATTRIBUTES, FASHIONPEDIA_CATEGORIES

    names = sorted({_first_key(FASHIONPEDIA_CATEGORIES, item.category) for item, _ in rows})
    # Fashionpedia has no colour-block: those garments go without a pattern attribute.
    patterns = sorted({_first_key(FASHIONPEDIA_ATTRIBUTES, ("pattern", item.pattern)) for item, _ in rows} - {None})
    data = {"images": [], "annotations": [], "categories": [{"id": i, "name": n, "supercategory": "x"}
                                                            for i, n in enumerate(names)],
            "attributes": [{"id": 100 + i, "name": n, "supercategory": "textile pattern"} for i, n in enumerate(patterns)]}
    (root / "images").mkdir(parents=True)
    for k, (item, image) in enumerate(rows):
        image.save(root / "images" / f"{k}.png")
        data["images"].append({"id": k, "file_name": f"{k}.png", "width": 64, "height": 64})
        cat = names.index(_first_key(FASHIONPEDIA_CATEGORIES, item.category))
        name = _first_key(FASHIONPEDIA_ATTRIBUTES, ("pattern", item.pattern))
        attrs = [100 + patterns.index(name)] if name else []
        data["annotations"].append({"id": k, "image_id": k, "category_id": cat, "attribute_ids": attrs,
                                    "bbox": [4, 4, 56, 56], "area": 3136})
    (root / "instances_attributes_train2020.json").write_text(json.dumps(data))
    return f"fashionpedia:{root / 'instances_attributes_train2020.json'}"


def _write_detection(root, rows):
    """detection-datasets/fashionpedia layout (categories and boxes, no attributes), as a local parquet copy."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value
    from datasets import Image as ImageFeature

    from fashion_ai.datasets.fashionpedia import FASHIONPEDIA_CATEGORIES

    names = list(FASHIONPEDIA_CATEGORIES)
    features = Features({"image_id": Value("int64"), "image": ImageFeature(), "width": Value("int64"),
                         "height": Value("int64"),
                         "objects": Sequence({"bbox_id": Value("int64"), "category": ClassLabel(names=names),
                                              "bbox": Sequence(Value("float64"), length=4), "area": Value("int64")})})
    data = {"image_id": [], "image": [], "width": [], "height": [], "objects": []}
    for k, (item, image) in enumerate(rows):
        data["image_id"].append(k)
        data["image"].append(image)
        data["width"].append(64)
        data["height"].append(64)
        data["objects"].append({"bbox_id": [k], "category": [names.index(_first_key(FASHIONPEDIA_CATEGORIES,
                                                                                     item.category))],
                                "bbox": [[4, 4, 60, 60]], "area": [3136]})
    root.mkdir(parents=True)
    Dataset.from_dict(data, features=features).to_parquet(str(root / "train-00000-of-00001.parquet"))
    return f"fashionpedia:{root / 'train-00000-of-00001.parquet'}"


def write_products(root, rows):
    """ashraq/fashion-product-images-small layout, as a local parquet copy with an Image column."""
    from datasets import Dataset

    from fashion_ai.datasets.products import ARTICLE_TYPES

    columns: dict[str, list] = {k: [] for k in ("id", "gender", "masterCategory", "subCategory", "articleType",
                                                "baseColour", "season", "year", "usage", "productDisplayName", "image")}
    for k, (item, image) in enumerate(rows):
        article = _first_key(ARTICLE_TYPES, item.category, lambda v: v[0])
        for key, value in (("id", 1000 + k), ("gender", item.gender.capitalize()), ("masterCategory", "Apparel"),
                           ("subCategory", "Topwear"), ("articleType", article),
                           ("baseColour", item.colors[0].capitalize()), ("season", item.season.capitalize()),
                           ("year", 2012), ("usage", "Casual"), ("productDisplayName", item.title), ("image", image)):
            columns[key].append(value)
    root.mkdir(parents=True)
    Dataset.from_dict(columns).to_parquet(str(root / "train.parquet"))
    return f"products:{root / 'train.parquet'}"


def _write_jsonl(root, rows):
    """A folder of photos and data.jsonl: prefix/suffix rows (our JSON) and caption rows."""
    from fashion_ai.schema import garments_to_json

    (root / "img").mkdir(parents=True)
    lines = []
    for k, (item, image) in enumerate(rows):
        image.save(root / "img" / f"{k}.png")
        if k % 4 == 3:
            lines.append({"image": f"img/{k}.png", "caption": item.caption})
        else:
            lines.append({"image": f"img/{k}.png", "prefix": "extract data in JSON format",
                          "suffix": garments_to_json([item.visible_garment()])})
    (root / "data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return f"jsonl:{root}"


WRITERS = {"fashionpedia-coco": _write_coco, "fashionpedia-hub-layout": _write_detection,
           "products": write_products, "jsonl": _write_jsonl}
