"""Shop-style Fashion-MNIST photos (issue 33): the draws stay in their ranges, the builder's plain look is the photo
training always saw, a colour is a colour, the framing is where the look says, and the example photos say what
they show."""

import json
from dataclasses import asdict

import numpy as np
import pytest
from PIL import ImageFilter

from fashion_ai.datasets.fashion_mnist import CLASSES, DEFAULT_FASHION_MNIST_DIR, fashion_mnist_photo, load_split
from fashion_ai.demo_world.shop_photos import (
    COLOURS,
    FACTORS,
    MAX_ANGLE,
    QUALITY_RANGE,
    SCALE_RANGE,
    SHOP_EXAMPLES_MANIFEST,
    SIDE_RANGE,
    ShopLook,
    draw_look,
    look_rng,
    shop_example,
    shop_mask,
    shop_photo,
    write_shop_examples,
)
from fashion_ai.demo_world.specs import DEMO_COLORS
from fashion_ai.images import load_image


@pytest.fixture(scope="module")
def test_split():
    return load_split(DEFAULT_FASHION_MNIST_DIR, "test")


def test_the_plain_look_is_the_photo_training_always_saw(test_split):
    images, _ = test_split
    for pixels in images[:5]:
        shop = np.asarray(shop_photo(pixels, ShopLook()), dtype=int)
        plain = np.asarray(fashion_mnist_photo(pixels), dtype=int)
        # Inverting before or after the bicubic upscale differs only by rounding.
        assert np.abs(shop - plain).max() <= 2


def test_each_factor_varies_only_itself_within_its_range():
    default = asdict(ShopLook())
    own = {"scale": {"scale"}, "position": {"scale", "x", "y"}, "background": {"background"}, "colour": {"colour"},
           "rotation": {"angle"}, "jpeg": {"quality"}, "resolution": {"side"}, "plain": set()}
    for factor, fields in own.items():
        for index in range(50):
            look = asdict(draw_look(factor, look_rng(0, factor, index)))
            assert {k for k in look if look[k] != default[k]} <= fields, factor
    looks = [draw_look("combined", look_rng(5, "combined", index)) for index in range(300)]
    assert all(SCALE_RANGE[0] <= look.scale <= SCALE_RANGE[1] for look in looks)
    assert all(abs(look.angle) <= MAX_ANGLE and QUALITY_RANGE[0] <= look.quality <= QUALITY_RANGE[1] for look in looks)
    assert all(SIDE_RANGE[0] <= look.side <= SIDE_RANGE[1] and 0 <= look.x <= 1 and 0 <= look.y <= 1 for look in looks)
    assert {look.colour for look in looks} == set(COLOURS)  # every schema colour the models know gets drawn
    assert min(look.scale for look in looks) < 0.5 and max(look.side for look in looks) > 900
    greys = [look.background for look in looks if len(set(look.background)) == 1]
    tints = [look.background for look in looks if len(set(look.background)) > 1]
    assert greys and tints and min(g[0] for g in greys) < 140 and all(min(t) > 150 for t in tints)


def test_draws_are_seeded_per_row():
    assert draw_look("combined", look_rng(1, "combined", 7)) == draw_look("combined", look_rng(1, "combined", 7))
    assert draw_look("combined", look_rng(1, "combined", 7)) != draw_look("combined", look_rng(1, "combined", 8))
    with pytest.raises(ValueError, match="unknown shift factor"):
        draw_look("blur", look_rng(1, "blur", 0))
    assert "combined" in FACTORS and "plain" in FACTORS


@pytest.mark.parametrize("colour", ["red", "navy", "yellow"])
def test_a_coloured_garment_shows_its_colour_on_the_backdrop(test_split, colour):
    images, _ = test_split
    look = ShopLook(side=200, scale=0.6, x=0.0, y=1.0, background=(150, 150, 150), colour=colour)
    photo = np.asarray(shop_photo(images[1], look), dtype=float)
    silhouette = shop_mask(images[1], look, 200)
    garment = np.asarray(silhouette.filter(ImageFilter.MinFilter(7))) > 0  # inside, off the edge blended with grey
    assert photo[0, -1].tolist() == [150, 150, 150]  # top right: the backdrop, nothing else
    mean = photo[garment].mean(axis=0)
    target = np.array(DEMO_COLORS[colour], dtype=float)
    # Shading kept: between 62% and 100% of the colour, never another hue.
    assert np.all(mean <= target + 3) and np.all(mean >= 0.6 * target - 3)
    rows, cols = np.nonzero(np.asarray(silhouette))
    # The 120 px tile (60% of the frame) sits in the bottom left corner: the garment inside it, across most of it.
    assert cols.max() <= 121 and rows.min() >= 79 and cols.max() - cols.min() > 60 and rows.max() - rows.min() > 80


def test_jpeg_and_rotation_change_the_photo(test_split):
    images, _ = test_split
    plain = np.asarray(shop_photo(images[0], ShopLook()), dtype=int)
    assert np.abs(np.asarray(shop_photo(images[0], ShopLook(quality=50)), dtype=int) - plain).mean() > 0.3
    assert np.abs(np.asarray(shop_photo(images[0], ShopLook(angle=10)), dtype=int) - plain).mean() > 2
    assert shop_photo(images[0], ShopLook(side=1000)).size == (1000, 1000)


def test_a_shop_example_names_its_colour_and_is_cropped_like_an_upload(test_split):
    images, labels = test_split
    look = ShopLook(side=96, scale=0.5, x=1.0, y=0.0, background=(230, 240, 250), colour="green", quality=70)
    example = shop_example(images[0], int(labels[0]), "row-0", look, 96, crop=True, size=64)
    cls = CLASSES[int(labels[0])]
    assert example.suffix == f'[{{"category":"{cls.category}","colors":["green"]}}]'
    assert example.caption == f"a photo of a green {cls.noun}" and all("green" in p for p in example.phrasings)
    assert example.image.size == example.mask.size == (64, 64)
    # Cropped: the garment at half of the frame in its corner now fills most of it.
    assert (np.asarray(example.mask) > 0).mean() > 2 * (np.asarray(shop_mask(images[0], look, 96)) > 0).mean()
    plain = shop_example(images[0], int(labels[0]), "row-0", ShopLook(side=96), 96)
    assert plain.suffix == f'[{{"category":"{cls.category}"}}]' and plain.caption == cls.prompt


def test_the_example_photos_are_one_per_category_and_say_what_they_show(tmp_path, test_split):
    images, labels = test_split
    manifest = write_shop_examples(DEFAULT_FASHION_MNIST_DIR, tmp_path, count=6)
    assert json.loads((tmp_path / SHOP_EXAMPLES_MANIFEST).read_text()) == manifest
    assert len(manifest) == 6 and len({row["category"] for row in manifest}) == len({row["colour"] for row in manifest}) == 6
    for row in manifest:
        assert CLASSES[int(labels[row["index"]])].category == row["category"] and row["colour"] in COLOURS
        photo = load_image(tmp_path / row["file"])
        assert photo.size == (384, 384) and (tmp_path / row["file"]).stat().st_size < 60_000
