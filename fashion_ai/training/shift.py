"""The held-out shift evaluation (issue 33): Fashion-MNIST photos taken as shops and shoppers take them
(demo_world.shop_photos), one factor at a time and all of them at once, read by a model the way the app reads an
upload. The extractor answers through the app's own path (load_image, then AttributeExtractor.extract); the embedder
chooses each photo's class among the ten by "a photo of <class>" and a coloured photo's colour by "a photo of a
<colour> <class>".

``train_space.py eval`` scores the test split (never trained on); recipes are chosen on ``split="train"`` rows that
training holds out (its last --mix_eval_items rows) under a tuning seed, never on the test figures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fashion_ai.config import DEFAULT_DECODING, DEFAULT_MIRROR
from fashion_ai.datasets.fashion_mnist import CLASSES, load_split
from fashion_ai.demo_world.shop_photos import COLOURS, FACTORS, ShopLook, draw_look, look_rng, shop_photo
from fashion_ai.images import load_image
from fashion_ai.models.clip.embeddings import embed_images, embed_texts
from fashion_ai.models.paligemma.inference import DEFAULT_CROP, AttributeExtractor, generate_answers
from fashion_ai.schema import parse_garments
from fashion_ai.training.confusion import save_confusion
from fashion_ai.training.metrics import confusion_matrix

logger = logging.getLogger(__name__)

DEFAULT_SHIFT_ITEMS = 500  # photos per factor: 9 sets in about two minutes on 2 cores (the extractor as the app)
DEFAULT_SHIFT_SEED = 3301  # the test split's looks; tuning uses TUNING_SHIFT_SEED on held-out train rows
TUNING_SHIFT_SEED = 7
TUNING_ROWS_FROM = 55000  # train rows training holds out at --mix_eval_items 5000 (the extractor's; the embedder
# holds out its last 1,000: tune the embedder from row 59,000)
SHIFT_CONFUSION_FILE = "eval_shift_confusion.png"
PHOTO_CHUNK = 100


def shift_sets(folder: str | Path, items: int, seed: int, split: str = "test", start: int = 0,
               factors: Sequence[str] = FACTORS):
    """For each factor: rows start..start+items of the split (the same garments in every set), each photo taken by
    its seeded draw and decoded as an upload; yields (factor, photos, labels, looks) chunk by chunk."""
    images, labels = load_split(folder, split)
    stop = min(len(images), start + items)
    if stop <= start:
        raise ValueError(f"Fashion-MNIST {split} has no rows from {start}")
    for factor in factors:
        for first in range(start, stop, PHOTO_CHUNK):
            rows = range(first, min(stop, first + PHOTO_CHUNK))
            looks = [draw_look(factor, look_rng(seed, factor, row)) for row in rows]
            photos = [load_image(shop_photo(images[row], look)) for row, look in zip(rows, looks)]
            yield factor, photos, [int(labels[row]) for row in rows], looks


def _score(answers: Callable[[list], list[tuple[str | None, str | None]]], folder, items: int, seed: int, split: str,
           start: int, factors: Sequence[str], truth_of: Callable[[int], str], names: Sequence[str]) -> dict:
    """Per factor: the share of photos whose category (or class) and, on coloured photos, colour were read right;
    the combined set's confusion."""
    hits: dict[str, dict[str, list[bool]]] = {f: {"category": [], "colour": []} for f in factors}
    truth, predicted = [], []
    total = items * len(factors)
    with tqdm(total=total, desc="shift", leave=False) as bar:
        for factor, photos, labels, looks in shift_sets(folder, items, seed, split, start, factors):
            for (category, colour), label, look in zip(answers(photos), labels, looks):
                hits[factor]["category"].append(category == truth_of(label))
                if look.colour:
                    hits[factor]["colour"].append(colour == look.colour)
                if factor == "combined":
                    truth.append(CLASSES[label].name)
                    predicted.append(category)
            bar.update(len(photos))
    report: dict = {"split": split, "rows": [start, start + items], "photos_per_factor": items, "seed": seed,
                    "factors": {}}
    for factor, scored in hits.items():
        row = {"category": round(float(np.mean(scored["category"])), 4)}
        if scored["colour"]:
            row["colour"] = round(float(np.mean(scored["colour"])), 4)
            row["coloured_photos"] = len(scored["colour"])
        report["factors"][factor] = row
    if truth:
        report["confusion"] = confusion_matrix(truth, predicted, [cls.name for cls in CLASSES], list(names))
    logger.info("shift (%s, %d a factor): %s", split, items, report["factors"])
    return report


