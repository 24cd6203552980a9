"""Real datasets in training: reading them through fashion_ai.datasets, holding rows out, and scoring on them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from fashion_ai.models.clip.embeddings import embed_images, embed_texts
from fashion_ai.models.paligemma.inference import generate_answers
from fashion_ai.schema import FIELDS, parse_garments
from fashion_ai.training.config import TrainConfig
from fashion_ai.training.metrics import classification_metrics, extraction_metrics, retrieval_metrics

logger = logging.getLogger(__name__)


@dataclass
class ExampleSet:
    """Examples of a real dataset (fashion_ai.datasets), split into training and held-out evaluation rows."""

    train: list
    held_out: list

    def texts(self) -> list[str]:
        return [text for ex in self.train for text in (ex.prefix, ex.suffix, ex.caption)]


def load_examples(cfg: TrainConfig, input_size: int) -> ExampleSet:
    """Read cfg.dataset through fashion_ai.datasets; hold out cfg.eval_items rows unless cfg.eval_split names a split."""
    import random

    from fashion_ai.datasets import iter_examples

    def read(split: str, limit: int) -> list:
        rows = []
        try:
            # Photos are kept only as large as the model input, so thousands fit in memory.
            rows.extend(tqdm(iter_examples(cfg.dataset, split=split, limit=limit, image_size=input_size), total=limit,
                             desc=f"read {split}", leave=False))
        except (ValueError, OSError) as exc:  # corrupt files, bad rows: say which dataset, keep the reason
            message = " ".join(str(exc).split())
            if cfg.dataset.split(":", 1)[-1] not in message:
                message = f"cannot read {cfg.dataset} ({split}): {message}"
            raise ValueError(message) from exc
        return rows

    if cfg.eval_split:
        train, held = read("train", cfg.train_items), read(cfg.eval_split, cfg.eval_items)
    else:
        rows = read("train", cfg.train_items + cfg.eval_items)
        random.Random(cfg.seed).shuffle(rows)
        # Small datasets still keep most rows for training: at most a fifth is held out.
        n_held = min(cfg.eval_items, len(rows) // 5)
        held, train = rows[:n_held], rows[n_held:]
    if not train:
        raise ValueError(f"{cfg.dataset} gave no training examples")
    if not held:
        logger.warning("no held-out examples: the evaluation will use training rows")
        held = train[: cfg.eval_items]
    logger.info("dataset %s: %d training and %d held-out examples", cfg.dataset, len(train), len(held))
    return ExampleSet(train, held)


def evaluate_examples(processor, model, examples: Sequence) -> dict:
    """Extraction metrics on held-out dataset rows: per garment for schema targets, exact match for free text."""
    raw: list[str] = [""] * len(examples)
    by_prompt: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_prompt.setdefault(ex.prefix, []).append(i)
    for prompt, rows in by_prompt.items():
        for i, text in zip(rows, generate_answers(processor, model, [examples[i].image for i in rows], prompt)):
            raw[i] = text
    results = [parse_garments(text) for text in raw]
    report: dict = {"images": len(examples)}
    pairs = [(result, truth) for result, ex in zip(results, examples) for truth in ex.garments]
    if pairs:
        taught = [name for name in FIELDS if any(getattr(t, name) for _, t in pairs)]
        report.update(extraction_metrics([r for r, _ in pairs], [t for _, t in pairs], taught))
        report["garments"] = report.pop("images")
        report["images"] = len(examples)
        report["json_valid_rate"] = round(float(np.mean([r.valid_json for r in results])), 4) if results else 0.0
    free = [(text, ex.suffix) for text, ex in zip(raw, examples) if not ex.garments]
    if free:
        report["exact_match"] = round(float(np.mean([" ".join(a.split()) == " ".join(b.split()) for a, b in free])), 4)
    report["examples"] = [{"id": ex.id, "raw": text, "target": ex.suffix} for ex, text in list(zip(examples, raw))[:5]]
    return report


def evaluate_caption_retrieval(tokenizer, image_processor, model, examples: Sequence) -> dict:
    """Caption-to-image retrieval on held-out rows (rows sharing a caption count as relevant to each other)."""
    captions = [ex.caption for ex in examples]
    sim = embed_texts(tokenizer, model, captions) @ embed_images(image_processor, model, [ex.image for ex in examples]).T
    relevant = np.array([[a == b for b in captions] for a in captions])
    return {"caption_to_image": retrieval_metrics(sim, relevant)}


def evaluate_caption_choice(tokenizer, image_processor, model, examples: Sequence) -> dict:
    """Each photo's own caption chosen among the distinct captions of the set (for Fashion-MNIST: "a photo of
    <class>" among its 10 classes): accuracy, macro and weighted F1, and per caption."""
    choices = sorted({ex.caption for ex in examples})
    if not choices:
        return {}
    sim = embed_images(image_processor, model, [ex.image for ex in examples]) @ embed_texts(tokenizer, model, choices).T
    predicted = [choices[i] for i in sim.argmax(axis=1)]
    return {"choices": len(choices), **classification_metrics([ex.caption for ex in examples], predicted)}
