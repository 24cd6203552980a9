"""Empty scenes: photos with no garment in them, for teaching the models to say "no garment".

Varied on purpose so that "no garment" is learned as the absence of a garment's silhouette, not as one look: flat
colours (the demo's own light backdrop among them), gradients, several kinds of noise, full-frame fabric textures,
random blobs and shapes that are no garment's silhouette, horizon-like bands, and scribbles and text-like strokes.
Seeded like the demo items (the index-th scene of a seed is always the same) but in a namespace of its own.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from fashion_ai.demo_world.render import DEFAULT_IMAGE_SIZE, _pattern_layer
from fashion_ai.demo_world.specs import DEMO_COLORS, DEMO_PATTERNS

EMPTY_KINDS: tuple[str, ...] = ("uniform", "gradient", "noise", "texture", "blobs", "horizon", "strokes")
_NOISES = ("pixel", "salt-and-pepper", "blocky", "smooth", "grain")

RGB = tuple[int, int, int]


def _colour(rng: random.Random) -> RGB:
    """Any colour: a demo colour, a light backdrop shade like the demo photos', or a random one."""
    pick = rng.random()
    if pick < 0.35:
        return DEMO_COLORS[rng.choice(sorted(DEMO_COLORS))]
    if pick < 0.6:
        shade = rng.randint(225, 255)
        return shade, max(0, shade - rng.randint(0, 8)), max(0, shade - rng.randint(0, 12))
    return rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)


def _np_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(63))


def _uniform(size: int, rng: random.Random) -> Image.Image:
    colour = tuple(min(255, max(0, c + rng.randint(-6, 6))) for c in _colour(rng))  # not only 13 demo colours
    return Image.new("RGB", (size, size), colour)


def _gradient(size: int, rng: random.Random) -> Image.Image:
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if rng.random() < 0.3:  # radial, from a random centre
        t = np.hypot(xx - rng.random(), yy - rng.random()) / math.sqrt(2)
    else:
        angle = rng.uniform(0, 2 * math.pi)
        t = xx * math.cos(angle) + yy * math.sin(angle)
        t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    return Image.fromarray((a + (b - a) * t[..., None]).clip(0, 255).astype(np.uint8), "RGB")


def _noise(size: int, rng: random.Random) -> Image.Image:
    gen = _np_rng(rng)
    kind = rng.choice(_NOISES)
    grey = rng.random() < 0.4
    channels = 1 if grey else 3
    if kind == "pixel":
        arr = gen.uniform(0, 255, (size, size, channels))
    elif kind == "salt-and-pepper":
        arr = np.full((size, size, channels), rng.randint(60, 200), np.float32)
        speck = gen.random((size, size)) < rng.uniform(0.05, 0.4)
        arr[speck] = gen.choice([0.0, 255.0], size=(int(speck.sum()), 1))
    elif kind == "blocky":  # coarse random blocks, enlarged without smoothing
        cells = rng.choice((4, 8, 16, 32))
        arr = np.asarray(Image.fromarray(gen.integers(0, 256, (cells, cells, 3), dtype=np.uint8), "RGB")
                         .resize((size, size), Image.Resampling.NEAREST), np.float32)[..., :channels]
    elif kind == "smooth":  # value noise: a few octaves of random grids enlarged smoothly (clouds, marble)
        arr = np.zeros((size, size, channels), np.float32)
        for octave in range(rng.randint(1, 4)):
            cells = 2 ** (octave + rng.randint(1, 3))
            layer = gen.uniform(0, 255, (cells, cells, 3)).astype(np.uint8)
            up = np.asarray(Image.fromarray(layer, "RGB").resize((size, size), Image.Resampling.BICUBIC), np.float32)
            arr += up[..., :channels] / 2 ** octave
        arr = 255 * (arr - arr.min()) / max(1e-6, float(arr.max() - arr.min()))
    else:  # "grain": a flat colour with gaussian sensor noise
        base = np.array(_colour(rng), np.float32)[:channels]
        arr = base + gen.normal(0, rng.uniform(8, 60), (size, size, channels))
    arr = np.repeat(arr, 3, axis=2) if arr.shape[2] == 1 else arr
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def _texture(size: int, rng: random.Random) -> Image.Image:
    """A fabric swatch filling the whole frame: a pattern with no garment's outline and no backdrop around it."""
    names = sorted(DEMO_COLORS)
    primary = rng.choice(names)
    secondary = rng.choice([c for c in names if c != primary])
    pattern = rng.choice(DEMO_PATTERNS)
    layer = _pattern_layer(size, pattern, DEMO_COLORS[primary], DEMO_COLORS[secondary], rng)
    if rng.random() < 0.4:
        big = _pattern_layer(size * 2, pattern, DEMO_COLORS[primary], DEMO_COLORS[secondary], rng)
        layer = big.rotate(rng.uniform(0, 180), Image.Resampling.BILINEAR).crop(
            (size // 2, size // 2, size // 2 + size, size // 2 + size))
    return layer


def _blob(cx: float, cy: float, radius: float, rng: random.Random) -> list[tuple[float, float]]:
    """A smooth irregular closed outline around (cx, cy): a pebble or a splash, never a garment's straight edges."""
    n = rng.randint(10, 18)
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    amps = [rng.uniform(0, 0.25) for _ in range(3)]
    points = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = radius * (1 + sum(a * math.sin((j + 2) * t + p) for j, (a, p) in enumerate(zip(amps, phases))))
        points.append((cx + r * math.cos(t), cy + r * math.sin(t)))
    return points


def _blobs(size: int, rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (size, size), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 9)):
        cx, cy = rng.uniform(0, size), rng.uniform(0, size)
        radius = size * rng.uniform(0.04, 0.3)
        shape = rng.choice(("ellipse", "blob", "triangle", "star", "ring"))
        fill = _colour(rng)
        if shape == "ellipse":
            draw.ellipse((cx - radius, cy - radius * rng.uniform(0.4, 1.0), cx + radius,
                          cy + radius * rng.uniform(0.4, 1.0)), fill=fill)
        elif shape == "blob":
            draw.polygon(_blob(cx, cy, radius, rng), fill=fill)
        elif shape == "triangle":
            turn = rng.uniform(0, 2 * math.pi)
            draw.polygon([(cx + radius * math.cos(turn + k * 2.1), cy + radius * math.sin(turn + k * 2.1))
                          for k in range(3)], fill=fill)
        elif shape == "star":
            spikes = rng.randint(5, 8)
            draw.polygon([(cx + radius * (1 if k % 2 == 0 else 0.45) * math.cos(math.pi * k / spikes),
                           cy + radius * (1 if k % 2 == 0 else 0.45) * math.sin(math.pi * k / spikes))
                          for k in range(2 * spikes)], fill=fill)
        else:
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=fill,
                         width=max(2, int(radius * rng.uniform(0.1, 0.4))))
    return image


