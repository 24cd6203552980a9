"""One tagging pass over a catalog: photos read in batches by the serving attribute extractor, titles by the query
reader, one line per item appended to the folder's tags.jsonl after each batch.

Streaming: a batch's photos are opened, read and let go before the next batch, so a 10,000-item feed never holds
more than one batch of photos. Resumable: items the file already has a line for (by this model, for a --retag run)
are skipped, so a killed run goes on from the batch it was writing. Never fatal per item: an unreadable photo, a
photo with no garment, two items sharing one photo, an empty title are counted and listed in the report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from fashion_ai.catalog.items import CatalogItem
from fashion_ai.catalog.tags import (
    FROM_PHOTO,
    FROM_TITLE,
    NO_GARMENT,
    TAGGED,
    UNREADABLE,
    Tag,
    TagRecord,
    TagsFile,
    is_empty,
)
from fashion_ai.images import open_catalog_photo
from fashion_ai.models.extraction import Extraction, Extractor
from fashion_ai.retrieval.reading import QueryReader

logger = logging.getLogger(__name__)

DEFAULT_TAG_BATCH = 32
# What a photo can show (the item's fields a garment carries) and what a title tells. A field in both is read from
# the photo when the extractor answers it, else from the title.
PHOTO_FIELDS: tuple[str, ...] = ("category", "colors", "pattern", "sleeve", "length", "material", "style", "occasion")
TITLE_FIELDS: tuple[str, ...] = ("material", "style", "occasion", "season", "gender")
Progress = Callable[[int, int], None]
# An item lacking any of these is one the app tags by itself (the fields search and filters lean on most).
CORE_FIELDS: tuple[str, ...] = ("category", "colors", "pattern")


def lacks_attributes(item: CatalogItem) -> bool:
    """Whether the catalog leaves one of the core fields of this item empty."""
    return any(is_empty(getattr(item, name)) for name in CORE_FIELDS)


@dataclass
class TagReport:
    """What a tagging pass did: items read now and skipped, and each field's count of values filled and left
    unknown (a field the catalog left empty that no model could read for sure)."""

    model: str
    items: int = 0
    tagged: int = 0
    skipped: int = 0  # already tagged by an earlier run (or by this model, for --retag)
    filled: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    no_garment: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    shared_photo: list[str] = field(default_factory=list)  # items whose photo an earlier item of the catalog has
    empty_title: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def photos_per_second(self) -> float:
        return self.tagged / self.seconds if self.seconds else 0.0


def _extract_all(extractor: Extractor, images: Sequence[Image.Image]) -> list[Extraction]:
    batch = getattr(extractor, "extract_batch", None)
    return batch(list(images)) if batch is not None else [extractor.extract(image) for image in images]


def photo_tags(extraction: Extraction, model: str) -> dict[str, Tag]:
    """The sure values of the photo's first garment, each with its probability; unsure ones are left out."""
    if not extraction.guesses or not extraction.result.garments:
        return {}
    tags = {}
    for name, guess in extraction.guesses[0].items():
        if name in PHOTO_FIELDS and guess.sure:
            # Colours: the first one and the further ones the decoder wrote after it.
            value: Any = list(extraction.result.garments[0].colors or [guess.value]) if name == "colors" else guess.value
            tags[name] = Tag(value, FROM_PHOTO, model, guess.probability)
    return tags


def title_tags(item: CatalogItem, reader: QueryReader, model: str) -> dict[str, Tag]:
    """What the item's title and caption say of the fields a title tells (the first value named, not refused)."""
    text = f"{item.title}. {item.caption}".strip(" .")
    if not text:
        return {}
    query = reader.read(text)
    tags = {name: Tag(query.wanted[name][0], FROM_TITLE, model) for name in TITLE_FIELDS if query.wanted.get(name)}
    if query.gender:
        tags["gender"] = Tag(query.gender, FROM_TITLE, model)
    return tags


