"""The catalog index's HNSW settings: what a collection is created with, and how an existing one differs.

Chroma fixes the distance, ``max_neighbors`` and ``ef_construction`` when a collection is created; ``ef_search``
may change later (``modify``), and takes effect when the index is next loaded (a new process, or the server
loading it again). Defaults are chosen by measurement (bench/bench_store.py; README "Catalogs of a million items").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fashion_ai.config import (
    DEFAULT_HNSW_EF_CONSTRUCTION,
    DEFAULT_HNSW_EF_SEARCH,
    DEFAULT_HNSW_MAX_NEIGHBORS,
    AppConfig,
)

SPACE = "cosine"
# Chroma's own defaults, for reading indexes built before these settings were written down.
CHROMA_DEFAULTS = {"space": "l2", "max_neighbors": 16, "ef_construction": 100, "ef_search": 100}


@dataclass(frozen=True)
class IndexSettings:
    """HNSW settings of a catalog index."""

    max_neighbors: int = DEFAULT_HNSW_MAX_NEIGHBORS  # links per node: recall and memory grow with it
    ef_construction: int = DEFAULT_HNSW_EF_CONSTRUCTION  # build effort: a better graph, a slower build
    ef_search: int = DEFAULT_HNSW_EF_SEARCH  # search effort: recall and latency grow with it

    def __post_init__(self) -> None:
        for name in ("max_neighbors", "ef_construction", "ef_search"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"HNSW {name} must be a positive integer, not {value!r}")
        if self.max_neighbors < 2:
            raise ValueError("HNSW max_neighbors must be at least 2")

    @classmethod
    def from_config(cls, config: AppConfig) -> IndexSettings:
        return cls(config.hnsw_max_neighbors, config.hnsw_ef_construction, config.hnsw_ef_search)

    def configuration(self) -> dict[str, Any]:
        """The ``configuration`` argument that creates a collection with these settings."""
        return {"hnsw": {"space": SPACE, "max_neighbors": self.max_neighbors, "ef_construction": self.ef_construction,
                         "ef_search": self.ef_search}}

    def describe(self) -> str:
        return f"max_neighbors={self.max_neighbors}, ef_construction={self.ef_construction}, ef_search={self.ef_search}"


def built_with(collection: Any) -> dict[str, Any]:
    """The HNSW settings an existing collection was created with (Chroma's defaults where it does not say)."""
    # The raw JSON: the parsed `configuration` warns about collections made without an embedding function.
    config = getattr(collection, "configuration_json", None) or {}
    found = dict(CHROMA_DEFAULTS)
    legacy = collection.metadata or {}
    for key in found:  # pre-1.0 collections kept them in metadata as "hnsw:<name>"
        legacy_key = "hnsw:" + {"max_neighbors": "M", "ef_construction": "construction_ef",
                                "ef_search": "search_ef"}.get(key, key)
        if legacy_key in legacy:
            found[key] = legacy[legacy_key]
    for index in ("hnsw", "spann"):
        sub = config.get(index) if isinstance(config, dict) else None
        if isinstance(sub, dict):
            found.update({key: sub[key] for key in found if sub.get(key) is not None})
    return found


def build_differences(collection: Any, wanted: IndexSettings) -> list[str]:
    """What was fixed at build time and differs from the wanted settings ("max_neighbors 16, not 32"); the
    distance is checked apart (another distance makes every score wrong: the index must be rebuilt)."""
    built = built_with(collection)
    return [f"{name} {built[name]}, not {getattr(wanted, name)}" for name in ("max_neighbors", "ef_construction")
            if built[name] != getattr(wanted, name)]
