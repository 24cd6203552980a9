"""Shoppers' words for the schema's values, in one place: what taggers and shoppers say, and what we store.

Every word table lives in ``vocabulary.json`` beside this module, read by ``vocabulary()``: ``SYNONYMS`` is what the
parser accepts from a model or a dataset in place of a canonical value; ``SHOPPER_WORDS`` adds the looser words
shoppers type into a search box ("trainers", "boho", "office"); the emoji, the product kinds (retrieval/kinds.py),
the dress-code and climate nouns (retrieval/rules.py) are tables there too. ``shopper_vocabulary`` joins the first
two with the schema's own values into the table that query reading matches against. Plurals and singulars come from
inflect (``plural``, ``singular``, ``noun_pattern``), never from hand-written endings.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fashion_ai.schema.values import CATEGORIES, COLORS, MATERIALS, OCCASIONS, PATTERNS, SEASONS, STYLES

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.json")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    """The shopper vocabulary (``vocabulary.json`` beside this module), each table without its "about" note: the one
    loader of every word table search, the chat and the stylist read."""
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return {name: ({k: v for k, v in table.items() if k != "about"} if isinstance(table, dict) else table)
            for name, table in data.items() if name != "about"}


_VOCABULARY = vocabulary()
# Words shoppers and other taggers use for our canonical values (accepted in model output too).
SYNONYMS: dict[str, dict[str, str]] = _VOCABULARY["synonyms"]
# Shopper words beyond the schema's own values and SYNONYMS: search reads them, the parser does not.
SHOPPER_WORDS: dict[str, dict[str, str]] = _VOCABULARY["shopper_words"]
# Emoji shoppers type for things the schema names, spelt as the word the reader reads.
EMOJI_WORDS: dict[str, str] = _VOCABULARY["emoji"]

# The fields a shopper's words are read for, with the values each may take.
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {"category": CATEGORIES, "colors": COLORS, "pattern": PATTERNS,
                                              "material": MATERIALS, "style": STYLES, "occasion": OCCASIONS,
                                              "season": SEASONS}


# inflect's answers for every noun the vocabulary names, written by `python -m fashion_ai.schema --build-noun-forms`:
# importing inflect costs about 1.7 s (typeguard), which the app's import and first page must not pay; words
# outside the table ask inflect itself, loaded on first need. A test checks the file against inflect.
NOUN_FORMS_FILE = Path(__file__).with_name("noun_forms.json")


@lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()


@lru_cache(maxsize=1)
def _noun_forms() -> dict[str, dict[str, str]]:
    """The shipped table: {"plural": {noun: plural}, "singular": {word: singular}}; empty when absent."""
    if not NOUN_FORMS_FILE.is_file():
        return {"plural": {}, "singular": {}}
    return json.loads(NOUN_FORMS_FILE.read_text(encoding="utf-8"))


def _inflect_plural(noun: str) -> str:
    engine = _inflect()
    return noun if engine.singular_noun(noun) else engine.plural_noun(noun)


def _inflect_singular(noun: str) -> str:
    return noun if len(noun) < 3 else (_inflect().singular_noun(noun) or noun)


@lru_cache(maxsize=4096)
def plural(noun: str) -> str:
    """The plural shoppers type for a noun ("dress" -> "dresses", "scarf" -> "scarves"), by inflect; nouns that are
    plural already ("jeans", "shorts", "leggings") stay."""
    known = _noun_forms()["plural"].get(noun)
    return known if known is not None else _inflect_plural(noun)


@lru_cache(maxsize=8192)
def singular(noun: str) -> str:
    """The singular of a plural noun ("boots" -> "boot", "scarves" -> "scarf"), by inflect; a singular stays."""
    known = _noun_forms()["singular"].get(noun)
    return known if known is not None else _inflect_singular(noun)


def _vocabulary_words() -> set[str]:
    """Every word and phrase of the vocabulary and the schema's values, lower case."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node and not node.isspace():
            found.add(node.lower())
            found.update(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", node.lower()))

    walk(vocabulary())
    walk([CATEGORIES, COLORS, MATERIALS, OCCASIONS, PATTERNS, SEASONS, STYLES])
    return found


def build_noun_forms() -> dict[str, dict[str, str]]:
    """inflect's plural and singular of every vocabulary word, and of the forms those lead to (as kinds' stems go
    singular -> plural -> singular)."""
    words, plurals, singulars = _vocabulary_words(), {}, {}
    for _ in range(3):
        for word in sorted(words):
            plurals.setdefault(word, _inflect_plural(word))
            singulars.setdefault(word, _inflect_singular(word))
        words = (set(plurals.values()) | set(singulars.values())) - set(plurals)
    return {"plural": dict(sorted(plurals.items())), "singular": dict(sorted(singulars.items()))}


def shopper_vocabulary() -> dict[str, dict[str, str]]:
    """field -> {shopper word or phrase: canonical value}: the schema's values, category plurals, SYNONYMS and
    SHOPPER_WORDS. "solid" is left out: in a query it reads as an adjective ("solid shoes") more than a pattern."""
    words: dict[str, dict[str, str]] = {name: {v: v for v in values} for name, values in SEARCH_FIELDS.items()}
    for table in (SYNONYMS, SHOPPER_WORDS):
        for name, mapping in table.items():
            if name in words:
                for word, value in mapping.items():
                    words[name].setdefault(word, value)
    for noun, category in list(words["category"].items()):  # "dresses", "hoodies", "tank tops"
        words["category"].setdefault(plural(noun), category)
    words["pattern"].pop("solid", None)
    return words


def noun_forms(noun: str) -> list[str]:
    """A noun as titles write it: itself and its plural (by inflect); a hyphen may be a space or nothing."""
    return [re.escape(form).replace(r"\-", "[- ]?") for form in dict.fromkeys((noun, plural(noun)))]


def noun_pattern(nouns: list[str] | tuple[str, ...]) -> re.Pattern:
    """A pattern matching any of the nouns, singular or plural, as whole words ("sneaker" finds "Sneakers")."""
    forms = sorted({form for noun in nouns for form in noun_forms(noun.lower())}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(forms) + r")\b")

