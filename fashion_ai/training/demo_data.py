"""Generated training data from the demo world: held-out items as photos, training items as encoded tensors with
per-field and per-patch labels, drawn in forked worker processes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.catalog import CatalogItem
from fashion_ai.demo_world import DEMO_CATEGORY_NAMES, DEMO_COLOR_NAMES, DEMO_PATTERNS, generate_example, iter_demo_items

logger = logging.getLogger(__name__)


@dataclass
class DemoData:
    """Held-out demo items with their photos (kept as images: evaluation runs the real preprocessing)."""

    items: list[CatalogItem]
    images: list

    def head(self, limit: int | None) -> DemoData:
        """The first `limit` items (all of them for None)."""
        return self if limit is None else DemoData(self.items[:limit], self.images[:limit])


def demo_data(count: int, seed: int, size: int = 256, progress: bool = True) -> DemoData:
    """Generate `count` demo items of a seed with their photos."""
    items, images = [], []
    for item, image in tqdm(iter_demo_items(count, seed, size), total=count, desc=f"generate seed {seed}",
                            disable=not progress, leave=False):
        items.append(item)
        images.append(image)
    return DemoData(items, images)


@dataclass
class TrainingSet:
    """Generated training items as tensors: model inputs, per-field labels and per-patch labels."""

    items: list[CatalogItem]
    tensors: dict[str, torch.Tensor]
    # (N, grid*grid, 3): per patch, the category (len(categories) on background), primary colour and pattern
    # (-100 off the garment and on its ambiguous edge).
    patch_labels: torch.Tensor


def _pad_cat(chunks: list[torch.Tensor], value: int) -> torch.Tensor:
    width = max(c.shape[1] for c in chunks)
    return torch.cat([nn.functional.pad(c, (0, width - c.shape[1]), value=value) for c in chunks])


_ENCODE: Callable[[list, list[CatalogItem]], dict] | None = None  # read by forked workers (closures don't pickle)


def _make_chunk(args: tuple[int, int, int, int]) -> tuple[list[CatalogItem], dict, torch.Tensor]:
    """Items start..stop of a seed: their encoded tensors and per-patch labels (runs in a worker or inline)."""
    from PIL import Image

    start, stop, seed, grid = args
    categories, colors, patterns = (list(LABELS[name]) for name in ("category", "colors", "pattern"))
    items, images, patches = [], [], []
    for index in range(start, stop):
        item, image, mask = generate_example(index, seed)
        items.append(item)
        images.append(image)
        frac = np.asarray(mask.resize((grid, grid), Image.BOX), dtype=np.float32) / 255.0
        label = np.full(frac.shape + (3,), -100, dtype=np.int64)  # patches on the garment's edge are ambiguous
        on = frac > 0.5
        label[on] = (categories.index(item.category), colors.index(item.colors[0]), patterns.index(item.pattern))
        label[frac < 0.1, 0] = len(categories)
        patches.append(torch.from_numpy(label.reshape(-1, 3)))
    return items, _ENCODE(images, items), torch.stack(patches)


def _worker_init() -> None:
    torch.set_num_threads(1)


def training_set(count: int, seed: int, encode: Callable[[list, list[CatalogItem]], dict], grid: int,
                 chunk: int = 500, workers: int = 1) -> TrainingSet:
    """Generate and encode items chunk by chunk, so only tensors (not thousands of photos) stay in memory.

    With workers > 1 the chunks are made in forked processes (drawing and preprocessing are CPU-bound Python).
    """
    import multiprocessing

    global _ENCODE
    _ENCODE = encode
    jobs = [(start, min(count, start + chunk), seed, grid) for start in range(0, count, chunk)]
    items: list[CatalogItem] = []
    encoded: list[dict] = []
    patches: list[torch.Tensor] = []
    bar = tqdm(total=count, desc=f"generate seed {seed}", leave=False)
    pool = None
    if workers > 1 and len(jobs) > 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init)
    try:
        for chunk_items, chunk_tensors, chunk_patches in (pool.imap(_make_chunk, jobs) if pool else map(_make_chunk, jobs)):
            items.extend(chunk_items)
            encoded.append(chunk_tensors)
            patches.append(chunk_patches)
            bar.update(len(chunk_items))
    finally:
        if pool:
            pool.close()
            pool.join()
        bar.close()
        _ENCODE = None
    pads = {"input_ids": 0, "attention_mask": 0, "token_type_ids": 0, "labels": -100}
    tensors = {}
    for key in encoded[0]:
        parts = [e[key] for e in encoded]
        tensors[key] = _pad_cat(parts, pads.get(key, 0)) if parts[0].dim() == 2 else torch.cat(parts)
    return TrainingSet(items, tensors, torch.cat(patches))


# Class lists of the visible fields the vision warm-up teaches (the order indexes the heads' outputs).
LABELS: dict[str, tuple[str, ...]] = {"category": DEMO_CATEGORY_NAMES, "colors": DEMO_COLOR_NAMES, "pattern": DEMO_PATTERNS,
                                      "sleeve": ("sleeveless", "short", "long"), "length": ("mini", "knee", "maxi")}


def label_tensors(items: Sequence[CatalogItem]) -> dict[str, torch.Tensor]:
    """Class indices per visible field for the vision warm-up (-100 where the field does not apply)."""
    out = {}
    for name, values in LABELS.items():
        index = {v: k for k, v in enumerate(values)}
        labels = []
        for item in items:
            value = item.colors[0] if name == "colors" else getattr(item, name)
            labels.append(index.get(value, -100))
        out[name] = torch.tensor(labels)
    return out
