"""The run's curves as a picture, training_curves.png beside eval.json: loss, learning rate and items per second of
each phase (vision warm-up, main training), and the evaluations, over the run's steps. Drawn with matplotlib (a
Figure of its own, no pyplot state; PNG through Agg) from the run's own log, whatever tracker it used."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from fashion_ai.training.tracking import read_log

logger = logging.getLogger(__name__)

CURVES_FILE = "training_curves.png"
PHASES = {"warmup": "vision warm-up", "train": "main training"}
PANELS = {"loss": "loss (log scale)", "learning_rate": "learning rate", "items_per_s": "items per second"}
SMOOTH_FROM = 40  # points: beyond this a noisy series is drawn faint with its moving average over it


def _series(records: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    rows = sorted((r["step"], r[key]) for r in records if key in r)
    return np.array([s for s, _ in rows]), np.array([v for _, v in rows], dtype=float)


def _moving_average(values: np.ndarray) -> np.ndarray:
    window = max(2, len(values) // 25)
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def draw_curves(records: list[dict], title: str):
    """A matplotlib Figure of the logged scalars (None when nothing was logged)."""
    from matplotlib.figure import Figure

    scalars = [r for r in records if isinstance(r.get("step"), (int, float))]
    if not scalars:
        return None
    fig = Figure(figsize=(12, 8), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (name, label) in zip(axes.flat, PANELS.items()):
        for phase, phase_label in PHASES.items():
            steps, values = _series(scalars, f"{phase}/{name}")
            if not len(steps):
                continue
            noisy = name != "learning_rate" and len(steps) > SMOOTH_FROM
            line = ax.plot(steps, values, alpha=0.3 if noisy else 1.0, linewidth=0.8 if noisy else 1.5,
                           label=phase_label if not noisy else None)[0]
            if noisy:
                ax.plot(steps, _moving_average(values), color=line.get_color(), linewidth=1.6,
                        label=f"{phase_label} (moving average)")
        if name == "loss" and ax.lines and all((line.get_ydata() > 0).all() for line in ax.lines):
            ax.set_yscale("log")
        ax.set_title(label)
    _draw_evaluations(axes.flat[3], scalars)
    warmup_end = max((r["step"] for r in scalars if any(k.startswith("warmup/") for k in r)), default=None)
    for ax in axes[1]:
        ax.set_xlabel("step")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        if warmup_end is not None and ax.has_data():
            ax.axvline(warmup_end, color="grey", linestyle="--", linewidth=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(title + ("  (dashed line: end of the vision warm-up)" if warmup_end is not None else ""))
    return fig


def _draw_evaluations(ax, scalars: list[dict]) -> None:
    """Periodic evaluations as lines, the final one as stars in the same colour."""
    keys = sorted({k.split("/", 1)[1] for r in scalars for k in r if k.startswith(("eval/", "final/"))})
    for key in keys:
        steps, values = _series(scalars, f"eval/{key}")
        color = None
        if len(steps):
            color = ax.plot(steps, values, marker="o", markersize=3, label=key)[0].get_color()
        steps, values = _series(scalars, f"final/{key}")
        if len(steps):
            ax.scatter(steps, values, marker="*", s=80, color=color, label=None if color else f"{key} (final)", zorder=3)
    ax.set_title("evaluation on held-out data (stars: the final one)" if keys else "evaluation: none logged")


def save_curves(log_path: Path, out_path: Path, title: str) -> Path | None:
    """Draw the curves of the log at `log_path` into the PNG `out_path`; None when the log holds no scalars."""
    fig = draw_curves(read_log(Path(log_path)), title)
    if fig is None:
        logger.info("no scalars in %s: no curves picture", log_path)
        return None
    fig.savefig(out_path, dpi=100)
    return Path(out_path)
