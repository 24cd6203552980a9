"""Fashion-MNIST garments photographed as shops and shoppers do: margins, off-centre, off-white or tinted backdrops,
a colour, a slight tilt, JPEG compression and any size (issue 33).

One seeded draw (``ShopLook``) says how a photo is taken; ``shop_photo`` builds it from a Fashion-MNIST image. The
held-out shift evaluation (training.shift), training's augmentation (``shop_example``) and the app's shop-style
example photos all go through here. Every step is a Pillow operation (resampling, rotation, compositing, the JPEG
codec): torchvision's ``transforms.v2`` runs the same Pillow calls on PIL images, and its wheels need a CUDA build of
torch that the CPU box does not have.

    python -m fashion_ai.demo_world.shop_photos assets/fashion_mnist   # the shop-style example photos
"""

from __future__ import annotations

import argparse
import colorsys
import io
import json
import logging
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageOps

from fashion_ai.datasets.common import Example
from fashion_ai.datasets.fashion_mnist import CLASSES, DEFAULT_FASHION_MNIST_DIR, INK, PHOTO_SIZE, load_split
from fashion_ai.demo_world.specs import DEMO_COLORS
from fashion_ai.images import crop_to_garment
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, garments_to_json

logger = logging.getLogger(__name__)

# One factor varied at a time (the others as the model was first trained: grey garment filling a white 256 px frame,
# lossless), "plain" none, "combined" all of them drawn at once.
FACTORS: tuple[str, ...] = ("plain", "scale", "position", "background", "colour", "rotation", "jpeg", "resolution",
                            "combined")
SCALE_RANGE = (0.45, 1.0)  # the 28 px tile's side as a share of the frame's (the garment fills the tile)
POSITION_SCALE = 0.7  # the "position" factor's garment size: room to move it anywhere in the frame
GREY_RANGE = (128, 255)  # backdrop grey level: mid grey to white
TINT_LIGHTNESS = (0.86, 0.97)  # light tints (HLS lightness and saturation)
TINT_SATURATION = (0.25, 0.9)
MAX_ANGLE = 10.0
QUALITY_RANGE = (50, 95)
SIDE_RANGE = (128, 1024)
COLOURS: tuple[str, ...] = tuple(sorted(DEMO_COLORS))  # the schema's colours the demo models know
SHOP_EXAMPLES_MANIFEST = "shop_examples.json"
EXAMPLE_SIDE = 384  # the example photos' side: an upload's size, a few dozen KB each
WHITE = (255, 255, 255)
_EDGE = [min(255, 3 * v) for v in range(256)]  # a coloured garment's soft edge: its stored faint pixels blend
_SILHOUETTE = [255 if v > INK else 0 for v in range(256)]


@dataclass(frozen=True)
class ShopLook:
    """How one photo is taken: the frame's side, the garment's size and place, backdrop, colour, tilt and JPEG."""

    side: int = PHOTO_SIZE
    scale: float = 1.0  # garment tile side / frame side
    x: float = 0.5  # where the tile sits in the room left around it (0 = left or top edge, 1 = right or bottom)
    y: float = 0.5
    background: tuple[int, int, int] = WHITE
    colour: str | None = None  # a schema colour, or None: the dataset's own grey shading (dark on the backdrop)
    angle: float = 0.0  # degrees, counter-clockwise
    quality: int | None = None  # JPEG quality, None: lossless


def _backdrop(rng: random.Random) -> tuple[int, int, int]:
    if rng.random() < 0.5:
        grey = rng.randint(*GREY_RANGE)
        return (grey, grey, grey)
    r, g, b = colorsys.hls_to_rgb(rng.random(), rng.uniform(*TINT_LIGHTNESS), rng.uniform(*TINT_SATURATION))
    return (round(r * 255), round(g * 255), round(b * 255))


