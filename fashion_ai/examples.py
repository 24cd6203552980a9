"""Example photos shipped in assets/ for the app: real product photos (Fashion-MNIST's test split, written by
``fashion_ai.datasets.fashion_mnist.write_example_photos``), listed in a manifest saying what each shows. Light on
purpose: the UI reads it while it is built, before any model or dataset library loads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fashion_ai.config import ASSETS_DIR

EXAMPLES_MANIFEST = "examples.json"
# Test-split photos coloured and framed as shops photograph them (fashion_ai.demo_world.shop_photos writes them).
SHOP_EXAMPLES_MANIFEST = "shop_examples.json"
DEFAULT_EXAMPLE_PHOTOS_DIR = ASSETS_DIR / "fashion_mnist"


@dataclass(frozen=True)
class ExamplePhoto:
    """A real product photo kept in the repository, with what it shows."""

    path: Path
    name: str  # the dataset's class
    category: str  # our category for it
    index: int  # its row in the split
    colour: str | None = None  # the colour it was given, for a shop-style photo


def load_example_photos(directory: str | Path = DEFAULT_EXAMPLE_PHOTOS_DIR,
                        manifest: str = EXAMPLES_MANIFEST) -> list[ExamplePhoto]:
    """The photos listed in a folder's manifest (examples.json: the photos as the dataset has them;
    SHOP_EXAMPLES_MANIFEST: shop-style ones); none when the folder has no such manifest."""
    root = Path(directory)
    listed = root / manifest
    if not listed.is_file():
        return []
    return [ExamplePhoto(root / row["file"], row["class"], row["category"], int(row["index"]), row.get("colour"))
            for row in json.loads(listed.read_text())]
