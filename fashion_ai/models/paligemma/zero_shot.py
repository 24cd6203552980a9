"""Zero-shot attributes from an instruction-tuned PaliGemma (a *mix* checkpoint): first whether the photo shows a
piece of clothing at all (yes or no), then one question per field, each answered by scoring the schema's allowed
values as answers rather than by free generation, so every value is one the schema knows and each comes with its
probability among the allowed ones.
"""

from __future__ import annotations

import json
from typing import Any

from fashion_ai.models.extraction import (
    APPLIES,
    Extraction,
    FieldGuess,
    garment_from_guesses,
    guess_from_scores,
    presence_guess,
    says_no_garment,
    spoken,
)
from fashion_ai.models.paligemma.scoring import ContinuationScorer
from fashion_ai.schema import FIELDS, ParseResult

# The mix checkpoints' VQA task prefix, and the question asked per field ({category} is the garment read first).
ANSWER_PREFIX = "answer en "
QUESTIONS: dict[str, str] = {
    "category": "what kind of clothing or accessory is this?",
    "colors": "what color is the {category}?",
    "pattern": "what is the pattern of the {category}?",
    "material": "what material is the {category} made of?",
    "sleeve": "how long are the sleeves of the {category}?",
    "length": "how long is the {category}?",
    "neckline": "what is the neckline of the {category}?",
}
PRESENCE_QUESTION = "is there a piece of clothing in this photo?"
# "No garment" when the mix checkpoint's "no" is at least this likely against "yes". 0.5 is the model's own answer:
# no mix checkpoint can be run offline here to tune it (the demo profile serves a trained extractor, not this one),
# and a VQA yes/no answer needs no bias of ours to be read.
MIX_NO_GARMENT_THRESHOLD = 0.5


def fields_for(category: str) -> list[str]:
    """The questions asked about a garment of this category, category first."""
    return [name for name in QUESTIONS if name == "category" or name not in APPLIES or category in APPLIES[name]]


class QuestionExtractor:
    """A mix PaliGemma asked one question per field, each answered by scoring the allowed values in one batch."""

    def __init__(self, processor: Any, model: Any, name: str = ""):
        self.processor = processor
        self.model = model
        self.name = name
        self._asks_presence = self._knows_yes_and_no()

    @staticmethod
    def ask(scorer: ContinuationScorer, name: str, category: str | None = None) -> FieldGuess:
        """The most likely allowed value for one field, with its probability among the allowed values."""
        values = list(FIELDS[name])
        question = QUESTIONS[name].format(category=spoken("category", category or "garment"))
        scores = scorer(ANSWER_PREFIX + question, [spoken(name, v) for v in values])
        return guess_from_scores(name, values, scores)

    @staticmethod
    def ask_presence(scorer: ContinuationScorer) -> FieldGuess:
        """Is there a piece of clothing in the photo: "yes" or "no", each with its probability of the two."""
        yes, no = scorer(ANSWER_PREFIX + PRESENCE_QUESTION, ["yes", "no"])
        return presence_guess(yes, no)

    def can_ask_presence(self) -> bool:
        """Whether the tokenizer knows "yes" and "no" (a checkpoint without them cannot tell the answers apart:
        it is not asked, as CLIP is not asked prompts it cannot read)."""
        return self._asks_presence

    def _knows_yes_and_no(self) -> bool:
        tokenizer = getattr(self.processor, "tokenizer", None)
        unknown = getattr(tokenizer, "unk_token_id", None)
        return tokenizer is None or unknown is None or all(unknown not in tokenizer(word, add_special_tokens=False)["input_ids"]
                                      for word in ("yes", "no"))

    def extract(self, image) -> Extraction:
        """No garment when the model answers that there is none; else one garment per photo: the category first,
        then the questions that fit it."""
        scorer = ContinuationScorer(self.processor, self.model, image)
        presence, said = None, {}
        if self.can_ask_presence():
            presence = self.ask_presence(scorer)
            said[PRESENCE_QUESTION] = {"yes": round(presence.probability_of("yes"), 3),
                                       "no": round(presence.probability_of("no"), 3)}
            if says_no_garment(presence, MIX_NO_GARMENT_THRESHOLD):
                return Extraction(json.dumps(said, indent=1), ParseResult([], valid_json=True), [], presence)
        guesses = {"category": self.ask(scorer, "category")}
        category = guesses["category"].value
        for name in fields_for(category)[1:]:
            guesses[name] = self.ask(scorer, name, category)
        garment = garment_from_guesses(guesses)
        # What the model said: each question with its two most likely answers.
        said.update({QUESTIONS[n].format(category=spoken("category", category)):
                     {g.value: round(g.probability, 3), **({g.runner_up: round(g.runner_up_probability, 3)}
                                                            if g.runner_up else {})}
                     for n, g in guesses.items()})
        return Extraction(json.dumps(said, indent=1), ParseResult([garment], valid_json=True), [guesses], presence)
