"""Fashion-MNIST from Debian's dataset-fashion-mnist (installed in CI by .ci/run): the real files, read and mapped."""

import gzip
import shutil

import numpy as np
import pytest

from fashion_ai.datasets import iter_examples
from fashion_ai.datasets.fashion_mnist import (
    CLASSES,
    DEFAULT_FASHION_MNIST_DIR,
    fashion_mnist_photo,
    load_split,
    write_example_photos,
)
from fashion_ai.examples import load_example_photos
from fashion_ai.images import load_image
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import CATEGORIES, Garment

SPEC = f"fashion-mnist:{DEFAULT_FASHION_MNIST_DIR}"


def test_the_real_splits_have_their_published_sizes():
    train_images, train_labels = load_split(DEFAULT_FASHION_MNIST_DIR, "train")
    test_images, test_labels = load_split(DEFAULT_FASHION_MNIST_DIR, "test")
    assert train_images.shape == (60000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert np.bincount(train_labels).tolist() == [6000] * 10 and np.bincount(test_labels).tolist() == [1000] * 10
    assert train_images[:, 0, 0].mean() < 5  # stored light on black: the corners are (nearly) black


def test_the_ten_classes_map_onto_our_categories():
    table = {cls.name: cls.category for cls in CLASSES}
    assert table == {"T-shirt/top": "top", "Trouser": "pants", "Pullover": "sweater", "Dress": "dress", "Coat": "coat",
                     "Sandal": "shoe", "Shirt": "shirt", "Sneaker": "shoe", "Bag": "bag", "Ankle boot": "shoe"}
    assert set(table.values()) <= set(CATEGORIES)
    prompts = [cls.prompt for cls in CLASSES]
    assert len(set(prompts)) == 10 and "a photo of an ankle boot" in prompts and "a photo of trousers" in prompts


def test_examples_are_shop_photos_with_a_category_and_no_colour():
    boot, pullover, trouser = iter_examples(SPEC, split="test", limit=3)  # the test split starts 9, 2, 1
    assert boot.garments == [Garment(category="shoe")] and boot.suffix == '[{"category":"shoe"}]'
    assert (boot.prefix, boot.caption, boot.id) == (DEFAULT_PROMPT, "a photo of an ankle boot", "fashion-mnist-test-00000")
    assert boot.hierarchy == {"class": "Ankle boot"} and "a shoe" in boot.phrasings
    assert pullover.garments == [Garment(category="sweater")] and trouser.garments == [Garment(category="pants")]
    photo = np.asarray(boot.image)
    assert boot.image.mode == "RGB" and photo.shape == (256, 256, 3)
    assert (photo[:8, :8] == 255).all()  # a light background, as in a shop
    assert (photo < 128).mean() > 0.15  # with a dark garment on it (a fifth of the boot photo)
    mask = np.asarray(boot.mask)  # the silhouette: the stored image's ink
    assert mask.shape == (256, 256) and set(np.unique(mask)) == {0, 255}
    # Up to the soft edges (the photo is upscaled bicubic, the mask nearest): white is off it, dark is on it.
    assert (mask[photo[..., 0] == 255] == 0).mean() > 0.99 and (mask[photo[..., 0] < 128] == 255).mean() > 0.99


def test_the_photo_is_the_inverted_image_upscaled():
    images, _ = load_split(DEFAULT_FASHION_MNIST_DIR, "test")
    same_size = np.asarray(fashion_mnist_photo(images[0], size=28))
    assert (same_size == (255 - images[0])[..., None]).all()  # exactly inverted, in all three channels
    small = fashion_mnist_photo(images[0], size=64)
    assert small.size == (64, 64)
    (example,) = iter_examples(SPEC, split="test", limit=1, image_size=64)  # training draws at the model's size
    assert (np.asarray(example.image) == np.asarray(small)).all()
    with pytest.raises(ValueError, match="grayscale uint8"):
        fashion_mnist_photo(np.zeros((28, 28, 3), dtype=np.uint8))


def test_example_photos_are_written_with_what_they_show(tmp_path):
    written = write_example_photos(DEFAULT_FASHION_MNIST_DIR, tmp_path, per_class=1)
    assert [p.name for p in written] == [cls.name for cls in CLASSES]
    read = load_example_photos(tmp_path)
    assert read == written and read[0].index == 19 and read[-1].index == 0  # the first photo of each class
    images, _ = load_split(DEFAULT_FASHION_MNIST_DIR, "test")
    for photo in read:  # an upload of the file is exactly the photo the evaluation makes
        assert (np.asarray(load_image(photo.path)) == np.asarray(fashion_mnist_photo(images[photo.index]))).all()


def test_the_shipped_example_photos_are_the_first_test_photo_of_each_class(tmp_path):
    shipped = load_example_photos()  # assets/fashion_mnist, for the app's Attributes examples
    fresh = write_example_photos(DEFAULT_FASHION_MNIST_DIR, tmp_path)
    assert [(p.path.name, p.name, p.category, p.index) for p in shipped] == [
        (p.path.name, p.name, p.category, p.index) for p in fresh]
    for old, new in zip(shipped, fresh):
        assert (np.asarray(load_image(old.path)) == np.asarray(load_image(new.path))).all(), old.path
    assert sum(p.path.stat().st_size for p in shipped) < 150_000  # kept small


# --------------------------------------------------------------------------------------------- bad input
def _copy(tmp_path, transform=None):
    folder = tmp_path / "fmnist"
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(f"{DEFAULT_FASHION_MNIST_DIR}/{name}", folder / name)
    if transform:
        transform(folder)
    return folder


def _truncate_gzip(folder):
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:2000])  # the download stopped half-way


def _truncate_raw(folder):
    data = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    (folder / "t10k-images-idx3-ubyte").write_bytes(data[:-100])  # an unzipped copy, cut short


def _not_idx(folder):
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"<html>rate limited</html>"))


@pytest.mark.parametrize("transform, split, error, message", [
    (None, "val", ValueError, r"no split 'val' \(it has train, test\)"),
    (None, "train", FileNotFoundError, "no train-images-idx3-ubyte.gz"),  # only the test files were copied
    (_truncate_gzip, "test", ValueError, r"t10k-labels-idx1-ubyte.gz: unreadable \(Compressed file ended"),
    (_truncate_raw, "test", ValueError, "t10k-images-idx3-ubyte: truncated or padded: its header promises "
                                        "10000x28x28 = 7840000 bytes of data, the file holds 7839900"),
    (_not_idx, "test", ValueError, "not an idx file"),
])
def test_bad_files_fail_at_once_in_one_line(tmp_path, transform, split, error, message):
    folder = _copy(tmp_path, transform)
    with pytest.raises(error, match=message) as info:
        iter_examples(f"fashion-mnist:{folder}", split=split)  # not consumed: the files are read at the call
    assert "\n" not in str(info.value)


def test_a_missing_folder_says_how_to_install_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such Fashion-MNIST folder .*apt-get install dataset-fashion-mnist"):
        iter_examples(f"fashion-mnist:{tmp_path / 'nowhere'}")
