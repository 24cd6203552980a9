"""Shoppers' misspellings of the schema's words ("blak", "pnk", "casul", "sneekers"), read as the word meant.

A word is left as it is when the text model reads it whole (its tokenizer's vocabulary: "gray", "nah", "jeans") or the
lexicon has it. Otherwise, in order: a plural or -y form of a lexicon word ("florals" -> floral, "wooly" -> wool); a
form of a word the text model knows is a real word, not a typo ("dressier", "classy", "sweeter"); else the one lexicon
word within edit distance (transpositions count one: "brwon") of 1, or 2 for words of 7 letters or more, that begins
with the same letter. Ties are left alone ("skrit": skirt or skort). One general rule, not a list of typos: the
vocabulary it corrects to is the one the query reader reads (schema/vocabulary.json and the colour names), handed over by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA

MIN_LENGTH = 3
LONG_WORD = 7  # from this length a word may be two edits off ("trousres", "sneekers")
SHORT_WORD = 4
# The words the reader's price and refusal grammar keys on (retrieval.query), misspelt as often as values ("undr $50").
GRAMMAR_WORDS = ("under", "below", "less", "than", "over", "above", "between", "cheaper", "pricier", "without",
                 "except", "maximum", "minimum", "budget")
# Endings of English word forms: a word that is one of these on a known stem is a real word ("dressier", "classy").
SUFFIXES = ("iest", "ier", "est", "er", "ey", "y", "es", "s", "ed", "ing", "ly")
# The endings that leave a lexicon word's meaning as it is: a plural, and an -y adjective of a colour, pattern or
# fabric ("stripey", "wooly"), not of a garment ("dressy" is no dress; "dressier" none either).
PLURAL = ("es", "s")
ADJECTIVE = ("ey", "y")
WORD = re.compile(r"(?<![a-z0-9'#$£€-])[a-z]+(?![a-z0-9'-])")


def lexicon_meanings(vocabulary: dict[str, dict[str, str]]) -> dict[str, frozenset[str]]:
    """Every one-word phrase of a reader's vocabulary (field -> {word: value}; 3 letters or more), and what it means
    ("field:value", one or more)."""
    meanings: dict[str, set[str]] = {}
    for name, table in vocabulary.items():
        for word, value in table.items():
            if word.isalpha() and len(word) >= MIN_LENGTH:
                meanings.setdefault(word, set()).add(f"{name}:{value}")
    return {word: frozenset(meaning) for word, meaning in meanings.items()}


def _stems(word: str, suffixes: tuple[str, ...] = SUFFIXES) -> Iterable[str]:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_LENGTH:
            stem = word[:-len(suffix)]
            yield stem
            if suffix in ("ier", "iest"):
                yield stem + "y"  # "comfier" -> comfy
            if suffix in ("ey", "y", "er", "ed", "es"):
                yield stem + "e"  # "stripey" -> stripe


class Speller:
    """Corrects misspelt words of a reader's vocabulary against the words a text model reads whole."""

    def __init__(self, known_words: Iterable[str], vocabulary: dict[str, dict[str, str]]):
        self.known = frozenset(known_words)
        self.meanings = lexicon_meanings(vocabulary)
        self.targets = tuple(sorted(set(self.meanings) | set(GRAMMAR_WORDS)))

    def meant(self, word: str) -> str | None:
        """The lexicon word a misspelt ``word`` means, or None (a word to leave as it is)."""
        if len(word) < MIN_LENGTH or word in self.known or word in self.meanings:
            return None
        for stem in _stems(word, PLURAL):
            if stem in self.meanings:
                return stem
        for stem in _stems(word, ADJECTIVE):
            if stem in self.meanings and not any(m.startswith("category:") for m in self.meanings[stem]):
                return stem
        if any(stem in self.known for stem in _stems(word)):
            return None
        limit = 2 if len(word) >= LONG_WORD else 1
        # A short word is read only with a letter left out ("pnk", "blak"): one letter changed in four is
        # another word as often as not ("cami" is no camo).
        close = [(OSA.distance(word, candidate, score_cutoff=limit), candidate) for candidate in self.targets
                 if candidate[0] == word[0] and abs(len(candidate) - len(word)) <= limit
                 and (len(word) > SHORT_WORD or len(candidate) == len(word) + 1)]
        close = sorted((d, c) for d, c in close if d <= limit)
        if not close:
            return None
        # A tie between words that mean the same ("stripy", "stripe") is no tie; "skrit" (skirt, skort) is.
        best = [c for d, c in close if d == close[0][0]]
        return best[0] if len({self.meanings.get(c) for c in best}) == 1 else None

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` (lower case) with each misspelt word replaced by the word meant, and what was replaced."""
        fixed: dict[str, str] = {}

        def swap(match: re.Match) -> str:
            meant = self.meant(match.group(0))
            if meant is None:
                return match.group(0)
            fixed[match.group(0)] = meant
            return meant

        return WORD.sub(swap, text), fixed
