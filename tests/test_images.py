"""Uploads to photos: every odd file a shopper (or an attacker) can send, and what load_image makes of it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from fashion_ai.errors import BadImageError
from fashion_ai.images import ALLOWED_FORMATS, DEFAULT_WORKING_SIDE, MIN_SIDE, load_image

MAX_PIXELS = 40_000_000
MAX_BYTES = 2 * 2**20


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims width x height but that holds almost no pixel data (a bomb probe)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def solid(size: tuple[int, int], color="red", mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, color)


def rgba_half_transparent() -> bytes:
    image = Image.new("RGBA", (64, 64), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 32, 64))  # left half fully transparent
    return encode(image, "PNG")


def palette_with_transparency() -> bytes:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (20, 0, 40, 40))
    return encode(image, "PNG", transparency=0)  # palette index 0 (black) is transparent


def rotated_by_exif() -> bytes:
    image = solid((80, 40), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    return encode(image, "JPEG", exif=exif.tobytes())


def animated_gif() -> bytes:
    frames = [solid((32, 32), "red"), solid((32, 32), "blue"), solid((32, 32), "green")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def sixteen_bit_grey() -> bytes:
    return encode(Image.new("I;16", (32, 32), 40000), "PNG")


def truncated_png() -> bytes:
    data = encode(Image.effect_noise((256, 256), 60).convert("RGB"), "PNG")
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    data = encode(Image.effect_noise((256, 256), 60).convert("RGB"), "JPEG", quality=95)
    return data[: len(data) // 3]


def png_signature_then_garbage() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"garbage!" * 8


# name, file bytes, (expected size, expected pixel at (1, 1)) -- size None means "not checked"
GOOD_FILES = [
    ("png rgb", lambda: encode(solid((200, 300)), "PNG"), (200, 300), (255, 0, 0)),
    ("jpeg", lambda: encode(solid((120, 90), "white"), "JPEG"), (120, 90), None),
    ("webp", lambda: encode(solid((64, 64), "blue"), "WEBP", lossless=True), (64, 64), (0, 0, 255)),
    ("bmp", lambda: encode(solid((33, 17), "blue"), "BMP"), (33, 17), (0, 0, 255)),
    # Transparent product shots sit on white, not on black (RGBA -> RGB would otherwise drop alpha).
    ("rgba transparent half", rgba_half_transparent, (64, 64), (255, 255, 255)),
    # A palette whose transparent index is black: the hole must come out white too.
    ("palette with transparency", palette_with_transparency, (40, 40), (255, 255, 255)),
    ("greyscale with alpha", lambda: encode(Image.new("LA", (20, 20), (0, 0)), "PNG"), (20, 20), (255, 255, 255)),
    # CMYK JPEGs come out of print workflows; the model wants RGB.
    ("cmyk jpeg", lambda: encode(Image.new("CMYK", (48, 48), (0, 255, 255, 0)), "JPEG"), (48, 48), None),
    # 16-bit PNG: a naive convert("L") clips to white; 40000/65535 of full scale is mid grey.
    ("16-bit greyscale", sixteen_bit_grey, (32, 32), (155, 155, 155)),
    # Phones store portrait photos landscape plus an EXIF flag: the garment must stand upright.
    ("exif orientation 6", rotated_by_exif, (40, 80), None),
    # Animated GIF: the first frame stands for the garment.
    ("animated gif first frame", animated_gif, (32, 32), (255, 0, 0)),
    # Exactly at the limits: 16 px a side and an 8:1 aspect ratio are still allowed.
    ("smallest allowed", lambda: encode(solid((MIN_SIDE, MIN_SIDE)), "PNG"), (MIN_SIDE, MIN_SIDE), (255, 0, 0)),
    ("8:1 allowed", lambda: encode(solid((256, 32)), "PNG"), (256, 32), (255, 0, 0)),
    # Allowed but larger than any model needs: scaled down to the working size, aspect kept.
    ("large photo downscaled", lambda: encode(solid((3000, 1500)), "PNG"), (DEFAULT_WORKING_SIDE, 512), (255, 0, 0)),
    ("large jpeg downscaled", lambda: encode(solid((4000, 3000), "white"), "JPEG"), (DEFAULT_WORKING_SIDE, 768), None),
]


@pytest.mark.parametrize("name, make, size, pixel", GOOD_FILES, ids=[case[0] for case in GOOD_FILES])
def test_good_files_become_rgb_photos(tmp_path: Path, name, make, size, pixel):
    path = tmp_path / "upload.bin"  # the name says nothing: the format is sniffed from the bytes
    path.write_bytes(make())
    image = load_image(path, MAX_PIXELS, MAX_BYTES)
    assert image.mode == "RGB"
    assert image.size == size
    if pixel is not None:
        assert all(abs(a - b) <= 3 for a, b in zip(image.getpixel((1, 1)), pixel, strict=True)), image.getpixel((1, 1))


BAD_FILES = [
    ("empty file", lambda: b"", "empty"),
    # A text file renamed photo.png: the bytes decide, not the name.
    ("text renamed png", lambda: b"this is my shopping list, not a photo\n" * 20, "not a photo we can read"),
    ("svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect/></svg>',
     "not a photo we can read"),
    # TIFF decodes with Pillow but is outside the allowed formats on purpose.
    ("tiff refused", lambda: encode(solid((64, 64)), "TIFF"), "not a photo we can read"),
    ("truncated png", truncated_png, "damaged or incomplete"),
    ("truncated jpeg", truncated_jpeg, "damaged or incomplete"),
    # A PNG signature but no valid header: the format's own parser fails, which must not escape as an OSError.
    ("png signature then garbage", png_signature_then_garbage, "damaged or incomplete"),
    # Decompression bomb: a 2 kB file claiming 30000 x 30000 pixels, refused from the header alone.
    ("bomb header 30000x30000", lambda: png_header_only(30000, 30000), "too many pixels"),
    # Under Pillow's own bomb limit but over ours: our limit speaks, with the size in it.
    ("over our pixel limit", lambda: png_header_only(8000, 6000), "too large (8000 x 6000 pixels)"),
    # A real, fully valid solid image that compresses to a few kB yet decodes to 81 megapixels.
    ("real 9000x9000 solid", lambda: encode(Image.new("L", (9000, 9000), 255), "PNG"), "too large (9000 x 9000"),
    ("1x1 pixel", lambda: encode(solid((1, 1)), "PNG"), "too small (1 x 1 pixels)"),
    ("15x15 tiny", lambda: encode(solid((15, 15)), "PNG"), "too small"),
    ("10x5000 sliver", lambda: encode(solid((10, 5000)), "PNG"), "too long and thin (10 x 5000"),
    # Just over 8:1.
    ("aspect 8.1:1", lambda: encode(solid((324, 40)), "PNG"), "too long and thin"),
    ("over max bytes", lambda: encode(Image.effect_noise((1200, 1200), 90).convert("RGB"), "PNG"), "Please upload a photo under"),
]


@pytest.mark.parametrize("name, make, message", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_files_give_a_plain_message(tmp_path: Path, name, make, message):
    path = tmp_path / "photo.png"
    path.write_bytes(make())
    with pytest.raises(BadImageError) as info:
        load_image(path, MAX_PIXELS, MAX_BYTES)
    assert message in str(info.value)
    assert "Traceback" not in str(info.value) and "PIL" not in str(info.value)


@pytest.mark.parametrize("source", [None, "", "   ", "/no/such/upload.png"],
                         ids=["none", "empty string", "blank string", "missing path"])
def test_no_upload_asks_for_a_photo(source):
    with pytest.raises(BadImageError, match="Please upload a photo first"):
        load_image(source, MAX_PIXELS, MAX_BYTES)


def test_a_folder_is_not_a_photo(tmp_path: Path):
    with pytest.raises(BadImageError, match="Please upload a photo first"):
        load_image(tmp_path, MAX_PIXELS, MAX_BYTES)


def test_pillow_bomb_warning_is_an_error_even_with_a_generous_own_limit(tmp_path: Path):
    # With our limit set above Pillow's (89.5 MP), Pillow's DecompressionBombWarning zone (89.5-179 MP) must
    # still refuse the file instead of warning and decoding 100 MP.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(10000, 10000))
    with pytest.raises(BadImageError, match="too many pixels"):
        load_image(path, 10**10, MAX_BYTES)
    path.write_bytes(png_header_only(20000, 20000))  # over twice Pillow's limit: DecompressionBombError
    with pytest.raises(BadImageError, match="too many pixels"):
        load_image(path, 10**10, MAX_BYTES)


def test_bytes_and_pil_sources():
    data = encode(solid((50, 60), "blue"), "PNG")
    assert load_image(data, MAX_PIXELS, MAX_BYTES).size == (50, 60)
    with pytest.raises(BadImageError, match="empty"):
        load_image(b"", MAX_PIXELS, MAX_BYTES)
    with pytest.raises(BadImageError, match="under"):
        load_image(data, MAX_PIXELS, max_bytes=10)
    rgba = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    assert load_image(rgba, MAX_PIXELS, MAX_BYTES).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(BadImageError, match="too small"):
        load_image(solid((4, 4)), MAX_PIXELS, MAX_BYTES)


def test_source_pil_image_is_not_modified():
    original = Image.new("RGBA", (1600, 400), (10, 20, 30, 255))
    assert load_image(original, MAX_PIXELS, MAX_BYTES).size == (DEFAULT_WORKING_SIDE, 256)
    assert original.mode == "RGBA" and original.size == (1600, 400)


def test_allowed_formats_are_the_web_ones():
    assert set(ALLOWED_FORMATS) == {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
