"""Fashionpedia, the original COCO file and the Hub copy, onto the schema."""

import json
import logging

import datasets
import pytest
from datasets import ClassLabel, Dataset, Features, Sequence, Value
from datasets import Image as ImageFeature
from PIL import Image

from fashion_ai.datasets import iter_examples
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, garments_to_json
from tests.datasets.rows import HUB_FASHIONPEDIA, photo


# --------------------------------------------------------------------------------------------- Fashionpedia, original
def _coco(folder, image_folder):
    """A tiny instances_attributes_*.json: a dress with a sleeve and a neckline inside its box, a pair of shoes,
    a sleeve outside every garment, a bag alone, and an image with only a part."""
    for name, color in (("look1.jpg", (200, 40, 40)), ("look2.jpg", (40, 40, 200)), ("parts.jpg", (40, 200, 40))):
        photo(image_folder / name, color, size=(64, 64))
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
    with caplog.at_level(logging.INFO, logger="fashion_ai.datasets"):
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
