"""Real training data and real product catalogs, mapped onto our garment schema.

Sources are named ``"<kind>:<source>"``:

- ``fashionpedia:`` Fashionpedia, either its original COCO-style annotation file (``instances_attributes_*.json``:
  categories, boxes and 294 attributes) or the Hub copy ``detection-datasets/fashionpedia`` (categories and boxes,
  no attributes) as a Hub id or a local parquet / ``save_to_disk`` copy.
- ``products:`` product catalogs in the layout of ``ashraq/fashion-product-images-small`` (a Hub id, or a parquet,
  JSONL, CSV or ``save_to_disk`` copy; Kaggle's ``styles.csv`` with its ``images/`` folder), or rows of our own
  CatalogItem columns (id, title, image, price, url, category, colors, gender, ...).
- ``jsonl:`` a folder of images with a JSONL file of ``{"image", "prefix", "suffix"}`` or ``{"image", "caption"}``
  rows, the format PaliGemma and CLIP fine-tuning tools accept.
- ``fashion-mnist:`` the folder of Fashion-MNIST's idx files (Debian's ``dataset-fashion-mnist``:
  ``/usr/share/datasets/fashion-mnist``), splits train and test: 10 classes onto our categories, no colour.

Hub ids are streamed (``datasets.load_dataset(id, split=..., streaming=True)``), so a ``limit`` never downloads the
whole dataset; local copies are streamed through the same row mapping. Every mapping is an explicit table in its module:
what a table does not name is dropped or skipped and counted, and the counts are logged once per pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fashion_ai.datasets.captions import outfit_caption
from fashion_ai.datasets.common import DEFAULT_MAX_GARMENTS, KINDS, Example, Tally, check_limit, shrink_photo, take
from fashion_ai.datasets.fashion_mnist import fashion_mnist_examples
from fashion_ai.datasets.fashionpedia import fashionpedia_examples
from fashion_ai.datasets.jsonl import jsonl_examples, jsonl_file
from fashion_ai.datasets.products import product_examples, product_rows

__all__ = ["KINDS", "Example", "iter_examples", "outfit_caption", "parse_spec"]


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``"<kind>:<source>"``; ValueError naming the kinds when the spec is not one."""
    kind, sep, source = str(spec).partition(":")
    kind, source = kind.strip().lower(), source.strip()
    if not sep or kind not in KINDS:
        raise ValueError(f"unknown dataset spec {spec!r}: expected <kind>:<source> with kind one of {', '.join(KINDS)}")
    if not source:
        raise ValueError(f"dataset spec {spec!r} names no source after '{kind}:'")
    return kind, source


def iter_examples(spec: str, split: str = "train", limit: int | None = None, *, images_dir: str | Path | None = None,
                  max_garments: int = DEFAULT_MAX_GARMENTS, image_size: int | None = None) -> Iterator[Example]:
    """Training examples from ``fashionpedia:``, ``products:``, ``jsonl:`` or ``fashion-mnist:`` sources, at most
    ``limit`` of them.

    The source is opened at once (a missing file or an unreachable Hub id raises here); rows are read lazily.
    ``images_dir`` is where the photos of an original Fashionpedia annotation file are, when not beside it.
    ``image_size`` keeps photos only that large (shortest side); Fashion-MNIST's are drawn at that size.
    """
    kind, source = parse_spec(spec)
    check_limit(limit)
    if max_garments < 1:
        raise ValueError(f"max_garments must be at least 1, not {max_garments}")
    tally = Tally(spec)
    if kind == "fashionpedia":
        examples = fashionpedia_examples(source, split, images_dir, max_garments, tally)
    elif kind == "products":
        examples = product_examples(product_rows(source, split, tally), tally)
    elif kind == "jsonl":
        examples = jsonl_examples(jsonl_file(source, split))
    else:
        return take(fashion_mnist_examples(source, split, image_size), limit, tally)
    if image_size:
        examples = _shrunk(examples, image_size)
    return take(examples, limit, tally)


def _shrunk(examples: Iterator[Example], size: int) -> Iterator[Example]:
    try:
        for example in examples:
            example.image = shrink_photo(example.image, size)
            yield example
    finally:
        examples.close()
