"""The catalog embedder's recipe: CLIP (tiny from scratch with a vision warm-up, or a hub checkpoint) trained
contrastively on shopper phrasings of each item, evaluated by text-to-image retrieval."""

from __future__ import annotations

import logging
from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from fashion_ai.catalog import CatalogItem
from fashion_ai.demo_world import DEMO_NOUNS
from fashion_ai.models.clip.embeddings import embed_images, embed_texts
from fashion_ai.models.clip.tiny import build_tiny_clip
from fashion_ai.models.clip.zero_shot import CLIP_NO_GARMENT_THRESHOLD, NO_GARMENT_CAPTIONS
from fashion_ai.training.config import EMPTY_EVAL_ITEMS, WARMUP_SHARE, TrainConfig
from fashion_ai.training.demo_data import DemoData, demo_data, empty_photos, empty_rows, training_set
from fashion_ai.training.engine import (
    data_workers,
    enable_gradient_checkpointing,
    flip,
    input_size,
    resuming,
    train_loop,
)
from fashion_ai.training.examples import evaluate_caption_choice, evaluate_caption_retrieval, load_examples
from fashion_ai.training.metrics import retrieval_metrics
from fashion_ai.training.mixing import main_phase_set, mixed_training_set, read_mix, warmup_held_out
from fashion_ai.training.presence import clip_decider
from fashion_ai.training.run import TrainingRun, finish
from fashion_ai.training.warmup import warm_up_vision

logger = logging.getLogger(__name__)

EMPTY_KEY = ("no garment",)  # what every empty scene's caption describes: all of them, in a batch


def clip_training_texts(item: CatalogItem, rng: np.random.Generator) -> str:
    """One of several shopper phrasings of an item, so the text tower sees short queries and long captions."""
    primary = item.colors[0]
    noun = item.title.split()[-1]
    choices = [
        f"{primary} {item.pattern} {item.category}",
        f"a {primary} {item.pattern} {item.category}",
        f"{primary} {item.category}",
        f"{item.pattern} {item.category}",
        item.title,
        item.caption,
        f"{primary} {item.pattern} {noun}",
    ]
    return choices[int(rng.integers(len(choices)))]


def evaluate_embedder(tokenizer, image_processor, model, data: DemoData) -> dict:
    """Text-to-image retrieval on held-out items, with one query per (colour, pattern, category) present."""
    keys = [(i.colors[0], i.pattern, i.category) for i in data.items]
    combos = sorted(set(keys))
    queries = [f"{c} {p} {cat}" for c, p, cat in combos]
    relevant = np.array([[k == combo for k in keys] for combo in combos])
    sim = embed_texts(tokenizer, model, queries) @ embed_images(image_processor, model, data.images).T
    report = retrieval_metrics(sim, relevant)
    # Caption retrieval: each item's own caption should find its own photo.
    captions = [i.caption for i in data.items]
    cap_sim = embed_texts(tokenizer, model, captions) @ embed_images(image_processor, model, data.images).T
    report["caption_to_image"] = retrieval_metrics(cap_sim, np.eye(len(captions), dtype=bool))
    return report


