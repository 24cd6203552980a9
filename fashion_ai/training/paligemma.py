"""The attribute extractor's recipe: PaliGemma (tiny from scratch with a vision warm-up, or LoRA / QLoRA on a
hub checkpoint) trained on PaliGemmaProcessor(suffix=) labels, evaluated on held-out photos."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict

import torch
from torch import nn

from fashion_ai.catalog import CatalogItem
from fashion_ai.images import crop_to_garment
from fashion_ai.models.paligemma.inference import DEFAULT_CROP, DEFAULT_PROMPT, generate_answers
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma, dataset_words
from fashion_ai.schema import garments_to_json, parse_garments
from fashion_ai.training.config import DEMO_FIELDS, EMPTY_EVAL_ITEMS, WARMUP_SHARE, TrainConfig
from fashion_ai.training.demo_data import DemoData, demo_data, empty_photos, empty_rows, training_set
from fashion_ai.training.engine import (
    data_workers,
    enable_gradient_checkpointing,
    flip,
    freeze_vision,
    input_size,
    resuming,
    train_loop,
)
from fashion_ai.training.examples import evaluate_examples, load_examples
from fashion_ai.training.metrics import extraction_metrics
from fashion_ai.training.mixing import main_phase_set, mixed_training_set, read_mix, warmup_held_out
from fashion_ai.training.presence import free_generation_decider
from fashion_ai.training.run import TrainingRun, finish
from fashion_ai.training.warmup import warm_up_vision

logger = logging.getLogger(__name__)


def evaluate_extractor(processor, model, data: DemoData, fields: Sequence[str] = DEMO_FIELDS,
                       prompt: str = DEFAULT_PROMPT, crop: bool = DEFAULT_CROP) -> dict:
    """Run the extractor on held-out items (``crop``: each photo cropped to its garment first, as the app does) and
    score it against their metadata."""
    raw = generate_answers(processor, model, [crop_to_garment(im) if crop else im for im in data.images], prompt)
    results = [parse_garments(text) for text in raw]
    report = extraction_metrics(results, [item.visible_garment() for item in data.items], fields)
    # Every held-out item shows a garment: each "[]" is a false "no garment".
    report["no_garment_rate"] = round(sum(not r.garments for r in results) / max(1, len(results)), 4)
    report["examples"] = [{"id": item.id, "raw": text} for item, text in list(zip(data.items, raw))[:5]]
    return report


def _paligemma_inputs(processor, prefixes: list[str], images: list, targets: list[str]) -> dict:
    """Training inputs with labels from PaliGemmaProcessor(suffix=); token_type_ids kept (training needs them)."""
    batch = processor(text=["<image>" + prefix for prefix in prefixes], images=images, suffix=targets,
                      return_tensors="pt", padding="longest")
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels", "pixel_values")}


def _paligemma_inputs_by_text(processor, prefixes: list[str], images: list, targets: list[str]) -> dict:
    """_paligemma_inputs for rows whose texts repeat (a class dataset has a few targets): each distinct (prompt,
    target) is run through the processor once, and the photos through the image processor alone."""
    pairs = list(zip(prefixes, targets))
    order = {pair: k for k, pair in enumerate(dict.fromkeys(pairs))}
    first = {pair: i for i, pair in reversed(list(enumerate(pairs)))}
    text = _paligemma_inputs(processor, [p for p, _ in order], [images[first[pair]] for pair in order],
                             [t for _, t in order])
    where = torch.tensor([order[pair] for pair in pairs])
    out = {k: text[k][where] for k in ("input_ids", "attention_mask", "token_type_ids", "labels")}
    out["pixel_values"] = processor.image_processor(images=images, return_tensors="pt")["pixel_values"]
    return out


def demo_inputs(processor, images: list, items: Sequence[CatalogItem | None]) -> dict:
    """Training inputs of generated photos: a demo item's target is its visible garment, an empty scene's (no item)
    "[]", the answer for a photo with no garment."""
    targets = [garments_to_json([item.visible_garment()] if item is not None else []) for item in items]
    # Empty scenes share one text: it goes through the processor once.
    inputs = _paligemma_inputs_by_text if all(item is None for item in items) else _paligemma_inputs
    return inputs(processor, [DEFAULT_PROMPT] * len(images), images, targets)


def train_paligemma(cfg: TrainConfig, run: TrainingRun) -> dict:
    """Train the attribute extractor and write weights (or adapter), processor and eval.json to cfg.output_dir
    (run: training.run.start_run(cfg))."""
    from fashion_ai.models.paligemma.loading import apply_lora, load_paligemma_for_training

    output_dir, budget = run.output_dir, run.budget
    demo = cfg.dataset == "demo"
    examples = None
    if cfg.tiny:
        examples = None if demo else load_examples(cfg, cfg.image_size)
        mixed = read_mix(cfg, cfg.image_size)
        texts = examples.texts() if examples else mixed.texts() if mixed else []
        processor, model = build_tiny_paligemma(cfg.image_size, cfg.patch_size, seed=cfg.seed,
                                                extra_words=dataset_words(texts) if texts else ())
    else:
        processor, model = load_paligemma_for_training(cfg.base_model, cfg.quantize_4bit)
        if not demo:
            examples = load_examples(cfg, input_size(processor.image_processor))
        mixed = read_mix(cfg, input_size(processor.image_processor))
    vision = model.model.vision_tower if hasattr(model, "model") else model.vision_tower
    report: dict = {"target": "paligemma", "config": asdict(cfg)}
    warmed = resuming(cfg, output_dir)

    if demo:
        grid = model.config.vision_config.image_size // model.config.vision_config.patch_size

        def encode(images: list, items: list[CatalogItem | None]) -> dict:
            return demo_inputs(processor, images, items)

        train = training_set(cfg.train_items, cfg.seed, encode, grid, workers=data_workers(cfg))
        if mixed is not None:  # a real dataset's rows: their own prompt and target ('[{"category":"shoe"}]')
            mixed.encode(lambda images, rows: _paligemma_inputs_by_text(processor, [ex.prefix for ex in rows], images,
                                                                        [ex.suffix for ex in rows]), grid)
        train = mixed_training_set(train, mixed, cfg.mix_share)
        if cfg.empty_items:
            tensors, labels, patches = empty_rows(cfg.empty_items, cfg.seed, encode, grid, workers=data_workers(cfg))
            train = train.extended(tensors, labels, cfg.empty_share, patches)
        held_out = demo_data(cfg.eval_items, cfg.eval_seed)
        held_out_empty = empty_photos(EMPTY_EVAL_ITEMS, cfg.eval_seed)[0] if cfg.empty_items else []
        tensors = train.tensors
        logger.info("training tensors: %s", {k: tuple(v.shape) for k, v in tensors.items()})
        if cfg.tiny and not warmed:
            run.stage = "warming up the vision tower"
            report["vision_warmup_accuracy"] = warm_up_vision(
                vision, train, "pixel_values", cfg.warmup_steps, cfg.warmup_batch_size, cfg.learning_rate, cfg.seed,
                held_out=warmup_held_out(processor.image_processor, held_out, mixed, held_out_empty),
                deadline=budget.deadline(WARMUP_SHARE[cfg.target]), bf16=cfg.bf16,
                label_smoothing=cfg.warmup_label_smoothing, tracker=run.tracker, logging_steps=cfg.logging_steps)
            warmed = True
        train = main_phase_set(train, mixed, cfg.main_mix_share)
        n_examples = len(train)
        sample = train.sample
        gen = torch.Generator().manual_seed(cfg.seed)

        def batch_fn(idx: torch.Tensor) -> dict:
            batch = {k: v[idx] for k, v in tensors.items()}
            batch["pixel_values"] = flip(batch["pixel_values"].float(), torch.rand(len(idx), generator=gen) < 0.5)
            # Trim the padding shared by the whole set down to this batch's longest row.
            keep = int(batch["attention_mask"].sum(dim=1).max())
            for key in ("input_ids", "attention_mask", "token_type_ids", "labels"):
                batch[key] = batch[key][:, :keep]
            return batch

        def evaluate(limit: int | None = None) -> dict:
            report = evaluate_extractor(processor, model, held_out.head(limit))
            if held_out_empty:  # "[]" on empty scenes of eval_seed; falsely, on its held-out items
                said = free_generation_decider(processor, model)(held_out_empty[:limit])
                report["no_garment"] = {"empty_scenes": len(said), "said_no_garment": round(float(said.mean()), 4),
                                        "false_on_items": report["no_garment_rate"]}
            if mixed is not None:
                report["mix"] = {"dataset": mixed.spec, **evaluate_examples(processor, model, mixed.held_out[:limit])}
            return report
    else:
        rows = examples.train

        def batch_fn(idx: torch.Tensor) -> dict:
            chosen = [rows[i] for i in idx.tolist()]
            return _paligemma_inputs(processor, [ex.prefix for ex in chosen], [ex.image for ex in chosen],
                                     [ex.suffix for ex in chosen])

        n_examples = len(rows)
        sample = None

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_examples(processor, model, examples.held_out[:limit])

    freeze_vision(cfg, vision, warmed)
    if cfg.lora and not cfg.tiny:
        model = apply_lora(model, cfg.lora_r, cfg.lora_alpha, cfg.lora_targets.split(","))
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype

    def loss_fn(m: nn.Module, batch: dict) -> torch.Tensor:
        batch["pixel_values"] = batch["pixel_values"].to(dtype)
        return m(**batch).loss

    report["training"] = train_loop(model, batch_fn, n_examples, cfg, output_dir, loss_fn, "paligemma",
                                     evaluate=lambda: evaluate(cfg.eval_every_items), sample=sample, run=run)

    def save(folder) -> None:
        model.save_pretrained(folder)  # a peft model saves only its adapter
        processor.save_pretrained(folder)

    return finish(run, report, evaluate, save)
