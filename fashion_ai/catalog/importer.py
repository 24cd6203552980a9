"""Importing a real product catalog (a Hub dataset, parquet, CSV or JSONL of products) as a catalog folder."""

from __future__ import annotations

import logging
from pathlib import Path

from fashion_ai.catalog.items import CatalogItem, save_catalog
from fashion_ai.datasets import parse_spec
from fashion_ai.datasets.common import IMAGES_DIR, Skip, Tally, check_limit
from fashion_ai.datasets.products import Product, product_rows
from fashion_ai.datasets.rows import decode_image, write_jpeg

logger = logging.getLogger(__name__)


def import_catalog(spec: str, out_dir: Path, limit: int | None = None, split: str = "train") -> list[CatalogItem]:
    """Write a product catalog as a catalog folder that ``fashion_ai.catalog.load_catalog`` reads.

    Photos go to ``out_dir/images/<id>.jpg`` (one already there is kept, so a killed import resumes cheaply; each is
    written under a temporary name, then renamed); ``catalog.jsonl`` is written last, atomically. Rows without an
    apparel category or a readable photo are skipped and counted. Returns the items (image paths relative).
    """
    kind, source = parse_spec(spec)
    if kind != "products":
        raise ValueError(f"import_catalog reads product catalogs (products:<source>), not {kind}: sources")
    check_limit(limit)
    out_dir = Path(out_dir)
    tally = Tally(f"import {spec}", unit="items")
    rows = product_rows(source, split, tally)
    (out_dir / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    items: list[CatalogItem] = []
    seen: set[str] = set()
    written = kept = 0
    try:
        for row in (rows if limit != 0 else ()):  # limit 0: the source is checked, no row is read
            item = catalog_item(row.product)
            if item.id in seen:
                tally.skip(Skip("duplicate ids", item.id))
                continue
            relative = f"{IMAGES_DIR}/{item.id}.jpg"
            target = out_dir / relative
            if target.is_file():
                kept += 1
            else:
                try:
                    image = decode_image(row.image, row.base_dir)
                except (ValueError, OSError) as exc:
                    tally.skip(Skip("unreadable images", f"{item.id}: {exc}"))
                    continue
                write_jpeg(image, target)
                written += 1
            seen.add(item.id)
            item.image_path = relative
            items.append(item)
            tally.used += 1
            if limit is not None and len(items) >= limit:
                break
    finally:
        rows.close()
        tally.log()
    if not items and limit != 0:
        raise ValueError(f"{spec}: no catalog items could be imported (see the log for what was skipped)")
    save_catalog(out_dir, items)
    logger.info("imported %d items into %s (%d photos written, %d already there)", len(items), out_dir, written, kept)
    return items


def catalog_item(product: Product, image_path: str = "") -> CatalogItem:
    """A product read from a source as an item of the shop's catalog."""
    garment = product.garment
    return CatalogItem(
        id=product.id, title=product.title, caption=product.caption, category=garment.category, gender=product.gender,
        colors=list(garment.colors), pattern=garment.pattern or "", season=product.season, price=product.price,
        url=product.url, image_path=image_path, style=garment.style, occasion=garment.occasion,
        material=garment.material, sleeve=garment.sleeve, length=garment.length, extra=product.extra,
    )
