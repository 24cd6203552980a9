"""What every attribute extractor answers, whatever the model family: the garments, the model's raw text, and how
sure it was of each scored value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fashion_ai.schema import FIELDS, Garment, ParseResult

# A value counts as sure when it is at least this many times as likely as the runner-up among the allowed values;
# below that the field is left out of the garment and shown as unsure.
SURE_RATIO = 2.0


# How a person says a schema value when answering (VQA answers are everyday words, not our labels).
SPOKEN: dict[str, dict[str, str]] = {
    "pattern": {"solid": "plain", "checked": "plaid", "dotted": "polka dot", "colour-block": "color block",
                "animal": "animal print"},
    "sleeve": {"elbow-length": "elbow length", "three-quarter": "three quarter"},
    "length": {"above-the-hip": "above the hip", "above-the-knee": "above the knee", "below-the-knee": "below the knee",
               "floor": "floor length", "knee": "knee length", "ankle": "ankle length"},
    "colors": {"grey": "gray"},
    "category": {"shoe": "shoes", "pants": "pants", "glasses": "glasses", "leg warmer": "leg warmers", "sock": "socks",
                 "glove": "gloves"},
}
# Which questions make sense for which garments.
_TOPS = {"shirt", "top", "sweater", "cardigan", "jacket", "vest", "coat", "dress", "jumpsuit", "cape"}
APPLIES: dict[str, frozenset[str]] = {
    "sleeve": frozenset(_TOPS - {"vest", "cape"}),
    "length": frozenset({"dress", "skirt", "pants", "shorts", "coat", "jumpsuit"}),
    "neckline": frozenset({"shirt", "top", "sweater", "dress", "jumpsuit"}),
    "material": frozenset(FIELDS["category"]) - {"glasses", "watch", "umbrella"},
}


def spoken(name: str, value: str) -> str:
    """A schema value as people say it, for zero-shot prompts and questions."""
    return SPOKEN.get(name, {}).get(value, value)


@dataclass
class FieldGuess:
    """The extractor's choice for one field among the schema's values, with the runner-up."""

    field: str
    value: str
    probability: float  # among the allowed values (they sum to 1)
    runner_up: str | None = None
    runner_up_probability: float = 0.0

    @property
    def sure(self) -> bool:
        return self.probability >= SURE_RATIO * self.runner_up_probability

    def probability_of(self, value: str) -> float:
        """The probability of one of the two best values (0 for any other)."""
        return self.probability if value == self.value else self.runner_up_probability if value == self.runner_up else 0.0


def guess_from_scores(name: str, values: Sequence[str], scores: Sequence[float]) -> FieldGuess:
    """The best value by log-score, its probability among the candidates (softmax) and the runner-up."""
    top = max(scores)
    weights = [math.exp(s - top) for s in scores]
    total = sum(weights)
    order = sorted(range(len(values)), key=lambda i: -scores[i])
    best = order[0]
    second = order[1] if len(order) > 1 else None
    return FieldGuess(name, values[best], weights[best] / total,
                      values[second] if second is not None else None,
                      weights[second] / total if second is not None else 0.0)


# The garment-or-not decision every extractor takes first, as a guess between "yes" and "no".
PRESENCE_FIELD = "garment"


def presence_guess(garment_score: float, none_score: float) -> FieldGuess:
    """Garment or not from two log-scores: "yes" or "no", with both probabilities (softmax of the two)."""
    return guess_from_scores(PRESENCE_FIELD, ["yes", "no"], [garment_score, none_score])


def says_no_garment(presence: FieldGuess, threshold: float) -> bool:
    """True when the probability of "no garment" reaches the extractor's threshold."""
    return presence.probability_of("no") >= threshold


@dataclass
class Extraction:
    """One photo's answer: the raw model text, what the parser recovered from it, the scored fields, and how sure
    the extractor was that the photo shows a garment at all (None where it did not score that: free generation)."""

    raw: str
    result: ParseResult
    guesses: list[dict[str, FieldGuess]] = field(default_factory=list)  # per garment; empty for free generation
    presence: FieldGuess | None = None

    def unsure(self, index: int = 0) -> list[FieldGuess]:
        """The fields of the index-th garment left out because their best two values were close."""
        if index >= len(self.guesses):
            return []
        return [guess for guess in self.guesses[index].values() if not guess.sure]


def garment_from_guesses(guesses: dict[str, FieldGuess]) -> Garment:
    """The garment of the sure values (the category always: a garment needs one)."""
    values: dict[str, Any] = {}
    for name, guess in guesses.items():
        if name == "category" or guess.sure:
            values[name] = [guess.value] if name == "colors" else guess.value
    return Garment(**values)


class Extractor(Protocol):
    """A loaded attribute extractor: photo in, garments out; a batch of photos in, each photo's garments out (the
    same as ``extract`` photo by photo, with fewer model calls)."""

    name: str
    model: Any

    def extract(self, image) -> Extraction: ...

    def extract_batch(self, images: Sequence) -> list[Extraction]: ...
