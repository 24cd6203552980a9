"""The tiny models' supervised warm-up: a from-scratch vision tower learns the visible attributes first."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.training.demo_data import BACKGROUND, LABELS, TrainingSet
from fashion_ai.training.engine import Schedule, autocast_for, flip
from fashion_ai.training.tracking import StepMeter, Tracker

logger = logging.getLogger(__name__)


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy over the labelled rows; zero when a batch has none (no dress or skirt drawn for the length
    head), where the mean over nothing would be NaN."""
    if not (target >= 0).any():
        return logits.sum() * 0.0
    return nn.functional.cross_entropy(logits.float(), target, ignore_index=-100, label_smoothing=smoothing)


def warm_up_vision(vision: nn.Module, data: TrainingSet, pixel_key: str, steps: int, batch_size: int, lr: float,
                   seed: int, held_out: dict[str, tuple[torch.Tensor, dict[str, torch.Tensor]]] | None = None,
                   deadline: float | None = None, bf16: bool = False,
                   label_smoothing: float = 0.0, tracker: Tracker | None = None,
                   logging_steps: int = 1) -> dict[str, dict]:
    """Supervised warm-up: teach a from-scratch vision tower the visible attributes before the real objective.

    A ViT trained from scratch learns shape slowly through a language-model or contrastive loss alone. Linear
    heads on mean-pooled features give it a direct signal per visible field, and a dense head asks every patch
    which garment (or background) it belongs to, which teaches silhouettes far faster than one label per
    photo. The heads are thrown away afterwards. Returns its steps and seconds, the heads' accuracies per field on
    the last training batches and, when given, on held-out photos (a diagnostic of what the tower alone can tell):
    ``held_out`` maps a name ("demo", "empty", or a mixed-in dataset's) to photos and their labels (demo_data.
    label_tensors); the demo's accuracies are reported as "held_out", the others' as "held_out <name>". Rows of a
    mixed-in real dataset (TrainingSet.sample draws them) carry -100 where they know nothing, and those heads skip
    them; a mixed-in dataset's own classes (Fashion-MNIST's ten: a sandal, a sneaker and an ankle boot are all our
    "shoe") get a head of their own, "class". The category heads, per photo and per patch, have one class more
    than the garments: BACKGROUND, a patch off the garment or a photo with no garment (an empty scene).
    With a deadline (time.monotonic()), the warm-up anneals and ends by then if the steps take longer. bf16: the
    forward passes under engine.autocast_for (bfloat16 where the hardware multiplies it natively).
    label_smoothing: of the per-photo heads' targets (the per-patch heads' stay hard). tracker: logs "warmup/loss",
    "warmup/learning_rate" and "warmup/items_per_s" every `logging_steps` steps from its position on, and the held-out
    accuracies ("warmup_eval/...") at the last step; its position then ends past the warm-up.
    """
    if steps <= 0:
        return {}
    labels = data.labels
    pixels = data.tensors[pixel_key]
    hidden = vision.config.hidden_size
    # A field beyond LABELS (a mixed-in dataset's own classes) gets as many outputs as its labels need.
    heads = nn.ModuleDict({name: nn.Linear(hidden, len(LABELS[name]) + (name == "category") if name in LABELS
                                           else max(1, int(labels[name].max()) + 1)) for name in labels})
    # Per patch: which garment (or background), its primary colour, its pattern.
    patch_heads = nn.ModuleList([nn.Linear(hidden, BACKGROUND + 1), nn.Linear(hidden, len(LABELS["colors"])),
                                 nn.Linear(hidden, len(LABELS["pattern"]))])
    params = list(vision.parameters()) + list(heads.parameters()) + list(patch_heads.parameters())
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    gen = torch.Generator().manual_seed(seed)
    grid = int(math.isqrt(data.patch_labels.shape[1]))
    n_tokens = grid * grid
    vision.train()
    bar = tqdm(range(steps), desc="vision warm-up", leave=False)
    accs: dict[str, list[float]] = {k: [] for k in labels}
    schedule = Schedule(optim, steps, lr, deadline)
    autocast = autocast_for(bf16, next(vision.parameters()).device)
    done = 0
    started = time.monotonic()
    base = tracker.position if tracker is not None else 0
    meter = StepMeter(batch_size, logging_steps)
    for step in bar:
        if schedule.out_of_time():
            logger.warning("vision warm-up stopped by the time budget at step %d of %d", step, steps)
            break
        began = time.perf_counter()
        done = step + 1
        schedule.apply(optim, step)
        idx = data.sample(batch_size, gen)
        mirrored = torch.rand(batch_size, generator=gen) < 0.5
        x = flip(pixels[idx].float(), mirrored)
        patch_target = data.patch_labels[idx].view(batch_size, grid, grid, 3).permute(0, 3, 1, 2)
        patch_target = flip(patch_target, mirrored).permute(0, 2, 3, 1).reshape(batch_size, n_tokens, 3)
        with autocast:
            tokens = vision(pixel_values=x).last_hidden_state
            tokens = tokens[:, -n_tokens:]  # CLIP puts a class token first; SigLIP has none
            feats = tokens.mean(dim=1)
            loss = torch.zeros(())
            for k, head in enumerate(patch_heads):
                logits = head(tokens)
                loss = loss + _cross_entropy(logits.reshape(-1, logits.shape[-1]), patch_target[..., k].reshape(-1))
            for name, head in heads.items():
                target = labels[name][idx]
                logits = head(feats)
                loss = loss + _cross_entropy(logits, target, label_smoothing)
                mask = target >= 0
                if mask.any():
                    accs[name].append((logits.argmax(-1)[mask] == target[mask]).float().mean().item())
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        value = loss.item()
        bar.set_postfix(loss=f"{value:.3f}")
        scalars = meter.add(value, time.perf_counter() - began)
        if tracker is not None and scalars is not None:
            tracker.log(base + done, {"warmup/loss": scalars["loss"], "warmup/learning_rate": optim.param_groups[0]["lr"],
                                      "warmup/items_per_s": scalars["items_per_s"]})
    report: dict = {"steps": done, "seconds": round(time.monotonic() - started, 1),
                    "train": {k: round(float(np.mean(v[-50:])), 3) for k, v in accs.items() if v}}
    vision.eval()
    for name, (pixels_out, truth) in (held_out or {}).items():
        with torch.inference_mode():
            feats = vision(pixel_values=pixels_out).last_hidden_state[:, -n_tokens:].mean(dim=1)
            report["held_out" if name == "demo" else f"held_out {name}"] = {
                field: round(float((head(feats).argmax(-1) == truth[field])[truth[field] >= 0].float().mean()), 3)
                for field, head in heads.items() if field in truth and (truth[field] >= 0).any()}
    vision.train()
    logger.info("vision warm-up accuracy: %s", report)
    if tracker is not None:
        tracker.position = base + done
        tracker.log(base + done, {f"warmup_eval/{name} {field}": value for name, scores in report.items()
                                  if name.startswith("held_out") for field, value in scores.items()})
    return report
