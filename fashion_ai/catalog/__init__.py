"""The shop's catalog: items and their folders (items), the vector store (store), indexing (index, a CLI) and
the import of real product catalogs (importer)."""

from fashion_ai.catalog.items import CATALOG_FILE, ITEM_TEXT_VERSION, CatalogItem, item_text, load_catalog, save_catalog

__all__ = ["CATALOG_FILE", "ITEM_TEXT_VERSION", "CatalogItem", "item_text", "load_catalog", "save_catalog"]
