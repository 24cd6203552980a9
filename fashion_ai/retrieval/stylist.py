"""The AI stylist: a garment the shopper has (read from a photo) plus a wish, in; one catalog piece per outfit slot
that goes with it, out, each with its reason (dress code, weather, colour harmony, the words it matched).

It is the outfit planner (fashion_ai.retrieval.outfits) built around the garment: the garment's own slot is left
out unless the wish asks for it ("another dress"), and every colour is judged against the garment's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fashion_ai.catalog.store import CatalogStore
from fashion_ai.config import DEFAULT_MAX_QUERY_CHARS
from fashion_ai.retrieval.outfits import plan_outfit
from fashion_ai.retrieval.query import clean_query, clean_text
from fashion_ai.retrieval.search import SearchContext, SearchHit, SearchResult
from fashion_ai.schema import Garment, normalize_value

if TYPE_CHECKING:  # torch loads only when a model does
    from fashion_ai.models.clip.embeddings import Embedder

logger = logging.getLogger(__name__)

DEFAULT_STYLIST_PROMPT = "an outfit"
DEFAULT_PICKS = 6
StylistPick = SearchHit  # a piece for the shopper's garment: item, score, one-line reason


def style_outfit(garment: Garment, prompt: str, ctx: SearchContext, n: int = DEFAULT_PICKS,
                 max_chars: int = DEFAULT_MAX_QUERY_CHARS) -> SearchResult:
    """Up to n pieces, one per slot, that go with the garment for the wish; what was understood, and notes.
    TextTooLongError for a prompt over max_chars (refused on its raw length before it is walked)."""
    prompt = clean_text(prompt, max_chars, "request")
    category = normalize_value("category", garment.category) or garment.category.strip().lower()
    garment = Garment(**{**garment.to_dict(), "category": category})
    result = plan_outfit(prompt, ctx, garment=garment, slots=n)
    logger.info("stylist for %s %r: %s", category, prompt, [hit.item.id for hit in result.hits])
    return result


def style_item(garment: Garment, prompt: str, embedder: Embedder, store: CatalogStore, n: int = DEFAULT_PICKS,
               max_chars: int = DEFAULT_MAX_QUERY_CHARS) -> list[StylistPick]:
    """Pieces that go with the garment (CLIP and the lexicon only; the service passes its text model too).

    An empty prompt means "an outfit"; a prompt longer than max_chars raises BadQueryError."""
    from fashion_ai.retrieval.reading import lexicon_reader

    text = clean_query(clean_text(prompt) or DEFAULT_STYLIST_PROMPT, max_chars)
    return style_outfit(garment, text, SearchContext(embedder, store, lexicon_reader()), n).hits
