"""What a clause of a shopper's message asks the chat to do, by example: each intent is a list of example clauses
(``intents.json`` beside this module, in varied registers), and a clause's intent is the one whose nearest examples
sit closest to it in the text model's space (the app's MiniLM). The values a clause names (colours, kinds, prices)
are the schema reader's job, not this one's.

Nearest-example scoring (the mean of an intent's best ``k`` similarities) was measured against centroid scoring and
SetFit on the paraphrase bench's dev half (bench/bench_intents.py); the winner is the default.

The examples' vectors ship beside the examples (``intents.npy``, with a sidecar naming the text model and a hash of
the texts embedded), so the classifier starts without embedding them; ``python -m fashion_ai.language.intents
--build`` writes them again after the examples, the masking words or the text model change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fashion_ai.schema import colour_names, shopper_vocabulary

if TYPE_CHECKING:
    from fashion_ai.models.text import TextEmbedder

logger = logging.getLogger(__name__)

EXAMPLES_FILE = Path(__file__).with_name("intents.json")
VECTORS_FILE = Path(__file__).with_name("intents.npy")
VECTORS_SIDECAR = Path(__file__).with_name("intents.npy.json")
DEFAULT_K = 1
# Below this best score a clause is like none of the examples (another language, gibberish): no intent.
MIN_SCORE = 0.45
# Best two intents closer than this: the clause is unsure (the chat asks back where a wrong guess would flip a wish).
UNSURE_MARGIN = 0.04
METHODS = ("nearest", "centroid")
# The values a clause names are masked by their field's word before embedding ("drop the pink" -> "drop the
# colour"), so the verb decides: MiniLM barely tells "no white" from "white" otherwise (dev: 0.72 -> 0.77).
# Style, occasion and season words stay: "too formal" and "more casual" are the intent itself.
MASKED = {"category": "piece", "colors": "colour", "pattern": "pattern", "material": "fabric"}


@dataclass(frozen=True)
class IntentGuess:
    """A clause's best intent, its score, and the runner-up's (cosine similarities)."""

    intent: str | None  # None: like no example at all
    score: float
    runner_up: str | None = None
    runner_score: float = 0.0

    @property
    def sure(self) -> bool:
        return self.intent is not None and self.score - self.runner_score >= UNSURE_MARGIN

    def between(self, *intents: str) -> bool:
        """Whether the best two are both among ``intents`` (an unsure choice between them)."""
        return self.intent in intents and self.runner_up in intents and not self.sure


@lru_cache(maxsize=1)
def _value_pattern() -> tuple[re.Pattern, dict[str, str]]:
    words: dict[str, str] = {}
    for name, table in shopper_vocabulary().items():
        if name in MASKED:
            for word in table:
                words.setdefault(word, MASKED[name])
    for word in colour_names():
        words.setdefault(word, MASKED["colors"])
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<![a-z0-9-])(" + alternatives + r")(?![a-z0-9])"), words


# A pick pointed at ("number five", "#3", "option 2", "the second one", a bare "2") reads as "number": like the values,
# which pick it is is no part of the intent, and MiniLM otherwise reads "more like number five" nearer to
# "not number 5" than to "more like #3". Exact forms, so a regular expression (a bare digit: one to nine, no price).
_NUMBER_WORDS = "one two three four five six seven eight nine ten".split()
_ORDINAL_WORDS = "first 1st second 2nd third 3rd fourth 4th fifth 5th sixth 6th last".split()
POINTER = re.compile(r"(?:#\s*|\b(?:number|no\.|nr\.?|option|pick|item)\s*)(?:\d{1,2}|" + "|".join(_NUMBER_WORDS)
                     + r")\b|\bthe (?:" + "|".join(_ORDINAL_WORDS) + r")(?: one| pick| item| piece)?\b"
                     r"|(?<![\d$.,#£€])\b[1-9]\b(?![\d.,]|\s*(?:\$|£|€|dollars|bucks|euros?|pounds?|%|k\b|each|total))")


def masked(clause: str) -> str:
    """The clause in lower case with each colour, pattern, material and kind it names replaced by its field's word,
    and each pick it points at by "number"."""
    pattern, words = _value_pattern()
    return POINTER.sub("number", pattern.sub(lambda m: words[m.group(1)], clause.lower()))


@lru_cache(maxsize=1)
def intent_examples(path: Path = EXAMPLES_FILE) -> dict[str, list[str]]:
    """intent -> its example clauses, from the examples file (ValueError naming a malformed intent)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {}
    for name, entry in data["intents"].items():
        clauses = entry.get("examples") if isinstance(entry, dict) else None
        if not isinstance(clauses, list) or not all(isinstance(c, str) and c.strip() for c in clauses):
            raise ValueError(f"intent {name!r} in {path.name} needs a list of example clauses")
        examples[name] = clauses
    return examples


