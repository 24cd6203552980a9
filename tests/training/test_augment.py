"""Training's shop-style Fashion-MNIST rows (issue 33 point 1): a seeded share of the train rows, coloured and
named, cropped for the extractor; the rest and the held-out rows as stored."""

import numpy as np
import pytest

from fashion_ai.datasets import iter_examples
from fashion_ai.datasets.fashion_mnist import DEFAULT_FASHION_MNIST_DIR
from fashion_ai.training.augment import with_shop_rows
from fashion_ai.training.config import TrainConfig
from fashion_ai.training.demo_data import LABELS, label_tensors

SPEC = f"fashion-mnist:{DEFAULT_FASHION_MNIST_DIR}"


@pytest.fixture(scope="module")
def plain_rows():
    return list(iter_examples(SPEC, split="train", limit=40, image_size=64))


def test_a_share_of_the_rows_is_photographed_shop_style_and_teaches_its_colour(plain_rows):
    rows = with_shop_rows(SPEC, plain_rows, 0.5, seed=3, size=64, crop=True)
    shop = [k for k, (new, old) in enumerate(zip(rows, plain_rows)) if new is not old]
    assert len(rows) == 40 and len(shop) == 20
    for k in shop:
        new, old = rows[k], plain_rows[k]
        colour = new.garments[0].colors[0]
        assert new.garments[0].category == old.garments[0].category and new.hierarchy == old.hierarchy
        assert f'"colors":["{colour}"]' in new.suffix and colour in new.caption
        assert new.image.size == new.mask.size == (64, 64)
    labels = label_tensors([ex.garments[0] for ex in rows])
    assert (labels["colors"][shop] >= 0).all() and (labels["colors"][[k for k in range(40) if k not in shop]] == -100).all()
    assert int(labels["colors"].max()) < len(LABELS["colors"])
    again = with_shop_rows(SPEC, plain_rows, 0.5, seed=3, size=64, crop=True)
    assert [ex.suffix for ex in again] == [ex.suffix for ex in rows]  # seeded
    assert np.array_equal(np.asarray(again[shop[0]].image), np.asarray(rows[shop[0]].image))  # the same photo
    other = with_shop_rows(SPEC, plain_rows, 0.5, seed=4, size=64, crop=True)
    assert [ex.suffix for ex in other] != [ex.suffix for ex in rows]


def test_shop_style_needs_fashion_mnist():
    with pytest.raises(ValueError, match="fashion-mnist"):
        with_shop_rows("jsonl:/tmp/rows", [], 0.5, seed=1, size=64, crop=False)
    with pytest.raises(ValueError, match="shop_share photographs Fashion-MNIST rows"):
        TrainConfig(target="clip", tiny=True, shop_share=0.5)
    with pytest.raises(ValueError, match="shop_share must be between 0 and 1"):
        TrainConfig(target="clip", tiny=True, mix_dataset=SPEC, shop_share=1.5)
    assert TrainConfig(target="clip", tiny=True, mix_dataset=SPEC, shop_share=0.5).shop_share == 0.5
