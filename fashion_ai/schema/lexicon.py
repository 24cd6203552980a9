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


@lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()


@lru_cache(maxsize=4096)
def plural(noun: str) -> str:
    """The plural shoppers type for a noun ("dress" -> "dresses", "scarf" -> "scarves"), by inflect; nouns that are
    plural already ("jeans", "shorts", "leggings") stay."""
    engine = _inflect()
    if engine.singular_noun(noun):
        return noun
    return engine.plural_noun(noun)


@lru_cache(maxsize=8192)
def singular(noun: str) -> str:
    """The singular of a plural noun ("boots" -> "boot", "scarves" -> "scarf"), by inflect; a singular stays."""
    if len(noun) < 3:
        return noun
    return _inflect().singular_noun(noun) or noun


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
