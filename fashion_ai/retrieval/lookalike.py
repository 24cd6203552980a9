"""A photo searched on its own: the catalog item whose photo is nearest ranks first, whatever the extractor read.

The extractor's reading of a photo is a guess (a sure-but-wrong category would even filter the photo's own item
out), while the image embedding is evidence: a catalog photo, or a shopper's re-compressed, cropped copy of it, is
nearest to its own item for nearly every photo (bench/bench_photo_search.py: "visual-only first"). So the hybrid
ranking orders the look-alikes, and the nearest photo, under the shopper's own filters only, goes first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from fashion_ai.retrieval.search import SearchFilters, SearchHit, SearchResult

if TYPE_CHECKING:
    from fashion_ai.catalog.store import CatalogStore

logger = logging.getLogger(__name__)

# At or above this cosine the two photos are the same picture (a catalog photo searched as it is scores 1.0, a
# re-saved copy above 0.99); below it, the item is only the closest look. Only the reason's wording depends on it.
SAME_PHOTO_COSINE = 0.99
SAME_PHOTO = "the same photo as yours"
CLOSEST_PHOTO = "the closest photo in the catalog"


def nearest_photo_first(result: SearchResult, store: CatalogStore, vector: np.ndarray,
                        filters: SearchFilters | None, n: int) -> SearchResult:
    """The result with the item whose photo is nearest to `vector` (among those the shopper's filters allow) first,
    its reason saying so; the other hits keep their order. Unchanged when nothing passes the filters."""
    found = store.query(vector, 1, filters.to_filter() if filters else None)
    if not found or n <= 0:
        return result
    item, cosine = found[0]
    said = SAME_PHOTO if cosine >= SAME_PHOTO_COSINE else CLOSEST_PHOTO
    ranked = next((hit for hit in result.hits if hit.item.id == item.id), None)
    reason = f"{said} · {ranked.reason}" if ranked else said
    first = SearchHit(item, max((hit.score for hit in result.hits), default=0.0), reason)  # ranked's score among them
    rest = [hit for hit in result.hits if hit.item.id != item.id]
    logger.info("photo search: nearest photo %s (cosine %.3f) first; the hybrid ranking had it at %s", item.id,
                cosine, result.hits.index(ranked) + 1 if ranked else "none")
    return SearchResult([first] + rest[: n - 1], result.query, result.notes)
