"""One shopper vocabulary: plurals and singulars by inflect, emoji spelt as the words the reader reads."""

import pytest

from fashion_ai.schema import shopper_vocabulary
from fashion_ai.schema.lexicon import EMOJI_WORDS, SYNONYMS, noun_pattern, plural, singular, vocabulary


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
    unread = {e: w for e, w in EMOJI_WORDS.items() if w not in vocabulary and w not in ("no", "love", "expensive", "bikini",
                                                                                     "swimsuit", "light blue")}
    assert unread == {}


def test_title_nouns_match_their_plurals_by_inflect_and_nothing_longer():
    pattern = noun_pattern(["sneaker", "flip-flop", "clutch", "jeans"])
    assert [bool(pattern.search(t)) for t in ("white sneakers", "a sneaker", "flip flops", "flipflop", "beaded clutches",
                                              "blue jeans")] == [True] * 6
    assert not any(pattern.search(t) for t in ("sneakerhead tee", "jean jacket", "clutchbag"))  # whole words only


def test_search_chat_and_stylist_read_one_vocabulary():
    from fashion_ai.retrieval import kinds, rules

    table = vocabulary()
    assert SYNONYMS is table["synonyms"] and EMOJI_WORDS is table["emoji"] and kinds.SAME_KIND is table["kinds"]["same_kind"]
    assert rules.COLD_MATERIALS == frozenset(table["climate"]["cold_materials"])
    for noun in table["climate"]["warm_titles"]:  # every climate noun, said in the plural, is read in a title
        assert rules.WARM_TITLES.search(f"two {plural(noun)}"), noun
    for row in table["dress_code"]["title_levels"]:
        levels = next(levels for pattern, levels in rules.TITLE_LEVELS if pattern.search(plural(row["nouns"][0])))
        assert list(levels) == row["levels"]
    assert "about" not in table["synonyms"] and all("about" not in t for t in table["dress_code"].values()
                                                    if isinstance(t, dict))
