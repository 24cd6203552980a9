"""The seeded demo catalog: the index-th item of a seed, with its metadata, photo and mask, deterministic."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from fashion_ai.catalog.items import CatalogItem, save_catalog
from fashion_ai.demo_world.render import DEFAULT_IMAGE_SIZE, render_item
from fashion_ai.demo_world.specs import DEMO_CATEGORIES, DEMO_COLORS, DEMO_PATTERNS

logger = logging.getLogger(__name__)

DEFAULT_DEMO_SEED = 7
DEFAULT_DEMO_ITEMS = 320


def _secondary_color(primary: str, rng: random.Random) -> str:
    """A second colour that contrasts with the first, so patterns stay visible."""
    pr = DEMO_COLORS[primary]
    options = [c for c, rgb in DEMO_COLORS.items() if c != primary and sum(abs(a - b) for a, b in zip(pr, rgb)) > 220]
    return rng.choice(options)


def generate_item(index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE) -> tuple[CatalogItem, Image.Image]:
    """The index-th item of the demo world for a seed: its metadata and its photo (deterministic)."""
    item, image, _ = generate_example(index, seed, size)
    return item, image


def generate_example(index: int, seed: int, size: int = DEFAULT_IMAGE_SIZE
                     ) -> tuple[CatalogItem, Image.Image, Image.Image]:
    """Like generate_item, plus the garment's mask (for dense supervision in training)."""
    rng = random.Random(f"{seed}:{index}")
    category = rng.choice(sorted(DEMO_CATEGORIES))
    spec = DEMO_CATEGORIES[category]
    primary = rng.choice(sorted(DEMO_COLORS))
    pattern = rng.choice(DEMO_PATTERNS)
    secondary = _secondary_color(primary, rng)
    sleeve = rng.choice(spec.sleeves) if spec.sleeves else None
    length = rng.choice(spec.lengths) if spec.lengths else None
    noun = rng.choice(spec.nouns)
    material = rng.choice(spec.materials)
    style = rng.choice(spec.styles)
    occasion = rng.choice(spec.occasions)
    season = rng.choice(spec.seasons)
    gender = rng.choice(spec.genders)
    low, high = spec.price
    price = round(rng.uniform(low, high)) - 0.01
    colors = [primary] if pattern == "solid" else [primary, secondary]
    pattern_words = "" if pattern == "solid" else f"{pattern} "
    detail = " ".join(w for w in (
        f"{length} length" if length else "",
        f"{sleeve} sleeve" if sleeve and sleeve != "sleeveless" else ("sleeveless" if sleeve else ""),
    ) if w)
    title = f"{primary.capitalize()} {pattern_words}{material} {noun}".replace("  ", " ")
    accents = f"{', '.join(colors[1:])} accents" if colors[1:] else "a clean plain finish"
    caption = (f"A {style} {primary} {pattern_words}{noun} in {material}{', ' + detail if detail else ''}, "
               f"with {accents}, perfect for {occasion} in {season}.")
    item_id = f"demo-{seed}-{index:05d}"
    item = CatalogItem(
        id=item_id, title=title, caption=caption, category=category, gender=gender, colors=colors, pattern=pattern,
        season=season, price=price, url=f"https://shop.example.com/p/{item_id}", image_path=f"images/{item_id}.png",
        style=style, occasion=occasion, material=material, sleeve=sleeve, length=length,
    )
    image, mask = render_item(category, primary, secondary, pattern, sleeve, length, noun, rng, size)
    return item, image, mask


def iter_demo_items(count: int, seed: int, size: int = DEFAULT_IMAGE_SIZE, start: int = 0
                    ) -> Iterator[tuple[CatalogItem, Image.Image]]:
    """Items start..start+count of the demo world for a seed."""
    for index in range(start, start + count):
        yield generate_item(index, seed, size)


def write_catalog(directory: Path, count: int = DEFAULT_DEMO_ITEMS, seed: int = DEFAULT_DEMO_SEED,
                  size: int = DEFAULT_IMAGE_SIZE) -> list[CatalogItem]:
    """Generate a demo catalog into a folder: images/ plus catalog.jsonl (written last, atomically)."""
    directory = Path(directory)
    (directory / "images").mkdir(parents=True, exist_ok=True)
    items = []
    for item, image in iter_demo_items(count, seed, size):
        image.save(directory / item.image_path, optimize=True)
        items.append(item)
    save_catalog(directory, items)
    logger.info("wrote %d demo items to %s", len(items), directory)
    return items
