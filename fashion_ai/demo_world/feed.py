"""A demo catalog as a real shop's feed often is: photo, price, link and audience, titles like "Item 17", and no
attributes (issue 35's measure of what tagging brings)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from fashion_ai.catalog.items import CatalogItem

# What a feed without attributes leaves empty: every field a shopper searches or filters by, but the audience.
STRIPPED: dict[str, object] = {"category": "", "colors": [], "pattern": "", "season": "", "style": None,
                               "occasion": None, "material": None, "sleeve": None, "length": None}


def shop_feed(items: Iterable[CatalogItem], titles: bool = False) -> list[CatalogItem]:
    """The items stripped to a feed: attributes gone, caption gone, the title "Item N" (titles=True keeps the
    demo's own titles, which name some attributes, as real feeds' titles do)."""
    return [dataclasses.replace(item, **STRIPPED, caption="", title=item.title if titles else f"Item {n}")
            for n, item in enumerate(items, 1)]
