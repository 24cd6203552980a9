"""Zero-shot attributes from an instruction-tuned PaliGemma (a *mix* checkpoint): one question per field, answered
by scoring the schema's allowed values as answers rather than by free generation, so every value is one the schema
knows and each comes with its probability among the allowed ones.
"""

from __future__ import annotations

import json
from typing import Any

from fashion_ai.models.extraction import APPLIES, Extraction, FieldGuess, garment_from_guesses, guess_from_scores, spoken
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
def fields_for(category: str) -> list[str]:
    """The questions asked about a garment of this category, category first."""
    return [name for name in QUESTIONS if name == "category" or name not in APPLIES or category in APPLIES[name]]


class QuestionExtractor:
    """A mix PaliGemma asked one question per field, each answered by scoring the allowed values in one batch."""

    def __init__(self, processor: Any, model: Any, name: str = ""):
        self.processor = processor
        self.model = model
        self.name = name

    @staticmethod
    def ask(scorer: ContinuationScorer, name: str, category: str | None = None) -> FieldGuess:
        """The most likely allowed value for one field, with its probability among the allowed values."""
        values = list(FIELDS[name])
        question = QUESTIONS[name].format(category=spoken("category", category or "garment"))
        scores = scorer(ANSWER_PREFIX + question, [spoken(name, v) for v in values])
        return guess_from_scores(name, values, scores)

    def extract(self, image) -> Extraction:
        """One garment per photo: the category first, then the questions that fit it."""
        scorer = ContinuationScorer(self.processor, self.model, image)
        guesses = {"category": self.ask(scorer, "category")}
        category = guesses["category"].value
        for name in fields_for(category)[1:]:
            guesses[name] = self.ask(scorer, name, category)
        garment = garment_from_guesses(guesses)
        # What the model said: each question with its two most likely answers.
        raw = json.dumps({QUESTIONS[n].format(category=spoken("category", category)):
                          {g.value: round(g.probability, 3), **({g.runner_up: round(g.runner_up_probability, 3)}
                                                                 if g.runner_up else {})}
                          for n, g in guesses.items()}, indent=1)
        return Extraction(raw, ParseResult([garment], valid_json=True), [guesses])