def draw_look(factor: str, rng: random.Random) -> ShopLook:
    """A look varying `factor` (one of FACTORS) at random within its range, everything else as trained."""
    if factor not in FACTORS:
        raise ValueError(f"unknown shift factor {factor!r} (one of {', '.join(FACTORS)})")
    combined = factor == "combined"
    look: dict = {}
    if combined or factor == "scale":
        look["scale"] = rng.uniform(*SCALE_RANGE)
    if factor == "position":
        look["scale"] = POSITION_SCALE
    if combined or factor == "position":
        look["x"], look["y"] = rng.random(), rng.random()
    if combined or factor == "background":
        look["background"] = _backdrop(rng)
    if combined or factor == "colour":
        look["colour"] = rng.choice(COLOURS)
    if combined or factor == "rotation":
        look["angle"] = rng.uniform(-MAX_ANGLE, MAX_ANGLE)
    if combined or factor == "jpeg":
        look["quality"] = rng.randint(*QUALITY_RANGE)
    if combined or factor == "resolution":
        look["side"] = rng.randint(*SIDE_RANGE)
    return ShopLook(**look)


def look_rng(seed: int, factor: str, index: int) -> random.Random:
    """The generator of one photo's draw: the same seed, factor and row always give the same look."""
    return random.Random(f"{seed}/{factor}/{index}")


def _ink(pixels: np.ndarray, look: ShopLook, side: int) -> Image.Image:
    """The garment's ink (L, light garment on black as stored) scaled, tilted and placed in a side x side frame."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"expected one grayscale uint8 image, got {pixels.dtype} {pixels.shape}")
    tile_side = max(8, round(look.scale * side))
    tile = Image.fromarray(pixels).resize((tile_side, tile_side), Image.Resampling.BICUBIC)
    if look.angle:
        tile = tile.rotate(look.angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
    frame = Image.new("L", (side, side), 0)
    room = side - tile_side
    frame.paste(tile, (round(look.x * room), round(look.y * room)))
    return frame


def shop_photo(pixels: np.ndarray, look: ShopLook, side: int | None = None, ink: Image.Image | None = None
               ) -> Image.Image:
    """One Fashion-MNIST image as a photo taken as `look` says, RGB at look.side px (or `side`, training's smaller
    frame). Uncoloured, the garment is the stored image inverted and multiplied onto the backdrop (on white, exactly
    fashion_mnist_photo); coloured, the schema colour shaded by the stored intensity, its soft edge blended."""
    side = side or look.side
    ink = _ink(pixels, look, side) if ink is None else ink
    backdrop = Image.new("RGB", (side, side), look.background)
    if look.colour is None:
        photo = ImageChops.multiply(backdrop, ImageOps.invert(ink).convert("RGB"))
    else:
        # Shading kept: the stored brightness (its folds and seams) scales the colour between 62% and 100%.
        peak = max(int(np.asarray(ink).max()), 1)
        shade = ink.point([min(255, 158 + 97 * v // peak) for v in range(256)])
        garment = ImageChops.multiply(Image.new("RGB", (side, side), DEMO_COLORS[look.colour]), shade.convert("RGB"))
        photo = Image.composite(garment, backdrop, ink.point(_EDGE))
    if look.quality is not None:
        photo = Image.open(io.BytesIO(jpeg_bytes(photo, look.quality)))
        photo.load()
    return photo


def jpeg_bytes(photo: Image.Image, quality: int) -> bytes:
    """The photo as a JPEG file of that quality."""
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def shop_mask(pixels: np.ndarray, look: ShopLook, side: int, ink: Image.Image | None = None) -> Image.Image:
    """The garment's silhouette in the photo of `look` at `side` px: 255 on the garment, 0 on the backdrop."""
    return (_ink(pixels, look, side) if ink is None else ink).point(_SILHOUETTE)


