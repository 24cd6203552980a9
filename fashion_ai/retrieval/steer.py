"""Steering by example: the items a shopper liked and rejected move the next picks, as vector stores' recommend APIs
do (Qdrant's average-vector strategy). The query vector moves toward the mean image embedding of the liked items and
away from the rejected ones', and every candidate scores its similarity to the liked minus the rejected, so a liked
item's neighbours rank higher and a rejected one's lower. A conversation also pins pieces ("swap the bag" keeps the
rest), caps a slot's price ("cheaper") and moves the dress code ("more casual"); all of it is plain data here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fashion_ai.catalog.store import CatalogStore

LIKED_PULL = 1.0
REJECTED_PUSH = 0.5
W_STEER = 0.4  # beside the image and text terms (0.35 each in search, 0.3 in outfits)


@dataclass
class Steer:
    """What earlier turns say about the next picks, beyond the words."""

    liked: list[str] = field(default_factory=list)  # item ids: more like these
    rejected: list[str] = field(default_factory=list)  # item ids: less like these
    excluded: set[str] = field(default_factory=set)  # item ids never shown again (rejected, swapped out)
    pinned: dict[str, str] = field(default_factory=dict)  # outfit slot -> item id kept as it is
    levels: tuple[int, int] | None = None  # the dress-code range, when the shopper moved it
    slot_caps: dict[str, float] = field(default_factory=dict)  # outfit slot -> the price the new piece must beat
    pricier: bool = False  # beat slot_caps upward ("pricier") rather than downward ("cheaper")
    previous: dict[str, str] = field(default_factory=dict)  # outfit slot -> the item shown last (kept if none beats it)
    skipped: set[str] = field(default_factory=set)  # outfit slots left out ("remove the hat")

    def examples(self, store: CatalogStore) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The mean image embedding of the liked items and of the rejected ones (None for none)."""
        return _mean(store, self.liked), _mean(store, self.rejected)

    @staticmethod
    def moved(vector: np.ndarray, liked: np.ndarray | None, rejected: np.ndarray | None) -> np.ndarray:
        """The query vector pulled toward the liked and pushed from the rejected, unit length again."""
        moved = np.asarray(vector, dtype=np.float32).copy()
        if liked is not None:
            moved += LIKED_PULL * liked
        if rejected is not None:
            moved -= REJECTED_PUSH * rejected
        norm = float(np.linalg.norm(moved))
        return moved / norm if norm else np.asarray(vector, dtype=np.float32)

    @staticmethod
    def similarity(store: CatalogStore, ids: list[str], liked: np.ndarray | None, rejected: np.ndarray | None
                   ) -> dict[str, float]:
        """Per candidate: cosine to the liked mean minus cosine to the rejected mean (empty without examples)."""
        if liked is None and rejected is None:
            return {}
        out = {}
        for item_id, embedding in store.embeddings(ids).items():
            out[item_id] = (float(embedding @ liked) if liked is not None else 0.0) - (
                float(embedding @ rejected) if rejected is not None else 0.0)
        return out


def _mean(store: CatalogStore, ids: list[str]) -> np.ndarray | None:
    vectors = list(store.embeddings(ids).values()) if ids else []
    if not vectors:
        return None
    mean = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm).astype(np.float32) if norm else None
