"""What the service's pipelines return to a front end: a photo search's result with the garment read, the stylist's
answer, and the error of a photo with no garment in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fashion_ai.errors import FashionAIError
from fashion_ai.retrieval.search import SearchResult
from fashion_ai.retrieval.stylist import StylistPick
from fashion_ai.schema import Garment

if TYPE_CHECKING:  # torch loads with the first model, not with the service
    from fashion_ai.models.extraction import FieldGuess

NO_GARMENT = ("The model could not make out a garment in this photo. Try a clear photo of one garment on a plain "
              "background.")


class NoGarmentError(FashionAIError):
    """The photo was read, but the model found no garment in it."""


@dataclass
class StyleResult:
    """The stylist's answer: the garment read from the photo, the wish as understood, and the picks."""

    garment: Garment
    prompt: str  # the shopper's words as searched, without markup
    picks: list[StylistPick]
    guesses: dict[str, FieldGuess] = field(default_factory=dict)  # how sure the extractor was of each value
    understood: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class PhotoSearch:
    """Items like a photo: the search's result and the garment read from the photo (None when none was)."""

    result: SearchResult
    garment: Garment | None
