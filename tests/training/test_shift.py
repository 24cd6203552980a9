"""The held-out shift report (issue 33 point 2): the same test rows in every set, each factor's photos taken as
drawn and decoded as an upload, and the shipped models scored through the app's path."""

import pytest

from fashion_ai.datasets.fashion_mnist import CLASSES, DEFAULT_FASHION_MNIST_DIR, load_split
from fashion_ai.demo_world.shop_photos import FACTORS, draw_look, look_rng
from fashion_ai.training.shift import extractor_shift, shift_sets

MODELS = "assets/models"


def test_every_set_takes_the_same_rows_as_its_factor_draws_them():
    _, labels = load_split(DEFAULT_FASHION_MNIST_DIR, "test")
    seen = {}
    for factor, photos, chunk_labels, looks in shift_sets(DEFAULT_FASHION_MNIST_DIR, 6, seed=11, start=100):
        seen[factor] = chunk_labels
        assert looks == [draw_look(factor, look_rng(11, factor, row)) for row in range(100, 106)]
        # Decoded as an upload: RGB, at the drawn size (1024 px at most, the upload's working side).
        assert [p.size for p in photos] == [(look.side, look.side) for look in looks]
        assert all(p.mode == "RGB" for p in photos)
    assert list(seen) == list(FACTORS)
    assert all(rows == labels[100:106].tolist() for rows in seen.values())
    with pytest.raises(ValueError, match="no rows"):
        next(shift_sets(DEFAULT_FASHION_MNIST_DIR, 5, seed=1, start=10000))


def test_the_shipped_extractor_is_scored_per_factor_through_the_apps_crop():
    from fashion_ai.models.paligemma.loading import load_paligemma

    processor, model = load_paligemma(f"{MODELS}/extractor", None, load_in_4bit=False)
    report = extractor_shift(processor, model, DEFAULT_FASHION_MNIST_DIR, items=24, seed=5, decoding="free",
                             factors=("plain", "colour"))
    assert report["crop"] is True and report["photos_per_factor"] == 24 and report["split"] == "test"
    assert set(report["factors"]) == {"plain", "colour"} and "colour" not in report["factors"]["plain"]
    assert report["factors"]["colour"]["coloured_photos"] == 24
    assert report["factors"]["plain"]["category"] >= 0.75  # it reads plain test photos at ~0.9; chance is 1/8
    assert "confusion" not in report  # drawn for the combined set only
    assert {c.category for c in CLASSES} >= {"shoe", "bag"}
