"""The confusion-matrix picture: one cell per (true class, answer), shaded by the share of its row."""

import numpy as np

from fashion_ai.training.confusion import CELL, draw_confusion, save_confusion


def test_the_picture_has_a_cell_per_pair_shaded_by_its_share(tmp_path):
    confusion = {"rows": ["Sneaker", "Bag"], "columns": ["shoe", "bag", "none"], "matrix": [[9, 1, 0], [0, 0, 5]]}
    image = draw_confusion(confusion, "test")
    pixels = np.asarray(image).astype(int)
    bottom = image.height - 28  # the grid sits above the one-line legend
    top = bottom - 2 * CELL
    left = image.width - 12 - 3 * CELL  # a short title: the grid sets the width

    def corner(i, j):  # a cell's corner pixel, clear of its count
        return pixels[top + i * CELL + 3, left + j * CELL + 3]

    assert corner(0, 0).sum() < corner(0, 1).sum() < corner(0, 2).sum()  # 90% darker than 10% darker than 0%
    assert corner(1, 2).sum() < corner(0, 0).sum()  # 100% darkest
    path = save_confusion(confusion, "test", tmp_path / "eval_confusion.png")
    assert path.stat().st_size < 20_000
