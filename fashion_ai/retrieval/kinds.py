"""Kinds: the product nouns shoppers name that are narrower than a schema category ("boots", "jeans", "sundress").

The schema stores one category per item ("shoe"), so "boots" alone would read as any shoe and "boots, not
sneakers" as no shoe at all. A kind is the shopper's own noun, matched against the item's name (its title), the
way a shop's search box matches words: an item called "ankle boots" is boots, whatever catalog it comes from. A
noun that names a whole category ("shoes", "footwear", "trousers") is no kind: it says nothing narrower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fashion_ai.schema import plural

if TYPE_CHECKING:
    from fashion_ai.catalog import CatalogItem

# Words that name a whole category (with the category's own name and plural): never narrower than it.
BROAD_WORDS = frozenset({"footwear", "footwears", "trousers", "jumper", "jumpers", "pullover", "pullovers"})
# Nouns shoppers use for a kind that shops name otherwise ("trainers" are sold as sneakers).
SAME_KIND = {"trainer": "sneaker", "tee": "t-shirt", "tshirt": "t-shirt", "flip flop": "flip-flop"}
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_kind(phrase: str, category: str) -> bool:
    """Whether a shopper's phrase for a category names something narrower than the category itself."""
    phrase = phrase.strip().lower()
    return phrase not in BROAD_WORDS and phrase not in (category, plural(category))


def _stem(word: str) -> str:
    """One form for a noun's singular and plural ("boots" -> "boot", "dresses" -> "dress", "jeans" -> "jean")."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    stems = " ".join(_stem(w) for w in _WORD.findall(text.lower()))
    for said, sold in SAME_KIND.items():
        stems = re.sub(rf"\b{re.escape(said)}\b", sold, stems)
    return stems.split()


def called(item: CatalogItem, kinds: Iterable[str]) -> bool:
    """Whether the item's name calls it any of the kinds ("Brown leather ankle boots" is boots)."""
    return names_kind(item.title, kinds)


def names_kind(title: str, kinds: Iterable[str]) -> bool:
    """Whether a product name calls it any of the kinds."""
    title = _words(title)
    for kind in kinds:
        words = _words(kind)
        if words and any(title[i:i + len(words)] == words for i in range(len(title) - len(words) + 1)):
            return True
    return False
