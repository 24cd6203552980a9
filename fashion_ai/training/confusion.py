"""A confusion matrix as a picture (eval_confusion.png): true classes down, answers across, each cell shaded by its
share of the row and labelled with its count. Drawn with matplotlib (a Figure of its own, no pyplot state; PNG
through Agg); the rows and columns need not be the same classes (Fashion-MNIST's ten against our categories)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CELL_INCHES = 0.55  # per cell: room for a four-digit count
DPI = 100


def draw_confusion(confusion: dict, title: str):
    """The matrix of metrics.confusion_matrix ({"rows", "columns", "matrix"}) as a matplotlib Figure."""
    from matplotlib.figure import Figure

    rows, columns = confusion["rows"], confusion["columns"]
    counts = np.asarray(confusion["matrix"], dtype=int).reshape(len(rows), len(columns))
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    longest = max(len(name) for name in [*rows, *columns])
    fig = Figure(figsize=(max(6.0, 2.2 + 0.09 * longest + CELL_INCHES * len(columns)),
                          2.0 + 0.07 * longest + CELL_INCHES * len(rows)), layout="constrained", dpi=DPI)
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="equal")
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                color="white" if shares[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(columns)), labels=columns, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), labels=rows)
    ax.set_xlabel("answer")
    ax.set_ylabel("true class")
    ax.set_xticks(np.arange(len(columns) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#dddddd", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class's row")
    ax.set_title(title, fontsize=10, wrap=True)
    return fig


def save_confusion(confusion: dict, title: str, path: str | Path) -> Path:
    """Draw the matrix and save it as a PNG; returns the path."""
    path = Path(path)
    draw_confusion(confusion, title).savefig(path, dpi=DPI)
    return path
