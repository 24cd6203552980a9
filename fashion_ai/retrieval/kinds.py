"""Kinds: the product nouns shoppers name that are narrower than a schema category ("boots", "jeans", "sundress").

The schema stores one category per item ("shoe"), so "boots" alone would read as any shoe and "boots, not
sneakers" as no shoe at all. A kind is the shopper's own noun, matched against the item's name (its title), the
way a shop's search box matches words: an item called "ankle boots" is boots, whatever catalog it comes from. A
noun that names a whole category ("shoes", "footwear", "trousers") is no kind: it says nothing narrower. A kind
only ever speaks of items of its own category ("no caps" leaves cap-sleeve dresses alone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from fashion_ai.schema import shopper_vocabulary
from fashion_ai.schema.lexicon import vocabulary

if TYPE_CHECKING:
    from fashion_ai.catalog import CatalogItem

# Words that name a whole category (with the category's own name and plural): never narrower than it; and nouns
# shoppers use for a kind that shops name otherwise ("trainers" are sold as sneakers), as their stems. Both are
# tables of the shopper vocabulary (schema/vocabulary.json).
BROAD_WORDS = frozenset(vocabulary()["kinds"]["broad"])
SAME_KIND: dict[str, str] = vocabulary()["kinds"]["same_kind"]
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@lru_cache(maxsize=1)
def _categories() -> dict[str, str]:
    """Shopper noun -> category: the lexicon's own table (constant), built once."""
    return dict(shopper_vocabulary()["category"])


def category_of(kind: str) -> str | None:
    """The category a kind belongs to ("boots" -> shoe), None for a word the lexicon lacks."""
    return _categories().get(kind.strip().lower())


def is_kind(phrase: str, category: str) -> bool:
    """Whether a shopper's phrase for a category names something narrower than the category itself."""
    words = _words(phrase)
    return words != _words(category) and not (len(words) == 1 and words[0] in _BROAD_STEMS)


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """One form for a noun's singular and plural, by inflect ("boots" -> "boot", "dresses" -> "dress", "scarves" ->
    "scarf"); through the plural and back, so "hoodie" and "hoodies" meet (as "hoody")."""
    from fashion_ai.schema.lexicon import plural, singular

    return singular(plural(singular(word)))


def _words(text: str) -> list[str]:
    stems = " ".join(_stem(w) for w in _WORD.findall(text.lower()))
    for said, sold in SAME_KIND.items():
        stems = re.sub(rf"\b{re.escape(said)}\b", sold, stems)
    return stems.split()


_BROAD_STEMS = frozenset(_stem(w) for w in BROAD_WORDS)


def names_kind(title: str, kinds: Iterable[str]) -> bool:
    """Whether a product name calls it any of the kinds ("Brown leather ankle boots" is boots)."""
    kinds = list(kinds)
    if not kinds:
        return False
    title_words = _words(title)
    for kind in kinds:
        words = _words(kind)
        if words and any(title_words[i:i + len(words)] == words for i in range(len(title_words) - len(words) + 1)):
            return True
    return False


def _own_kinds(item: CatalogItem, kinds: Iterable[str]) -> list[str]:
    """The kinds that speak of the item's category (a word the lexicon lacks speaks of any)."""
    return [k for k in kinds if category_of(k) in (None, item.category)]


def called(item: CatalogItem, kinds: Iterable[str]) -> bool:
    """Whether the item's name calls it any of the kinds of its own category."""
    return names_kind(item.title, _own_kinds(item, kinds))


def fits_kinds(item: CatalogItem, kinds: Iterable[str]) -> bool:
    """Whether the item is what the kinds ask of its category: called one of them, or of a category no kind
    narrows ("a top and jeans": any top, and jeans among the trousers)."""
    own = _own_kinds(item, kinds)
    return not own or names_kind(item.title, own)


def live_kinds(kinds: Iterable[str], categories: Iterable[str]) -> list[str]:
    """The kinds that still narrow a category asked for (a kind of a category dropped or refused is stale)."""
    wanted = set(categories)
    return [k for k in kinds if category_of(k) in wanted]