def train_clip(cfg: TrainConfig, run: TrainingRun) -> dict:
    """Contrastive image-text training of the catalog embedder; writes weights, processors and eval.json (run:
    training.run.start_run(cfg))."""
    from fashion_ai.models.clip.loading import load_clip_for_training

    output_dir, budget = run.output_dir, run.budget
    demo = cfg.dataset == "demo"
    examples = None
    if cfg.tiny:
        examples = None if demo else load_examples(cfg, cfg.image_size)
        mixed = read_mix(cfg, cfg.image_size)
        words = [ex.caption for ex in examples.train] if examples else mixed.texts() if mixed else ()
        # The demo world's nouns as the tiny tokenizer knew them before it stopped importing the demo world (1aa6196).
        tokenizer, image_processor, model = build_tiny_clip(cfg.image_size, cfg.patch_size, seed=cfg.seed,
                                                            extra_words=(*DEMO_NOUNS, *words))
    else:
        tokenizer, image_processor, model = load_clip_for_training(cfg.base_model)
        if not demo:
            examples = load_examples(cfg, input_size(image_processor))
        mixed = read_mix(cfg, input_size(image_processor))
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    report: dict = {"target": "clip", "config": asdict(cfg)}
    gen = torch.Generator().manual_seed(cfg.seed)

    if demo:
        grid = model.config.vision_config.image_size // model.config.vision_config.patch_size

        def encode(images: list, _rows: list) -> dict:
            return {"pixel_values": image_processor(images=images, return_tensors="pt")["pixel_values"]}

        train = training_set(cfg.train_items, cfg.seed, encode, grid, workers=data_workers(cfg))
        if mixed is not None:
            mixed.encode(encode, grid)
        train = mixed_training_set(train, mixed, cfg.mix_share)
        empty_from = len(train)
        if cfg.empty_items:
            tensors, labels, patches = empty_rows(cfg.empty_items, cfg.seed, encode, grid, workers=data_workers(cfg))
            train = train.extended(tensors, labels, cfg.empty_share, patches)
        held_out = demo_data(cfg.eval_items, cfg.eval_seed)
        held_out_empty = empty_photos(EMPTY_EVAL_ITEMS, cfg.eval_seed)[0] if cfg.empty_items else []
        pixels = train.tensors["pixel_values"]
        if cfg.tiny and not resuming(cfg, output_dir):
            run.stage = "warming up the vision tower"
            report["vision_warmup_accuracy"] = warm_up_vision(
                model.vision_model, train, "pixel_values", cfg.warmup_steps, cfg.warmup_batch_size, cfg.learning_rate,
                cfg.seed, held_out=warmup_held_out(image_processor, held_out, mixed, held_out_empty),
                deadline=budget.deadline(WARMUP_SHARE[cfg.target]), bf16=cfg.bf16,
                label_smoothing=cfg.warmup_label_smoothing, tracker=run.tracker, logging_steps=cfg.logging_steps)
        train = main_phase_set(train, mixed, cfg.main_mix_share)
        rng = np.random.default_rng(cfg.seed)
        n_examples, n_demo, sample = len(train), len(train.items), train.sample

        def batch_fn(idx: torch.Tensor) -> dict:
            texts, text_keys, image_keys = [], [], []
            for i in idx.tolist():
                if i < n_demo:
                    item = train.items[i]
                    # Items that share (colour, pattern, category) are not negatives of each other's queries.
                    key = (item.colors[0], item.pattern, item.category)
                    texts.append(clip_training_texts(item, rng))
                    text_keys.append(key)
                    image_keys.append({key})
                elif i >= empty_from:  # an empty scene: one of the no-garment captions, true of every empty scene
                    texts.append(NO_GARMENT_CAPTIONS[int(rng.integers(len(NO_GARMENT_CAPTIONS)))])
                    text_keys.append(EMPTY_KEY)
                    image_keys.append({EMPTY_KEY})
                else:  # a real photo: one of its true captions; others' photos it also describes are positives
                    phrasings = mixed.phrasings[i - n_demo]
                    texts.append(phrasings[int(rng.integers(len(phrasings)))])
                    text_keys.append(texts[-1])
                    image_keys.append(set(phrasings))
            return _clip_batch(texts, text_keys, image_keys,
                               flip(pixels[idx].float(), torch.rand(len(idx), generator=gen) < 0.5))

        def evaluate(limit: int | None = None) -> dict:
            report = evaluate_embedder(tokenizer, image_processor, model, held_out.head(limit))
            if held_out_empty:  # the zero-shot gate on empty scenes of eval_seed; falsely, on its held-out items
                gate = clip_decider(tokenizer, image_processor, model)
                said = gate(held_out_empty[:limit]) >= CLIP_NO_GARMENT_THRESHOLD
                false = gate(held_out.head(limit).images) >= CLIP_NO_GARMENT_THRESHOLD
                report["no_garment"] = {"empty_scenes": len(said), "said_no_garment": round(float(said.mean()), 4),
                                        "false_on_items": round(float(false.mean()), 4)}
            if mixed is not None:
                report["mix"] = {"dataset": mixed.spec,
                                 **evaluate_caption_choice(tokenizer, image_processor, model, mixed.held_out[:limit])}
            return report
    else:
        rows = examples.train
        n_examples, sample = len(rows), None

        def batch_fn(idx: torch.Tensor) -> dict:
            chosen = [rows[i] for i in idx.tolist()]
            pixel_values = image_processor(images=[ex.image for ex in chosen], return_tensors="pt")["pixel_values"]
            captions = [ex.caption for ex in chosen]
            return _clip_batch(captions, captions, [{c} for c in captions], pixel_values)

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_caption_retrieval(tokenizer, image_processor, model, examples.held_out[:limit])

    def _clip_batch(texts: list[str], text_keys: list, image_keys: list[set], pixel_values: torch.Tensor) -> dict:
        tok = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        same = torch.tensor([[key in keys for keys in image_keys] for key in text_keys])  # text i describes photo j
        return {"input_ids": tok["input_ids"], "attention_mask": tok["attention_mask"],
                "pixel_values": pixel_values.to(model.dtype), "same": same}

    def loss_fn(m: nn.Module, batch: dict) -> torch.Tensor:
        same = batch.pop("same").float()
        out = m(**batch)
        # Under bfloat16 autocast the similarities, whose small differences are the signal, are taken in float32.
        with torch.autocast(out.text_embeds.device.type, enabled=False):
            logits = out.text_embeds.float() @ out.image_embeds.float().T * m.logit_scale.float().exp()
        # Each text's target: the photos it describes; each photo's: the texts that describe it (its own at least).
        text_target = same / same.sum(dim=1, keepdim=True)
        image_target = same.T / same.T.sum(dim=1, keepdim=True)
        return (nn.functional.cross_entropy(logits, text_target) + nn.functional.cross_entropy(logits.T, image_target)) / 2

    report["training"] = train_loop(model, batch_fn, n_examples, cfg, output_dir, loss_fn, "clip",
                                     evaluate=lambda: evaluate(cfg.eval_every_items), sample=sample, run=run)

    def save(folder) -> None:
        for part in (model, tokenizer, image_processor):
            part.save_pretrained(folder)

    return finish(run, report, evaluate, save)
