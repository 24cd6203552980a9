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


def test_the_shipped_noun_forms_are_inflects_for_every_vocabulary_word():
    """noun_forms.json is a cache of inflect's answers (so the app's import skips inflect): it must say what inflect
    says now, for every word of the vocabulary (rebuild: python -m fashion_ai.schema --build-noun-forms)."""
    import json

    from fashion_ai.schema.lexicon import NOUN_FORMS_FILE, _inflect_plural, _inflect_singular, build_noun_forms

    shipped = json.loads(NOUN_FORMS_FILE.read_text(encoding="utf-8"))
    assert shipped == build_noun_forms(), "stale: python -m fashion_ai.schema --build-noun-forms"
    assert len(shipped["plural"]) > 300
    for word in ("dress", "jeans", "scarves", "hoodie", "trainers", "blazer"):
        assert plural(word) == _inflect_plural(word) and singular(word) == _inflect_singular(word)
    assert plural("gazebo") == _inflect_plural("gazebo")  # a word outside the table asks inflect itself


def test_importing_the_app_does_not_import_inflect():
    """inflect takes ~1.7 s to import; the page must not wait for it (issue 36 point 4: page <= 3 s)."""
    import subprocess
    import sys

    from fashion_ai.config import PROJECT_ROOT

    code = "import sys, app, fashion_ai.conversation, fashion_ai.retrieval.kinds; print('inflect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
