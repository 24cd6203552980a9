"""Indexing the catalog: item photos through the CLIP image tower into the vector store.

Resumable by construction: items are added one committed batch at a time, and ids already in the store are
skipped (looked up once, and not at all in an empty store), so re-running adds nothing twice and a killed run
goes on where it stopped. A rebuild fills a new collection while the old one serves, then swaps it in: readers
see the old index or the new one, never a half-built one.

CLI: ``python -m fashion_ai.catalog.index [--catalog DIR] [--profile demo|hub] [--rebuild] ...``
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from fashion_ai.catalog import CATALOG_FILE, ITEM_TEXT_VERSION, CatalogItem, item_text
from fashion_ai.catalog.failures import without_paths
from fashion_ai.catalog.hnsw import IndexSettings
from fashion_ai.catalog.store import DEFAULT_COLLECTION, CatalogStore
from fashion_ai.catalog.tags import load_tagged_catalog
from fashion_ai.config import AppConfig, load_config
from fashion_ai.errors import FashionAIError, IndexMissingError
from fashion_ai.images import open_catalog_photo
from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.text import TextEmbedder
from fashion_ai.profiles import catalog_folder, catalog_source

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 64
Progress = Callable[[int, int], None]


@dataclass
class IndexReport:
    """What one indexing run did: items embedded now, items skipped, and the store's size afterwards."""

    added: int
    skipped: int  # already in the store, duplicate ids in the catalog, or an unreadable image (see failed)
    total: int
    failed: int = 0  # of the skipped: items whose image was missing or unreadable


def _unique(items: Sequence[CatalogItem]) -> dict[str, CatalogItem]:
    unique: dict[str, CatalogItem] = {}
    for item in items:
        if item.id in unique:
            logger.warning("catalog lists the id %s twice; indexing the first", item.id)
        else:
            unique[item.id] = item
    return unique


def _missing(items: Sequence[CatalogItem], target: CatalogStore, rebuild: bool
             ) -> tuple[dict[str, CatalogItem], set[str], list[CatalogItem]]:
    """(the items by id, the ids the target already holds, the items to embed); a rebuild's new collection and
    an empty one hold none, so a fresh build looks nothing up."""
    unique = _unique(items)
    present = set() if rebuild or target.is_empty() else target.existing_ids(list(unique))
    return unique, present, [item for item_id, item in unique.items() if item_id not in present]


def _retagged(unique: dict[str, CatalogItem], present: set[str], target: CatalogStore) -> list[CatalogItem]:
    """The stored items whose tags changed since they were stored (a tagging run since): the index follows the
    tags, so a search never reads an item as it was before its photo was read."""
    tagged = [item_id for item_id in present if unique[item_id].tagged]
    stored: dict[str, CatalogItem] = {}
    for start in range(0, len(tagged), 1000):
        stored |= {item.id: item for item in target.get_items(tagged[start:start + 1000])}
    return [unique[item_id] for item_id in tagged if stored.get(item_id) != unique[item_id]]


def _open_or_rebuild(open_fn: Callable[..., CatalogStore], rebuild_if_stale: bool) -> CatalogStore:
    """open_fn(); when its index cannot serve (another model's, another layout), open_fn(reset=True) if allowed."""
    try:
        return open_fn()
    except IndexMissingError as exc:
        if not rebuild_if_stale:
            raise
        logger.warning("%s; rebuilding it now", exc)
        return open_fn(reset=True)


@contextlib.contextmanager
def _writing(store: CatalogStore, rebuild: bool) -> Iterator[CatalogStore]:
    """The store to write into: the store itself, or for a rebuild a staging store swapped in when the block ends
    well. A rebuild that fails is closed unswapped: the old index serves on, and the next open removes the rest."""
    if not rebuild:
        yield store
        return
    staging = store.staging()
    try:
        yield staging
    except BaseException:
        staging.close()
        raise
    store.replace_with(staging)


