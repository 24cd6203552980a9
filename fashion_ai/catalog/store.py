"""The catalog's vector store: CLIP image embeddings of the items in a Chroma collection, with their metadata.

One process owns an embedded store's folder: Chroma's PersistentClient is thread-safe but not process-safe
(a second process on the same folder can hang or corrupt it). Several processes or machines share one store
through a Chroma server (`chroma run --path DIR --port N`) and ``url="http://host:port"``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from fashion_ai.catalog import CatalogItem
from fashion_ai.config import DEFAULT_DATA_DIR
from fashion_ai.errors import IndexMissingError
from fashion_ai.schema import normalize_value

logger = logging.getLogger(__name__)

DEFAULT_COLLECTION = "catalog"
REBUILD_HINT = "rebuild it with `python -m fashion_ai.catalog.index --rebuild`"
# Bump when the metadata layout below changes: an old collection then asks for a rebuild instead of misreading.
ITEM_SCHEMA_VERSION = 1
_EMBEDDER_KEY = "embedder"
_SCHEMA_KEY = "item_schema"
_COLOR_FLAG = "color_"
_ANY = frozenset({"", "any", "all", "none"})
_ITEM_FIELDS = tuple(f.name for f in fields(CatalogItem))


def color_flag(color: str) -> str:
    """The boolean metadata key that marks an item as having a colour (Chroma's where cannot search lists)."""
    return _COLOR_FLAG + re.sub(r"[^a-z0-9]+", "_", color.strip().lower()).strip("_")


def item_to_metadata(item: CatalogItem) -> dict[str, str | int | float | bool]:
    """Flatten an item into Chroma metadata (scalars only); `metadata_to_item` reverses it."""
    meta: dict[str, str | int | float | bool] = {}
    for name in _ITEM_FIELDS:
        value = getattr(item, name)
        if value is None:
            continue
        if name == "colors":
            meta["colors"] = ",".join(value)
            for color in value:
                meta[color_flag(color)] = True
        elif name == "extra":
            if value:
                meta["extra"] = json.dumps(value, sort_keys=True)
        elif name == "price":
            meta["price"] = float(value)
        else:
            meta[name] = value
    return meta


def metadata_to_item(meta: dict[str, Any]) -> CatalogItem:
    """Rebuild the catalog item stored by `item_to_metadata`; absent optional fields come back as None."""
    values: dict[str, Any] = {name: meta.get(name) for name in _ITEM_FIELDS}
    values["colors"] = [c for c in str(meta.get("colors") or "").split(",") if c]
    values["extra"] = json.loads(meta["extra"]) if meta.get("extra") else {}
    values["price"] = float(meta["price"]) if meta.get("price") is not None else None
    for name in ("id", "title", "caption", "category", "gender", "pattern", "season", "url", "image_path"):
        values[name] = str(values[name]) if values[name] is not None else ""
    return CatalogItem(**values)


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip().lower() in _ANY)


def build_where(gender: str | None = None, category: str | None = None, color: str | None = None,
                max_price: float | None = None) -> dict | None:
    """A Chroma where filter for the shop's facets, or None when nothing is set.

    Empty, None and "any" values are ignored; so is a max_price that is not a positive number. Women's and men's
    searches include unisex items. Category and colour accept shopper words ("sneakers", "gray").
    """
    clauses: list[dict] = []
    if _is_set(gender):
        wanted = gender.strip().lower()
        clauses.append({"gender": {"$in": [wanted, "unisex"]}} if wanted in ("women", "men") else {"gender": wanted})
    if _is_set(category):
        text = category.strip().lower()
        clauses.append({"category": normalize_value("category", text) or text})
    if _is_set(color):
        text = color.strip().lower()
        clauses.append({color_flag(normalize_value("colors", text) or text): True})
    if max_price is not None and not isinstance(max_price, str) and math.isfinite(max_price) and max_price > 0:
        clauses.append({"price": {"$lte": float(max_price)}})
    return combine_where(*clauses)


def combine_where(*clauses: dict | None) -> dict | None:
    """AND together where filters, flattening nested $and (Chroma wants two or more terms in an $and)."""
    terms: list[dict] = []
    for clause in clauses:
        if not clause:
            continue
        terms.extend(clause["$and"] if set(clause) == {"$and"} else [clause])
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _space_of(collection: Any) -> str:
    # The raw JSON: the parsed `configuration` warns about collections made without an embedding function.
    config = getattr(collection, "configuration_json", None) or {}
    for index in ("hnsw", "spann"):
        sub = config.get(index) if isinstance(config, dict) else None
        if isinstance(sub, dict) and sub.get("space"):
            return str(sub["space"])
    return str((collection.metadata or {}).get("hnsw:space", "l2"))


