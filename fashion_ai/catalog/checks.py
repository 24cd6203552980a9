"""Whether a Chroma collection can serve a catalog store: its distance, its records' version, its embedder.

What fails is said in words a shopper may read (the app shows these errors as they are): the store's name and
what to do, never the folder or server it lives in, which goes to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fashion_ai.catalog.hnsw import SPACE, IndexSettings, build_differences, built_with
from fashion_ai.catalog.records import ITEM_SCHEMA_VERSION
from fashion_ai.errors import IndexMissingError

logger = logging.getLogger(__name__)

REBUILD_HINT = "rebuild it with `python -m fashion_ai.catalog.index --rebuild`"
EMBEDDER_KEY = "embedder"
SCHEMA_KEY = "item_schema"
FILTER_KEYS_KEY = "filter_keys"


@dataclass(frozen=True)
class Layout:
    """What an open collection tells the store: whether its records carry facet keys for Chroma's filter, the
    HNSW settings it was built with that differ from the wanted ones (a note; empty when none), its ef_search."""

    filter_keys: bool
    stale_settings: str
    ef_search: int


def new_metadata(embedder_name: str, filter_keys: bool) -> dict[str, Any]:
    """The metadata a new collection of the store is created with."""
    return {EMBEDDER_KEY: embedder_name, SCHEMA_KEY: ITEM_SCHEMA_VERSION, FILTER_KEYS_KEY: filter_keys}


def refusal(problem: str, location: str) -> IndexMissingError:
    """IndexMissingError for an index that cannot serve; where it lives goes to the log only."""
    logger.warning("%s (at %s)", problem, location)
    return IndexMissingError(f"{problem}: {REBUILD_HINT}.")


def check_collection(col: Any, name: str, embedder_name: str, settings: IndexSettings, location: str) -> Layout:
    """The collection's layout when the store can serve from it; IndexMissingError when it must be rebuilt (another
    distance, another version of the records, another embedder; an empty embedder_name skips that check)."""
    stored = col.metadata or {}
    built = built_with(col)
    where = f"the catalog index {name!r}"
    if built["space"] != SPACE:
        raise refusal(f"{where} uses the {built['space']!r} distance, not cosine", location)
    if stored.get(SCHEMA_KEY) != ITEM_SCHEMA_VERSION:
        raise refusal(f"{where} was written by another version of Fashion AI", location)
    built_by = stored.get(EMBEDDER_KEY, "")
    if embedder_name and built_by != embedder_name:
        raise refusal(f"{where} was built with the embedder {built_by!r}, not {embedder_name!r}", location)
    differences = build_differences(col, settings)
    stale = (f"{where} was built with HNSW {', '.join(differences)}; the configured settings take effect when you "
             f"{REBUILD_HINT}") if differences else ""
    if stale:
        logger.warning("%s (at %s)", stale, location)
    return Layout(bool(stored.get(FILTER_KEYS_KEY, True)), stale, int(built["ef_search"]))
