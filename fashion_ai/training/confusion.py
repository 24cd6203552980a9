"""A confusion matrix as a small picture (eval_confusion.png): true classes down, answers across, each cell
shaded by its share of the row and labelled with its count. Drawn with Pillow, which the app already needs."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CELL = 40  # pixels per cell
_LOW, _HIGH = (247, 251, 255), (8, 48, 107)  # white to dark blue, as matplotlib's "Blues"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _shade(share: float) -> tuple[int, int, int]:
    return tuple(round(lo + (hi - lo) * share) for lo, hi in zip(_LOW, _HIGH))


def _text_width(draw: ImageDraw.ImageDraw, text: str, font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return int(right - left)


def draw_confusion(confusion: dict, title: str, cell: int = CELL) -> Image.Image:
    """The matrix of metrics.confusion_matrix ({"rows", "columns", "matrix"}) as an RGB picture."""
    rows, columns, matrix = confusion["rows"], confusion["columns"], confusion["matrix"]
    font, small = _font(12), _font(11)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    corner = "true class \\ answer"
    left = 12 + max([_text_width(probe, name, font) for name in rows] + [_text_width(probe, corner, small)])
    top = 56 + max(_text_width(probe, name, font) for name in columns)  # below the title
    width = max(left + cell * len(columns) + 12, 24 + _text_width(probe, title, font))
    image = Image.new("RGB", (width, top + cell * len(rows) + 28), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8, 6), title, fill="black", font=font)
    draw.text((left - 6, top - 4), corner, fill=(90, 90, 90), font=small, anchor="rd")
    for j, name in enumerate(columns):  # column names written upwards
        label = Image.new("RGB", (_text_width(probe, name, font) + 4, 16), "white")
        ImageDraw.Draw(label).text((2, 1), name, fill="black", font=font)
        image.paste(label.rotate(90, expand=True), (left + j * cell + cell // 2 - 8, top - 22 - label.width))
    for i, (name, counts) in enumerate(zip(rows, matrix)):
        y = top + i * cell
        draw.text((left - 6, y + cell // 2), name, fill="black", font=font, anchor="rm")
        total = max(1, sum(counts))
        for j, count in enumerate(counts):
            share = count / total
            x = left + j * cell
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=_shade(share), outline=(220, 220, 220))
            if count:
                draw.text((x + cell // 2, y + cell // 2), str(count), font=small, anchor="mm",
                          fill="white" if share > 0.5 else "black")
    draw.text((8, top + cell * len(rows) + 8), "counts; shade: share of the true class's row", fill=(90, 90, 90), font=small)
    return image


def save_confusion(confusion: dict, title: str, path: str | Path) -> Path:
    """Draw the matrix and save it as a PNG; returns the path."""
    path = Path(path)
    # 64 colours are plenty for a white-to-blue scale and keep the file a few kB.
    draw_confusion(confusion, title).quantize(64).save(path, optimize=True)
    return path
