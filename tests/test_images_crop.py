"""The upload's pre-step (issue 33 point 5): crop to the garment by its difference from a plain backdrop."""

import numpy as np
from PIL import Image, ImageDraw

from fashion_ai.datasets.fashion_mnist import DEFAULT_FASHION_MNIST_DIR, load_split
from fashion_ai.demo_world.shop_photos import ShopLook, shop_mask, shop_photo
from fashion_ai.images import CROP_FILL, crop_to_garment
from fashion_ai.models.paligemma.inference import AttributeExtractor


def _photo(box: tuple[int, int, int, int], side: int = 400, backdrop=(200, 205, 210)) -> Image.Image:
    photo = Image.new("RGB", (side, side), backdrop)
    ImageDraw.Draw(photo).rectangle(box, fill=(180, 20, 30))
    return photo


def test_a_small_off_centre_garment_spans_three_quarters_of_the_cropped_square():
    cropped = crop_to_garment(_photo((300, 10, 399, 189)))  # 100 x 180 px against the top right of 400
    assert cropped.width == cropped.height and abs(cropped.width - 180 / CROP_FILL) <= 6
    red = np.all(np.asarray(cropped) == (180, 20, 30), axis=2)
    rows, cols = np.nonzero(red)
    assert rows.max() - rows.min() + 1 == 180 and cols.max() - cols.min() + 1 == 100  # whole, centred
    centre = ((rows.max() + rows.min()) / 2, (cols.max() + cols.min()) / 2)
    assert abs(centre[0] - cropped.height / 2) <= 4 and abs(centre[1] - cropped.width / 2) <= 4
    # Padded with the backdrop where the square reaches past the photo's edges (here past its top and right).
    assert np.asarray(cropped)[0, -1].tolist() == [200, 205, 210] and np.asarray(cropped)[0, 0].tolist() == [200, 205, 210]


def test_a_garment_that_fills_the_photo_already_is_left_as_it_is():
    photo = _photo((40, 30, 349, 369))  # spans 340 of 400 px: 85%, as the demo world's larger items
    assert crop_to_garment(photo) is photo


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
    assert silhouette.mean() > 2 * before  # the garment was in a quarter of the frame, now three quarters across


def test_the_extractor_reads_the_cropped_photo_unless_told_not_to():
    photo = _photo((10, 10, 59, 109))
    side, other = AttributeExtractor(None, None).prepare(photo).size
    assert side == other and abs(side - 100 / CROP_FILL) <= 6  # the 50 x 100 px garment at three quarters
    assert AttributeExtractor(None, None, crop=False).prepare(photo) is photo
