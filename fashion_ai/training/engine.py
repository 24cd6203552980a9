"""The training engine both recipes share: the optimizer loop with its schedule, time budget, gradient
accumulation, autocast, periodic evaluation and resumable checkpoints."""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.training.config import CHECKPOINT_DIR, EVAL_RESERVE_S, TrainConfig
from fashion_ai.training.tracking import StepMeter, Tracker

logger = logging.getLogger(__name__)


class RunState(Protocol):
    """What the loop reads from and records on the run it serves (training.run.TrainingRun is one): the loop does
    not import the run, which imports the loop."""

    budget: Budget
    tracker: Tracker
    stage: str
    checkpoint_step: int | None


WARMUP_STEPS = 50  # linear learning-rate warm-up of every phase
MIN_LR_RATE = 0.05  # the cosine decays to this share of the peak


@dataclass
class Budget:
    """The run's wall-clock budget (--time_budget_s), counted from the run's start; phases take shares of it."""

    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    reserve: float = EVAL_RESERVE_S  # kept for saving and the final evaluation

    def deadline(self, share: float = 1.0) -> float | None:
        """When a phase must end: `share` of the time left before the evaluation reserve (None: no budget)."""
        if not self.seconds:
            return None
        now = time.monotonic()
        return now + share * max(0.0, self.started + self.seconds - self.reserve - now)


