"""bench/trial_intent_head.py: the logistic-regression head chooses the intent, unsure below its margin, no intent for
a clause like no example; the library's classifier is restored after the test."""

import sys

import numpy as np
import pytest

from fashion_ai.config import PROJECT_ROOT
from fashion_ai.language import intents

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from trial_intent_head import use_head  # noqa: E402

EXAMPLES = {"cheaper": ["cheaper please", "something less pricey", "lower the price"],
            "pricier": ["more expensive please", "something pricier", "raise the price"],
            "undo": ["undo that", "go back one step", "take that back"]}


class WordsModel:
    """A text model whose vectors are normalised bags of words (the head needs only separable vectors)."""

    name = "words"

    def __init__(self):
        self.words = sorted({w for texts in EXAMPLES.values() for t in texts for w in t.split()} | {"zebra"})

    def embed(self, texts):
        vectors = np.array([[float(w in t.split()) for w in self.words] for t in texts], dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


@pytest.fixture
def head(monkeypatch):
    for name in ("prepare", "scores_of", "guesses"):  # restored by monkeypatch after the test
        monkeypatch.setattr(intents.IntentClassifier, name, getattr(intents.IntentClassifier, name))
    use_head(c=10.0, margin=0.2)
    model = WordsModel()
    return model, intents.IntentClassifier(model, examples=EXAMPLES)


def test_the_head_picks_each_intent_and_is_unsure_between_close_ones(head):
    model, classifier = head
    clauses = ["something cheaper please", "raise the price please", "undo that step", "zebra"]
    guesses = classifier.guesses(classifier.scores_of(model.embed(clauses)))
    assert [g.intent for g in guesses[:3]] == ["cheaper", "pricier", "undo"]
    assert all(g.sure for g in guesses[:3])
    assert guesses[3].intent is None  # like no example at all
    mixed = classifier.guesses(classifier.scores_of(model.embed(["cheaper pricier"])))[0]
    assert {mixed.intent, mixed.runner_up} == {"cheaper", "pricier"} and not mixed.sure


def test_the_library_keeps_nearest_example_outside_the_trial():
    assert intents.IntentClassifier.guesses.__module__ == "fashion_ai.language.intents"
