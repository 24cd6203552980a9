"""A shopper's message split into clauses, each one edit ("cheaper and no checks" -> "cheaper", "no checks"), and the
emoji shoppers use for things the schema names spelt as words ("no 👟" -> "no sneakers").

A clause that only names values ("skip pink and purple": "purple") stays with the clause before it, so one verb
reaches every value it governs; a clause that only corrects a number ("under 50. no, make that 80") is marked so
the chat can put the number where the last one went.
"""

from __future__ import annotations

import re

from fashion_ai.language.intents import MASKED, IntentGuess, masked
from fashion_ai.schema.lexicon import EMOJI_WORDS

# Clause ends: punctuation (not the dot of "no. 2"), a dash between words, and the conjunctions that start a new edit.
_SPLIT = re.compile(r"\s*(?:(?:(?<!\bno)[,.;!?]+|(?<=\bno)(?:[,;!?]+|\.(?!\s*\d)))(?!\d)|\s[-–—]+\s|"
                    r"\b(?:and|but|also|then|plus)\b)\s*")
# Words that carry no edit of their own: a clause of these and values only continues the clause before it.
_FILLER = frozenset("""a an the some ones one or and too also maybe please pls plz thx thanks just only more of in
with ones any either""".split())
_PLACEHOLDERS = frozenset(MASKED.values())
_NUMBER = re.compile(r"^\$?\d{1,6}(?:[.,]\d{1,2})?$")
_CORRECTION = frozenset("make that it no wait actually i mean rather say instead sorry".split())
_EMOJI = re.compile("|".join(re.escape(e) for e in sorted(EMOJI_WORDS, key=len, reverse=True)))
_VARIATION = re.compile("[\ufe0e\ufe0f\u200d]")


def spell_emoji(text: str) -> str:
    """Emoji the schema has a word for spelt as that word; variation selectors dropped."""
    text = _VARIATION.sub("", text)
    return _EMOJI.sub(lambda m: f" {EMOJI_WORDS[m.group(0)]} ", text)


def split_clauses(text: str) -> list[str]:
    """The (normalised) message's clauses, values-only ones joined to the clause before them."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip(" -–—")]
    clauses: list[str] = []
    corrected = False
    for part in parts:
        if len(parts) > 1 and all(w in _CORRECTION for w in part.split()):
            corrected = True  # "blue, no wait, green": the "no" refuses nothing, and green starts afresh
            continue
        if clauses and only_values(part) and not corrected:
            clauses[-1] = f"{clauses[-1]} and {part}"
        else:
            clauses.append(part)
        corrected = False
    return clauses


def only_values(clause: str) -> bool:
    """Whether a clause names values and nothing else ("purple", "or the green ones")."""
    words = re.findall(r"[a-z$0-9][a-z0-9'.,$-]*", masked(clause))
    return bool(words) and any(w in _PLACEHOLDERS for w in words) and all(w in _PLACEHOLDERS or w in _FILLER
                                                                          for w in words)


def names_values(clause: str) -> bool:
    """Whether a clause names any value (a colour, pattern, fabric or kind of piece)."""
    return any(w in _PLACEHOLDERS for w in re.findall(r"[a-z]+", masked(clause)))


def refusals_take_values(clauses: list[str], guesses: list[IntentGuess]) -> list[tuple[str, IntentGuess]]:
    """The clauses with their intents, where a refusal naming nothing of its own refuses what the clause just before
    it only named ("grey? nah", "florals... hard pass", "pink. lose it"): the two are read as one refusing clause,
    so the values are not first added and then left standing."""
    out: list[tuple[str, IntentGuess]] = []
    for clause, guess in zip(clauses, guesses, strict=True):
        if (out and guess.intent == "refuse" and guess.sure and not names_values(clause)
                and only_values(out[-1][0])):
            clause = f"{clause} {out.pop()[0]}"
        out.append((clause, guess))
    return out


def correction_number(clause: str) -> float | None:
    """The number of a clause that only corrects one ("make that 80", "no, 90"); None otherwise."""
    words = clause.replace("$", " ").split()
    numbers = [w for w in words if _NUMBER.match(w)]
    if len(numbers) != 1 or not all(w in _CORRECTION or w in numbers for w in words):
        return None
    return float(numbers[0].replace(",", "."))
