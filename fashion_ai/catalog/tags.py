"""Tags: values a model read for fields the catalog leaves empty, kept beside the catalog with their provenance.

A shop's feed often has photos, titles, prices and links but few attributes. The tagging pass (fashion_ai.tagging)
reads each item's photo with the attribute extractor and its title with the query reader and writes one line per
item to ``tags.jsonl`` beside ``catalog.jsonl``: the model that read it, each value with its probability, or why
there is none ("no garment", "unreadable photo"). The catalog file itself is the shop's and is never rewritten.

Loading a catalog (``load_tagged_catalog``) fills each item's empty fields from its latest line and records where
each value came from in ``CatalogItem.tagged``; a value the catalog gives is kept unless the line was written by a
``--retag`` run (``override``). The file is append-only: a run killed mid-write leaves at most a torn last line,
which reading skips and the next append cuts off, so a resumed run redoes only the batch it was writing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from fashion_ai.catalog.items import CatalogItem, load_catalog

logger = logging.getLogger(__name__)

TAGS_FILE = "tags.jsonl"
FROM_PHOTO, FROM_TITLE = "photo", "title"
TAGGED, NO_GARMENT, UNREADABLE = "tagged", "no garment", "unreadable photo"
# The item fields a tag may fill: what a photo shows and what a title tells. Colours are a list; the rest one value.
TAGGABLE: tuple[str, ...] = ("category", "colors", "pattern", "sleeve", "length", "material", "style", "occasion",
                             "season", "gender")


@dataclass(frozen=True)
class Tag:
    """One value a model read: where from (the photo or the title), the model, and its probability among the
    field's values (None for words the title says)."""

    value: str | list[str]
    source: str
    model: str
    probability: float | None = None

    def provenance(self) -> dict[str, Any]:
        """What the item keeps of the tag (CatalogItem.tagged): source, model and probability."""
        return {"from": self.source, "model": self.model,
                "p": None if self.probability is None else round(self.probability, 3)}


@dataclass
class TagRecord:
    """One item's reading by one model: the tags, or why there are none (status); override: a --retag run's tags,
    which replace the catalog's own values."""

    item_id: str
    model: str
    tags: dict[str, Tag] = field(default_factory=dict)
    status: str = TAGGED
    override: bool = False

    def to_json(self) -> str:
        tags = {name: {"value": tag.value, "from": tag.source, "model": tag.model, "p": tag.probability}
                for name, tag in self.tags.items()}
        return json.dumps({"id": self.item_id, "model": self.model, "status": self.status,
                           "override": self.override, "tags": tags}, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> TagRecord:
        data = json.loads(line)
        tags = {name: Tag(tag["value"], tag["from"], tag["model"], tag.get("p")) for name, tag in data["tags"].items()
                if name in TAGGABLE}
        return cls(str(data["id"]), str(data["model"]), tags, str(data.get("status", TAGGED)),
                   bool(data.get("override", False)))


class TagsFile:
    """The catalog folder's tags.jsonl: read (the latest line per item wins) and appended to, one batch at a time,
    under a file lock so that two tagging runs on one folder never interleave their lines."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / TAGS_FILE
        self._lock = FileLock(str(self.path) + ".lock")

    def read(self) -> dict[str, TagRecord]:
        """Every item's latest record; a torn last line (a killed write) and unreadable lines are skipped."""
        if not self.path.is_file():
            return {}
        records: dict[str, TagRecord] = {}
        lines = self.path.read_text(encoding="utf-8", errors="replace").split("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = TagRecord.from_json(line)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                torn = number == len(lines)  # no newline after it: the write was cut short
                logger.warning("%s line %d: %s; skipped", self.path.name, number,
                               "cut short by a stopped run" if torn else f"not a tag record ({exc})")
                continue
            records[record.item_id] = record
        return records

    def append(self, records: Sequence[TagRecord]) -> None:
        """Add these records durably (written, flushed and synced before returning)."""
        if not records:
            return
        with self._lock:
            self._cut_torn_tail()
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(record.to_json() + "\n" for record in records))
                handle.flush()
                os.fsync(handle.fileno())

    def _cut_torn_tail(self) -> None:
        """Drop a last line a killed run left without its newline, so the next line starts on a line of its own."""
        if not self.path.is_file() or not self.path.stat().st_size:
            return
        with self.path.open("rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":
                return
            handle.seek(0)
            handle.truncate(handle.read().rfind(b"\n") + 1)
            logger.warning("%s: dropped a line cut short by a stopped run", self.path.name)


def is_empty(value: Any) -> bool:
    """Whether a catalog field holds no value (None, "", [] or "unknown")."""
    return value is None or value == "" or value == [] or (isinstance(value, str) and value.lower() == "unknown")


def apply_tags(items: Iterable[CatalogItem], records: dict[str, TagRecord]) -> list[CatalogItem]:
    """The items with their empty fields filled from their records (every field for an override record), each
    filled value's provenance in ``tagged``; items without a record come back as they are."""
    out = []
    for item in items:
        record = records.get(item.id)
        if record is None or not record.tags:
            out.append(item)
            continue
        values: dict[str, Any] = {}
        tagged = dict(item.tagged)
        for name, tag in record.tags.items():
            if record.override or is_empty(getattr(item, name)):
                values[name] = list(tag.value) if name == "colors" else tag.value
                tagged[name] = tag.provenance()
        out.append(dataclasses.replace(item, **values, tagged=tagged) if values else item)
    return out


def load_tagged_catalog(directory: Path) -> list[CatalogItem]:
    """load_catalog, with the folder's tags applied (catalogs without tags.jsonl load as they are)."""
    items = load_catalog(directory)
    records = TagsFile(Path(directory)).read()
    return apply_tags(items, records) if records else items
