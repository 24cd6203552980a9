"""A synthetic catalog at any size: clustered 512-d unit vectors with the metadata a real shop's items carry.

Deterministic and chunked: item i is the same whatever the catalog's size (the first 100k items of the 1M
catalog are the 100k catalog), and the vectors can be cached on disk as float32 .npy files.

How the vectors are made (what a CLIP image tower gives a shop's photos, roughly): each item is the sum of its
category's direction, its main colour's direction, the direction of one of many fine "product line" clusters of
its category, a low-rank within-cluster variation (16 latent factors) and a little isotropic noise, normalised.
Queries are fresh items of the same world (never in the index), with more noise.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fashion_ai.catalog import CatalogItem
from fashion_ai.demo_world.specs import DEMO_CATEGORIES, DEMO_COLORS, DEMO_PATTERNS
from fashion_ai.retrieval.outfits import group_of

logger = logging.getLogger(__name__)

DIM = 512
CHUNK = 50_000  # items generated per random stream: sizes that are multiples share their prefix
LINES_PER_CATEGORY = 400  # fine clusters ("product lines") per category
LATENT = 16  # within-line variation: a few factors (cut, fabric, angle, light), as a photo embedding has
LATENT_WEIGHT = 0.55
NOISE = 0.35  # isotropic, per item
QUERY_NOISE = 0.5  # queries stray further from the catalog than its own items do
CATEGORIES = tuple(sorted(DEMO_CATEGORIES))
COLORS = tuple(sorted(DEMO_COLORS))
# How common each category is in a shop (tops and shoes many, capes few); order as CATEGORIES.
_CATEGORY_WEIGHT = {"bag": 8, "coat": 4, "dress": 12, "hat": 3, "jacket": 6, "pants": 10, "scarf": 3, "shirt": 10,
                    "shoe": 14, "shorts": 5, "skirt": 6, "sweater": 7, "top": 12}
_WEIGHTS = np.array([_CATEGORY_WEIGHT[c] for c in CATEGORIES], dtype=np.float64)
_WEIGHTS /= _WEIGHTS.sum()


class SyntheticWorld:
    """The fixed directions of one world (categories, colours, product lines, latent factors)."""

    def __init__(self, seed: int = 0, dim: int = DIM):
        rng = np.random.default_rng([seed, 0])
        self.seed, self.dim = seed, dim
        self.category_dirs = _unit(rng.normal(size=(len(CATEGORIES), dim)))
        self.color_dirs = _unit(rng.normal(size=(len(COLORS), dim)))
        self.line_dirs = _unit(rng.normal(size=(len(CATEGORIES), LINES_PER_CATEGORY, dim)))
        self.factors = rng.normal(size=(LATENT, dim)) / np.sqrt(dim)

    @functools.lru_cache(maxsize=4)  # noqa: B019 (a few chunks of a long-lived world)
    def _labels(self, chunk_start: int, stream: int = 1) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, stream, chunk_start])
        return {"category": rng.choice(len(CATEGORIES), size=CHUNK, p=_WEIGHTS),
                "color": rng.integers(len(COLORS), size=CHUNK), "line": rng.integers(LINES_PER_CATEGORY, size=CHUNK),
                "picks": rng.random(size=(CHUNK, 11))}

    def _vectors(self, chunk_start: int, stream: int, noise: float) -> np.ndarray:
        labels = self._labels(chunk_start, stream)
        rng = np.random.default_rng([self.seed, stream + 100, chunk_start])
        category, color, line = labels["category"], labels["color"], labels["line"]
        vectors = (1.0 * self.category_dirs[category] + 0.45 * self.color_dirs[color]
                   + 0.9 * self.line_dirs[category, line]
                   + LATENT_WEIGHT * rng.normal(size=(CHUNK, LATENT)) @ self.factors / np.sqrt(LATENT)
                   + noise * rng.normal(size=(CHUNK, self.dim)) / np.sqrt(self.dim))
        return _unit(vectors).astype(np.float32)

    def vectors(self, start: int, count: int) -> np.ndarray:
        """Item vectors start..start+count (float32, unit length)."""
        parts = []
        for chunk_start, lo, hi in _chunks(start, count):
            parts.append(self._vectors(chunk_start, 1, NOISE)[lo:hi])
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def queries(self, count: int) -> np.ndarray:
        """Query vectors: fresh items of this world with more noise (never in any catalog)."""
        return self._vectors(0, 2, QUERY_NOISE)[:count]

    def query_labels(self, count: int) -> tuple[list[str], list[str]]:
        """The category and main colour each query vector was drawn from (what a shopper's words would name)."""
        labels = self._labels(0, 2)
        return ([CATEGORIES[c] for c in labels["category"][:count]], [COLORS[c] for c in labels["color"][:count]])

    def items(self, start: int, count: int) -> list[CatalogItem]:
        """The catalog items start..start+count: metadata drawn like the demo world's, matching the vectors."""
        items: list[CatalogItem] = []
        for chunk_start, lo, hi in _chunks(start, count):
            labels = self._labels(chunk_start)
            for k in range(lo, hi):
                items.append(_item(chunk_start + k, CATEGORIES[labels["category"][k]], COLORS[labels["color"][k]],
                                   labels["picks"][k]))
        return items


def _chunks(start: int, count: int) -> Iterator[tuple[int, int, int]]:
    """(chunk start, first, last+1 within the chunk) covering items start..start+count."""
    for chunk_start in range(start - start % CHUNK, start + count, CHUNK):
        yield chunk_start, max(start, chunk_start) - chunk_start, min(start + count, chunk_start + CHUNK) - chunk_start


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _pick(options: tuple, u: float):
    return options[min(int(u * len(options)), len(options) - 1)]


def _item(index: int, category: str, color: str, u: np.ndarray) -> CatalogItem:
    spec = DEMO_CATEGORIES[category]
    pattern = _pick(DEMO_PATTERNS, u[0])
    colors = [color] if pattern == "solid" else [color, _pick(tuple(c for c in COLORS if c != color), u[1])]
    material, style, occasion = _pick(spec.materials, u[2]), _pick(spec.styles, u[3]), _pick(spec.occasions, u[4])
    low, high = spec.price
    noun = _pick(spec.nouns, u[6])
    item_id = f"syn-{index:07d}"
    return CatalogItem(
        id=item_id, title=f"{color.capitalize()} {'' if pattern == 'solid' else pattern + ' '}{material} {noun}",
        caption=f"A {style} {color} {noun} in {material}, perfect for {occasion}.", category=category,
        gender=_pick(spec.genders, u[5]), colors=colors, pattern=pattern, season=_pick(spec.seasons, u[7]),
        price=round(float(low + (high - low) * u[8]), 2), url=f"https://shop.example.com/p/{item_id}",
        image_path=f"images/{item_id}.png", style=style, occasion=occasion, material=material,
        sleeve=_pick(spec.sleeves, u[9]) if spec.sleeves else None,
        length=_pick(spec.lengths, u[10]) if spec.lengths else None)


def facet_arrays(world: SyntheticWorld, count: int, cache: Path) -> dict[str, np.ndarray]:
    """Per item: category index, gender index, colour bits (bit i: COLORS[i]), price; cached as .npz."""
    path = cache / f"facets-{world.seed}-{count}.npz"
    if path.is_file():
        return dict(np.load(path))
    genders = ("women", "men", "unisex")
    arrays = {"category": np.zeros(count, np.int16), "gender": np.zeros(count, np.int8),
              "colors": np.zeros(count, np.int32), "price": np.zeros(count, np.float64)}
    for start in range(0, count, CHUNK):
        for k, item in enumerate(world.items(start, min(CHUNK, count - start)), start):
            arrays["category"][k] = CATEGORIES.index(item.category)
            arrays["gender"][k] = genders.index(item.gender)
            arrays["colors"][k] = sum(1 << COLORS.index(c) for c in item.colors)
            arrays["price"][k] = item.price
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays


def group_counts(items: list[CatalogItem]) -> dict[str, int]:
    """How many items of each outfit group (for the report)."""
    counts: dict[str, int] = {}
    for item in items:
        group = group_of(item.category) or "other"
        counts[group] = counts.get(group, 0) + 1
    return counts


def cached_vectors(world: SyntheticWorld, count: int, cache: Path) -> np.ndarray:
    """The first `count` item vectors, memory-mapped from cache/vectors-<seed>-<count>.npy (written once)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"vectors-{world.seed}-{count}.npy"
    if not path.is_file():
        out = np.lib.format.open_memmap(path.with_suffix(".tmp.npy"), mode="w+", dtype=np.float32,
                                        shape=(count, world.dim))
        for start in range(0, count, CHUNK):
            out[start:start + CHUNK] = world.vectors(start, min(CHUNK, count - start))
        out.flush()
        del out
        path.with_suffix(".tmp.npy").replace(path)
        logger.info("cached %d vectors in %s", count, path)
    return np.load(path, mmap_mode="r")


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None,
                     block: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest rows by cosine (rows and queries are unit vectors) for each query, by brute force.

    mask (bool per row) restricts the search; fewer than k passing rows leave -1 ids. Returns (ids, similarities).
    """
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    best_sims = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for start in range(0, len(vectors), block):
        sims = queries @ np.asarray(vectors[start:start + block]).T
        if mask is not None:
            sims[:, ~mask[start:start + block]] = -np.inf
        ids = np.broadcast_to(np.arange(start, start + sims.shape[1]), sims.shape)
        all_sims = np.concatenate([best_sims, sims], axis=1)
        all_ids = np.concatenate([best_ids, ids], axis=1)
        top = np.argpartition(-all_sims, min(k, all_sims.shape[1] - 1), axis=1)[:, :k]
        best_sims = np.take_along_axis(all_sims, top, axis=1)
        best_ids = np.take_along_axis(all_ids, top, axis=1)
    order = np.argsort(-best_sims, axis=1, kind="stable")
    best_ids, best_sims = np.take_along_axis(best_ids, order, 1), np.take_along_axis(best_sims, order, 1)
    best_ids[~np.isfinite(best_sims)] = -1
    return best_ids, best_sims


def cached_json(path: Path, make) -> object:
    """make()'s JSON-able result, cached in a file."""
    if path.is_file():
        return json.loads(path.read_text())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return value


def iter_batches(count: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive batches."""
    for start in range(0, count, size):
        yield start, min(count, start + size)