class CatalogStore:
    """Catalog items and their image embeddings in one Chroma collection (cosine space).

    Thread-safe inside one process. An embedded store's folder must be used by one process only; share a store
    between processes through a Chroma server (``url``).
    """

    def __init__(self, path: str | Path | None = None, url: str = "", collection: str = DEFAULT_COLLECTION,
                 embedder_name: str = "", reset: bool = False):
        """Open (or create) the collection; reset=True drops it first (a rebuild).

        Raises IndexMissingError when the collection was built by another embedder or in a non-cosine space.
        An empty embedder_name skips the embedder check (read-only tools that do not embed).
        """
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"Chroma url must look like http://host:port, not {url!r}")
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            self.client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https",
                                              settings=settings)
            self.location = url
        else:
            folder = Path(path) if path is not None else Path(DEFAULT_DATA_DIR) / "chroma"
            folder.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(folder), settings=settings)
            self.location = str(folder)
        self.name = collection
        self.embedder_name = embedder_name
        self._lock = threading.RLock()
        self._max_batch = max(1, int(self.client.get_max_batch_size()))
        if reset:
            self.reset()
        else:
            self._collection = self._open()

    def _open(self) -> Any:
        meta = {_EMBEDDER_KEY: self.embedder_name, _SCHEMA_KEY: ITEM_SCHEMA_VERSION}
        with self._lock:
            col = self.client.get_or_create_collection(self.name, configuration={"hnsw": {"space": "cosine"}},
                                                       metadata=meta, embedding_function=None)
        stored = col.metadata or {}
        where = f"the catalog index {self.name!r} at {self.location}"
        if _space_of(col) != "cosine":
            raise IndexMissingError(f"{where} uses the {_space_of(col)!r} distance, not cosine: {REBUILD_HINT}.")
        if stored.get(_SCHEMA_KEY) != ITEM_SCHEMA_VERSION:
            raise IndexMissingError(f"{where} was written by another version of Fashion AI: {REBUILD_HINT}.")
        built_by = stored.get(_EMBEDDER_KEY, "")
        if self.embedder_name and built_by != self.embedder_name:
            raise IndexMissingError(f"{where} was built with the embedder {built_by!r}, not {self.embedder_name!r}: "
                                    f"{REBUILD_HINT}.")
        return col

    def reset(self) -> None:
        """Drop every item: delete the collection and create it again, empty."""
        with self._lock:
            try:
                self.client.delete_collection(self.name)
                logger.info("deleted collection %r at %s", self.name, self.location)
            except Exception as exc:  # absent collection: chromadb raises NotFoundError or ValueError by version
                logger.debug("nothing to delete for %r: %s", self.name, exc)
            self._collection = self._open()

    def count(self) -> int:
        """How many items the store holds."""
        with self._lock:
            return int(self._collection.count())

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """The subset of ids already in the store."""
        found: set[str] = set()
        unique = list(dict.fromkeys(ids))
        with self._lock:
            for start in range(0, len(unique), self._max_batch):
                found.update(self._collection.get(ids=unique[start:start + self._max_batch], include=[])["ids"])
        return found

    def upsert(self, items: Sequence[CatalogItem], embeddings: np.ndarray) -> None:
        """Insert or replace items with their image embeddings (one row per item), in batches Chroma accepts."""
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(items):
            raise ValueError(f"expected one embedding per item: {len(items)} items, embeddings of shape {vectors.shape}")
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise ValueError("item ids must be unique within one upsert")
        with self._lock:
            # Chroma's upsert merges metadata with what is stored, so a stale colour flag would survive a
            # change of colours: replace existing rows instead.
            stale = sorted(self.existing_ids(ids))
            for start in range(0, len(stale), self._max_batch):
                self._collection.delete(ids=stale[start:start + self._max_batch])
            for start in range(0, len(items), self._max_batch):
                chunk = items[start:start + self._max_batch]
                self._collection.add(ids=[item.id for item in chunk],
                                     embeddings=vectors[start:start + self._max_batch],
                                     metadatas=[item_to_metadata(item) for item in chunk])

    def query(self, embedding: np.ndarray, n: int, where: dict | None = None) -> list[tuple[CatalogItem, float]]:
        """The n items nearest to an embedding that pass the filter, with cosine similarity, best first."""
        if n <= 0:
            return []
        vector = np.asarray(embedding, dtype=np.float32).reshape(1, -1)
        with self._lock:
            size = self._collection.count()
            if size == 0:
                return []
            try:
                result = self._collection.query(query_embeddings=vector, n_results=min(n, size), where=where,
                                                include=["metadatas", "distances"])
            except Exception as exc:
                if "dimension" in str(exc).lower():
                    raise IndexMissingError(f"the catalog index {self.name!r} holds embeddings of another size than "
                                            f"the loaded embedder's: {REBUILD_HINT}.") from exc
                raise
        metas = result["metadatas"][0] if result.get("metadatas") else []
        distances = result["distances"][0] if result.get("distances") else []
        return [(metadata_to_item(meta), 1.0 - float(dist)) for meta, dist in zip(metas, distances, strict=True)]

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these ids (unknown ids are left out)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), self._max_batch):
            got = self._collection.get(ids=unique[start:start + self._max_batch], include=["embeddings"])
            for item_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                found[item_id] = np.asarray(vector, dtype=np.float32)
        return found

    def get_where(self, where: dict | None, limit: int = 1000) -> list[CatalogItem]:
        """Up to `limit` stored items that pass the filter (no ranking)."""
        got = self._collection.get(where=where, limit=limit, include=["metadatas"])
        return [metadata_to_item(meta) for meta in got["metadatas"]]

    def get_items(self, ids: Sequence[str]) -> list[CatalogItem]:
        """The stored items with these ids, in the order asked; unknown ids are left out."""
        by_id: dict[str, CatalogItem] = {}
        unique = list(dict.fromkeys(ids))
        with self._lock:
            for start in range(0, len(unique), self._max_batch):
                got = self._collection.get(ids=unique[start:start + self._max_batch], include=["metadatas"])
                for item_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                    by_id[item_id] = metadata_to_item(meta)
        return [by_id[i] for i in unique if i in by_id]

    def all_items(self) -> list[CatalogItem]:
        """Every stored item, sorted by id."""
        items: list[CatalogItem] = []
        with self._lock:
            offset = 0
            while True:
                got = self._collection.get(limit=self._max_batch, offset=offset, include=["metadatas"])
                items.extend(metadata_to_item(meta) for meta in got["metadatas"])
                if len(got["ids"]) < self._max_batch:
                    break
                offset += self._max_batch
        return sorted(items, key=lambda item: item.id)