class Schedule:
    """transformers' cosine schedule with linear warm-up, decaying to MIN_LR_RATE of the peak, driven by progress.

    Progress is the step or, when a deadline is set, the share of the time used mapped onto steps, whichever is
    further: under a time budget the rate still anneals fully by the deadline, on a fast machine or a slow one.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, steps: int, peak: float, deadline: float | None = None,
                 warm: int = WARMUP_STEPS):
        from transformers import get_cosine_with_min_lr_schedule_with_warmup

        self.steps, self.peak, self.deadline, self.warm = steps, peak, deadline, min(warm, max(steps - 1, 0))
        # The library's schedule as a function of the step; the step it is given is ours (time-aware).
        self._factor = get_cosine_with_min_lr_schedule_with_warmup(optimizer, self.warm, steps,
                                                                   min_lr_rate=MIN_LR_RATE).lr_lambdas[0]
        self.started = time.monotonic()

    def effective_step(self, step: int) -> float:
        if step < self.warm or self.deadline is None:
            return min(step, self.steps)
        now = time.monotonic()
        used = 1.0 if now >= self.deadline else (now - self.started) / (self.deadline - self.started)
        return min(self.steps, max(step, self.warm + used * (self.steps - self.warm)))

    def lr(self, step: int) -> float:
        return self.peak * self._factor(self.effective_step(step))

    def apply(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = self.lr(step)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


def flip(x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """Mirror the chosen rows left-right (last axis): garments are symmetric enough, colours stay untouched."""
    if which.any():
        x = x.clone()
        x[which] = x[which].flip(-1)
    return x


class Checkpointer:
    """Resumable training state in output_dir/checkpoint: weights, optimizer, step, RNG, and plain numbers (JSON
    types), so that it loads with torch.load(weights_only=True): nothing in it can run code.

    A fine-tune keeps only what it trains (a LoRA adapter's weights, never a 4-bit base: the base is loaded again
    on resume); a model trained from scratch keeps every weight, since its frozen parts were learned too.
    """

    def __init__(self, output_dir: Path, trainable_only: bool):
        self.dir = output_dir / CHECKPOINT_DIR
        self.trainable_only = trainable_only

    @property
    def path(self) -> Path:
        return self.dir / "state.pt"

    def weights(self, model: nn.Module) -> dict[str, torch.Tensor]:
        if not self.trainable_only:
            return model.state_dict()
        return {name: param.detach() for name, param in model.named_parameters() if param.requires_grad}

    def save(self, model: nn.Module, optim: torch.optim.Optimizer, step: int, extra: dict | None = None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / "state.pt.tmp"
        # A JSON round trip turns numpy numbers (np.float64 passes as a float) into the plain ones a safe load takes.
        plain = json.loads(json.dumps(extra or {}))
        torch.save({"model": self.weights(model), "optim": optim.state_dict(), "step": step, "extra": plain,
                    "rng": torch.get_rng_state()}, tmp)
        tmp.replace(self.path)  # a kill mid-save leaves the previous checkpoint intact
        logger.info("checkpoint saved at step %d in %s", step, self.dir)

    def read(self) -> dict:
        """The saved state, loaded safely (tensors and plain types only); ValueError with one line otherwise."""
        try:
            return torch.load(self.path, weights_only=True)
        except pickle.UnpicklingError as exc:
            found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
            what = f" ({found.group(1)})" if found else ""
            raise ValueError(f"{self.path} holds objects a safe load refuses{what}, as checkpoints of older versions "
                             f"did: start again without --resume (or delete {self.dir})") from None
        except (RuntimeError, EOFError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{self.path} cannot be read ({reason}): start again without --resume (or delete "
                             f"{self.dir})") from None

    def load(self, model: nn.Module, optim: torch.optim.Optimizer) -> tuple[int, dict]:
        if not self.path.is_file():
            return 0, {}
        state = self.read()
        missing, unexpected = model.load_state_dict(state["model"], strict=not self.trainable_only)
        trained = {name for name, param in model.named_parameters() if param.requires_grad}
        if unexpected or trained & set(missing):
            raise ValueError(f"{self.path} does not fit this model ({len(unexpected)} unknown, "
                             f"{len(trained & set(missing))} trained weights missing): start again without --resume")
        optim.load_state_dict(state["optim"])
        torch.set_rng_state(state["rng"])
        logger.info("resumed from step %d of %s", state["step"], self.path)
        return int(state["step"]), state.get("extra", {})


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere torch emulates it, slowly."""
    cpu = torch.cpu
    return any(getattr(cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def autocast_for(enabled: bool, device: torch.device):
    """bfloat16 autocast on a GPU, or a CPU, that multiplies bfloat16 natively; plain float32 elsewhere.

    On a CPU with AVX512-BF16, a tiny model's training step takes ~0.55x the time in float32 (a warm-up step of
    128 photos on 2 cores: 31 ms against 56; a PaliGemma step of 32: 30 ms against 52); the weights and the
    optimizer stay float32.
    """
    if not enabled:
        return contextlib.nullcontext()
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and cpu_has_bf16():
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def enable_gradient_checkpointing(model: nn.Module) -> None:
    """Recompute activations in the backward pass (non-reentrant, so frozen inputs under LoRA still work)."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # transformers 5.x name; the old one is deprecated
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    if hasattr(model, "enable_input_require_grads"):
        model.enable_input_require_grads()
    logger.info("gradient checkpointing on")


def headline(report: dict) -> dict:
    """The few numbers of an evaluation worth a log line: JSON validity and accuracies, or retrieval scores; a
    mixed-in real dataset's held-out rows (report["mix"]) as "mix <name>"; "no garment" said on empty scenes and,
    falsely, on held-out items (report["no_garment"])."""
    out = _headline(report)
    none = report.get("no_garment") or {}
    if "said_no_garment" in none:
        out["no garment on empty scenes"] = none["said_no_garment"]
        out["no garment on items"] = none["false_on_items"]
    mix = report.get("mix") or {}
    if "fields" in mix:
        out.update({f"mix {name}": v["accuracy"] for name, v in mix["fields"].items()})
    if "accuracy" in mix:  # CLIP: each photo's caption chosen among the classes' ("a photo of <class>")
        out["mix caption choice"] = mix["accuracy"]
    return out


def _headline(report: dict) -> dict:
    if "fields" in report:
        out = {"json_valid": report.get("json_valid_rate")}
        out.update({name: v["accuracy"] for name, v in report["fields"].items()})
        return out
    keys = ("recall@1", "recall@10", "mrr", "match_rate@k")
    out = {k: report[k] for k in keys if k in report}  # attribute queries ("red striped dress") on demo data
    captions = report.get("caption_to_image", {})
    out.update({f"caption {k}": captions[k] for k in ("recall@1", "mrr") if k in captions})
    if "exact_match" in report:
        out["exact_match"] = report["exact_match"]
    return out


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def train_loop(model: nn.Module, batch_fn: Callable[[torch.Tensor], dict], n_examples: int, cfg: TrainConfig,
               output_dir: Path, loss_fn: Callable[[nn.Module, dict], torch.Tensor], desc: str,
               evaluate: Callable[[], dict] | None = None, budget: Budget | None = None,
               sample: Callable[[int, torch.Generator], torch.Tensor] | None = None,
               run: RunState | None = None) -> dict:
    """The shared optimizer loop: cosine schedule, gradient accumulation, bf16 autocast where supported,
    progress bar with loss and ETA, periodic evaluation, checkpoints, Ctrl-C save.

    ``sample(count, generator)`` draws each micro-batch's row indices (default: uniform over n_examples). With a
    ``run``, what it saves is recorded there, and a last checkpoint is written when the steps end, so that a Ctrl-C
    during the final evaluation or save loses no training (--resume then evaluates and saves)."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.01)
    ckpt = Checkpointer(output_dir, trainable_only=not cfg.tiny)
    start, extra = ckpt.load(model, optim) if cfg.resume else (0, {})
    gen = torch.Generator().manual_seed(cfg.seed + start)
    device = next(model.parameters()).device
    autocast = autocast_for(cfg.bf16, device)
    model.train()
    started = time.monotonic() - extra.get("elapsed_s", 0.0)
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, desc=desc)
    budget = budget or (run.budget if run is not None else Budget())
    schedule = Schedule(optim, cfg.steps, cfg.learning_rate, budget.deadline())
    losses: list[float] = []
    history: list[dict] = list(extra.get("eval_history", []))
    done = saved = start  # optimizer steps completed; those in the checkpoint on disk
    tracker = run.tracker if run is not None else None
    # The trackers' step axis: this phase's steps follow the warm-up's, on --resume too.
    base = int(extra.get("log_step_base", 0)) if start else (tracker.position if tracker is not None else 0)
    if tracker is not None:
        if start:
            tracker.rewind(base + start)
        meter = StepMeter(cfg.batch_size * cfg.grad_accum_steps, cfg.logging_steps)

    def save() -> None:
        nonlocal saved
        ckpt.save(model, optim, done, {"elapsed_s": time.monotonic() - started, "eval_history": history,
                                       "log_step_base": base})
        saved = done
        if run is not None:
            run.checkpoint_step = done

    if run is not None:
        run.stage = "training"
    try:
        for step in bar:
            began = time.perf_counter()
            schedule.apply(optim, step)
            optim.zero_grad()
            step_loss = 0.0
            for _ in range(cfg.grad_accum_steps):
                idx = (sample(cfg.batch_size, gen) if sample is not None
                       else torch.randint(0, n_examples, (cfg.batch_size,), generator=gen))
                with autocast:
                    loss = loss_fn(model, to_device(batch_fn(idx), device)) / cfg.grad_accum_steps
                loss.backward()
                step_loss += loss.item()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            done = step + 1
            losses.append(step_loss)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            if tracker is not None:
                tracker.position = base + done
                scalars = meter.add(step_loss, time.perf_counter() - began)
                if scalars is not None:
                    tracker.log(base + done, {"train/loss": scalars["loss"],
                                              "train/learning_rate": optim.param_groups[0]["lr"],
                                              "train/items_per_s": scalars["items_per_s"]})
            if evaluate is not None and cfg.eval_every and done % cfg.eval_every == 0:
                model.eval()
                history.append({"step": done, **headline(evaluate())})
                model.train()
                logger.info("evaluation at step %d: %s", done, history[-1])
                if tracker is not None:
                    tracker.log(base + done, {f"eval/{k}": v for k, v in history[-1].items() if k != "step"})
            if cfg.checkpoint_every and done % cfg.checkpoint_every == 0:
                save()
            if schedule.out_of_time():
                logger.warning("time budget of %.0f s: main training stopped at step %d of %d", cfg.time_budget_s,
                               done, cfg.steps)
                break
    except KeyboardInterrupt:
        save()  # the step in flight is not counted
        raise
    finally:
        bar.close()
    if cfg.checkpoint_every and saved != done:
        save()
    model.eval()
    out = {"steps": done, "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
           "train_seconds": round(time.monotonic() - started, 1),
           "examples_seen": (done - start) * cfg.batch_size * cfg.grad_accum_steps}
    if history:
        out["eval_history"] = history
    return out


def data_workers(cfg: TrainConfig) -> int:
    """Processes that draw the demo data: one per CPU thread training will use."""
    return max(1, cfg.threads or torch.get_num_threads())


def input_size(image_processor) -> int:
    size = getattr(image_processor, "size", None) or {}
    return int(size.get("height") or size.get("shortest_edge") or 224)


def resuming(cfg: TrainConfig, output_dir: Path) -> bool:
    return cfg.resume and (output_dir / CHECKPOINT_DIR / "state.pt").is_file()


def freeze_vision(cfg: TrainConfig, vision: nn.Module, trained_already: bool) -> None:
    if not cfg.freeze_vision:
        return
    if cfg.tiny and not trained_already:
        # A from-scratch tower that never saw a label would stay random: it has to learn with the rest.
        logger.warning("the tiny model's vision tower had no warm-up on this dataset; training it too")
        return
    # The language side learns to describe what the (warmed-up or pretrained) vision tower already sees;
    # letting random early LM gradients into the tower undoes the warm-up.
    vision.requires_grad_(False)
