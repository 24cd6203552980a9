"""Drawing a demo product photo: a garment's silhouette filled with its pattern, on a light background."""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

from fashion_ai.demo_world.specs import DEMO_COLORS

DEFAULT_IMAGE_SIZE = 256


def _pattern_layer(size: int, pattern: str, primary: tuple[int, int, int], secondary: tuple[int, int, int],
                   rng: random.Random, box: tuple[int, int, int, int] | None = None) -> Image.Image:
    """A full-canvas texture; the garment's silhouette (bounding box `box`) is cut out of it.

    Every pattern must still read as itself at a small model's 64 px input: bold repeats, and shapes that
    differ in kind (bands, a two-way plaid, discs, five-petal flowers, one large block), never thin lines.
    """
    layer = Image.new("RGB", (size, size), primary)
    draw = ImageDraw.Draw(layer)
    step = rng.randint(size // 7, size // 5)
    if pattern == "striped":
        # Bold horizontal bands (Breton stripes): one direction only, so they never read as a check.
        width = max(3, int(step * 0.4))
        for pos in range(rng.randint(0, step), size, step):
            draw.rectangle((0, pos, size, pos + width), fill=secondary)
    elif pattern == "checked":
        # Gingham: half-tone bands both ways, full secondary where they cross; three tones in a grid that thin
        # check lines (which blur into dots at 64 px) never gave. The base colour still covers the most area.
        width = max(3, int(step * 0.3))
        offset = rng.randint(0, step)
        band = (np.arange(size) - offset) % step < width
        weight = 0.5 * band[None, :] + 0.5 * band[:, None]
        texture = (np.array(primary, dtype=np.float32) * (1 - weight[..., None])
                   + np.array(secondary, dtype=np.float32) * weight[..., None])
        return Image.fromarray(texture.round().astype(np.uint8), "RGB")
    elif pattern == "dotted":
        radius = max(3, int(step * 0.27))
        offset = rng.randint(0, step)
        for row, y in enumerate(range(offset, size + step, step)):
            for x in range(offset + (step // 2 if row % 2 else 0), size + step, step):
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=secondary)
    elif pattern == "floral":
        petal = max(4, int(step * 0.3))
        centre_color = (250, 220, 60) if secondary != (245, 210, 40) else (250, 250, 250)
        spacing = int(step * 1.45)
        # Large flowers on a loosely jittered grid: every patch of the garment shows petals, in no straight rows.
        centres = [(x + rng.uniform(-0.3, 0.3) * spacing, y + rng.uniform(-0.3, 0.3) * spacing)
                   for y in range(rng.randint(0, spacing), size + spacing, spacing)
                   for x in range(rng.randint(0, spacing), size + spacing, spacing)]
        for cx, cy in centres:
            turn = rng.uniform(0, 2 * math.pi / 5)
            for k in range(5):
                angle = turn + 2 * math.pi * k / 5
                px, py = cx + petal * math.cos(angle), cy + petal * math.sin(angle)
                draw.ellipse((px - petal * 0.75, py - petal * 0.75, px + petal * 0.75, py + petal * 0.75), fill=secondary)
            draw.ellipse((cx - petal * 0.5, cy - petal * 0.5, cx + petal * 0.5, cy + petal * 0.5), fill=centre_color)
    elif pattern == "colour-block":
        # Split the garment itself (not the canvas) so the second block always shows, at 35-45% of it.
        left, top, right, bottom = box or (0, 0, size, size)
        if rng.random() < 0.5:
            draw.rectangle((0, int(top + (bottom - top) * rng.uniform(0.55, 0.65)), size, size), fill=secondary)
        else:
            draw.rectangle((int(left + (right - left) * rng.uniform(0.55, 0.65)), 0, size, size), fill=secondary)
    return layer


def _shape(category: str, sleeve: str | None, length: str | None, noun: str, rng: random.Random
           ) -> tuple[list[list[tuple[float, float]]], list[list[tuple[float, float]]]]:
    """Polygons of the silhouette and detail lines, in free units (fitted into the canvas later)."""
    j = lambda a: a * rng.uniform(0.93, 1.07)  # noqa: E731 - small per-item proportion jitter
    polys: list[list[tuple[float, float]]] = []
    lines: list[list[tuple[float, float]]] = []

    def torso(width: float, height: float, neck: float) -> list[tuple[float, float]]:
        return [(-width / 2, 0), (-neck, 0), (0, neck * 0.8), (neck, 0), (width / 2, 0), (width / 2, height),
                (-width / 2, height)]

    def sleeves(width: float, kind: str | None, drop: float = 0.0) -> None:
        if kind in (None, "sleeveless"):
            return
        arm = {"short": 0.3, "long": 0.95}[kind]
        dx, dy, nx, ny = 0.57, 0.82, 0.82, -0.57  # sleeve direction and its normal
        for side in (-1, 1):
            x0 = side * width / 2
            cx, cy = x0 + side * dx * arm, drop + 0.2 + dy * arm
            polys.append([(x0, drop), (cx + side * nx * 0.16, cy + ny * 0.16), (cx - side * nx * 0.16, cy - ny * 0.16),
                          (x0, drop + 0.42)])

    if category == "top":
        w, h = j(1.0), j(1.15)
        polys.append(torso(w, h, 0.17))
        sleeves(w, sleeve)
        if sleeve == "sleeveless":
            polys[-1] = [(-w / 2, 0.25), (-w * 0.3, 0), (-0.15, 0), (0, 0.2), (0.15, 0), (w * 0.3, 0), (w / 2, 0.25),
                         (w / 2, h), (-w / 2, h)]
    elif category == "shirt":
        w, h = j(1.0), j(1.35)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2, h), (0, h + 0.1), (-w / 2, h)])
        sleeves(w, sleeve)
        polys.append([(-0.3, -0.1), (0, 0.02), (-0.05, 0.3)])  # big pointed collar
        polys.append([(0.3, -0.1), (0, 0.02), (0.05, 0.3)])
        lines.append([(0, 0.05), (0, h + 0.05)])  # placket
        for k in range(5):
            y = 0.25 + k * (h - 0.35) / 4
            lines.append([(0.06, y), (0.1, y)])
    elif category == "sweater":
        w, h = j(1.3), j(1.05)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2, h), (-w / 2, h)])
        polys.append([(-0.2, -0.28), (0.2, -0.28), (0.2, 0.02), (-0.2, 0.02)])  # turtleneck
        for side in (-1, 1):  # dropped shoulders, sleeves hanging close to the body
            x0 = side * w / 2
            polys.append([(x0, 0), (x0 + side * 0.35, 0.1), (x0 + side * 0.4, h), (x0 + side * 0.12, h), (x0, 0.4)])
            lines.append([(x0 + side * 0.4, h - 0.1), (x0 + side * 0.12, h - 0.1)])  # cuff bands
        lines.append([(-w / 2, h - 0.12), (w / 2, h - 0.12)])  # ribbed hem band
        lines.append([(-0.2, -0.12), (0.2, -0.12)])
    elif category in ("jacket", "coat"):
        w = j(1.15)
        h = j(1.05) if category == "jacket" else j(2.1)
        gap_end = h * 0.6 if category == "jacket" else 0.9
        # Open front: a wide V of background down the middle, the garment's most visible trait.
        polys.append([(-w / 2, 0), (-0.26, 0), (-0.02, gap_end), (-0.02, h), (-w / 2, h)])
        polys.append([(w / 2, 0), (0.26, 0), (0.02, gap_end), (0.02, h), (w / 2, h)])
        sleeves(w, "long")
        lines.append([(-0.26, 0), (-0.38, 0.3), (-0.12, gap_end * 0.5)])  # lapels
        lines.append([(0.26, 0), (0.38, 0.3), (0.12, gap_end * 0.5)])
        if category == "coat":
            lines.append([(-w / 2 + 0.04, 1.05), (w / 2 - 0.04, 1.05)])  # belt
            for y in (1.3, 1.6):  # double-breasted buttons
                lines.append([(-0.2, y), (-0.16, y)])
                lines.append([(0.16, y), (0.2, y)])
    elif category == "dress":
        bodice_w = j(0.7)
        skirt_len = {"mini": 0.55, "knee": 1.05, "maxi": 1.75}[length or "knee"] * rng.uniform(0.95, 1.05)
        hem = bodice_w / 2 + 0.25 + skirt_len * 0.3
        polys.append([(-bodice_w / 2, 0), (-0.12, 0), (0, 0.15), (0.12, 0), (bodice_w / 2, 0), (bodice_w / 2 - 0.05, 0.6),
                      (hem, 0.6 + skirt_len), (-hem, 0.6 + skirt_len), (-bodice_w / 2 + 0.05, 0.6)])
        if sleeve == "sleeveless":
            polys[-1][0] = (-bodice_w / 2, 0.12)
            polys[-1][4] = (bodice_w / 2, 0.12)
            polys.append([(-0.28, -0.02), (-0.2, -0.02), (-0.2, 0.12), (-0.28, 0.12)])
            polys.append([(0.2, -0.02), (0.28, -0.02), (0.28, 0.12), (0.2, 0.12)])
        else:
            sleeves(bodice_w, sleeve)
        lines.append([(-bodice_w / 2 + 0.05, 0.6), (bodice_w / 2 - 0.05, 0.6)])
    elif category == "skirt":
        top_w = j(0.8)
        skirt_len = {"mini": 0.55, "knee": 1.05, "maxi": 1.75}[length or "knee"] * rng.uniform(0.95, 1.05)
        hem = top_w / 2 + 0.2 + skirt_len * 0.3
        polys.append([(-top_w / 2, 0), (top_w / 2, 0), (top_w / 2, 0.12), (hem, 0.12 + skirt_len),
                      (-hem, 0.12 + skirt_len), (-top_w / 2, 0.12)])
        lines.append([(-top_w / 2, 0.12), (top_w / 2, 0.12)])
    elif category in ("pants", "shorts"):
        w = j(0.9)
        leg = j(2.0) if category == "pants" else j(0.6)
        flare = 0.05 if category == "pants" else 0.12
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2 + flare, leg), (0.06, leg), (0, 0.35), (-0.06, leg),
                      (-w / 2 - flare, leg)])
        lines.append([(-w / 2, 0.1), (w / 2, 0.1)])
    elif category == "shoe":
        boot = "boot" in noun
        h = j(0.9) if boot else j(0.45)
        polys.append([(0, 0), (0.35, 0), (0.4, h - 0.25), (1.15, h - 0.12), (1.25, h), (0, h)])
        polys.append([(-0.02, h), (1.27, h), (1.27, h + 0.1), (-0.02, h + 0.1)])  # sole
        lines.append([(0.45, h - 0.2), (0.6, h - 0.35)])
    elif category == "bag":
        w, h = j(1.2), j(0.85)
        polys.append([(-w / 2, 0.45), (w / 2, 0.45), (w / 2 + 0.08, 0.45 + h), (-w / 2 - 0.08, 0.45 + h)])
        handle = [(0.35 * math.cos(a / 12 * math.pi) * w / 1.2, 0.45 - 0.42 * math.sin(a / 12 * math.pi)) for a in range(13)]
        lines.append(handle)
        lines.append([(-w / 2, 0.65), (w / 2, 0.65)])
    elif category == "hat":
        brim = j(1.6)
        crown = j(0.8)
        polys.append([(-crown / 2, 0.1), (crown / 2, 0.1), (crown / 2 + 0.05, 0.55), (-crown / 2 - 0.05, 0.55)])
        polys.append([(-brim / 2, 0.55), (brim / 2, 0.55), (brim / 2 - 0.1, 0.7), (-brim / 2 + 0.1, 0.7)])
        lines.append([(-crown / 2 - 0.04, 0.45), (crown / 2 + 0.04, 0.45)])
    elif category == "scarf":
        w, h = j(0.42), j(2.2)
        polys.append([(-w / 2, 0), (w / 2, 0), (w / 2 + 0.1, h), (-w / 2 + 0.1, h)])
        for i in range(7):  # fringe
            x = -w / 2 + 0.1 + (i + 0.5) * w / 7
            lines.append([(x, h), (x, h + 0.15)])
    else:
        raise ValueError(f"the demo generator cannot draw category {category!r}")
    return polys, lines


