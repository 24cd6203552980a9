"""Photos with no garment of kinds that training never draws, for the held-out "no garment" report only.

Each imitates a kind of photo a shopper might upload by mistake, with some of a real photo's look (shading,
perspective, sensor noise, softness): a landscape, a still life on a table, a printed document, a city at dusk.
Nothing in training imports this module: a model that says "no garment" here has generalised from the empty scenes
it was shown (fashion_ai.demo_world.empty), not learned these.
"""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from fashion_ai.demo_world import DEFAULT_IMAGE_SIZE

UNSEEN_KINDS: tuple[str, ...] = ("landscape", "still life", "document", "city at dusk")


def _vertical(size: int, top: tuple, bottom: tuple) -> Image.Image:
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    arr = np.array(top, np.float32) + (np.array(bottom, np.float32) - np.array(top, np.float32)) * t
    return Image.fromarray(np.broadcast_to(arr, (size, size, 3)).astype(np.uint8), "RGB")


def _jitter(colour: tuple, rng: random.Random, amount: int = 25) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, c + rng.randint(-amount, amount)))) for c in colour)


def _ridge(size: int, base: float, rough: float, rng: random.Random) -> list[tuple[float, float]]:
    """A mountain ridge by midpoint displacement, closed along the bottom edge."""
    heights = [base, base]
    spread = rough
    while len(heights) < 65:
        nxt = []
        for a, b in zip(heights[:-1], heights[1:]):
            nxt += [a, (a + b) / 2 + rng.uniform(-spread, spread)]
        heights = nxt + [heights[-1]]
        spread *= 0.55
    step = size / (len(heights) - 1)
    return [(k * step, h) for k, h in enumerate(heights)] + [(size, size), (0, size)]


def _landscape(size: int, rng: random.Random) -> Image.Image:
    dusk = rng.random() < 0.3
    sky_top = _jitter((40, 90, 170) if not dusk else (60, 40, 110), rng)
    sky_low = _jitter((170, 205, 235) if not dusk else (245, 150, 90), rng)
    image = _vertical(size, sky_top, sky_low)
    draw = ImageDraw.Draw(image)
    sun = rng.uniform(0.04, 0.09) * size
    sx, sy = rng.uniform(0.1, 0.9) * size, rng.uniform(0.1, 0.4) * size
    draw.ellipse((sx - sun, sy - sun, sx + sun, sy + sun), fill=_jitter((255, 235, 170), rng, 15))
    for layer in range(rng.randint(2, 3)):  # far ridges paler, near ones darker
        shade = 0.45 + 0.2 * layer
        colour = _jitter((int(90 * shade + 60), int(110 * shade + 40), int(120 * shade + 40)), rng)
        draw.polygon(_ridge(size, size * (0.45 + 0.1 * layer), size * 0.25, rng), fill=colour)
    ground_y = size * rng.uniform(0.7, 0.85)
    draw.rectangle((0, ground_y, size, size), fill=_jitter((70, 120, 50), rng))
    for _ in range(rng.randint(0, 7)):  # trees: a trunk under a cone or a crown
        x, h = rng.uniform(0, size), size * rng.uniform(0.08, 0.2)
        base = ground_y + rng.uniform(0, size - ground_y)
        draw.rectangle((x - h * 0.05, base - h * 0.3, x + h * 0.05, base), fill=(80, 55, 35))
        green = _jitter((35, 95, 45), rng)
        if rng.random() < 0.5:
            draw.polygon([(x - h * 0.3, base - h * 0.25), (x + h * 0.3, base - h * 0.25), (x, base - h)], fill=green)
        else:
            draw.ellipse((x - h * 0.3, base - h, x + h * 0.3, base - h * 0.35), fill=green)
    return image


def _shaded_disc(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, colour: tuple) -> None:
    """A ball lit from the upper left: concentric discs from dark rim to a light spot."""
    for k in range(8):
        f = 1 - k / 8
        light = 0.55 + 0.6 * k / 8
        c = tuple(int(min(255, v * light)) for v in colour)
        off = r * 0.35 * k / 8
        draw.ellipse((cx - off - r * f, cy - off - r * f, cx - off + r * f, cy - off + r * f), fill=c)


