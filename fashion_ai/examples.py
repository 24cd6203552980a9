"""Example photos shipped in assets/ for the app: real product photos (Fashion-MNIST's test split, written by
``fashion_ai.datasets.fashion_mnist.write_example_photos``), listed in a manifest saying what each shows. Light on
purpose: the UI reads it while it is built, before any model or dataset library loads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fashion_ai.config import ASSETS_DIR

EXAMPLES_MANIFEST = "examples.json"
DEFAULT_EXAMPLE_PHOTOS_DIR = ASSETS_DIR / "fashion_mnist"


@dataclass(frozen=True)
class ExamplePhoto:
    """A real product photo kept in the repository, with what it shows."""

    path: Path
    name: str  # the dataset's class
    category: str  # our category for it
    index: int  # its row in the split


def load_example_photos(directory: str | Path = DEFAULT_EXAMPLE_PHOTOS_DIR) -> list[ExamplePhoto]:
    """The photos listed in a folder's examples.json; none when the folder has no manifest."""
    root = Path(directory)
    manifest = root / EXAMPLES_MANIFEST
    if not manifest.is_file():
        return []
    return [ExamplePhoto(root / row["file"], row["class"], row["category"], int(row["index"]))
            for row in json.loads(manifest.read_text())]
