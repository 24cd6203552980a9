"""Zero-shot attributes from an instruction-tuned PaliGemma (a *mix* checkpoint): first whether the photo shows a
piece of clothing at all (yes or no), then one question per field, each answered by scoring the schema's allowed
values as answers rather than by free generation, so every value is one the schema knows and each comes with its
probability among the allowed ones. The questions are a generator of scoring requests (``question_steps``):
``extract`` asks them of one photo, ``extract_batch`` of a batch in lockstep (one forward pass per question round).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
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
from fashion_ai.models.paligemma.batching import DEFAULT_BATCH_SIZE, run_in_lockstep, run_steps
from fashion_ai.models.paligemma.scoring import ContinuationScorer, PhotoScorer, ScoreRequest
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
# A question to score: (the prompt, the allowed answers as said).
Question = tuple[str, list[str]]
QuestionSteps = Generator[Question, list[float], Extraction]


def _field_question(name: str, category: str | None = None) -> Generator[Question, list[float], FieldGuess]:
    values = list(FIELDS[name])
    question = QUESTIONS[name].format(category=spoken("category", category or "garment"))
    scores = yield ANSWER_PREFIX + question, [spoken(name, v) for v in values]
    return guess_from_scores(name, values, scores)


def _presence_question() -> Generator[Question, list[float], FieldGuess]:
    yes, no = yield ANSWER_PREFIX + PRESENCE_QUESTION, ["yes", "no"]
    return presence_guess(yes, no)


def question_steps(ask_presence: bool) -> QuestionSteps:
    """One photo's questions as a generator: yields each (prompt, answers) to score, is sent the scores, returns the
    Extraction. No garment when the model answers that there is none (asked only when `ask_presence`); else one
    garment: the category first, then the questions that fit it."""
    presence, said = None, {}
    if ask_presence:
        presence = yield from _presence_question()
        said[PRESENCE_QUESTION] = {"yes": round(presence.probability_of("yes"), 3),
                                   "no": round(presence.probability_of("no"), 3)}
        if says_no_garment(presence, MIX_NO_GARMENT_THRESHOLD):
            return Extraction(json.dumps(said, indent=1), ParseResult([], valid_json=True), [], presence)
    guesses = {"category": (yield from _field_question("category"))}
    category = guesses["category"].value
    for name in fields_for(category)[1:]:
        guesses[name] = yield from _field_question(name, category)
    garment = garment_from_guesses(guesses)
    # What the model said: each question with its two most likely answers.
    said.update({QUESTIONS[n].format(category=spoken("category", category)):
                 {g.value: round(g.probability, 3), **({g.runner_up: round(g.runner_up_probability, 3)}
                                                        if g.runner_up else {})}
                 for n, g in guesses.items()})
    return Extraction(json.dumps(said, indent=1), ParseResult([garment], valid_json=True), [guesses], presence)


def fields_for(category: str) -> list[str]:
    """The questions asked about a garment of this category, category first."""
    return [name for name in QUESTIONS if name == "category" or name not in APPLIES or category in APPLIES[name]]


class QuestionExtractor:
    """A mix PaliGemma asked one question per field, each answered by scoring the allowed values in one batch."""

    def __init__(self, processor: Any, model: Any, name: str = "", batch_size: int = DEFAULT_BATCH_SIZE):
        self.processor = processor
        self.model = model
        self.name = name
        self.batch_size = batch_size  # photos asked together by extract_batch
        self._asks_presence = self._knows_yes_and_no()

    @staticmethod
    def ask(scorer: ContinuationScorer, name: str, category: str | None = None) -> FieldGuess:
        """The most likely allowed value for one field, with its probability among the allowed values."""
        return run_steps(_field_question(name, category), lambda question: scorer(*question))

    @staticmethod
    def ask_presence(scorer: ContinuationScorer) -> FieldGuess:
        """Is there a piece of clothing in the photo: "yes" or "no", each with its probability of the two."""
        return run_steps(_presence_question(), lambda question: scorer(*question))

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
        return run_steps(question_steps(self.can_ask_presence()), lambda question: scorer(*question))

    def extract_batch(self, images: Sequence) -> list[Extraction]:
        """Each photo read as ``extract`` reads it, the batch's questions asked together: one forward pass per round
        (the photos encoded in one pass of the vision tower)."""
        out: list[Extraction] = []
        for start in range(0, len(images), self.batch_size):
            chunk = images[start:start + self.batch_size]
            scorer = PhotoScorer(self.processor, self.model, chunk)

            def score_round(requests: list[tuple[int, Question]], scorer: PhotoScorer = scorer) -> list[list[float]]:
                return scorer.score([ScoreRequest(photo, prompt, "", answers, [True] * len(answers))
                                     for photo, (prompt, answers) in requests])

            out.extend(run_in_lockstep([question_steps(self.can_ask_presence()) for _ in chunk], score_round))
        return out
