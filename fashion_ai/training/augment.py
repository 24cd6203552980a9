"""Training's shop-style Fashion-MNIST rows (issue 33 point 1): a share of the mixed-in train rows photographed as
shops do (demo_world.shop_photos, all factors drawn at once, seeded by the run's seed and the row), coloured with a
schema colour that their target and caption then name, and, for the extractor, cropped to the garment as the app
crops an upload. The evaluation's builder makes them; only the frame is smaller (TRAIN_SIDE), as the model reads
64 px."""

from __future__ import annotations

import logging
import multiprocessing
import random
from collections.abc import Sequence

import numpy as np

from fashion_ai.datasets import Example
from fashion_ai.datasets.fashion_mnist import load_split
from fashion_ai.demo_world.shop_photos import draw_look, look_rng, shop_example

logger = logging.getLogger(__name__)

# The frame the training photos are taken in before the model's resize: JPEG at this size is as harsh as at the
# range's small end (128 px), and a 64 px model sees no more detail.
TRAIN_SIDE = 96
CHUNK = 1000
_SOURCE: tuple[np.ndarray, np.ndarray] | None = None  # read by forked workers


def _make(args: tuple[Sequence[int], int, bool, int]) -> list[Example]:
    rows, seed, crop, size = args
    images, labels = _SOURCE
    return [shop_example(images[row], int(labels[row]), f"fashion-mnist-train-{row:05d}-shop",
                         draw_look("combined", look_rng(seed, "train", row)), TRAIN_SIDE, crop, size) for row in rows]


def shop_rows(folder: str, rows: Sequence[int], seed: int, size: int, crop: bool, workers: int = 1) -> list[Example]:
    """Shop-style examples of these train rows at `size` px (in forked processes when workers > 1)."""
    global _SOURCE
    _SOURCE = load_split(folder, "train")
    jobs = [(rows[k:k + CHUNK], seed, crop, size) for k in range(0, len(rows), CHUNK)]
    try:
        if workers > 1 and len(jobs) > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                chunks = pool.map(_make, jobs)
        else:
            chunks = [_make(job) for job in jobs]
    finally:
        _SOURCE = None
    return [example for chunk in chunks for example in chunk]


def with_shop_rows(spec: str, train: list[Example], share: float, seed: int, size: int, crop: bool,
                   workers: int = 1) -> list[Example]:
    """`train` (a Fashion-MNIST train split's first rows, in order) with round(share * len) of them, chosen by
    `seed`, replaced by their shop-style photos."""
    kind, _, folder = spec.partition(":")
    if kind.strip().lower() != "fashion-mnist":
        raise ValueError(f"--shop_share photographs Fashion-MNIST rows; {spec} is not fashion-mnist:<folder>")
    chosen = sorted(random.Random(seed).sample(range(len(train)), round(share * len(train))))
    made = shop_rows(folder, chosen, seed, size, crop, workers)
    out = list(train)
    for row, example in zip(chosen, made):
        out[row] = example
    coloured = sum(bool(ex.garments[0].colors) for ex in made)
    logger.info("%d of %d Fashion-MNIST train rows photographed shop-style (%d coloured, crop %s)", len(made),
                len(train), coloured, crop)
    return out
