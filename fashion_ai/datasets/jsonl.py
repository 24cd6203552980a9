"""JSONL folders: {"image", "prefix", "suffix"} or {"image", "caption"} rows, the format PaliGemma and CLIP
fine-tuning tools accept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fashion_ai.datasets.captions import outfit_caption
from fashion_ai.datasets.common import CAPTION_PROMPT, Example, cell_text
from fashion_ai.images import load_image
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment, parse_garments


def jsonl_file(source: str, split: str) -> Path:
    """The JSONL file of a folder: <split>.jsonl, else (for train) data.jsonl, metadata.jsonl or train.jsonl."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{source}: no such JSONL file or folder")
    names = [f"{split}.jsonl", f"{split}/metadata.jsonl", f"{split}/data.jsonl"]
    if split == "train":
        names += ["data.jsonl", "metadata.jsonl"]
    for name in names:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(f"{path}: no {', '.join(names)} in this folder")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def jsonl_examples(path: Path) -> Iterator[Example]:
    """Rows {"image", "prefix"?, "suffix"} or {"image", "caption"}; a bad row or a missing photo stops the pass with
    a ValueError naming file and line (a hand-made fine-tuning set is better fixed than silently shrunk)."""
    with path.open(encoding="utf-8") as fp:
        for line_no, line in enumerate(fp, 1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
            reference = row.get("image", row.get("file_name"))  # file_name: the imagefolder metadata.jsonl convention
            if not _is_text(reference):
                raise ValueError(f"{where}: no \"image\" path")
            suffix, caption, prefix = row.get("suffix"), row.get("caption"), row.get("prefix")
            if not _is_text(suffix) and not _is_text(caption):
                raise ValueError(f"{where}: needs a \"suffix\" (with an optional \"prefix\") or a \"caption\"")
            photo = Path(reference).expanduser()
            photo = photo if photo.is_absolute() else path.parent / photo
            if not photo.is_file():
                raise ValueError(f"{where}: image {photo} not found")
            try:
                image = load_image(photo)
            except ValueError as exc:
                raise ValueError(f"{where}: image {photo} is unreadable ({exc})") from None
            garments: list[Garment] = []
            if _is_text(suffix):
                parsed = parse_garments(suffix)
                garments = parsed.garments if parsed.valid_json else []
                caption = caption if _is_text(caption) else (outfit_caption(garments) or suffix)
                prefix = prefix if _is_text(prefix) else DEFAULT_PROMPT
            else:
                suffix = caption
                prefix = prefix if _is_text(prefix) else CAPTION_PROMPT
            yield Example(image=image, prefix=prefix.strip(), suffix=suffix.strip(), caption=caption.strip(),
                          garments=garments, id=cell_text(row.get("id")) or f"{path.stem}-{line_no}")
