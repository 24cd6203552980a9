"""Fashion-MNIST (Zalando, MIT licence) onto the schema: 70,000 real product photos in 10 classes.

Debian's ``dataset-fashion-mnist`` installs the original idx files in ``/usr/share/datasets/fashion-mnist``
(``train-images-idx3-ubyte.gz`` and friends; the ``.gz`` may be left off). The set is 28x28 grayscale with the
garment light on black; ``fashion_mnist_photo`` turns one into a shop-like photo (dark garment on a light
background, RGB, upscaled) and is the one function that training, evaluation and the app's example photos use.
Colour is unknown (grayscale) and left unset.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_ai.datasets.captions import with_article
from fashion_ai.datasets.common import Example
from fashion_ai.examples import EXAMPLES_MANIFEST, ExamplePhoto
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, garments_to_json

logger = logging.getLogger(__name__)

DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # where Debian's dataset-fashion-mnist puts it
PHOTO_SIZE = 256  # the shop-like photo's side, as an upload would be
SPLITS = {"train": "train", "test": "t10k"}  # our split name -> the files' prefix
_IDX_MAGIC_UINT8 = 0x08
INK = 10  # a stored pixel above this is garment, not background (the backgrounds are 0, the garments' edges soft)


@dataclass(frozen=True)
class FashionMnistClass:
    name: str  # the dataset's own class name
    category: str  # our schema category
    noun: str  # what a shopper calls it (captions, the embedder's "a photo of ..." prompt)
    plural: bool = False  # "trousers": no article

    @property
    def prompt(self) -> str:
        """The class as a text query: "a photo of a sneaker", "a photo of trousers"."""
        return f"a photo of {with_article(self.noun, self.plural)}"

    def phrasings(self) -> tuple[str, ...]:
        """Ways a shopper names a photo of the class: by its own noun and by our category."""
        plural_category = self.category == "pants"
        return tuple(dict.fromkeys((
            self.prompt, with_article(self.noun, self.plural), self.noun,
            f"a photo of {with_article(self.category, plural_category)}", with_article(self.category, plural_category),
            self.category)))


# Label index -> class, in the dataset's order (labels 0-9).
CLASSES: tuple[FashionMnistClass, ...] = (
    FashionMnistClass("T-shirt/top", "top", "t-shirt"),
    FashionMnistClass("Trouser", "pants", "trousers", plural=True),
    FashionMnistClass("Pullover", "sweater", "pullover"),
    FashionMnistClass("Dress", "dress", "dress"),
    FashionMnistClass("Coat", "coat", "coat"),
    FashionMnistClass("Sandal", "shoe", "sandal"),
    FashionMnistClass("Shirt", "shirt", "shirt"),
    FashionMnistClass("Sneaker", "shoe", "sneaker"),
    FashionMnistClass("Bag", "bag", "bag"),
    FashionMnistClass("Ankle boot", "shoe", "ankle boot"),
)


def _split_prefix(split: str) -> str:
    prefix = SPLITS.get(split.strip().lower())
    if prefix is None:
        raise ValueError(f"Fashion-MNIST has no split {split!r} (it has {', '.join(SPLITS)})")
    return prefix


def idx_file(folder: str | Path, split: str, part: str) -> Path:
    """The idx file of a split's ``images`` or ``labels`` (gzipped or not); FileNotFoundError naming what is missing."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{folder}: no such Fashion-MNIST folder (Debian: apt-get install dataset-fashion-mnist)")
    name = f"{_split_prefix(split)}-{part}-idx{3 if part == 'images' else 1}-ubyte"
    for candidate in (root / f"{name}.gz", root / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{root}: no {name}.gz (or {name}) in this folder")


def read_idx(path: str | Path) -> np.ndarray:
    """An idx file (gzipped or not) as a uint8 array of the shape its header gives; ValueError if it is not one."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fp:
            data = fp.read()
    except (OSError, EOFError) as exc:  # a truncated or damaged gzip stream
        raise ValueError(f"{path}: unreadable ({' '.join(str(exc).split())})") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != _IDX_MAGIC_UINT8 or not 1 <= data[3] <= 4:
        raise ValueError(f"{path}: not an idx file of bytes (bad header)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated inside its header")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise ValueError(f"{path}: truncated or padded: its header promises {'x'.join(map(str, shape))} = {expected} "
                         f"bytes of data, the file holds {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_split(folder: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """A split's images (N x 28 x 28, uint8, light garment on black) and labels (N, 0-9)."""
    images, labels = read_idx(idx_file(folder, split, "images")), read_idx(idx_file(folder, split, "labels"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{folder} ({split}): {images.shape} images do not match {labels.shape} labels")
    if labels.size and int(labels.max()) >= len(CLASSES):
        raise ValueError(f"{folder} ({split}): label {int(labels.max())} is not one of the 10 classes")
    return images, labels


def fashion_mnist_photo(pixels: np.ndarray, size: int = PHOTO_SIZE) -> Image.Image:
    """One Fashion-MNIST image as a shop-like photo: inverted (dark garment on a light background), RGB, upscaled
    (bicubic) to size x size. Training, evaluation and the app's example photos all go through here."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"expected one grayscale uint8 image, got {pixels.dtype} {pixels.shape}")
    photo = Image.fromarray(255 - pixels)  # uint8, 2-D: mode "L"
    if photo.size != (size, size):
        photo = photo.resize((size, size), Image.Resampling.BICUBIC)
    return photo.convert("RGB")


def garment_mask(pixels: np.ndarray, size: int = PHOTO_SIZE) -> Image.Image:
    """The garment's silhouette in a photo of `size` px: 255 where the stored image has ink, 0 on the background."""
    mask = Image.fromarray(np.where(np.asarray(pixels) > INK, 255, 0).astype(np.uint8))
    return mask if mask.size == (size, size) else mask.resize((size, size), Image.Resampling.NEAREST)


def class_example(pixels: np.ndarray, label: int, example_id: str, size: int = PHOTO_SIZE) -> Example:
    """A training example: the photo, our JSON target (category only), a shopper caption of its class and the
    garment's silhouette (the stored background is black: what is not black is garment)."""
    cls = CLASSES[int(label)]
    garment = Garment(category=cls.category)
    return Example(image=fashion_mnist_photo(pixels, size), prefix=DEFAULT_PROMPT, suffix=garments_to_json([garment]),
                   caption=cls.prompt, garments=[garment], id=example_id, hierarchy={"class": cls.name},
                   phrasings=cls.phrasings(), mask=garment_mask(pixels, size))


def fashion_mnist_examples(source: str, split: str, size: int | None = None) -> Iterator[Example]:
    """Examples of a split, in the files' order (opened at once: a missing or damaged file raises here)."""
    images, labels = load_split(source, split)
    name = split.strip().lower()

    def examples() -> Iterator[Example]:
        for index, (pixels, label) in enumerate(zip(images, labels)):
            yield class_example(pixels, int(label), f"fashion-mnist-{name}-{index:05d}", size or PHOTO_SIZE)

    return examples()


# --------------------------------------------------------------------------------------------- example photos
def write_example_photos(folder: str | Path, out_dir: str | Path, per_class: int = 1, split: str = "test") -> list[ExamplePhoto]:
    """Save the first `per_class` photos of each class of a split (not hand-picked) as PNGs made by
    fashion_mnist_photo, with a manifest (examples.json) saying what each shows."""
    images, labels = load_split(folder, split)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    photos = []
    for label, cls in enumerate(CLASSES):
        for index in np.flatnonzero(labels == label)[:per_class].tolist():
            path = out / f"{split}-{index:05d}-{cls.noun.replace(' ', '-')}.png"
            # Stored as grayscale (a third of the bytes): decoded as an upload, it is the same RGB photo again.
            fashion_mnist_photo(images[index]).convert("L").save(path, optimize=True)
            photos.append(ExamplePhoto(path, cls.name, cls.category, index))
    manifest = [{"file": p.path.name, "class": p.name, "category": p.category, "split": split, "index": p.index}
                for p in photos]
    (out / EXAMPLES_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    logger.info("wrote %d Fashion-MNIST %s photos to %s", len(photos), split, out)
    return photos