def extractor_shift(processor, model, folder: str | Path, items: int = DEFAULT_SHIFT_ITEMS,
                    seed: int = DEFAULT_SHIFT_SEED, split: str = "test", start: int = 0,
                    decoding: str = DEFAULT_DECODING, mirror: bool = DEFAULT_MIRROR,
                    factors: Sequence[str] = FACTORS, crop: bool = DEFAULT_CROP) -> dict:
    """The extractor's first garment's category and main colour on shop-style photos, answered as the app answers
    an upload (``decoding``/``mirror`` as in the Fashion-MNIST report; ``crop``: the app's pre-step)."""
    extractor = AttributeExtractor(processor, model, decoding=decoding, mirror=mirror, crop=crop)

    def answers(photos: list) -> list[tuple[str | None, str | None]]:
        if decoding == "free":
            prepared = [extractor.prepare(photo) for photo in photos]
            results = [parse_garments(raw) for raw in generate_answers(processor, model, prepared)]
        else:
            results = [extraction.result for extraction in extractor.extract_batch(photos)]
        return [(r.garments[0].category, (r.garments[0].colors or [None])[0]) if r.garments else (None, None)
                for r in results]

    report = _score(answers, folder, items, seed, split, start, factors, lambda label: CLASSES[label].category,
                    list(dict.fromkeys(cls.category for cls in CLASSES)))
    report.update(decoding=decoding, mirror=mirror and decoding == "constrained", crop=crop)
    return report


def embedder_shift(tokenizer, image_processor, model, folder: str | Path, items: int = DEFAULT_SHIFT_ITEMS,
                   seed: int = DEFAULT_SHIFT_SEED, split: str = "test", start: int = 0,
                   factors: Sequence[str] = FACTORS) -> dict:
    """The embedder's class among the ten ("a photo of <class>", as the Fashion-MNIST report) and, on coloured
    photos, the colour of its best "a photo of a <colour> <class>" among every colour and class."""
    classes = embed_texts(tokenizer, model, [cls.prompt for cls in CLASSES])
    pairs = [(colour, cls) for colour in COLOURS for cls in CLASSES]
    coloured = embed_texts(tokenizer, model, [f"a photo of a {colour} {cls.noun}" for colour, cls in pairs])

    def answers(photos: list) -> list[tuple[str | None, str | None]]:
        vectors = embed_images(image_processor, model, photos)
        best_class = (vectors @ classes.T).argmax(axis=1)
        best_pair = (vectors @ coloured.T).argmax(axis=1)
        return [(CLASSES[int(c)].name, pairs[int(p)][0]) for c, p in zip(best_class, best_pair)]

    return _score(answers, folder, items, seed, split, start, factors, lambda label: CLASSES[label].name,
                  [cls.name for cls in CLASSES])


def write_shift_picture(report: dict, model_name: str, output_dir: str | Path) -> Path:
    """eval_shift_confusion.png: the combined set's confusion, titled with its accuracy."""
    combined = report["factors"]["combined"]
    title = (f"{model_name} on shop-style Fashion-MNIST {report['split']} photos, all factors combined "
             f"({report['photos_per_factor']:,} photos): accuracy {combined['category']:.3f}")
    return save_confusion(report["confusion"], title, Path(output_dir) / SHIFT_CONFUSION_FILE)


def shift_table(report: dict) -> str:
    """One line per factor: category and colour accuracy."""
    return "; ".join(f"{factor} {row['category']:.3f}" + (f" (colour {row['colour']:.3f})" if "colour" in row else "")
                     for factor, row in report["factors"].items())


__all__ = ["DEFAULT_SHIFT_ITEMS", "DEFAULT_SHIFT_SEED", "FACTORS", "SHIFT_CONFUSION_FILE", "ShopLook",
           "TUNING_ROWS_FROM", "TUNING_SHIFT_SEED", "embedder_shift", "extractor_shift", "shift_sets", "shift_table",
           "write_shift_picture"]
