"""What a catalog offers to filter by (its categories, colours, prices, audiences) and a photo of each category,
read from its items for a front end's choices; the whole schema when there is no local catalog."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fashion_ai.catalog import CatalogItem
from fashion_ai.schema import CATEGORIES, COLORS, GENDERS

DEFAULT_TOP_PRICE = 500.0  # the price slider's top when the catalog lists no prices
# A price cap at or above the catalog's top price rounded up to this means any price ("up to $400" is the top):
# the rule FashionService.filters applies for every caller, the page's slider and API clients alike.
PRICE_STEP = 50


@dataclass
class CatalogFacets:
    """What the catalog offers to filter by, for a front end's choices."""

    categories: list[str]
    colors: list[str]
    top_price: float
    price_ceiling: float  # a cap at (or above) this means "any price"
    photos: dict[str, str]  # category -> the photo of its first item that has one (a front end's example photos)
    unpriced: int  # items without a listed price (a price cap leaves them out)
    genders: tuple[str, ...] = GENDERS  # who an item can be for: the schema's audiences


def read_facets(items: Sequence[CatalogItem]) -> CatalogFacets:
    """The facets of a catalog's items (categories sorted, colours in the schema's order)."""
    prices = [item.price for item in items if item.price is not None]
    top = float(max(prices, default=DEFAULT_TOP_PRICE))
    photos: dict[str, str] = {}
    for item in items:
        if item.category not in photos and Path(item.image_path).is_file():
            photos[item.category] = item.image_path
    return CatalogFacets(categories=sorted({item.category for item in items}),
                         colors=[c for c in COLORS if any(c in item.colors for item in items)], top_price=top,
                         price_ceiling=float(math.ceil(top / PRICE_STEP) * PRICE_STEP), photos=photos,
                         unpriced=len(items) - len(prices))


def schema_facets() -> CatalogFacets:
    """Every category and colour of the schema, and the default price range: the filters without a local catalog."""
    return CatalogFacets(list(CATEGORIES), list(COLORS), DEFAULT_TOP_PRICE, DEFAULT_TOP_PRICE, {}, 0)