def build_text_index(items: Sequence[CatalogItem], text_embedder: TextEmbedder, text_store: CatalogStore,
                     batch_size: int = 256, rebuild: bool = False) -> int:
    """Embed the texts (title, caption, attributes) of the items not yet in the text store; returns how many.

    Resumable like the photo index: added batch by batch, items already there skipped; rebuild=True embeds all
    into a new collection swapped in at the end, as build_index does."""
    with _writing(text_store, rebuild) as target:
        unique, present, todo = _missing(items, target, rebuild)
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            target.add(batch, text_embedder.embed([item_text(item) for item in batch]))
        retagged = _retagged(unique, present, target)
        for start in range(0, len(retagged), batch_size):  # their texts now say the tags: embedded again
            batch = retagged[start:start + batch_size]
            target.upsert(batch, text_embedder.embed([item_text(item) for item in batch]))
    if todo:
        logger.info("embedded the texts of %d items; the text index holds %d", len(todo), text_store.count())
    return len(todo)


def _add_photos(todo: list[CatalogItem], embedder: Embedder, target: CatalogStore, batch_size: int,
                progress: Progress | None, done: int, total: int) -> tuple[int, int]:
    """Embed and add the photos of these items batch by batch; (items added, items whose photo was unreadable)."""
    added = failed = 0
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        readable: list[CatalogItem] = []
        images: list[Image.Image] = []
        for item in batch:
            image = open_catalog_photo(item.image_path)
            if image is None:
                failed += 1
            else:
                readable.append(item)
                images.append(image)
        if readable:
            target.add(readable, embedder.embed_images(images))  # committed before the next batch starts
            added += len(readable)
        done += len(batch)
        if progress:
            progress(done, total)
    return added, failed


