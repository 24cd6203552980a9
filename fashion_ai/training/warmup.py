"""The tiny models' supervised warm-up: a from-scratch vision tower learns the visible attributes first."""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.catalog import CatalogItem
from fashion_ai.training.demo_data import LABELS, TrainingSet, label_tensors
from fashion_ai.training.engine import Schedule, flip

logger = logging.getLogger(__name__)


def warm_up_vision(vision: nn.Module, data: TrainingSet, pixel_key: str, steps: int, batch_size: int, lr: float,
                   seed: int, held_out: tuple[torch.Tensor, list[CatalogItem]] | None = None,
                   deadline: float | None = None) -> dict[str, dict]:
    """Supervised warm-up: teach a from-scratch vision tower the visible attributes before the real objective.

    A ViT trained from scratch learns shape slowly through a language-model or contrastive loss alone. Linear
    heads on mean-pooled features give it a direct signal per visible field, and a dense head asks every patch
    which garment (or background) it belongs to, which teaches silhouettes far faster than one label per
    photo. The heads are thrown away afterwards. Returns the heads' accuracies per field on the last training
    batches and, when given, on held-out photos (a diagnostic of what the vision tower alone can tell).
    With a deadline (time.monotonic()), the warm-up anneals and ends by then if the steps take longer.
    """
    if steps <= 0:
        return {}
    labels = label_tensors(data.items)
    pixels = data.tensors[pixel_key]
    hidden = vision.config.hidden_size
    heads = nn.ModuleDict({name: nn.Linear(hidden, int(t.max().item()) + 1) for name, t in labels.items()})
    # Per patch: which garment (or background), its primary colour, its pattern.
    patch_heads = nn.ModuleList([nn.Linear(hidden, len(LABELS["category"]) + 1), nn.Linear(hidden, len(LABELS["colors"])),
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
    done = 0
    for step in bar:
        if schedule.out_of_time():
            logger.warning("vision warm-up stopped by the time budget at step %d of %d", step, steps)
            break
        done = step + 1
        schedule.apply(optim, step)
        idx = torch.randint(0, len(pixels), (batch_size,), generator=gen)
        mirrored = torch.rand(batch_size, generator=gen) < 0.5
        x = flip(pixels[idx], mirrored)
        patch_target = data.patch_labels[idx].view(batch_size, grid, grid, 3).permute(0, 3, 1, 2)
        patch_target = flip(patch_target, mirrored).permute(0, 2, 3, 1).reshape(batch_size, n_tokens, 3)
        tokens = vision(pixel_values=x).last_hidden_state
        tokens = tokens[:, -n_tokens:]  # CLIP puts a class token first; SigLIP has none
        feats = tokens.mean(dim=1)
        loss = torch.zeros(())
        for k, head in enumerate(patch_heads):
            logits = head(tokens)
            loss = loss + nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                      patch_target[..., k].reshape(-1), ignore_index=-100)
        for name, head in heads.items():
            target = labels[name][idx]
            logits = head(feats)
            loss = loss + nn.functional.cross_entropy(logits, target, ignore_index=-100)
            mask = target >= 0
            if mask.any():
                accs[name].append((logits.argmax(-1)[mask] == target[mask]).float().mean().item())
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    report: dict = {"steps": done,
                    "train": {k: round(float(np.mean(v[-50:])), 3) for k, v in accs.items() if v}}
    if held_out is not None:
        pixels_out, items_out = held_out
        truth = label_tensors(items_out)
        vision.eval()
        with torch.inference_mode():
            feats = vision(pixel_values=pixels_out).last_hidden_state[:, -n_tokens:].mean(dim=1)
            report["held_out"] = {name: round(float((head(feats).argmax(-1) == truth[name])[truth[name] >= 0]
                                                    .float().mean()), 3) for name, head in heads.items()}
        vision.train()
    logger.info("vision warm-up accuracy: %s", report)
    return report
