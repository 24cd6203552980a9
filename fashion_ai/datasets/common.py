"""What every dataset reader shares: the training Example, the tally of what a pass used, skipped and dropped,
and the small helpers that read cells."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from PIL import Image

from fashion_ai.schema import Garment

logger = logging.getLogger(__name__)


KINDS: tuple[str, ...] = ("fashionpedia", "products", "jsonl", "fashion-mnist")
# Caption rows teach a caption, not our JSON: they get PaliGemma's captioning prefix so that they never teach the
# extraction prompt to answer in prose.
CAPTION_PROMPT = "caption en"
DEFAULT_MAX_GARMENTS = 6  # targets stay short: the largest garments of a photo are the ones a shopper names
IMAGES_DIR = "images"


@dataclass
class Example:
    """One training example: a photo, the PaliGemma prompt and target, a shopper caption and the known truth."""

    image: Image.Image  # RGB, loaded
    prefix: str  # PaliGemma prompt
    suffix: str  # target text: our garments JSON, or a JSONL row's own text
    caption: str  # shopper caption for CLIP training
    garments: list[Garment]  # the truth when known (empty for free-text rows); used for evaluation
    id: str
    hierarchy: dict[str, str] = field(default_factory=dict)  # product rows: gender/masterCategory/subCategory/articleType
    phrasings: tuple[str, ...] = ()  # other true captions (CLIP trains on one at random); empty: caption only
    mask: Image.Image | None = None  # the garment's silhouette (L, 255 on it) where the source knows it


class Skip(NamedTuple):
    reason: str
    detail: str = ""


class Tally:
    """What one pass used, skipped and dropped; logged once when the pass ends (or is stopped)."""

    def __init__(self, name: str, unit: str = "examples"):
        self.name = name
        self.unit = unit
        self.used = 0
        self.skipped: Counter[str] = Counter()
        self.details: dict[str, Counter[str]] = defaultdict(Counter)
        self.dropped: Counter[str] = Counter()

    def skip(self, skip: Skip) -> None:
        self.skipped[skip.reason] += 1
        if skip.detail:
            self.details[skip.reason][skip.detail] += 1

    def log(self) -> None:
        parts = []
        for reason, count in self.skipped.most_common():
            detail = ", ".join(f"{d} x{n}" for d, n in self.details[reason].most_common(5))
            parts.append(f"{count} {reason}" + (f" ({detail})" if detail else ""))
        logger.info("%s: %d %s%s", self.name, self.used, self.unit, f"; skipped {'; '.join(parts)}" if parts else "")
        if self.dropped:
            top = ", ".join(f"{name} x{n}" for name, n in self.dropped.most_common(12))
            logger.info("%s: dropped %d labels that have no field of ours or whose part lies in no garment (%s)",
                        self.name, sum(self.dropped.values()), top)

def check_limit(limit: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number of examples (0 or more) or None, not {limit!r}")


def take(examples: Iterator[Example], limit: int | None, tally: Tally) -> Iterator[Example]:
    """Yield at most limit examples without reading a row past the last one; log the tally at the end."""
    try:
        if limit == 0:
            return
        for example in examples:
            tally.used += 1
            yield example
            if limit is not None and tally.used >= limit:
                break
    finally:
        examples.close()
        tally.log()


def shrink_photo(image: Image.Image, size: int) -> Image.Image:
    """Keep a photo only as large as the model input (shortest side), so thousands fit in memory."""
    image = image.convert("RGB")
    short = min(image.size)
    if short > size:
        scale = size / short
        image = image.resize((max(size, round(image.width * scale)), max(size, round(image.height * scale))))
    return image


def close_rows(iterator: Any) -> None:
    """Stop a streamed dataset's reader now (open files, connections) rather than whenever it is collected."""
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def cell_text(value: Any) -> str:
    """A cell as clean text: None/NaN -> "", 2012.0 -> "2012"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def safe_id(value: Any) -> str:
    """An id usable as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", cell_text(value)).strip("._")
