"""A real dataset mixed into the generated demo items (``--mix_dataset``, e.g. Fashion-MNIST): its train split is
encoded like the demo items, labels the warm-up heads of the fields it knows (-100 elsewhere), and fills a fixed
share of every batch; its last rows are held out, never trained on, for the run's own evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from fashion_ai.datasets import Example, iter_examples
from fashion_ai.training.augment import with_shop_rows
from fashion_ai.training.config import TrainConfig
from fashion_ai.training.demo_data import (
    DemoData,
    TrainingSet,
    concat_encoded,
    empty_label_tensors,
    half_pixels,
    label_tensors,
    patch_labels,
)

logger = logging.getLogger(__name__)

ENCODE_CHUNK = 1000  # rows encoded per processor call


@dataclass
class MixedRows:
    """A real dataset's rows: training rows (encoded once ``encode`` has run) and held-out rows as examples."""

    spec: str
    train: list[Example]  # photos at the model's input size; emptied by encode()
    held_out: list[Example]
    tensors: dict[str, torch.Tensor] | None = None
    labels: dict[str, torch.Tensor] | None = None  # warm-up class index per field of demo_data.LABELS (-100: unknown)
    patch_labels: torch.Tensor | None = None  # per patch, from the rows' masks (-100 where there is none)
    phrasings: list[tuple[str, ...]] | None = None  # the true captions of each training row (CLIP draws one)
    classes: tuple[str, ...] = ()  # the dataset's own classes (Fashion-MNIST's ten), finer than our categories

    def class_labels(self, rows: list[Example]) -> dict[str, torch.Tensor]:
        """Rows' index in ``classes`` as the warm-up's extra "class" field (none without classes): it tells apart
        what our schema merges (a sandal, a sneaker, an ankle boot are all "shoe"), as a shopper's words do."""
        if not self.classes:
            return {}
        index = {name: k for k, name in enumerate(self.classes)}
        return {"class": torch.tensor([index.get(ex.hierarchy.get("class"), -100) for ex in rows], dtype=torch.long)}

    def texts(self) -> list[str]:
        """Every prompt, target and caption of the rows (a tiny model's tokenizer must know their words)."""
        rows = self.train + self.held_out
        texts = [t for ex in rows for t in (ex.prefix, ex.suffix, ex.caption, *ex.phrasings)]
        return list(dict.fromkeys(texts))

    def encode(self, encode: Callable[[list, list[Example]], dict], grid: int) -> None:
        """Encode the training rows chunk by chunk with ``encode(images, examples)`` (the demo items' encoder) and
        label their grid x grid patches where a row has a mask; afterwards only tensors, labels and captions stay."""
        encoded = []
        for start in tqdm(range(0, len(self.train), ENCODE_CHUNK), desc="encode", leave=False):
            chunk = self.train[start:start + ENCODE_CHUNK]
            encoded.append(half_pixels(encode([ex.image for ex in chunk], chunk)))
        self.tensors = concat_encoded(encoded)
        self.classes = tuple(sorted({ex.hierarchy["class"] for ex in self.train + self.held_out if "class" in ex.hierarchy}))
        self.labels = label_tensors([ex.garments[0] if ex.garments else None for ex in self.train])
        self.labels.update(self.class_labels(self.train))
        self.patch_labels = torch.stack([patch_labels(ex.mask, grid, ex.garments[0] if ex.garments else None)
                                         for ex in self.train])
        self.phrasings = [ex.phrasings or (ex.caption,) for ex in self.train]
        known = {name: int((t >= 0).sum()) for name, t in self.labels.items()}
        masked = int((self.patch_labels[..., 0] >= 0).any(dim=1).sum())
        logger.info("mixing %s: %d training rows (warm-up labels: %s; %d with a silhouette), %d held out", self.spec,
                    len(self.train), known, masked, len(self.held_out))
        self.train = []


def read_mix(cfg: TrainConfig, image_size: int) -> MixedRows | None:
    """cfg.mix_dataset's train split with photos at the model's input size, its last cfg.mix_eval_items rows (at
    most a fifth) held out; None without a mix_dataset."""
    if not cfg.mix_dataset:
        return None
    limit = cfg.mix_items + cfg.mix_eval_items if cfg.mix_items else None
    try:
        rows = list(tqdm(iter_examples(cfg.mix_dataset, split="train", limit=limit, image_size=image_size),
                         total=limit, desc=f"read {cfg.mix_dataset}", leave=False))
    except (ValueError, OSError) as exc:  # a missing or damaged file: one line naming the dataset
        message = " ".join(str(exc).split())
        raise ValueError(message if cfg.mix_dataset.split(":", 1)[-1] in message
                         else f"cannot read {cfg.mix_dataset}: {message}") from exc
    n_held = min(cfg.mix_eval_items, len(rows) // 5)
    train, held_out = rows[:len(rows) - n_held], rows[len(rows) - n_held:]
    if not train:
        raise ValueError(f"{cfg.mix_dataset} gave no training rows")
    if cfg.shop_share:  # the held-out rows stay as stored: the run's own check stays comparable between recipes
        train = with_shop_rows(cfg.mix_dataset, train, cfg.shop_share, cfg.seed, image_size,
                               crop=cfg.crop and cfg.target == "paligemma", workers=cfg.threads or torch.get_num_threads())
    return MixedRows(cfg.mix_dataset, train, held_out)


def mixed_training_set(demo: TrainingSet, mixed: MixedRows | None, share: float) -> TrainingSet:
    """The demo items plus the encoded real rows, drawn at `share` of each batch (the demo set alone without)."""
    if mixed is None:
        return demo
    if mixed.tensors is None:
        raise ValueError("encode the mixed rows first")
    return demo.extended(mixed.tensors, mixed.labels, share, mixed.patch_labels)


def main_phase_set(train: TrainingSet, mixed: MixedRows | None, share: float) -> TrainingSet:
    """The set the main training draws from after the warm-up: the mixed rows (the first block added) at `share`."""
    return train if mixed is None else train.with_share(0, share)


def warmup_held_out(image_processor, held_out: DemoData, mixed: MixedRows | None, empty: list | None = None) -> dict:
    """Held-out photos and labels the warm-up reports its heads' accuracy on: demo items, empty scenes (their
    category is BACKGROUND: no garment), and the mixed rows."""
    def pixels(images: list) -> torch.Tensor:
        return image_processor(images=images, return_tensors="pt")["pixel_values"]

    out = {"demo": (pixels(held_out.images), label_tensors(held_out.items))}
    if empty:
        out["empty"] = (pixels(empty), empty_label_tensors(len(empty)))
    if mixed is not None and mixed.held_out:
        truth = label_tensors([ex.garments[0] if ex.garments else None for ex in mixed.held_out])
        out["mix"] = (pixels([ex.image for ex in mixed.held_out]), {**truth, **mixed.class_labels(mixed.held_out)})
    return out
