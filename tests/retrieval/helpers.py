"""Catalog items and stores with a chosen geometry, for ranking tests that must not depend on a model's taste."""

import numpy as np

from fashion_ai.catalog import CatalogItem
from fashion_ai.catalog.store import CatalogStore


def make_item(item_id: str, category: str, colors=("black",), *, gender: str = "women", price: float = 50.0,
              pattern: str = "solid", season: str = "spring", style: str | None = None, occasion: str | None = None,
              material: str | None = None, title: str | None = None) -> CatalogItem:
    return CatalogItem(id=item_id, title=title or item_id, caption=f"a {category}", category=category, gender=gender,
                       colors=list(colors), pattern=pattern, season=season, price=price,
                       url=f"https://shop.example.com/p/{item_id}", image_path=f"/img/{item_id}.png", style=style,
                       occasion=occasion, material=material)


def at_cosine(target: np.ndarray, cosines: list[float], seed: int = 0) -> np.ndarray:
    """Unit vectors with the given cosine similarity to a unit target vector."""
    rng = np.random.default_rng(seed)
    rows = []
    for cosine in cosines:
        noise = rng.normal(size=target.shape)
        noise -= noise.dot(target) * target
        noise /= np.linalg.norm(noise)
        rows.append(cosine * target + np.sqrt(1 - cosine**2) * noise)
    return np.stack(rows).astype(np.float32)


def fill(store: CatalogStore, items: list[CatalogItem], vectors: np.ndarray | None = None) -> None:
    """Upsert items; without vectors every photo looks alike to the embedder, so metadata decides the ranking."""
    if vectors is None:
        vectors = at_cosine(np.eye(128, dtype=np.float32)[0], [0.999] * len(items))
    store.upsert(items, vectors)