class IntentClassifier:
    """Classifies clauses by their nearest example clauses (or the intents' centroids) in the text model's space."""

    def __init__(self, text_model: TextEmbedder, examples: dict[str, list[str]] | None = None,
                 method: str = "nearest", k: int = DEFAULT_K):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        self.text_model, self.method, self.k = text_model, method, k
        self.examples = examples if examples is not None else intent_examples()
        self.names = list(self.examples)
        self._vectors: np.ndarray | None = None  # every example, row by row
        self._owner: np.ndarray | None = None  # the intent index of each row
        self._centroids: np.ndarray | None = None

    def prepare(self) -> None:
        """Load the shipped example vectors, or embed the examples now (the first message would otherwise pay)."""
        if self._vectors is not None:
            return
        texts = self.example_texts()
        vectors = load_shipped_vectors(texts, self.text_model.name)  # any examples that hash alike
        if vectors is None:
            if self.examples == intent_examples():
                logger.warning("the shipped intent vectors do not match %s and %s: embedding %d examples now "
                               "(python -m fashion_ai.language.intents --build writes them again)",
                               EXAMPLES_FILE.name, self.text_model.name, len(texts))
            vectors = self.text_model.embed(texts)
        self._vectors = vectors
        self._owner = np.array([i for i, name in enumerate(self.names) for _ in self.examples[name]])
        centroids = np.stack([self._vectors[self._owner == i].mean(axis=0) for i in range(len(self.names))])
        self._centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        logger.info("intent classifier: %d intents, %d examples", len(self.names), len(texts))

    def example_texts(self) -> list[str]:
        """Every example as it is embedded (masked), intent by intent."""
        return [masked(text) for name in self.names for text in self.examples[name]]

    def scores(self, clauses: list[str]) -> np.ndarray:
        """(clauses x intents) similarity scores."""
        return self.scores_of(self.text_model.embed([masked(c) for c in clauses]))

    def scores_of(self, vectors: np.ndarray) -> np.ndarray:
        """(clauses x intents) similarity scores of clauses already embedded (masked, as ``masked`` writes them)."""
        self.prepare()
        if self.method == "centroid":
            return vectors @ self._centroids.T
        sims = vectors @ self._vectors.T
        out = np.empty((len(vectors), len(self.names)), dtype=np.float32)
        for i in range(len(self.names)):
            own = sims[:, self._owner == i]
            k = min(self.k, own.shape[1])
            out[:, i] = np.sort(own, axis=1)[:, -k:].mean(axis=1)
        return out

    def classify(self, clauses: list[str]) -> list[IntentGuess]:
        """Each clause's best intent and runner-up; no intent for a clause like none of the examples."""
        return self.guesses(self.scores(clauses)) if clauses else []

    def guesses(self, scores: np.ndarray) -> list[IntentGuess]:
        """Each row's best intent and runner-up, from ``scores``."""
        guesses = []
        for row in scores:
            order = np.argsort(-row)
            best, runner = int(order[0]), int(order[1])
            if float(row[best]) < MIN_SCORE:
                guesses.append(IntentGuess(None, float(row[best])))
            else:
                guesses.append(IntentGuess(self.names[best], float(row[best]), self.names[runner], float(row[runner])))
        return guesses


def texts_hash(texts: list[str]) -> str:
    """sha256 of the texts embedded, in order (what the shipped vectors are checked against)."""
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


def load_shipped_vectors(texts: list[str], model_name: str) -> np.ndarray | None:
    """The shipped vectors of ``texts`` by ``model_name``, or None when the file is missing or made from others."""
    try:
        sidecar = json.loads(VECTORS_SIDECAR.read_text(encoding="utf-8"))
        if sidecar.get("text_model") != model_name or sidecar.get("texts_sha256") != texts_hash(texts):
            return None
        vectors = np.load(VECTORS_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:
        logger.warning("no shipped intent vectors (%s)", type(exc).__name__)
        return None
    if vectors.shape[0] != len(texts):
        return None
    return vectors.astype(np.float32)


def build_vectors(text_model: TextEmbedder) -> Path:
    """Embed the shipped examples with ``text_model`` and write them (float16) and their sidecar; returns the file."""
    classifier = IntentClassifier(text_model)
    texts = classifier.example_texts()
    vectors = text_model.embed(texts)
    np.save(VECTORS_FILE, vectors.astype(np.float16), allow_pickle=False)
    VECTORS_SIDECAR.write_text(json.dumps({"text_model": text_model.name, "texts_sha256": texts_hash(texts),
                                           "examples_file_sha256": hashlib.sha256(EXAMPLES_FILE.read_bytes()).hexdigest(),
                                           "rows": len(texts), "dim": int(vectors.shape[1]), "dtype": "float16"},
                                          indent=1) + "\n", encoding="utf-8")
    return VECTORS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The intent examples' shipped vectors.")
    parser.add_argument("--build", action="store_true", help="embed intents.json with the packaged text model and "
                        "write intents.npy and its sidecar")
    args = parser.parse_args(argv)
    if not args.build:
        parser.error("nothing to do: pass --build")
    from fashion_ai.models.text import load_text_model

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = build_vectors(load_text_model())
    logger.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
