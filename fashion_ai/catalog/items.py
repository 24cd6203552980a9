"""The shop's catalog: items with the metadata shoppers filter and search by, read from and written to a folder
(``catalog.jsonl`` plus ``images/``)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fashion_ai.schema import Garment

CATALOG_FILE = "catalog.jsonl"
ITEM_TEXT_VERSION = 2  # what item_text writes; a text index of another version is rebuilt
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class CatalogItem:
    """A product in the shop, with the attributes a shopper filters and searches by."""

    id: str
    title: str
    caption: str
    category: str
    gender: str
    colors: list[str]
    pattern: str
    season: str
    price: float | None  # None: the source catalog has no price
    url: str
    image_path: str
    style: str | None = None
    occasion: str | None = None
    material: str | None = None
    sleeve: str | None = None
    length: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Fields the catalog left empty and a model filled (catalog.tags): field -> {"from": "photo" | "title",
    # "model": ..., "p": probability or None}. Empty for a catalog's own values.
    tagged: dict[str, dict] = field(default_factory=dict)

    def garment(self) -> Garment:
        """The item as the garment the attribute model should see in its photo."""
        return Garment(category=self.category, colors=list(self.colors), pattern=self.pattern, sleeve=self.sleeve,
                       length=self.length, material=self.material, style=self.style, occasion=self.occasion)

    def visible_garment(self) -> Garment:
        """Only what a photo shows: the demo attribute model is taught these fields and no others."""
        return Garment(category=self.category, colors=self.colors[:1], pattern=self.pattern, sleeve=self.sleeve,
                       length=self.length)


def item_text(item: CatalogItem) -> str:
    """What the text model reads of an item: its title and caption, then each attribute they do not already say.

    Saying a value twice adds nothing to a sentence embedding but tokens: on the demo catalog the repeats made the
    text a third longer, and embedding the item texts is the largest part of a cold start."""
    words = f"{item.title}. {item.caption}".strip()
    said = set(_WORD.findall(words.lower()))
    facts = []
    for name, value in (("category", item.category), ("colours", item.colors), ("pattern", item.pattern),
                        ("material", item.material), ("style", item.style), ("occasion", item.occasion),
                        ("season", item.season), ("for", item.gender), ("sleeve", item.sleeve),
                        ("length", item.length)):
        unsaid = [v for v in ([value] if isinstance(value, str) else value or [])
                  if v and not set(_WORD.findall(v.lower())) <= said]
        if unsaid:
            facts.append(f"{name}: {', '.join(unsaid)}")
    return f"{words} " + "; ".join(facts) if facts else words


def load_catalog(directory: Path) -> list[CatalogItem]:
    """Read a catalog folder (catalog.jsonl + images); image paths come back absolute."""
    directory = Path(directory)
    path = directory / CATALOG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no catalog at {path}: generate one with `python -m fashion_ai.demo_world {directory}`")
    items = []
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            item = CatalogItem(**data)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"{path}:{line_no}: not a catalog item ({exc})") from exc
        if not Path(item.image_path).is_absolute():
            item.image_path = str(directory / item.image_path)
        items.append(item)
    return items


def _as_line(item: CatalogItem) -> dict:
    """The item as its catalog.jsonl line: a catalog's own values carry no provenance, so none is written (and the
    line reads as it did before tags existed)."""
    values = asdict(item)
    if not values["tagged"]:
        del values["tagged"]
    return values


def save_catalog(directory: Path, items: list[CatalogItem]) -> Path:
    """Write items as the folder's catalog.jsonl, atomically: a killed write leaves the previous file whole."""
    path = Path(directory) / CATALOG_FILE
    tmp = path.with_name(CATALOG_FILE + ".tmp")
    tmp.write_text("".join(json.dumps(_as_line(item)) + "\n" for item in items))
    tmp.replace(path)
    return path
