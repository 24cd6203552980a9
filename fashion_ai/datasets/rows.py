"""Rows of a dataset from wherever it lives: a Hub id (streamed), a parquet, JSONL, CSV or JSON file or folder, or
a save_to_disk folder; and a row's photo decoded safely."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
from datasets.exceptions import DatasetNotFoundError
from PIL import Image

from fashion_ai.images import load_image

_FILE_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv", ".arrow": "arrow"}
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
_SPLIT_ALIASES = {"val": "validation", "valid": "validation", "dev": "validation", "eval": "validation"}
_SPLIT_NAMES = frozenset({"train", "validation", "val", "valid", "dev", "eval", "test"})


@dataclass
class Rows:
    rows: Iterable[dict[str, Any]]
    features: Any  # datasets.Features, or None when the loader does not know them (CSV, JSON)
    base_dir: Path | None  # where relative image paths live; None for the Hub
    name: str


def open_rows(source: str, split: str) -> Rows:
    """Rows of a Hub id (streamed) or of a local parquet/JSONL/CSV file, data folder or save_to_disk folder."""
    path = Path(source).expanduser()
    if path.exists():
        dataset, base_dir = _open_local(path, split)
    elif _HUB_ID.fullmatch(source) and path.suffix.lower() not in _FILE_BUILDERS:
        dataset, base_dir = _open_hub(source, split), None
    else:
        raise FileNotFoundError(f"{source}: no such file or folder")
    features = dataset.features
    if features is not None and isinstance(features.get("image"), datasets.Image):
        # Decoded here, not by datasets: one damaged photo then skips its row instead of ending the pass.
        dataset = dataset.cast_column("image", datasets.Image(decode=False))
    return Rows(dataset, features, base_dir, source)


def _open_hub(source: str, split: str) -> Any:
    try:
        return datasets.load_dataset(source, split=split, streaming=True)
    except (ConnectionError, DatasetNotFoundError) as exc:
        raise FileNotFoundError(f"{source!r} is neither a local file or folder nor a dataset the Hub could give ({exc}); "
                                "download a copy and pass its path") from exc


def _open_local(path: Path, split: str) -> tuple[Any, Path]:
    if path.is_dir() and any((path / name).is_file() for name in ("dataset_info.json", "state.json", "dataset_dict.json")):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ValueError(f"{path} has no split {split!r} (it has {', '.join(loaded)})")
            loaded = loaded[split]
        return loaded.to_iterable_dataset(), path
    files = _data_files(path, split)
    builder = _FILE_BUILDERS[files[0].suffix.lower()]
    # Kaggle's styles.csv has a few lines with unquoted commas in the title: pandas skips them.
    options = {"on_bad_lines": "skip"} if builder == "csv" else {}
    dataset = datasets.load_dataset(builder, data_files={"train": [str(f) for f in files]}, split="train", streaming=True,
                                    **options)
    return dataset, files[0].parent


def _split_of(relative: Path) -> str | None:
    for token in re.split(r"[^a-z0-9]+", str(relative).lower()):
        if token in _SPLIT_NAMES:
            return _SPLIT_ALIASES.get(token, token)
    return None


def _data_files(path: Path, split: str) -> list[Path]:
    """The data files of a local file or folder for a split (files that name no split are all "train")."""
    if path.is_file():
        if path.suffix.lower() not in _FILE_BUILDERS:
            raise ValueError(f"{path}: cannot read {path.suffix or 'this'} files; expected parquet, JSONL, CSV or JSON")
        return [path]
    wanted = _SPLIT_ALIASES.get(split.lower(), split.lower())
    for suffix in (".parquet", ".jsonl", ".csv", ".json", ".arrow"):
        found = sorted({p for pattern in (f"*{suffix}", f"*/*{suffix}", f"*/*/*{suffix}") for p in path.glob(pattern)
                        if p.is_file() and not p.name.startswith(".")})
        if suffix == ".csv" and any(p.name == "styles.csv" for p in found):
            found = [p for p in found if p.name == "styles.csv"]  # Kaggle's images.csv only lists download links
        if not found:
            continue
        splits = {p: _split_of(p.relative_to(path)) for p in found}
        if not any(splits.values()):
            if wanted != "train":
                raise ValueError(f"{path} has no split {split!r}: its {suffix} files name no split, so they are all 'train'")
            return found
        chosen = [p for p, s in splits.items() if s == wanted]
        if not chosen:
            have = ", ".join(sorted({s for s in splits.values() if s}))
            raise ValueError(f"{path} has no split {split!r} (its {suffix} files have {have})")
        return chosen
    raise FileNotFoundError(f"{path}: no parquet, JSONL, CSV or JSON data files in this folder")


def decode_image(value: Any, base_dir: Path | None) -> Image.Image:
    """A row's photo (Pillow image, datasets' {"bytes", "path"}, or a path) as RGB; ValueError/OSError if unusable."""
    if isinstance(value, Image.Image):
        return load_image(value)
    if isinstance(value, dict):
        if value.get("bytes"):
            return load_image(bytes(value["bytes"]))
        value = value.get("path")
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        text = str(value).strip()
        if "://" in text:  # a remote path in a streamed Hub dataset: datasets knows how to open it
            return load_image(datasets.Image().decode_example({"path": text, "bytes": None}))
        path = Path(text).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise FileNotFoundError(f"image {path} not found")
        return load_image(path)
    raise ValueError("the row has no image")


def write_jpeg(image: Image.Image, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    image.save(tmp, format="JPEG", quality=90)
    os.replace(tmp, target)
