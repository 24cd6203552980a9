"""How a catalog item is stored in Chroma: a record id that carries the item's facets, and compact metadata.

The record id is ``<item id>~<category>~<gender>~<colours>~<pattern>~<price>~<material>~<style>~<occasion>~
<season>``: a query that asks Chroma for ids
and distances only (no metadata, the cheap part of a query) can still be filtered by the shop's facets, so a
filtered search never goes through Chroma's SQLite filter, whose cost grows with the collection (README,
"Catalogs of a million items"). The metadata holds the item as one JSON string plus the facets as keys Chroma can
filter by (for the rare query the store hands to Chroma's own filter) and the item id (to find a record by it).
An embedded store's records leave the facet keys out (``filter_keys=False``): its filters never go to Chroma (the
mirror answers them, mirror.py), and each key is a SQLite row Chroma reads back with every hit (60 hits with their
metadata at 30k items: 4.3 ms with the facet keys, 2.2 ms without, 1.2 ms ids only).
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any, NamedTuple
from urllib.parse import unquote

from fashion_ai.catalog.items import CatalogItem

# Bump when the layout below changes: an old collection then asks for a rebuild instead of misreading.
ITEM_SCHEMA_VERSION = 3
ITEM_ID_KEY = "item_id"
ITEM_KEY = "item"
_SEP = "~"
_ITEM_FIELDS = tuple(f.name for f in fields(CatalogItem))


def colour_key(color: str) -> str:
    """A colour as the store keys it ("Light Blue" -> "light_blue")."""
    return re.sub(r"[^a-z0-9]+", "_", str(color).strip().lower()).strip("_")


class Facets(NamedTuple):
    """What a shopper filters by, as stored: colours as colour keys, price None when the shop lists none.
    (A named tuple: the store reads thousands per filtered query.) Its fields, in order, are the record id's layout:
    the schema's search fields (fashion_ai.schema.SEARCH_FIELDS) and the audience and price; one more, or another
    order, is a new ITEM_SCHEMA_VERSION (tests/catalog/test_filters.py checks the fields against the schema)."""

    category: str
    gender: str
    colors: tuple[str, ...]
    pattern: str
    price: float | None
    material: str = ""
    style: str = ""
    occasion: str = ""
    season: str = ""

    @classmethod
    def of(cls, item: CatalogItem) -> Facets:
        return cls(**{name: getattr(item, name) or "" for name in TEXT_FACETS},
                   colors=tuple(colour_key(c) for c in item.colors if colour_key(c)),
                   price=None if item.price is None else float(item.price))


TEXT_FACETS: tuple[str, ...] = tuple(name for name in Facets._fields if name not in ("colors", "price"))
_COLORS, _PRICE = Facets._fields.index("colors"), Facets._fields.index("price")


def _quote(text: str) -> str:
    return text.replace("%", "%25").replace(_SEP, "%7E").replace(",", "%2C")


def record_id(item: CatalogItem) -> str:
    """The Chroma id of an item's record: its id and facets (see the module's docstring)."""
    facets = Facets.of(item)
    parts = [_quote(value) if isinstance(value, str) else "" for value in facets]
    parts[_COLORS] = ",".join(_quote(c) for c in facets.colors)
    parts[_PRICE] = "" if facets.price is None else repr(facets.price)
    return _SEP.join([_quote(item.id), *parts])


def parse_record_id(record: str) -> tuple[str, Facets]:
    """(item id, facets) of a record id made by record_id; ValueError for any other id."""
    parts: list[Any] = record.split(_SEP)
    if len(parts) != len(Facets._fields) + 1:
        raise ValueError(f"not a catalog record id: {record!r}")
    colors, price = parts[1 + _COLORS], parts[1 + _PRICE]
    if "%" in record:  # rare: an escaped separator (colours are unquoted one by one below)
        parts = [unquote(part) for part in parts]
    parts[1 + _COLORS] = tuple(unquote(c) for c in colors.split(",")) if colors else ()
    parts[1 + _PRICE] = float(price) if price else None
    return parts[0], Facets(*parts[1:])


def item_to_metadata(item: CatalogItem, clear_absent: bool = False, filter_keys: bool = True) -> dict[str, Any]:
    """The record's metadata: the item, and its facets as keys for Chroma's filter unless filter_keys=False;
    clear_absent=True writes None for absent facets (an upsert then deletes them)."""
    values = {name: getattr(item, name) for name in _ITEM_FIELDS if name != "id"}  # asdict's deep copy: 3x slower
    if not values["tagged"]:  # most items: the catalog's own values, nothing to say where they came from
        del values["tagged"]
    meta: dict[str, Any] = {ITEM_ID_KEY: item.id, ITEM_KEY: json.dumps(values, separators=(",", ":"))}
    if not filter_keys:
        return meta
    facets = Facets.of(item)
    meta |= facets._asdict() | {"colors": list(facets.colors) or None}
    return meta if clear_absent else {key: value for key, value in meta.items() if value is not None}


def metadata_to_item(meta: dict[str, Any]) -> CatalogItem:
    """The catalog item stored by item_to_metadata."""
    values = json.loads(meta[ITEM_KEY])
    return CatalogItem(id=str(meta[ITEM_ID_KEY]),
                       **{name: values[name] for name in _ITEM_FIELDS if name != "id" and name in values})