def shop_example(pixels: np.ndarray, label: int, example_id: str, look: ShopLook, side: int, crop: bool = False,
                 size: int | None = None) -> Example:
    """A training example taken as `look` says at `side` px: a coloured garment's target and caption name its colour
    (a shape coloured with a schema colour teaches that colour). crop: photo and silhouette cropped to the garment
    as the app crops an upload (images.crop_to_garment); size: then resized to the model's input."""
    cls = CLASSES[int(label)]
    garment = Garment(category=cls.category, colors=[look.colour] if look.colour else None)
    phrasings = cls.phrasings()
    if look.colour:
        phrasings = tuple(_colour_phrase(p, look.colour) for p in phrasings)
    ink = _ink(pixels, look, side)
    photo, mask = shop_photo(pixels, look, side, ink), shop_mask(pixels, look, side, ink)
    if crop:
        photo, mask = crop_to_garment(photo, mask)
    if size:
        photo = photo.resize((size, size), Image.Resampling.BICUBIC)
        mask = mask.resize((size, size), Image.Resampling.NEAREST)
    return Example(image=photo, prefix=DEFAULT_PROMPT, suffix=garments_to_json([garment]), caption=phrasings[0],
                   garments=[garment], id=example_id, hierarchy={"class": cls.name}, phrasings=phrasings, mask=mask)


def _colour_phrase(phrase: str, colour: str) -> str:
    """"a photo of a sneaker" -> "a photo of a red sneaker", "trousers" -> "red trousers"."""
    words = phrase.split()
    for k, word in enumerate(words):
        if word not in ("a", "an", "photo", "of"):
            head = words[:k]
            if head and head[-1] == "an":
                head[-1] = "a"
            return " ".join([*head, colour, *words[k:]])
    return f"{colour} {phrase}"


# --------------------------------------------------------------------------------------------- example photos
def write_shop_examples(folder: str | Path, out_dir: str | Path, count: int = 6, seed: int = 33) -> list[dict]:
    """Save `count` shop-style photos of the test split (one per category and colour: the first test photo of each
    new category whose draw gives a new colour, coloured and framed by a combined draw of `seed`) as JPEG files of
    the look's quality, EXAMPLE_SIDE px, with a manifest (shop_examples.json) of each file's true category and
    colour."""
    images, labels = load_split(folder, "test")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest, seen = [], set()
    for index in range(len(images)):
        cls = CLASSES[int(labels[index])]
        look = replace(draw_look("combined", look_rng(seed, "combined", index)), side=EXAMPLE_SIDE)
        if cls.category in seen or look.colour in seen:  # a category and a colour of its own each
            continue
        name = f"shop-test-{index:05d}-{look.colour}-{cls.noun.replace(' ', '-')}.jpg"
        # The file is the photo's own JPEG: the codec runs once, at the look's quality.
        (out / name).write_bytes(jpeg_bytes(shop_photo(images[index], replace(look, quality=None)), look.quality))
        manifest.append({"file": name, "class": cls.name, "category": cls.category, "colour": look.colour,
                         "split": "test", "index": index, "look": _as_json(look)})
        seen.update((cls.category, look.colour))
        if len(manifest) == count:
            break
    (out / SHOP_EXAMPLES_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    logger.info("wrote %d shop-style Fashion-MNIST test photos to %s", len(manifest), out)
    return manifest


def _as_json(look: ShopLook) -> dict:
    return {k: list(v) if isinstance(v, tuple) else round(v, 4) if isinstance(v, float) else v
            for k, v in asdict(look).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write shop-style Fashion-MNIST test photos for the app's examples.")
    parser.add_argument("out_dir", help="folder for the photos and shop_examples.json")
    parser.add_argument("--fashion_mnist", default=DEFAULT_FASHION_MNIST_DIR, help="folder of the idx files")
    parser.add_argument("--count", type=int, default=6, help="photos, one per category")
    parser.add_argument("--seed", type=int, default=33, help="seed of the looks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    write_shop_examples(args.fashion_mnist, args.out_dir, args.count, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
