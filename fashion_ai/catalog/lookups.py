"""Reads of a catalog store by item id and of the whole catalog (rare next to searches): a part of CatalogStore."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fashion_ai.catalog.collection import ServingCollection
from fashion_ai.catalog.filters import CatalogFilter, as_filter
from fashion_ai.catalog.items import CatalogItem
from fashion_ai.catalog.mirror import StoreMirror
from fashion_ai.catalog.records import ITEM_ID_KEY, metadata_to_item, parse_record_id


class ItemLookups:
    """Look-ups by item id and whole-catalog reads, over the serving collection in Chroma's largest batches (and the
    store's mirror, for filtered look-ups of records without facet keys)."""

    def __init__(self, collection: ServingCollection, mirror: StoreMirror):
        self.collection, self.mirror = collection, mirror

    def record_ids_of(self, ids: Sequence[str]) -> list[str]:
        """The record ids of the items with these ids (at most one batch of them)."""
        return self.collection.read(lambda col: col.get(where={ITEM_ID_KEY: {"$in": list(ids)}}, include=[])["ids"],
                                    "reading the catalog")

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """The subset of ids already in the store."""
        wanted = set(ids)
        if not wanted:
            return set()
        if len(wanted) > self.collection.max_batch:  # many: read every record id once rather than batch by batch
            records = self.collection.read(lambda col: col.get(include=[])["ids"], "reading the catalog")
        else:
            records = self.record_ids_of(sorted(wanted))
        return {parse_record_id(rid)[0] for rid in records} & wanted

    def _get_by_item_ids(self, ids: Sequence[str], include: list[str]) -> list[dict]:
        """Chroma's get() answers for the records of these item ids, a batch at a time (unknown ids find none)."""
        unique, batch = list(dict.fromkeys(ids)), self.collection.max_batch
        return [self.collection.read(lambda col, chunk=unique[start:start + batch]: col.get(
                    where={ITEM_ID_KEY: {"$in": chunk}}, include=include), "reading the catalog")
                for start in range(0, len(unique), batch)]

    def get_items(self, ids: Sequence[str]) -> list[CatalogItem]:
        """The stored items with these ids, in the order asked; unknown ids are left out."""
        by_id = {item.id: item for got in self._get_by_item_ids(ids, ["metadatas"])
                 for item in map(metadata_to_item, got["metadatas"])}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of the items with these ids (unknown ids are left out)."""
        return {str(meta[ITEM_ID_KEY]): np.asarray(vector, dtype=np.float32)
                for got in self._get_by_item_ids(ids, ["metadatas", "embeddings"])
                for meta, vector in zip(got["metadatas"], got["embeddings"], strict=True)}

    def get_where(self, where: CatalogFilter | dict | None, limit: int = 1000) -> list[CatalogItem]:
        """Up to `limit` stored items that pass the filter, unranked (for rare look-ups: Chroma's own filter, or
        the mirror's for records without facet keys)."""
        where = as_filter(where)
        if where is not None and where.matches_nothing:
            return []
        if where is None or self.collection.filter_keys:
            got = self.collection.read(lambda col: col.get(where=where.chroma_where() if where else None, limit=limit,
                                                           include=["metadatas"]), "reading the catalog")
            return [metadata_to_item(meta) for meta in got["metadatas"]]
        mirror, batch = self.mirror.waited(), self.collection.max_batch
        records = mirror.matching(where, limit) if mirror is not None else self._scan(where, limit)
        return [metadata_to_item(meta) for start in range(0, len(records), batch)
                for meta in self.collection.read(lambda col, chunk=records[start:start + batch]: col.get(
                    ids=chunk, include=["metadatas"]), "reading the catalog")["metadatas"] if meta is not None]

    def _scan(self, where: CatalogFilter, limit: int) -> list[str]:
        """Up to `limit` record ids that pass the filter, read page by page (a server's store without facet keys)."""
        passes, found, offset, batch = where.predicate(), [], 0, self.collection.max_batch
        while len(found) < limit:
            page = self.collection.read(lambda col, offset=offset: col.get(include=[], limit=batch, offset=offset),
                                        "reading the catalog")["ids"]
            found.extend(rid for rid in page if passes(parse_record_id(rid)[1]))
            if len(page) < batch:
                break
            offset += batch
        return found[:limit]

    def all_items(self) -> list[CatalogItem]:
        """Every stored item, sorted by id."""
        items: list[CatalogItem] = []
        offset, batch = 0, self.collection.max_batch
        while True:
            got = self.collection.read(lambda col, offset=offset: col.get(limit=batch, offset=offset,
                                                                           include=["metadatas"]), "reading the catalog")
            items.extend(metadata_to_item(meta) for meta in got["metadatas"])
            if len(got["ids"]) < batch:
                break
            offset += batch
        return sorted(items, key=lambda item: item.id)
