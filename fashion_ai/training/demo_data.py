"""Generated training data from the demo world: held-out items as photos, training items as encoded tensors with
per-field and per-patch labels, drawn in forked worker processes; and empty scenes (no garment), likewise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from PIL import Image
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.catalog import CatalogItem
from fashion_ai.demo_world import (
    DEMO_CATEGORY_NAMES,
    DEMO_COLOR_NAMES,
    DEMO_PATTERNS,
    generate_empty_scene,
    generate_example,
    iter_demo_items,
)
from fashion_ai.schema import Garment

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


def empty_photos(count: int, seed: int, size: int = 256) -> tuple[list, list[str]]:
    """`count` empty scenes of a seed (photos with no garment) and their kinds."""
    scenes = [generate_empty_scene(index, seed, size) for index in range(count)]
    return [image for image, _, _ in scenes], [kind for _, _, kind in scenes]


@dataclass
class TrainingSet:
    """Training rows as tensors: model inputs, per-field labels and per-patch labels.

    The first len(items) rows are generated demo items; blocks of rows after them (``extended``: a real dataset's,
    empty scenes) are each drawn at their own share of every batch. Photos are stored as float16 (half the memory;
    within a twentieth of a grey level of the processor's float32): use them as ``.float()``.
    """

    items: list[CatalogItem]
    tensors: dict[str, torch.Tensor]
    # (N, grid*grid, 3): per patch, the category (BACKGROUND on background), primary colour and pattern
    # (-100 off the garment and on its ambiguous edge).
    patch_labels: torch.Tensor
    labels: dict[str, torch.Tensor]  # per field of LABELS: the class index of each row (-100: not known)
    blocks: tuple[tuple[int, float], ...] = ()  # (rows, share of every batch) of each block after the demo items

    def __len__(self) -> int:
        return len(self.patch_labels)

    def block_start(self, block: int) -> int:
        """The first row of the block-th block added by ``extended``."""
        return len(self.items) + sum(rows for rows, _ in self.blocks[:block])

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """Row indices for one batch: round(share * count) of them from each added block, the rest demo items."""
        ks = [round(share * count) if rows else 0 for rows, share in self.blocks]
        parts = [torch.randint(0, len(self.items), (count - sum(ks),), generator=generator)]
        for block, ((rows, _), k) in enumerate(zip(self.blocks, ks)):
            if k:
                parts.append(self.block_start(block) + torch.randint(0, rows, (k,), generator=generator))
        return torch.cat(parts)

    def extended(self, tensors: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], share: float,
                 patch_labels: torch.Tensor | None = None) -> TrainingSet:
        """These rows plus a block of rows encoded alike, drawn at `share` of every batch (real-dataset rows, empty
        scenes); without patch labels the patch heads ignore the new rows."""
        merged = {key: _pad_cat([self.tensors[key], tensors[key]], _PADS.get(key, 0)) if tensors[key].dim() == 2
                  else torch.cat([self.tensors[key], tensors[key]]) for key in self.tensors}
        n_new = len(next(iter(tensors.values())))
        if patch_labels is None:
            patch_labels = torch.full((n_new, *self.patch_labels.shape[1:]), -100)
        patches = torch.cat([self.patch_labels, patch_labels])
        # A field only one side knows (a real dataset's own classes) is -100 on the other side's rows.
        merged_labels = {name: torch.cat([self.labels.get(name, _unknown(len(self))), labels.get(name, _unknown(n_new))])
                         for name in dict.fromkeys([*self.labels, *labels])}
        return TrainingSet(self.items, merged, patches, merged_labels, _room_for_demo((*self.blocks, (n_new, share))))

    def with_share(self, block: int, share: float) -> TrainingSet:
        """The same rows with the block-th added block drawn at `share` of every batch instead."""
        blocks = [*self.blocks]
        blocks[block] = (blocks[block][0], share)
        return replace(self, blocks=_room_for_demo(tuple(blocks)))


def _room_for_demo(blocks: tuple[tuple[int, float], ...]) -> tuple[tuple[int, float], ...]:
    if sum(share for _, share in blocks) >= 1.0:
        raise ValueError("the added blocks' shares must leave room for demo items in every batch")
    return blocks


def _unknown(count: int) -> torch.Tensor:
    return torch.full((count,), -100, dtype=torch.long)


def _pad_cat(chunks: list[torch.Tensor], value: int) -> torch.Tensor:
    width = max(c.shape[1] for c in chunks)
    return torch.cat([nn.functional.pad(c, (0, width - c.shape[1]), value=value) for c in chunks])


_PADS = {"input_ids": 0, "attention_mask": 0, "token_type_ids": 0, "labels": -100}
_ENCODE: Callable[[list, list[CatalogItem]], dict] | None = None  # read by forked workers (closures don't pickle)


def _make_chunk(args: tuple[int, int, int, int, bool]) -> tuple[list[CatalogItem | None], dict, torch.Tensor]:
    """Items (or empty scenes: None) start..stop of a seed: their encoded tensors and per-patch labels (runs in a
    worker or inline)."""
    start, stop, seed, grid, empty = args
    items, images, patches = [], [], []
    for index in range(start, stop):
        if empty:
            image, _, _ = generate_empty_scene(index, seed)
            item, patch = None, empty_patch_labels(grid)
        else:
            item, image, mask = generate_example(index, seed)
            patch = patch_labels(mask, grid, item)
        items.append(item)
        images.append(image)
        patches.append(patch)
    return items, half_pixels(_ENCODE(images, items)), torch.stack(patches)


def patch_labels(mask: Image.Image | None, grid: int, garment: CatalogItem | Garment | None) -> torch.Tensor:
    """(grid*grid, 3) per-patch labels from a garment's silhouette (L, 255 on the garment): on it, its category,
    primary colour and pattern (-100 for those unknown); off it, background (category only); -100 on its
    ambiguous edge, and everywhere without a mask."""
    label = np.full((grid, grid, 3), -100, dtype=np.int64)
    if mask is not None and garment is not None:
        frac = np.asarray(mask.resize((grid, grid), Image.BOX), dtype=np.float32) / 255.0
        known = label_tensors([garment])
        label[frac > 0.5] = [int(known[name][0]) for name in ("category", "colors", "pattern")]
        label[frac < 0.1, 0] = BACKGROUND
    return torch.from_numpy(label.reshape(-1, 3))


def empty_patch_labels(grid: int) -> torch.Tensor:
    """(grid*grid, 3) per-patch labels of a photo with no garment: background everywhere, no colour or pattern."""
    label = torch.full((grid * grid, 3), -100)
    label[:, 0] = BACKGROUND
    return label


def empty_label_tensors(count: int) -> dict[str, torch.Tensor]:
    """Per-photo warm-up labels of `count` photos with no garment: category BACKGROUND, nothing else known."""
    out = {name: torch.full((count,), -100) for name in LABELS}
    out["category"][:] = BACKGROUND
    return out


def _worker_init() -> None:
    torch.set_num_threads(1)


def training_set(count: int, seed: int, encode: Callable[[list, list[CatalogItem]], dict], grid: int,
                 chunk: int = 500, workers: int = 1) -> TrainingSet:
    """Generate and encode items chunk by chunk, so only tensors (not thousands of photos) stay in memory.

    With workers > 1 the chunks are made in forked processes (drawing and preprocessing are CPU-bound Python).
    """
    items, tensors, patches = _draw(count, seed, encode, grid, chunk, workers, empty=False)
    return TrainingSet(items, tensors, patches, label_tensors(items))


def empty_rows(count: int, seed: int, encode: Callable[[list, list[None]], dict], grid: int, chunk: int = 500,
               workers: int = 1) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], torch.Tensor]:
    """`count` empty scenes of a seed, encoded like the demo items (``encode`` gets None for each scene's item):
    tensors, per-photo labels (no garment) and per-patch labels (all background), for TrainingSet.extended."""
    _, tensors, patches = _draw(count, seed, encode, grid, chunk, workers, empty=True)
    return tensors, empty_label_tensors(count), patches


def _draw(count: int, seed: int, encode: Callable, grid: int, chunk: int, workers: int, empty: bool
          ) -> tuple[list, dict[str, torch.Tensor], torch.Tensor]:
    import multiprocessing

    global _ENCODE
    _ENCODE = encode
    jobs = [(start, min(count, start + chunk), seed, grid, empty) for start in range(0, count, chunk)]
    items: list[CatalogItem | None] = []
    encoded: list[dict] = []
    patches: list[torch.Tensor] = []
    bar = tqdm(total=count, desc=f"generate {'empty scenes' if empty else 'seed'} {seed}", leave=False)
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
    return items, concat_encoded(encoded), torch.cat(patches)


def half_pixels(encoded: dict) -> dict:
    """Photos stored as float16 (see TrainingSet)."""
    return {k: v.half() if k == "pixel_values" else v for k, v in encoded.items()}


def concat_encoded(encoded: list[dict]) -> dict[str, torch.Tensor]:
    """Chunks of encoded rows as one set of tensors (text padded to the longest row)."""
    tensors = {}
    for key in encoded[0]:
        parts = [e[key] for e in encoded]
        tensors[key] = _pad_cat(parts, _PADS.get(key, 0)) if parts[0].dim() == 2 else torch.cat(parts)
    return tensors


# Class lists of the visible fields the vision warm-up teaches (the order indexes the heads' outputs).
LABELS: dict[str, tuple[str, ...]] = {"category": DEMO_CATEGORY_NAMES, "colors": DEMO_COLOR_NAMES, "pattern": DEMO_PATTERNS,
                                      "sleeve": ("sleeveless", "short", "long"), "length": ("mini", "knee", "maxi")}
# The category class after the garments': a patch off the garment, or a photo with no garment at all.
BACKGROUND = len(LABELS["category"])


def label_tensors(items: Sequence[CatalogItem | Garment | None]) -> dict[str, torch.Tensor]:
    """Class indices per visible field for the vision warm-up, from demo items or from garments (a real dataset's
    first garment per photo): -100 where the field does not apply or is not known, or is no class of LABELS."""
    out = {}
    for name, values in LABELS.items():
        index = {v: k for k, v in enumerate(values)}
        labels = []
        for item in items:
            if item is None:
                labels.append(-100)
                continue
            value = (item.colors[0] if item.colors else None) if name == "colors" else getattr(item, name)
            labels.append(index.get(value, -100))
        out[name] = torch.tensor(labels, dtype=torch.long)
    return out
