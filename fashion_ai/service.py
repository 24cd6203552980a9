"""The one object a front end talks to: it owns the models, the catalog store and the catalog, and runs the
pipelines (photo -> garment, words -> items, words -> outfit, photo + wish -> picks).

Nothing loads when a service is made: models and the index load on first use, once, thread-safely. Errors meant
for the shopper are FashionAIError subclasses with a plain message; a front end shows them as they are.

A front end (app.py, ui/) imports nothing else of the library: what it shows of the library's types and lists
(the schema's colours and values, the chat's openers and state cap) is re-exported here, and what it asks (is this
edited garment valid, which chips a saved wish has, which photos to offer) is a method here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_ai.catalog import CATALOG_FILE, CatalogItem, load_catalog
from fashion_ai.catalog.store import CatalogStore
from fashion_ai.catalog.tags import TAGS_FILE, TagsFile, load_tagged_catalog
from fashion_ai.config import DEMO_BANNER, AppConfig
from fashion_ai.conversation import OPENERS, TurnResult, Wish, take_turn
from fashion_ai.conversation.state import MAX_STATE_CHARS
from fashion_ai.conversation.turn import read_message
from fashion_ai.conversation.undo import snapshot
from fashion_ai.errors import BadQueryError, FashionAIError, IndexMissingError
from fashion_ai.examples import SHOP_EXAMPLES_MANIFEST, load_example_photos
from fashion_ai.facets import CatalogFacets, read_facets, schema_facets
from fashion_ai.images import load_image
from fashion_ai.models.registry import DEMO_NAME, ROLES, ModelRegistry, Serving
from fashion_ai.models.worker import on_zero_gpu
from fashion_ai.profiles import DEMO, HUB, catalog_folder, catalog_source
from fashion_ai.results import NO_GARMENT, NoGarmentError, PhotoSearch, StyleResult
from fashion_ai.retrieval.lookalike import nearest_photo_first
from fashion_ai.retrieval.outfits import plan_outfit
from fashion_ai.retrieval.query import ShopperQuery, clean_query, clean_text, edited, garment_query, plain_words
from fashion_ai.retrieval.reading import QueryReader
from fashion_ai.retrieval.search import W_IMAGE, W_PHOTO, SearchContext, SearchFilters, SearchResult, find_items
from fashion_ai.retrieval.stylist import DEFAULT_PICKS, DEFAULT_STYLIST_PROMPT, style_outfit
from fashion_ai.schema import FIELDS, LIST_FIELDS, Garment
from fashion_ai.schema.colours import COLOR_RGB
from fashion_ai.tagging.background import CatalogTagger
from fashion_ai.tagging.coverage import coverage_json

if TYPE_CHECKING:  # torch loads with the first model, not with the service
    from fashion_ai.models.extraction import Extraction

logger = logging.getLogger(__name__)

# What a front end shows of the library, so that it imports the service only (tests/test_imports.py); FieldGuess,
# a type only, is there for type checkers (imported above under TYPE_CHECKING).
__all__ = ["COLOR_RGB", "FIELDS", "MAX_STATE_CHARS", "OPENERS", "CatalogFacets", "CatalogItem", "FashionAIError",
           "FashionService", "Garment", "NoGarmentError", "PhotoSearch", "StyleResult", "TurnResult"]

NOT_IN_SCHEMA = "Some of those values are not in the schema; pick them from the lists."
PHOTO_CATEGORY_SURE = 0.9  # the extractor's probability above which a photo search keeps to the category read
# Chips a shopper can keep in one call, and a chip key's length: a wish at every cap of conversation.state shows
# under 700 chips, each key under 150 characters.
MAX_CHIP_KEYS = 1_000
MAX_CHIP_KEY_CHARS = 200


class FashionService:
    """Models, store, catalog and pipelines for one config."""

    def __init__(self, config: AppConfig, models: ModelRegistry | None = None):
        self.config = config
        self.models = models or ModelRegistry(config)
        self._store_lock = threading.Lock()
        self._store: CatalogStore | None = None
        self._facets: CatalogFacets | None = None
        self._text_store: CatalogStore | None = None
        self._reader_lock = threading.Lock()
        self._reader: QueryReader | None = None
        self._shipped = False  # the hub's catalog could not be imported: the shipped one serves
        self._items_lock = threading.Lock()
        self._items_key: tuple[str, int, int] | None = None
        self._items: dict[str, CatalogItem] = {}
        self.catalog_note = ""
        self.indexed = 0
        self.tagger = CatalogTagger()  # the catalog's items lacking attributes, tagged in the background

    # ------------------------------------------------------------------------------------------- what serves
    @property
    def profile(self) -> str:
        """The catalog's profile: the embedder's (an index is never queried with another model's vectors)."""
        return self.models.embedder_source

    def serving(self) -> list[Serving]:
        """What serves search and attributes (both loaded now if they were not), with any fallback's reason."""
        self.models.embedder()
        self.models.text()
        self.models.extractor()
        return self.models.serving()

    def describe(self) -> list[str]:
        """The banner's lines: which model serves which tab, and why a hub model did not."""
        serving = self.serving()
        tagging = [self.tagger.state.line()] if self.tagger.state.running else []
        if all(s.source == DEMO and not s.why_not_hub for s in serving):
            return [f"{DEMO_BANNER} · " + " · ".join(s.line() for s in serving), *tagging]
        return [" · ".join(f"{ROLES[s.role]}: {s.name}" for s in serving)] + [
            f"{ROLES[s.role]} fell back to the {DEMO_NAME}: {s.why_not_hub}" for s in serving if s.why_not_hub] + (
            [self.catalog_note] if self.catalog_note else []) + tagging

    def catalog_folder(self) -> Path:
        """The catalog that serves: the embedder's profile's (loads the embedder to know which)."""
        return catalog_folder(self.config, self.profile, self._shipped)

    def catalog_roots(self) -> list[Path]:
        """Every folder a served catalog photo may come from (known without loading anything)."""
        return [Path(self.config.catalog_dir), Path(self.config.data_dir) / "catalogs"]

    def _planned_catalog_folder(self) -> Path:
        """The catalog the filters describe before anything loads: the imported hub catalog if it is there."""
        if self._store is not None:
            return self.catalog_folder()
        if self.config.profile != DEMO:
            hub = catalog_folder(self.config, HUB)
            if (hub / CATALOG_FILE).is_file():
                return hub
        return catalog_folder(self.config, DEMO)

    def store(self, progress: Callable[[int, int], None] | None = None) -> CatalogStore:
        """The catalog index, built on first use (the demo catalog is embedded on first start) and reused."""
        with self._store_lock:
            if self._store is None:
                from fashion_ai.catalog.index import ensure_index, ensure_text_index

                # The index is derived data: one built by other weights is rebuilt, unless it is a shared server's.
                embedder = self.models.embedder()
                stale = not self.config.chroma_url
                try:
                    store, report = ensure_index(self.config, self.profile, embedder, progress, rebuild_if_stale=stale)
                except IndexMissingError as exc:
                    if not catalog_source(self.config, self.profile)[0]:
                        raise
                    # The hub's catalog could not be imported (offline, a typo): serve the shipped one, and say so.
                    logger.warning("%s; serving the shipped catalog", exc)
                    store, report = ensure_index(self.config, self.profile, embedder, progress, rebuild_if_stale=stale,
                                                 shipped=True)
                    self._shipped, self._facets = True, None
                    self.catalog_note = f"Catalog: the shipped demo catalog ({' '.join(str(exc).split())[:300]})"
                self._text_store = ensure_text_index(self.config, self.profile, self.models.text(),
                                                     rebuild_if_stale=stale, shipped=self._shipped)
                logger.info("catalog index ready: %d items (%d embedded now)", report.total, report.added)
                for each in (store, self._text_store):  # filters against the query wait for it: start now
                    each.fill_mirror(timeout=0)
                self._store, self.indexed = store, report.total
                self._tag_in_background(store)
            return self._store

    def _tag_in_background(self, store: CatalogStore) -> None:
        """Tag the catalog's items lacking attributes while the index serves (config.tag_catalog); not on ZeroGPU,
        whose GPU is lent only to a shopper's own call (tag ahead there: python -m fashion_ai.tagging)."""
        if self.config.tag_catalog and not on_zero_gpu():
            self.tagger.start(self.catalog_folder(), self.models.extractor, self.reader, self.models.text(), store,
                              self._text_store, on_change=lambda: setattr(self, "_facets", None))

    def noted(self, result: SearchResult) -> SearchResult:
        """The result, with a note while the catalog is still being tagged (items not yet read may be missing)."""
        note = self.tagger.state.note()
        if note:
            result.notes.append(note)
        return result

    def warm_up(self, log: Callable[[str], None] = logger.info) -> None:
        """Load everything before serving, saying what happens; failures are logged and requests report them."""
        try:
            log(f"Fashion AI: profile {self.config.profile}; loading the search model ...")
            embedder = self.models.embedder()
            log(f"  search model {embedder.name}: {getattr(embedder.model, 'fashion_ai_summary', '')}")
            last = [-1]

            def progress(done: int, total: int) -> None:
                step = done * 10 // max(total, 1)
                if step != last[0]:
                    last[0] = step
                    log(f"  catalog index: {done}/{total} items")

            self.store(progress)
            self.reader().prepare()
            log(f"  catalog index ready: {self.indexed} items; loading the attribute model ...")
            extractor = self.models.extractor()
            log(f"  attribute model {extractor.name}: {getattr(extractor.model, 'fashion_ai_summary', '')}")
            for line in self.describe():
                log(f"  {line}")
        except FashionAIError as exc:
            log(f"warning: {exc} (the app starts anyway and shows this message on use)")

    # ------------------------------------------------------------------------------------------- the catalog
    def facets(self) -> CatalogFacets:
        """Categories, colours, prices and example photos of the catalog file (the whole schema without one)."""
        if self._facets is None:
            self._facets = self._read_facets()
        return self._facets

    def _read_facets(self) -> CatalogFacets:
        try:
            return read_facets(load_tagged_catalog(self._planned_catalog_folder()))
        except (FileNotFoundError, ValueError) as exc:  # e.g. a shared Chroma server and no local catalog
            logger.info("no local catalog for the filters (%s); offering the whole schema", exc)
            return schema_facets()

    def catalog_items(self) -> dict[str, CatalogItem]:
        """The serving catalog's items by id, read again when its catalog file changes ({} without one); OSError or
        ValueError for a catalog file that cannot be read."""
        folder = self.catalog_folder()
        try:
            tags = folder / TAGS_FILE
            key = (str(folder), (folder / CATALOG_FILE).stat().st_mtime_ns, tags.stat().st_mtime_ns if tags.is_file() else 0)
        except OSError:
            return {}
        with self._items_lock:
            if key != self._items_key:
                self._items = {item.id: item for item in load_tagged_catalog(folder)}
                self._items_key = key
            return self._items

    def catalog_coverage(self) -> dict:
        """Per field, the serving catalog's items with a given value, a tagged one or none, and the tagger's
        agreement with the given values it also read (the Catalog tab; python -m fashion_ai.tagging --coverage)."""
        folder = self.catalog_folder()
        return coverage_json(load_catalog(folder), TagsFile(folder).read())

    @staticmethod
    def real_example_photos() -> list[str]:
        """The real product photos shipped for the page's examples (assets/fashion_mnist), as paths."""
        return [str(photo.path) for photo in load_example_photos()]

    @staticmethod
    def shop_example_photos() -> list[str]:
        """Real product photos from the test split, coloured and framed as shops photograph them, as paths."""
        return [str(photo.path) for photo in load_example_photos(manifest=SHOP_EXAMPLES_MANIFEST)]

    def filters(self, gender: str | None = None, category: str | None = None, color: str | None = None,
                max_price: float | None = None, ceiling: float | None = None) -> SearchFilters:
        """Facets as a store filter; a price cap at the slider's top (ceiling: the one the front end shows, by
        default the catalog's) means any price, so unpriced items stay in."""
        top = self.facets().price_ceiling if ceiling is None else float(ceiling)
        cap = None if max_price is None or float(max_price) >= top else float(max_price)
        return SearchFilters(gender=gender, category=category, color=color, max_price=cap)

    def leaves_out_unpriced(self, filters: SearchFilters) -> bool:
        """Whether the filters' price cap leaves out catalog items without a listed price (the catalog has some)."""
        return filters.max_price is not None and bool(self.facets().unpriced)

    def photo_of(self, item: CatalogItem) -> Path | None:
        """The item's photo file, looked up in today's catalog folder when the index was built elsewhere."""
        path = Path(item.image_path)
        if not path.is_file():
            path = self.catalog_folder() / "images" / path.name
        return path if path.is_file() else None

    # ------------------------------------------------------------------------------------------- pipelines
    def read_photo(self, source):
        """An upload (path, bytes or image) as an RGB photo; BadImageError with a plain message otherwise."""
        return load_image(source, max_pixels=self.config.max_image_pixels, max_bytes=self.config.max_upload_mb * 2**20)

    def extract(self, image) -> Extraction:
        """The garments in a photo, with the model's raw answer and what the parser repaired."""
        started = time.perf_counter()
        extraction = self.models.extractor().extract(image)
        logger.info("read %d garment(s) in %.2f s", len(extraction.result.garments), time.perf_counter() - started)
        return extraction

    def query(self, text: str | None) -> str:
        """The shopper's words cleaned, or BadQueryError before anything loads."""
        return clean_query(text, self.config.max_query_chars)

    def reader(self) -> QueryReader:
        """The query reader over the text model (built once)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = QueryReader(self.models.text())
            return self._reader

    def context(self) -> SearchContext:
        """The catalog and its models, for a search, outfit or stylist call (loaded on first use)."""
        store = self.store()
        return SearchContext(self.models.embedder(), store, self.reader(), self.models.text(), self._text_store)

    def search(self, query: str | None, filters: SearchFilters | None = None) -> SearchResult:
        """The catalog items that best fit the words, with what was understood (the words are cleaned here, once,
        and refused before anything loads)."""
        text = self.query(query)
        return self.noted(find_items(text, self.context(), filters, n=self.config.results))

    def search_photo(self, image, words: str | None = None, filters: SearchFilters | None = None) -> PhotoSearch:
        """Items like the photo; with words, the photo's garment as the words change it ("like this but in blue")."""
        text = clean_text(words, self.config.max_query_chars)  # too long: refused before any model runs
        extraction = self.extract(image)
        garment = extraction.result.garments[0] if extraction.result.garments else None
        ctx = self.context()
        base = garment_query(garment) if garment else ShopperQuery(text="")
        category = extraction.guesses[0].get("category") if extraction.guesses else None
        # A photo alone whose category the extractor was unsure of: look-alikes of any kind, that one first (a
        # misread category would otherwise leave the photo's own item out of the search).
        base.category_is_soft = not text and category is not None and category.probability < PHOTO_CATEGORY_SURE
        wish = edited(base, ctx.reader.read(text)) if text else base
        vector = ctx.embedder.embed_images([image])[0]
        result = find_items(text or base.text, ctx, filters, n=self.config.results, photo_vector=vector, query=wish,
                            w_image=W_IMAGE if text else W_PHOTO)
        if not text:  # the photo alone: its nearest catalog photo first, whatever the extractor read
            result = nearest_photo_first(result, ctx.store, vector, filters, self.config.results)
        return PhotoSearch(self.noted(result), garment)

    def search_garment(self, garment: Garment, filters: SearchFilters | None = None) -> SearchResult:
        """Items like a garment the shopper described or edited attribute by attribute."""
        wish = garment_query(garment)
        # The garment is the extractor's reading (perhaps edited): its values rank softly, as a photo's do.
        return find_items(wish.text, self.context(), filters, n=self.config.results, query=wish, worded=False)

    def complete_outfit(self, query: str | None, filters: SearchFilters | None = None) -> SearchResult:
        """One piece per part of an outfit for the words, head to toe (refused, like search's, before any work)."""
        text = self.query(query)
        return self.noted(plan_outfit(text, self.context(), filters))

    def edited_garment(self, values: dict[str, str | list[str] | None]) -> Garment:
        """A garment from values a shopper picked field by field (empty ones left out); BadQueryError when one is
        not among the schema's values for its field."""
        given = {name: value for name, value in values.items() if value}
        for name, value in given.items():
            allowed = FIELDS.get(name, ())
            listed = isinstance(value, list)
            if listed != (name in LIST_FIELDS) or not all(v in allowed for v in (value if listed else [value])):
                raise BadQueryError(NOT_IN_SCHEMA)
        return Garment(**given)

    def stylist_prompt(self, prompt: str | None) -> str:
        """The stylist's wish: the shopper's words, "an outfit" when empty; BadQueryError when too long."""
        return clean_text(prompt, self.config.max_query_chars) or DEFAULT_STYLIST_PROMPT

    def chat(self, message: str | None, photo=None, state: str | dict | None = None) -> TurnResult:
        """One turn of the stylist chat: the message (and photo) edit the conversation's wish (`state`, as the last
        turn returned it), and the turn brings the picks, the reply and the new state. A bad photo or state is said
        in the reply and the conversation goes on. The message's length is checked first, before any work."""
        text, unread = read_message(message, self.config.max_query_chars)
        wish, problems = self._wish(state)
        problems += unread
        garments = None
        if photo is not None:
            try:
                extraction = self.extract(self.read_photo(photo))
                garments = list(extraction.result.garments) or None
                if garments is None:
                    problems.append("I could not make out a garment in that photo. Describe it instead (“a blue "
                                    "linen shirt”) and I will style around it.")
            except FashionAIError as exc:  # unreadable or huge photo, a model that will not load
                problems.append(f"{exc} I carried on with your words.")
        return take_turn(self.context(), wish, text, garments, problems=problems,
                         categories=self.facets().categories, max_chars=self.config.max_query_chars,
                         photo_of=self.photo_of)

    def chat_keep(self, keys: list[str], state: str | dict | None) -> TurnResult:
        """The conversation with only these parts of its wish kept (the chips the shopper left), and new picks.
        BadQueryError, before the state is read, for keys that are not a list of chip keys."""
        keys = keys or []
        if not isinstance(keys, (list, tuple)) or len(keys) > MAX_CHIP_KEYS or not all(
                isinstance(key, str) and len(key) <= MAX_CHIP_KEY_CHARS for key in keys):
            raise BadQueryError(f"The chips to keep are a list of up to {MAX_CHIP_KEYS:,} chip keys.")
        wish, problems = self._wish(state)
        before = snapshot(wish)  # "undo" after removing chips brings them back
        removed = wish.keep_only(keys)
        return take_turn(self.context(), wish, None, problems=problems, said=[f"without {r}" for r in removed],
                         categories=self.facets().categories, max_chars=self.config.max_query_chars,
                         photo_of=self.photo_of, before=before)

    @staticmethod
    def saved_chips(state: str | None) -> tuple[str, list[tuple[str, str]]]:
        """A saved wish (a turn's state, as JSON) and its chips as (key, label); no wish and no chips when it cannot
        be read (the chat's undo goes back to a saved one)."""
        try:
            return state or "", Wish.from_json(state or None).chips()
        except ValueError:
            return "", []

    @staticmethod
    def _wish(state: str | dict | None) -> tuple[Wish, list[str]]:
        try:
            return Wish.from_state(state)
        except ValueError as exc:
            logger.warning("unreadable chat state: %s", exc)
            return Wish(), [f"I could not read the earlier conversation ({exc}), so this is a new one."]

    def style(self, photo, prompt: str | None, n: int = DEFAULT_PICKS) -> StyleResult:
        """The garment in the photo (an upload, or a photo read_photo gave) and catalog items of other categories
        that go with it for the wish; a bad prompt is refused before the photo is read."""
        text = self.stylist_prompt(prompt)
        extraction = self.extract(self.read_photo(photo))
        if not extraction.result.garments:
            raise NoGarmentError(NO_GARMENT)
        garment = extraction.result.garments[0]
        result = style_outfit(garment, text, self.context(), n=n, max_chars=self.config.max_query_chars)
        return StyleResult(garment, plain_words(text), result.hits, extraction.guesses[0] if extraction.guesses else {},
                           result.query.understood(), result.notes)
