"""Shopper uploads to model-ready photos: every way an upload can be unusable becomes one plain sentence.

The checks run cheapest first and the expensive one last: file size from the filesystem, then the image
header (format, width, height: Pillow reads only the header on open), and only then the pixels. A decompression
bomb is refused from its header, before a single pixel is decoded.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fashion_ai.config import DEFAULT_MAX_IMAGE_PIXELS, DEFAULT_MAX_UPLOAD_MB
from fashion_ai.errors import BadImageError

logger = logging.getLogger(__name__)

# Formats shoppers' phones and browsers produce. TIFF is left out on purpose: no browser shows it, and its
# decoder (libtiff) is the largest attack surface of Pillow's; PSD, EPS, ICO and friends likewise.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
DEFAULT_MAX_BYTES = DEFAULT_MAX_UPLOAD_MB * 2**20
DEFAULT_WORKING_SIDE = 1024  # models see 224 px or less; bigger only costs time
MIN_SIDE = 16
MAX_ASPECT = 8.0
BACKGROUND = (255, 255, 255)  # transparent product shots sit on white, as in a shop

NO_IMAGE = "Please upload a photo first."
EMPTY_FILE = "That file is empty. Please upload a photo (JPEG, PNG or WebP)."
NOT_AN_IMAGE = ("That file is not a photo we can read. Please upload a JPEG, PNG, WebP, GIF or BMP image.")
CORRUPT = "That image file is damaged or incomplete. Please upload it again, or try another photo."

Source = str | Path | bytes | Image.Image | None


def open_catalog_photo(path: str | Path) -> Image.Image | None:
    """A catalog item's photo as RGB, or None (logged) when it is missing, truncated, not an image or a
    decompression bomb: indexing and tagging skip that item and go on."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except Exception as exc:
        logger.warning("cannot read the photo %s (%s: %s); skipping it", path, exc.__class__.__name__, exc)
        return None


