"""The upload's pre-step (issue 33 point 5): crop to the garment by its difference from a plain backdrop."""

import numpy as np
from PIL import Image, ImageDraw

from fashion_ai.datasets.fashion_mnist import DEFAULT_FASHION_MNIST_DIR, load_split
from fashion_ai.demo_world.shop_photos import ShopLook, shop_mask, shop_photo
from fashion_ai.images import crop_to_garment
from fashion_ai.models.paligemma.inference import AttributeExtractor


def _photo(box: tuple[int, int, int, int], side: int = 400, backdrop=(200, 205, 210)) -> Image.Image:
    photo = Image.new("RGB", (side, side), backdrop)
    ImageDraw.Draw(photo).rectangle(box, fill=(180, 20, 30))
    return photo


def test_a_small_off_centre_garment_fills_the_cropped_square():
    cropped = crop_to_garment(_photo((250, 40, 349, 219)))  # 100 x 180 px in the top right of 400
    assert cropped.width == cropped.height and 190 <= cropped.width <= 215
    red = np.all(np.asarray(cropped) == (180, 20, 30), axis=2)
    rows, cols = np.nonzero(red)
    assert rows.max() - rows.min() + 1 == 180 and red.mean() > 0.38  # whole, and most of the frame
    assert np.asarray(cropped)[0, 0].tolist() == [200, 205, 210]  # padded with the backdrop


def test_nothing_to_crop_leaves_the_photo_as_it_is():
    empty = Image.new("RGB", (300, 300), (240, 240, 240))
    assert crop_to_garment(empty) is empty
    rng = np.random.default_rng(0)
    scene = Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8))  # no plain backdrop: no border
    assert crop_to_garment(scene) is scene


def test_photo_and_silhouette_are_cropped_alike():
    images, _ = load_split(DEFAULT_FASHION_MNIST_DIR, "test")
    look = ShopLook(side=300, scale=0.5, x=0.1, y=0.9, background=(180, 180, 180), colour="blue")
    photo, mask = crop_to_garment(shop_photo(images[3], look), shop_mask(images[3], look, 150))
    assert mask.size == (photo.width // 2, photo.height // 2)
    small = np.asarray(photo.resize(mask.size, Image.Resampling.NEAREST), dtype=int)
    blue = small[..., 2] - small[..., 0] > 60  # the grey backdrop has none
    silhouette = np.asarray(mask) > 0
    assert (blue == silhouette).mean() > 0.93
    before = (np.asarray(shop_mask(images[3], look, 150)) > 0).mean()
    assert silhouette.mean() > 2.5 * before  # the garment was in a quarter of the frame


def test_the_extractor_reads_the_cropped_photo_unless_told_not_to():
    photo = _photo((10, 10, 59, 109))
    side, other = AttributeExtractor(None, None).prepare(photo).size
    assert side == other and 100 < side < 125  # the 50 x 100 px garment and its margin, squared
    assert AttributeExtractor(None, None, crop=False).prepare(photo) is photo