def _horizon(size: int, rng: random.Random) -> Image.Image:
    """Sky over land or sea: bands stacked top to bottom, their borders straight or gently wavy."""
    arr = np.zeros((size, size, 3), np.float32)
    bands = rng.randint(2, 4)
    cuts = sorted(rng.uniform(0.2, 0.85) * size for _ in range(bands - 1))
    xs = np.arange(size)
    edges = [np.full(size, 0.0)]
    for cut in cuts:
        wave = rng.uniform(0, 0.06) * size * np.sin(xs / size * rng.uniform(1, 6) * math.pi + rng.uniform(0, 6))
        edges.append(cut + wave)
    edges.append(np.full(size, float(size)))
    yy = np.arange(size)[:, None]
    for top, bottom in zip(edges[:-1], edges[1:]):
        a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
        inside = (yy >= top[None, :]) & (yy < bottom[None, :])
        t = ((yy - top[None, :]) / np.maximum(1.0, bottom - top)[None, :]).clip(0, 1)
        arr[inside] = (a + (b - a) * t[..., None])[inside]
    arr += _np_rng(rng).normal(0, rng.uniform(0, 12), arr.shape)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def _strokes(size: int, rng: random.Random) -> Image.Image:
    """Scribbles, or lines of text-like strokes, on paper or any colour."""
    image = Image.new("RGB", (size, size), _colour(rng))
    draw = ImageDraw.Draw(image)
    ink = _colour(rng)
    if rng.random() < 0.5:  # scribbles: random walks with momentum
        for _ in range(rng.randint(1, 6)):
            x, y, heading = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(0, 2 * math.pi)
            points = [(x, y)]
            for _ in range(rng.randint(10, 60)):
                heading += rng.uniform(-0.9, 0.9)
                step = size * rng.uniform(0.01, 0.06)
                x, y = x + step * math.cos(heading), y + step * math.sin(heading)
                points.append((x, y))
            draw.line(points, fill=ink if rng.random() < 0.6 else _colour(rng), width=rng.randint(1, max(2, size // 40)))
    else:  # text: rows of letters (the default bitmap font, scaled up)
        font = ImageFont.load_default(size=max(8, int(size * rng.uniform(0.04, 0.12))))
        letters = "abcdefghijklmnopqrstuvwxyz0123456789"
        height = font.size * rng.uniform(1.2, 1.8)
        y = rng.uniform(0, height)
        while y < size:
            words = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(1, 8)))
                             for _ in range(rng.randint(2, 12)))
            draw.text((rng.uniform(0, size * 0.2), y), words, fill=ink, font=font)
            y += height
    return image


_DRAW = {"uniform": _uniform, "gradient": _gradient, "noise": _noise, "texture": _texture, "blobs": _blobs,
         "horizon": _horizon, "strokes": _strokes}


def generate_empty_scene(index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE, kinds: tuple[str, ...] = EMPTY_KINDS
                         ) -> tuple[Image.Image, Image.Image, str]:
    """The index-th empty scene of a seed: its photo, its (empty) garment mask and its kind, deterministic."""
    unknown = set(kinds) - set(_DRAW)
    if unknown or not kinds:
        raise ValueError(f"empty scenes come in the kinds {', '.join(EMPTY_KINDS)}, not {sorted(unknown) or 'none'}")
    rng = random.Random(f"empty:{seed}:{index}")
    kind = kinds[index % len(kinds)] if len(kinds) > 1 else kinds[0]  # an even spread of kinds in every chunk
    image = _DRAW[kind](size, rng)
    if rng.random() < 0.3:  # some softness, as from a phone camera
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    return image, Image.new("L", (size, size), 0), kind