def render_item(category: str, primary: str, secondary: str, pattern: str, sleeve: str | None,
                length: str | None, noun: str, rng: random.Random, size: int = DEFAULT_IMAGE_SIZE
                ) -> tuple[Image.Image, Image.Image]:
    """Draw one product photo: the garment's silhouette filled with its pattern, on a light background.

    Returns the photo and the garment's mask (L mode, 255 on the garment), which training uses as dense labels.
    """
    polys, lines = _shape(category, sleeve, length, noun, rng)
    points = [p for poly in polys + lines for p in poly]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    target = size * rng.uniform(0.62, 0.88)
    scale = target / span
    if rng.random() < 0.5 and category in ("shoe", "bag", "hat"):
        xs = [-x for x in xs]  # face the other way
        polys = [[(-x, y) for x, y in poly] for poly in polys]
        lines = [[(-x, y) for x, y in line] for line in lines]
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2
    slack = (size - target) / 2
    ox = size / 2 + rng.uniform(-slack, slack) * 0.8
    oy = size / 2 + rng.uniform(-slack, slack) * 0.8

    def to_px(poly: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [((x - cx) * scale + ox, (y - cy) * scale + oy) for x, y in poly]

    shade = rng.randint(236, 250)
    background = (shade, shade - rng.randint(0, 6), shade - rng.randint(0, 10))
    image = Image.new("RGB", (size, size), background)
    mask = Image.new("L", (size, size), 0)
    mask_draw = ImageDraw.Draw(mask)
    for poly in polys:
        mask_draw.polygon(to_px(poly), fill=255)
    texture = _pattern_layer(size, pattern, DEMO_COLORS[primary], DEMO_COLORS[secondary], rng, mask.getbbox())
    image.paste(texture, (0, 0), mask)
    draw = ImageDraw.Draw(image)
    edge = tuple(max(0, int(c * 0.55)) for c in DEMO_COLORS[primary])
    edge_width = max(1, size // 128)
    for poly in polys:
        draw.polygon(to_px(poly), outline=edge, width=edge_width)
    # Details (collars, bands, buttons) in a shade that stands out from the garment, thick enough to survive
    # downscaling to a small model's input.
    r, g, b = DEMO_COLORS[primary]
    detail = (45, 45, 48) if 0.3 * r + 0.6 * g + 0.1 * b > 100 else (215, 215, 218)
    for line in lines:
        draw.line(to_px(line), fill=detail, width=max(2, size // 64))
    return image, mask