def _record(item: CatalogItem, photo: dict[str, Tag], title: dict[str, Tag], model: str, status: str, retag: bool,
            report: TagReport) -> TagRecord:
    """Every value read is kept (those of fields the catalog gives too: the Catalog view's agreement with them);
    loading applies only those of empty fields (catalog.tags.apply_tags). The report counts the empty fields."""
    tags = title | photo  # a field both read: the photo's
    for name in dict.fromkeys(PHOTO_FIELDS + TITLE_FIELDS):
        if retag or is_empty(getattr(item, name)):
            counts = report.filled if name in tags else report.unknown
            counts[name] = counts.get(name, 0) + 1
    return TagRecord(item.id, model, tags, status, override=retag)


def tag_catalog(items: Sequence[CatalogItem], folder: Path, extractor: Extractor, reader: QueryReader,
                retag: bool = False, batch_size: int = DEFAULT_TAG_BATCH, progress: Progress | None = None,
                reader_name: str = "query reader", only_lacking: bool = False,
                on_batch: Callable[[list[TagRecord]], None] | None = None) -> TagReport:
    """Read the photos and titles of the items not yet tagged and append their records to folder/tags.jsonl.

    retag=True reads every item again with this extractor (resuming a killed --retag run skips what it did) and
    its values replace the catalog's own. only_lacking=True reads only items lacking a core field (the app's own
    pass; the CLI reads every item, so that the tags can be compared with the values a catalog gives).
    progress(done, total) counts items, the skipped ones as done; on_batch(records) follows each written batch.
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, not {batch_size}")
    model = extractor.name or "attribute extractor"
    tags_file = TagsFile(folder)
    done_before = tags_file.read()
    report = TagReport(model=model)
    unique: dict[str, CatalogItem] = {}
    for item in items:
        unique.setdefault(item.id, item)
    todo = [item for item in unique.values()
            if item.id not in done_before or (retag and not (done_before[item.id].override
                                                             and done_before[item.id].model == model))]
    if only_lacking:
        todo = [item for item in todo if lacks_attributes(item)]
    report.items, report.skipped = len(unique), len(unique) - len(todo)
    if progress:
        progress(report.skipped, report.items)
    seen_photos: dict[str, tuple[dict[str, Tag], str]] = {}  # a shared photo is read once
    started = time.perf_counter()
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        keys = {item.id: str(Path(item.image_path).resolve()) for item in batch}
        to_read: dict[str, Image.Image | None] = {}
        for item in batch:
            key = keys[item.id]
            if key in seen_photos or key in to_read:
                report.shared_photo.append(item.id)
            else:
                to_read[key] = open_catalog_photo(item.image_path)
        readable = {key: image for key, image in to_read.items() if image is not None}
        for key, extraction in zip(readable, _extract_all(extractor, list(readable.values())), strict=True):
            tags = photo_tags(extraction, model)
            seen_photos[key] = (tags, TAGGED if extraction.result.garments else NO_GARMENT)
        for key in set(to_read) - set(readable):
            seen_photos[key] = ({}, UNREADABLE)
        records = []
        for item in batch:
            photo, status = seen_photos[keys[item.id]]
            if status == NO_GARMENT:
                report.no_garment.append(item.id)
            elif status == UNREADABLE:
                report.unreadable.append(item.id)
            if not item.title.strip():
                report.empty_title.append(item.id)
            title = title_tags(item, reader, reader_name)
            records.append(_record(item, photo, title, model, status, retag, report))
        tags_file.append(records)  # durable before the next batch: a kill loses at most this batch's reading
        report.tagged += len(batch)
        if on_batch:
            on_batch(records)
        if progress:
            progress(report.skipped + report.tagged, report.items)
    report.seconds = time.perf_counter() - started
    logger.info("tagged %d items (%d done before) with %s: %.1f items/s", report.tagged, report.skipped, model,
                report.photos_per_second)
    return report
