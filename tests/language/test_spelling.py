"""Shoppers' misspellings read as the schema word meant, and real words left alone (fashion_ai.language.spelling),
over the vocabulary of the app's own MiniLM."""

import pytest

from fashion_ai.conversation.edits import apply_message
from fashion_ai.conversation.wish import Wish
from fashion_ai.language.spelling import Speller
from fashion_ai.retrieval.reading import QueryReader


@pytest.fixture(scope="module")
def text_model():
    from fashion_ai.models.text import load_text_model

    return load_text_model()


@pytest.fixture(scope="module")
def speller(text_model) -> Speller:
    return Speller(text_model.known_words(), QueryReader(text_model).vocabulary)


@pytest.mark.parametrize("typo, meant", [
    ("blak", "black"), ("pnk", "pink"), ("brwon", "brown"), ("yelow", "yellow"), ("burgandy", "burgundy"),
    ("casul", "casual"), ("sneekers", "sneakers"), ("trousres", "trousers"), ("jaket", "jacket"), ("dres", "dress"),
    ("denium", "denim"), ("undr", "under"), ("florals", "floral"), ("wooly", "wool"),
])
def test_a_misspelt_schema_word_reads_as_the_word_meant(speller, typo, meant):
    assert speller.meant(typo) == meant


@pytest.mark.parametrize("word", [
    # Real words the text model reads whole, or forms of them: never "corrected" into a schema word.
    "nah", "gray", "jeans", "tote", "class", "classy", "dressy", "dressier", "sweeter", "comfier", "meh", "lol", "plz",
    # A letter changed in a short word is another word as often as not; and a tie between meanings is no guess.
    "cami", "bluse",
])
def test_real_words_and_ties_are_left_alone(speller, word):
    assert speller.meant(word) is None


def test_a_sentence_keeps_every_word_but_the_typos(speller):
    text, fixed = speller.correct("no pnk pls, and blak sneekers undr $50 for my mum, something classy rn")
    assert text == "no pink pls, and black sneakers under $50 for my mum, something classy rn"
    assert fixed == {"pnk": "pink", "blak": "black", "sneekers": "sneakers", "undr": "under"}


@pytest.mark.slow
def test_search_and_the_chat_read_the_word_meant_and_say_so(text_model):
    reader = QueryReader(text_model)
    query = reader.read("blak dres undr $50")
    assert query.wanted == {"category": ["dress"], "colors": ["black"]} and query.max_price == 50
    assert "read as blak = black, dres = dress, undr = under" in query.understood()
    # The refusal stays a refusal: a misspelt colour is not added (issue 34's polarity).
    wish, _ = apply_message(Wish(), "no pnk", reader)
    assert wish.refused.get("colors") == ["pink"] and "pink" not in wish.wanted.get("colors", [])


def test_without_a_text_model_the_words_are_read_as_written():
    assert QueryReader(None).read("blak dress").wanted == {"category": ["dress"]}
