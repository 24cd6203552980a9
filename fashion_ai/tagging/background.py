"""The app's own tagging pass: once the index serves, a thread tags the items that lack a category, colour or pattern,
in small batches, and each batch goes into both indexes at once, so search serves what is tagged so far while the
page says how far tagging has got."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_ai.catalog.items import CatalogItem, item_text, load_catalog
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.catalog.tags import TagRecord, apply_tags
from fashion_ai.models.extraction import Extractor
from fashion_ai.retrieval.reading import QueryReader
from fashion_ai.tagging.run import lacks_attributes, tag_catalog

if TYPE_CHECKING:  # torch loads with the first model, not with the service
    from fashion_ai.models.text import TextEmbedder

logger = logging.getLogger(__name__)

# Small batches: the extractor's worker reads one batch at a time, and a shopper's photo waits at most for one.
BACKGROUND_BATCH = 8


@dataclass
class TaggingState:
    """How far the app's tagging pass has got."""

    done: int = 0
    total: int = 0
    running: bool = False
    error: str = ""

    def line(self) -> str:
        """The banner's line while tagging runs ("" otherwise)."""
        if not self.running:
            return ""
        return f"Tagging the catalog: {self.done:,} of {self.total:,} (search serves what is tagged so far)"

    def note(self) -> str:
        """What a search says while tagging runs ("" otherwise)."""
        if not self.running:
            return ""
        return f"The catalog is still being tagged ({self.done:,} of {self.total:,} items read): results may be incomplete."


class CatalogTagger:
    """Runs one background tagging pass per catalog, and knows how far it has got."""

    def __init__(self) -> None:
        self.state = TaggingState()
        self._thread: threading.Thread | None = None

    def start(self, folder: Path, extractor: Callable[[], Extractor], reader: Callable[[], QueryReader],
              text_model: TextEmbedder, store: CatalogStore, text_store: CatalogStore | None,
              on_change: Callable[[], None] = lambda: None) -> bool:
        """Start tagging the folder's items lacking attributes (False when none lacks any, there is no catalog
        file, or a pass already runs)."""
        if self._thread is not None and self._thread.is_alive():
            return False
        try:
            lacking = [item for item in load_catalog(folder) if lacks_attributes(item)]
        except (FileNotFoundError, ValueError):  # a shared server's index without a local catalog
            return False
        if not lacking:
            return False
        logger.info("tagging %d catalog items that lack attributes, in the background", len(lacking))
        self.state = TaggingState(0, len(lacking), running=True)
        self._thread = threading.Thread(
            target=self._run, args=(folder, lacking, extractor, reader, text_model, store, text_store, on_change),
            name="catalog-tagger", daemon=True)
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the pass to end; True when none runs any more."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.state.running

    def _run(self, folder: Path, items: list[CatalogItem], extractor: Callable[[], Extractor],
             reader: Callable[[], QueryReader], text_model: TextEmbedder, store: CatalogStore,
             text_store: CatalogStore | None, on_change: Callable[[], None]) -> None:
        by_id = {item.id: item for item in items}

        def follow(records: list[TagRecord]) -> None:
            fresh = apply_tags([by_id[record.item_id] for record in records], {r.item_id: r for r in records})
            store.restore(fresh)  # an unreadable photo was never indexed: left out
            if text_store is not None:
                text_store.upsert(fresh, text_model.embed([item_text(item) for item in fresh]))
            on_change()

        def progress(done: int, total: int) -> None:
            self.state.done, self.state.total = done, total

        try:
            report = tag_catalog(items, folder, extractor(), reader(), batch_size=BACKGROUND_BATCH, progress=progress,
                                 only_lacking=True, on_batch=follow)
            logger.info("tagged %d catalog items in the background (%.1f items/s)", report.tagged,
                        report.photos_per_second)
        except Exception as exc:  # a model that will not load, a store gone away: said once, the app serves on
            self.state.error = f"{exc.__class__.__name__}: {' '.join(str(exc).split())}"[:300]
            logger.warning("tagging the catalog stopped: %s", self.state.error)
        finally:
            self.state.running = False