def build_index(items: Sequence[CatalogItem], embedder: Embedder, store: CatalogStore,
                batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None,
                rebuild: bool = False) -> IndexReport:
    """Embed the photos of the items not yet in the store and add them, batch by batch.

    progress(done, total) is called once before the first batch and after each committed batch, counting
    catalog items (those already indexed count as done). rebuild=True embeds everything into a new collection
    and swaps it in at the end (the old index serves until then; a rebuild killed at any instant leaves the old
    index or the new one serving, and the next open removes what it left).
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, not {batch_size}")
    with _writing(store, rebuild) as target:
        unique, present, todo = _missing(items, target, rebuild)
        duplicates = len(items) - len(unique)
        total, done = len(unique), len(unique) - len(todo)
        if progress:
            progress(done, total)
        added, failed = _add_photos(todo, embedder, target, batch_size, progress, done, total)
        retagged = _retagged(unique, present, target)
        for start in range(0, len(retagged), batch_size):
            target.restore(retagged[start:start + batch_size])
        if retagged:
            logger.info("%d indexed items have new tags: their records follow", len(retagged))
    report = IndexReport(added=added, skipped=len(present) + duplicates + failed, total=store.count(), failed=failed)
    logger.info("indexed %d new items (%d already there, %d unreadable); the store holds %d",
                added, len(present), failed, report.total)
    return report


def collection_name(profile: str, shipped: bool = False) -> str:
    """One collection per profile, so switching between demo and hub models never mixes embedding spaces (and
    one for a hub embedder over the shipped catalog, when the hub's catalog could not be imported)."""
    return f"{DEFAULT_COLLECTION}-{profile}" + ("-shipped" if shipped else "")


def open_store(config: AppConfig, profile: str, embedder: Embedder, reset: bool = False,
               shipped: bool = False) -> CatalogStore:
    """The profile's store: the Chroma server at config.chroma_url, else the embedded one under data_dir."""
    return CatalogStore(path=None if config.chroma_url else config.chroma_path, url=config.chroma_url,
                        collection=collection_name(profile, shipped), embedder_name=embedder.name, reset=reset,
                        settings=IndexSettings.from_config(config))


def open_text_store(config: AppConfig, profile: str, text_embedder: TextEmbedder, reset: bool = False,
                    shipped: bool = False) -> CatalogStore:
    """The store of item texts beside the photo store: same ids and metadata, the text model's vectors (Chroma
    keeps one vector per record, so each view is its own collection)."""
    return CatalogStore(path=None if config.chroma_url else config.chroma_path, url=config.chroma_url,
                        collection=collection_name(profile, shipped) + "-text",
                        embedder_name=f"{text_embedder.name} (item text v{ITEM_TEXT_VERSION})",
                        reset=reset, settings=IndexSettings.from_config(config))


def ensure_text_index(config: AppConfig, profile: str, text_embedder: TextEmbedder, rebuild_if_stale: bool = False,
                      shipped: bool = False) -> CatalogStore:
    """Open the text store and embed the texts it lacks (rebuilt when the text model changed, like the photos')."""
    store = _open_or_rebuild(functools.partial(open_text_store, config, profile, text_embedder, shipped=shipped),
                             rebuild_if_stale)
    folder = catalog_folder(config, profile, shipped)
    try:
        items = load_tagged_catalog(folder)
    except (FileNotFoundError, ValueError) as exc:  # a shared server's index without a local catalog
        logger.warning("%s; serving the %d item texts already indexed", exc, store.count())
        return store
    build_text_index(items, text_embedder, store)
    return store


def prepare_catalog(config: AppConfig, profile: str, folder: Path | None = None, shipped: bool = False) -> Path:
    """The catalog folder to index (profiles.catalog_folder); a configured source (Hub dataset, parquet, CSV) is
    imported into it first.

    The import writes catalog.jsonl last, so a killed import is redone (images already written are kept).
    """
    folder = Path(folder) if folder else catalog_folder(config, profile, shipped)
    source, limit = catalog_source(config, profile, shipped)
    if source and not (folder / CATALOG_FILE).is_file():
        from fashion_ai.catalog.importer import import_catalog

        logger.info("importing the catalog %s (limit %s) into %s", source, limit or "none", folder)
        try:
            items = import_catalog(source, folder, limit=limit or None)
        except Exception as exc:  # offline Hub, missing file, bad rows: all mean "no catalog to serve"
            problem = f"could not import the catalog {source}: {exc.__class__.__name__}: {' '.join(str(exc).split())}"
            logger.warning("%s (into %s)", problem, folder)
            raise IndexMissingError(without_paths(problem)[:400]) from exc
        logger.info("imported %d catalog items into %s", len(items), folder)
    return folder


def ensure_index(config: AppConfig, profile: str, embedder: Embedder, progress: Progress | None = None,
                 rebuild_if_stale: bool = False, shipped: bool = False) -> tuple[CatalogStore, IndexReport]:
    """Open the store and index the catalog items it lacks (on a second start nothing is re-embedded).

    rebuild_if_stale=True rebuilds a store made by another embedder instead of raising IndexMissingError.
    Without a local catalog, an already filled store (e.g. on a shared Chroma server) is used as it is.
    shipped=True indexes config.catalog_dir (the shipped catalog) whatever the profile's own catalog is.
    """
    store = _open_or_rebuild(functools.partial(open_store, config, profile, embedder, shipped=shipped),
                             rebuild_if_stale)
    try:
        items = load_tagged_catalog(prepare_catalog(config, profile, shipped=shipped))
    except FileNotFoundError as exc:
        count = store.count()
        if count:
            logger.warning("%s; serving the %d items already indexed", exc, count)
            return store, IndexReport(added=0, skipped=0, total=count)
        logger.warning("the catalog index is empty and %s", exc)  # where it looked: for the log only
        raise IndexMissingError("The catalog index is empty and there is no catalog to fill it with (the server's "
                                "log says where it looked).") from exc
    except ValueError as exc:
        logger.warning("the catalog cannot be read: %s", exc)
        raise IndexMissingError(f"The catalog cannot be read: {without_paths(str(exc))}") from exc
    return store, build_index(items, embedder, store, progress=progress)


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting 2: the CLI answers bad flags in one line."""

    def error(self, message: str):
        raise ValueError(message)


def _arg_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog="python -m fashion_ai.catalog.index",
                             description="Embed the catalog's photos into the search index (resumable).")
    parser.add_argument("--catalog", help="catalog folder with catalog.jsonl and images (default: config catalog_dir); "
                                          "with --source, the folder the import writes")
    parser.add_argument("--source", help="import a real catalog first: products:<hub id | parquet | csv | jsonl>, "
                                         "in the ashraq/fashion-product-images-small layout or with our item "
                                         "columns (id, title, image, price, url, category, colors, ...)")
    parser.add_argument("--profile", help="demo, hub or auto (default: FASHION_AI_PROFILE or auto)")
    parser.add_argument("--data-dir", help="folder of the embedded Chroma store (default: FASHION_AI_DATA_DIR)")
    parser.add_argument("--chroma-url", help="http://host:port of a Chroma server instead of the embedded store")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="photos embedded per batch")
    parser.add_argument("--rebuild", action="store_true",
                        help="embed everything again into a new index, swapped in when done (the old one serves "
                             "until then); needed to apply new --hnsw-max-neighbors / --hnsw-ef-construction")
    parser.add_argument("--limit", type=int, help="import and index only the first N catalog items")
    for name, what in (("max-neighbors", "links per item"), ("ef-construction", "build effort"),
                       ("ef-search", "search effort")):
        parser.add_argument(f"--hnsw-{name}", type=int, help=f"HNSW {what} (default: FASHION_AI_HNSW_"
                                                             f"{name.replace('-', '_').upper()} or the measured default)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Index a catalog from the command line; domain errors are one line on stderr and exit code 1."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        # 1. Settings: environment first, flags on top.
        args = _arg_parser().parse_args(argv)
        if args.batch_size <= 0 or (args.limit is not None and args.limit <= 0):
            raise ValueError("--batch-size and --limit must be positive")
        overrides = {"profile": args.profile, "data_dir": args.data_dir, "chroma_url": args.chroma_url,
                     "catalog_source": args.source, "catalog_limit": args.limit,
                     "catalog_dir": None if args.source else args.catalog,
                     "hnsw_max_neighbors": args.hnsw_max_neighbors, "hnsw_ef_construction": args.hnsw_ef_construction,
                     "hnsw_ef_search": args.hnsw_ef_search}
        config = load_config(None).with_overrides(**{k: v for k, v in overrides.items() if v is not None})
        # 2. The catalog (imported first when it comes from a dataset), read before any model loads when it can be.
        from fashion_ai.models.registry import ModelRegistry

        models = ModelRegistry(config)
        if args.catalog and not args.source:
            items = load_tagged_catalog(Path(args.catalog))
        else:  # the profile's catalog follows the embedder that serves
            folder = Path(args.catalog) if args.catalog else None
            items = load_tagged_catalog(prepare_catalog(config, models.embedder_source, folder))
        if args.limit is not None:
            items = items[:args.limit]
        # 3. Embedder and store (one collection per embedder source).
        embedder = models.embedder()
        try:
            store = open_store(config, models.embedder_source, embedder)
        except IndexMissingError:
            if not args.rebuild:
                raise
            store = open_store(config, models.embedder_source, embedder, reset=True)  # unusable anyway
        # 4. Index with a progress bar.
        from tqdm import tqdm

        with tqdm(total=len(items), unit="item", desc="indexing", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = build_index(items, embedder, store, batch_size=args.batch_size, progress=progress,
                                 rebuild=args.rebuild)
        # 5. The item texts, for the text model (fast: no photos).
        text_store = open_text_store(config, models.embedder_source, models.text())
        build_text_index(items, models.text(), text_store, rebuild=args.rebuild)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except (FashionAIError, ValueError, FileNotFoundError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    failed = f", {report.failed} with unreadable images" if report.failed else ""
    print(f"indexed {report.added} new items ({report.skipped} skipped{failed}); "
          f"{store.location} [{store.name}] holds {report.total} items")
    if store.stale_settings and not args.rebuild:
        print(f"note: {store.stale_settings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
