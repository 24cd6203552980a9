"""One shopper vocabulary: plurals and singulars by inflect, emoji spelt as the words the reader reads."""

import pytest

from fashion_ai.schema import shopper_vocabulary
from fashion_ai.schema.lexicon import EMOJI_WORDS, plural, singular


@pytest.mark.parametrize("noun, plural_form", [
    ("dress", "dresses"), ("hoodie", "hoodies"), ("scarf", "scarves"), ("tank top", "tank tops"),
    ("jeans", "jeans"), ("shorts", "shorts"), ("leggings", "leggings"),  # plural already: they stay
])
def test_plurals_by_inflect(noun, plural_form):
    assert plural(noun) == plural_form


def test_singulars_and_the_vocabulary_reads_every_plural():
    assert [singular(w) for w in ("boots", "scarves", "dresses", "dress")] == ["boot", "scarf", "dress", "dress"]
    categories = shopper_vocabulary()["category"]
    assert categories["scarves"] == "scarf" and categories["dresses"] == "dress" and categories["ankle boots"] == "shoe"


def test_every_emoji_word_is_a_word_the_vocabulary_or_the_negation_reads():
    vocabulary = {word for table in shopper_vocabulary().values() for word in table}
    unread = {e: w for e, w in EMOJI_WORDS.items() if w not in vocabulary and w not in ("no", "expensive", "bikini",
                                                                                     "swimsuit", "light blue")}
    assert unread == {}
