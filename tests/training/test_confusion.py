"""The confusion-matrix picture: one cell per (true class, answer), shaded by the share of its row, the class names
written out."""

import numpy as np
from PIL import Image

from fashion_ai.training.confusion import draw_confusion, save_confusion

CONFUSION = {"rows": ["Sneaker", "Ankle boot"], "columns": ["shoe", "bag", "none"], "matrix": [[9, 1, 0], [0, 0, 5]]}


def test_the_picture_has_a_cell_per_pair_with_its_count_and_the_class_names():
    ax = draw_confusion(CONFUSION, "test").axes[0]
    assert np.allclose(ax.images[0].get_array(), [[0.9, 0.1, 0.0], [0.0, 0.0, 1.0]])  # shares of each row
    assert [t.get_text() for t in ax.get_xticklabels()] == ["shoe", "bag", "none"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Sneaker", "Ankle boot"]
    counts = sorted((t.get_position(), t.get_text()) for t in ax.texts)
    assert counts == [((0, 0), "9"), ((1, 0), "1"), ((2, 1), "5")]  # (column, row): empty cells stay blank


def test_the_saved_png_shades_each_cell_by_its_share(tmp_path):
    figure = draw_confusion(CONFUSION, "test")
    path = save_confusion(CONFUSION, "test", tmp_path / "eval_confusion.png")
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    figure.draw_without_rendering()  # the same layout as the saved file: where each cell landed
    ax = figure.axes[0]

    def cell(i, j):  # a cell's corner, clear of its count
        x, y = ax.transData.transform((j - 0.35, i - 0.35))
        return pixels[pixels.shape[0] - int(round(y)), int(round(x))].sum()

    assert figure.canvas.get_width_height() == (pixels.shape[1], pixels.shape[0])
    assert cell(1, 2) < cell(0, 0) < cell(0, 1) < cell(0, 2)  # 100% darker than 90% darker than 10% than 0%