def _looks_like_image(head: bytes) -> bool:
    """True when the first bytes carry an allowed format's signature (so a failed parse means damaged)."""
    return (head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _check_shape(width: int, height: int, max_pixels: int) -> None:
    """Refuse sizes no garment photo has; called on the header's size, before decoding."""
    if width * height > max_pixels:
        raise BadImageError(f"That image is too large ({width} x {height} pixels). Please upload a photo of at most "
                            f"{max_pixels / 1e6:.0f} megapixels.")
    if max(width, height) > MAX_ASPECT * max(min(width, height), 1):
        raise BadImageError(f"That image is too long and thin ({width} x {height} pixels) to show a garment. Please "
                            "upload an ordinary photo of it.")
    if min(width, height) < MIN_SIDE:
        raise BadImageError(f"That image is too small ({width} x {height} pixels). Please upload a photo at least "
                            f"{MIN_SIDE} pixels on each side.")


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB: transparency onto white, CMYK and palettes converted, 16-bit and float scaled."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # Pillow's convert("L") clips these at 255 (a 16-bit photo turns white): scale to 8 bits instead.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if mode.startswith("I;16") else max(float(values.max()), 1.0)
        values = np.clip(values / top * 255.0, 0, 255)
        return Image.fromarray(values.astype(np.uint8), mode="L").convert("RGB")
    if mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")  # palettes and PNG tRNS chunks carry transparency too
    if image.mode == "RGBA":
        canvas = Image.new("RGB", image.size, BACKGROUND)
        canvas.paste(image, mask=image.getchannel("A"))
        return canvas
    return image.convert("RGB")


def _finish(image: Image.Image, max_side: int) -> Image.Image:
    """Orientation, colour and working size of an image whose size has already passed the checks."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception as exc:  # malformed EXIF must not cost the shopper the photo: keep it as stored
        logger.info("ignoring unreadable EXIF orientation: %s: %s", exc.__class__.__name__, exc)
    image = _to_rgb(image)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _open_bytes(fp, max_pixels: int, max_side: int) -> Image.Image:
    """Decode a file object holding an encoded image, header first; BadImageError for anything unusable."""
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; for an upload a warning is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(fp, formats=list(ALLOWED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise BadImageError(f"That image has too many pixels to open safely. Please upload a photo of at most "
                                f"{max_pixels / 1e6:.0f} megapixels.") from exc
        except UnidentifiedImageError as exc:
            fp.seek(0)
            # Pillow reports a broken header as "unidentified": a file that starts like a photo is a damaged one.
            raise BadImageError(CORRUPT if _looks_like_image(fp.read(12)) else NOT_AN_IMAGE) from exc
        except Exception as exc:  # a header so broken that the format's own parser fails
            logger.info("image header unreadable: %s: %s", exc.__class__.__name__, exc)
            raise BadImageError(CORRUPT) from exc
        with image:
            _check_shape(image.width, image.height, max_pixels)
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/WebP/APNG: the first frame stands for the garment
            if image.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the photo is far larger than we will keep.
                image.draft("RGB", (max_side, max_side))
            try:
                image.load()
            except Exception as exc:  # truncated data, broken zlib stream, bad Huffman tables, ...
                logger.info("image data unreadable: %s: %s", exc.__class__.__name__, exc)
                raise BadImageError(CORRUPT) from exc
            return _finish(image, max_side)


def load_image(source: Source, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES,
               max_side: int = DEFAULT_WORKING_SIDE) -> Image.Image:
    """An uploaded photo as an RGB image at most max_side on its longer side.

    source is a file path, the file's bytes or an already decoded Pillow image. Raises BadImageError with a
    message for the shopper when there is no photo, or it is empty, too big, not an image, damaged, has too many
    pixels, is tiny or absurdly long and thin.
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise BadImageError(NO_IMAGE)
    if isinstance(source, Image.Image):
        _check_shape(source.width, source.height, max_pixels)
        return _finish(source.copy(), max_side)
    if isinstance(source, bytes):
        if not source:
            raise BadImageError(EMPTY_FILE)
        if len(source) > max_bytes:
            raise BadImageError(f"That file is {_mb(len(source))}. Please upload a photo under {_mb(max_bytes)}.")
        return _open_bytes(io.BytesIO(source), max_pixels, max_side)
    path = Path(source)
    if not path.is_file():
        raise BadImageError(NO_IMAGE)
    size = path.stat().st_size
    if size == 0:
        raise BadImageError(EMPTY_FILE)
    if size > max_bytes:
        raise BadImageError(f"That file is {_mb(size)}. Please upload a photo under {_mb(max_bytes)}.")
    with path.open("rb") as fp:
        return _open_bytes(fp, max_pixels, max_side)


# crop_to_garment brings a garment that spans less than this share of the photo's shorter side up to it, and leaves
# one that spans more as it is: the middle of the demo world's 62-88% (its patterns keep the scale training saw),
# and where Fashion-MNIST's garments, which fill their frame, are met by training's cropped shop photos.
CROP_FILL = 0.75
CROP_THRESHOLD = 40  # a pixel this far (0-255, any channel) from the backdrop's colour belongs to the garment
CROP_BORDER_PLAIN = 0.6  # below this share of the border near its median colour there is no plain backdrop: no crop
CROP_WORK_SIDE = 128  # the backdrop and the box are found on a copy at most about this big
CROP_MIN_SHARE = 0.004  # a row or column holds the garment when this share of its pixels does (JPEG specks do not)


def garment_box(image: Image.Image) -> tuple[tuple[int, int, int, int], tuple[int, int, int]] | None:
    """The square the garment spans CROP_FILL of, centred on it (it may reach past the photo's edges), and the
    backdrop's colour; None where the garment already spans that much, the border is no plain backdrop (a scene, a
    pattern) or nothing stands out from it (an empty backdrop)."""
    factor = -(-max(image.size) // CROP_WORK_SIDE)  # found on a small copy: the box needs no more detail
    small = image.convert("RGB").reduce(factor) if factor > 1 else image.convert("RGB")
    pixels = np.asarray(small, dtype=np.int16)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    backdrop = np.median(border, axis=0)
    if float((np.abs(border - backdrop).max(axis=1) <= CROP_THRESHOLD).mean()) < CROP_BORDER_PLAIN:
        return None  # a garment may touch the edges; a scene or a pattern fills them
    ink = np.abs(pixels - backdrop).max(axis=2) > CROP_THRESHOLD
    rows = np.flatnonzero(ink.mean(axis=1) > CROP_MIN_SHARE)
    cols = np.flatnonzero(ink.mean(axis=0) > CROP_MIN_SHARE)
    if not len(rows) or not len(cols):
        return None
    sx, sy = image.width / small.width, image.height / small.height
    top, bottom = rows[0] * sy, (rows[-1] + 1) * sy
    left, right = cols[0] * sx, (cols[-1] + 1) * sx
    span = max(bottom - top, right - left)
    if span >= CROP_FILL * min(image.size):
        return None
    half = span / CROP_FILL / 2
    cx, cy = (left + right) / 2, (top + bottom) / 2
    box = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    return box, (int(backdrop[0]), int(backdrop[1]), int(backdrop[2]))


def _crop_square(image: Image.Image, box: tuple[int, int, int, int], fill) -> Image.Image:
    """The box of the image, the part of it past the photo's edges filled with the backdrop."""
    inside = (max(0, box[0]), max(0, box[1]), min(image.width, box[2]), min(image.height, box[3]))
    canvas = Image.new(image.mode, (box[2] - box[0], box[3] - box[1]), fill)
    canvas.paste(image.crop(inside), (inside[0] - box[0], inside[1] - box[1]))
    return canvas


def crop_to_garment(image: Image.Image, mask: Image.Image | None = None):
    """The photo cropped to a square around its garment (garment_box), padded with the backdrop: a garment at 45%
    of a shop photo, off-centre, spans CROP_FILL of the frame as in training; unchanged where garment_box finds no
    box. With the garment's mask (training), (photo, mask) cropped alike."""
    found = garment_box(image)
    if found is None:
        return image if mask is None else (image, mask)
    box, backdrop = found
    photo = _crop_square(image.convert("RGB"), box, backdrop)
    if mask is None:
        return photo
    scale = mask.width / image.width  # a mask may be drawn at another size than the photo
    return photo, _crop_square(mask, tuple(round(v * scale) for v in box), 0)