def _still_life(size: int, rng: random.Random) -> Image.Image:
    table_y = size * rng.uniform(0.45, 0.65)
    image = _vertical(size, _jitter((200, 190, 175), rng, 40), _jitter((150, 140, 130), rng, 40))
    draw = ImageDraw.Draw(image)
    wood = _jitter((140, 95, 55), rng, 30)
    draw.rectangle((0, table_y, size, size), fill=wood)
    for k in range(12):  # wood grain
        y = table_y + (size - table_y) * k / 12 + rng.uniform(-2, 2)
        draw.line([(0, y), (size, y + rng.uniform(-6, 6))], fill=_jitter(wood, rng, 20), width=1)
    for _ in range(rng.randint(2, 5)):
        x = rng.uniform(0.15, 0.85) * size
        y = table_y + rng.uniform(0.1, 0.5) * (size - table_y)
        r = size * rng.uniform(0.05, 0.12)
        kind = rng.choice(("fruit", "cup", "bottle", "bowl"))
        draw.ellipse((x - r * 1.2, y - r * 0.2, x + r * 1.2, y + r * 0.3), fill=(60, 45, 30))  # shadow
        if kind == "fruit":
            _shaded_disc(draw, x, y - r * 0.8, r, _jitter(rng.choice([(200, 40, 30), (240, 170, 30), (90, 160, 40)]), rng))
        elif kind == "cup":
            c = _jitter((235, 235, 230), rng, 20)
            draw.rectangle((x - r * 0.7, y - r * 1.6, x + r * 0.7, y), fill=c, outline=(120, 120, 120))
            draw.ellipse((x + r * 0.5, y - r * 1.2, x + r * 1.1, y - r * 0.5), outline=c, width=max(2, int(r * 0.15)))
        elif kind == "bottle":
            c = _jitter((40, 110, 70), rng, 30)
            draw.rectangle((x - r * 0.45, y - r * 2.2, x + r * 0.45, y), fill=c)
            draw.rectangle((x - r * 0.15, y - r * 3.0, x + r * 0.15, y - r * 2.2), fill=c)
            draw.line([(x - r * 0.25, y - r * 2.0), (x - r * 0.25, y - r * 0.3)], fill=(200, 230, 210), width=2)
        else:
            c = _jitter((200, 200, 215), rng, 30)
            draw.chord((x - r * 1.3, y - r * 1.3, x + r * 1.3, y + r * 0.5), 0, 180, fill=c, outline=(90, 90, 100))
    return image


def _document(size: int, rng: random.Random) -> Image.Image:
    """A printed page photographed at a slight angle: heading, paragraphs, sometimes a table."""
    page = Image.new("RGB", (size, size), _jitter((245, 243, 236), rng, 8))
    draw = ImageDraw.Draw(page)
    small = ImageFont.load_default(size=max(7, size // 28))
    big = ImageFont.load_default(size=max(10, size // 14))
    words = ("the", "order", "invoice", "total", "report", "meeting", "notes", "page", "date", "summary", "item",
             "amount", "project", "budget", "review", "plan", "section", "figure", "results", "data")
    margin = size * rng.uniform(0.06, 0.12)
    draw.text((margin, margin), " ".join(rng.choice(words).title() for _ in range(rng.randint(1, 3))), fill=(20, 20, 25),
              font=big)
    y = margin + big.size * 1.8
    table = rng.random() < 0.4
    while y < size - margin:
        if table and rng.random() < 0.25:  # a small grid
            rows, cols = rng.randint(2, 4), rng.randint(2, 4)
            height = small.size * 1.6
            for r in range(rows + 1):
                draw.line([(margin, y + r * height), (size - margin, y + r * height)], fill=(60, 60, 60))
            for c in range(cols + 1):
                x = margin + c * (size - 2 * margin) / cols
                draw.line([(x, y), (x, y + rows * height)], fill=(60, 60, 60))
            y += rows * height + small.size
            table = False
            continue
        line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 9)))
        draw.text((margin, y), line, fill=(35, 35, 40), font=small)
        y += small.size * rng.uniform(1.3, 1.6)
    canvas = Image.new("RGB", (size, size), _jitter((90, 80, 70), rng, 40))  # the desk under the page
    tilted = page.rotate(rng.uniform(-12, 12), Image.Resampling.BILINEAR, expand=False, fillcolor=canvas.getpixel((0, 0)))
    scale = rng.uniform(0.8, 1.0)
    tilted = tilted.resize((int(size * scale), int(size * scale)))
    canvas.paste(tilted, (int((size - tilted.width) * rng.random()), int((size - tilted.height) * rng.random())))
    return canvas


def _city(size: int, rng: random.Random) -> Image.Image:
    image = _vertical(size, _jitter((25, 30, 70), rng), _jitter((230, 130, 90), rng, 30))
    draw = ImageDraw.Draw(image)
    x = -rng.uniform(0, size * 0.1)
    while x < size:
        w = size * rng.uniform(0.08, 0.2)
        top = size * rng.uniform(0.2, 0.7)
        body = _jitter((35, 35, 45), rng, 15)
        draw.rectangle((x, top, x + w, size), fill=body)
        lit = rng.uniform(0.2, 0.7)
        for wy in np.arange(top + 4, size - 4, max(4.0, size / 40)):
            for wx in np.arange(x + 3, x + w - 3, max(4.0, size / 45)):
                if rng.random() < lit:
                    draw.rectangle((wx, wy, wx + size / 90, wy + size / 70), fill=_jitter((250, 215, 120), rng, 20))
        x += w + rng.uniform(0, size * 0.03)
    return image


_DRAW = {"landscape": _landscape, "still life": _still_life, "document": _document, "city at dusk": _city}


def unseen_scene(kind: str, index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE) -> Image.Image:
    """The index-th photo of a kind training never draws, for a seed (deterministic)."""
    if kind not in _DRAW:
        raise ValueError(f"unseen scenes come in the kinds {', '.join(UNSEEN_KINDS)}, not {kind!r}")
    rng = random.Random(f"unseen:{kind}:{seed}:{index}")
    image = _DRAW[kind](size, rng)
    arr = np.asarray(image, np.float32) + np.random.default_rng(rng.getrandbits(63)).normal(0, rng.uniform(2, 8),
                                                                                           (size, size, 3))
    image = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")  # sensor noise
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))


def unseen_scenes(kind: str, count: int, seed: int, size: int = DEFAULT_IMAGE_SIZE) -> list[Image.Image]:
    return [unseen_scene(kind, index, seed, size) for index in range(count)]

