"""Reading shoppers' words: what each phrase asks for or refuses, prices, audiences, and the line saying so.

Table by table, with a comment per odd case. The lexicon-only reader runs without models; the near-word cases load
the packaged all-MiniLM-L6-v2 (the same text model the app serves offline).
"""

import unicodedata
from types import SimpleNamespace

import numpy as np
import pytest

from fashion_ai.errors import BadQueryError, TextTooLongError
from fashion_ai.retrieval import query as query_module
from fashion_ai.retrieval.query import ShopperQuery, clean_query, clean_text, edited, garment_query, is_plain, plain, raw_limit
from fashion_ai.retrieval.reading import QueryReader, lexicon_reader
from fashion_ai.schema import Garment


def read(text: str) -> ShopperQuery:
    return lexicon_reader().read(text)


@pytest.mark.parametrize("text, wanted", [
    ("a classic dress for a summer wedding",
     {"category": ["dress"], "style": ["classic"], "occasion": ["wedding"], "season": ["summer"]}),
    ("Red striped T-shirt", {"category": ["top"], "colors": ["red"], "pattern": ["striped"]}),  # not "shirt"
    ("navy wool trench coat for the office", {"category": ["coat"], "colors": ["navy"], "material": ["wool"],
                                              "occasion": ["work"]}),
    ("polka dot skirt", {"category": ["skirt"], "pattern": ["dotted"]}),  # the singular too
    ("dresses", {"category": ["dress"]}),  # plurals of every noun
    ("hoodies and tank tops", {"category": ["top"]}),
    ("trainers", {"category": ["shoe"]}),
    ("a crimson gown", {"category": ["dress"], "colors": ["red"]}),  # colour names of the xkcd survey
    ("a turquoise cardigan", {"category": ["cardigan"], "colors": ["blue"]}),
    ("mustard knit scarf", {"category": ["scarf"], "colors": ["yellow"], "material": ["knit"]}),  # a scarf, and knit
    ("a navy blue blazer", {"category": ["jacket"], "colors": ["navy"]}),  # "navy blue" is navy, not navy and blue
    ("a black white dress", {"category": ["dress"], "colors": ["black", "white"]}),  # contradictory: either
    ("I'm bored of tanks", {"category": ["top"]}),  # "red" inside "bored" is not red
    ("something nice", {}),
])
def test_what_the_words_ask_for(text, wanted):
    assert read(text).wanted == wanted


@pytest.mark.parametrize("text, wanted, refused", [
    ("a dress that is not black", {"category": ["dress"]}, {"colors": ["black"]}),
    ("without stripes", {}, {"pattern": ["striped"]}),
    ("no wool, no stripes, for work", {"occasion": ["work"]}, {"material": ["wool"], "pattern": ["striped"]}),
    ("not red or pink", {}, {"colors": ["red", "pink"]}),  # "or" keeps the negation going
    ("a red skirt but not a mini one", {"category": ["skirt"], "colors": ["red"]}, {}),  # "mini" is no search field
    ("anything but dresses", {}, {"category": ["dress"]}),
    ("a black dress, not black", {"category": ["dress"]}, {"colors": ["black"]}),  # refusing beats wanting
])
def test_what_the_words_refuse(text, wanted, refused):
    query = read(text)
    assert (query.wanted, query.refused) == (wanted, refused)


@pytest.mark.parametrize("text, category, kinds, refused_kinds, refused", [
    ("black leather boots", ["shoe"], ["boots"], [], {}),
    ("boots, not sneakers", ["shoe"], ["boots"], ["sneakers"], {}),  # once "not shoe": no shoe at all
    ("no sneakers", None, [], ["sneakers"], {}),  # other shoes are still welcome
    ("trousers but not jeans", ["pants"], [], ["jeans"], {}),  # "trousers" names every pair: no kind
    ("shoes", ["shoe"], [], [], {}),
    ("red dresses", ["dress"], [], [], {}),  # the category's own plural
    ("a T-shirt", ["top"], ["t-shirt"], [], {}),
    ("anything but shoes", None, [], [], {"category": ["shoe"]}),  # the category itself is still refused
    ("boots, not shoes", None, [], [], {"category": ["shoe"]}),  # refusing beats wanting: no kind of nothing
    ("shoes or boots", ["shoe"], [], [], {}),  # any shoe was said too
    ("an outfit without scarves", None, [], [], {"category": ["scarf"]}),  # "scarves" is the category's plural
])
def test_kinds_narrow_a_category_and_refusing_one_keeps_the_rest(text, category, kinds, refused_kinds, refused):
    query = read(text)
    assert (query.wanted.get("category"), query.kinds, query.refused_kinds, query.refused) == (
        category, kinds, refused_kinds, refused)


@pytest.mark.parametrize("text, low, high, total, preference", [
    ("under $60", None, 60, None, None),
    ("less than 100 dollars", None, 100, None, None),
    ("a dress below 80", None, 80, None, None),
    ("over $100", 100, None, None, None),
    ("between $50 and $120", 50, 120, None, None),
    ("from 20 to 45 euros", 20, 45, None, None),
    ("a $60 dress", None, 60, None, None),  # a bare amount: at most that
    ("an outfit under $200 in all", None, None, 200, None),  # a total for the whole look
    ("cheap sneakers", None, None, None, "low"),
    ("something luxurious", None, None, None, "high"),
    ("a dress from zara", None, None, None, None),  # "from" without an amount is no price
])
def test_prices_in_words(text, low, high, total, preference):
    query = read(text)
    assert (query.min_price, query.max_price, query.total_budget, query.price_preference) == (low, high, total,
                                                                                              preference)


@pytest.mark.parametrize("text, gender", [
    ("men's striped shirt", "men"), ("a shirt for him", "men"), ("mens jeans", "men"), ("a gift for her", "women"),
    ("ladies' coat", "women"), ("womens sandals", "women"), ("unisex hoodie", "unisex"), ("a red dress", None),
])
def test_audience_in_words(text, gender):
    assert read(text).gender == gender


@pytest.mark.parametrize("text, line", [
    ("a dress that is not black under $80", "dress · colour not black · under $80"),
    ("men's striped shirt", "shirt · pattern striped · for men"),
    ("black ankle boots, not sneakers", "shoe (ankle boots) · colour black · not sneakers"),
    ("not red", "colour not red"),
    ("a black white dress", "dress · colour black or white"),
    ("something nice", "nothing the catalog's attributes name; searching by meaning"),
])
def test_the_understood_line(text, line):
    assert read(text).understood() == line


@pytest.fixture(scope="module")
def reader():
    from fashion_ai.models.text import load_text_model

    return QueryReader(load_text_model())


@pytest.mark.slow
@pytest.mark.parametrize("text, field, value", [
    ("gown for a gala", "category", "dress"),  # via the lexicon
    ("a warm coat for snow", "season", "winter"),  # via the text model: "snow" is nearest winter
    ("sandals for a cold day", "season", "winter"),
    ("a stole", "category", "scarf"),
])
def test_the_text_model_reads_words_the_lexicon_lacks(reader, text, field, value):
    assert value in reader.read(text).wanted.get(field, [])


@pytest.mark.slow
@pytest.mark.parametrize("text", ["a nice outfit", "something cute to wear", "the best look", "gift ideas"])
def test_generic_words_are_never_read_as_attributes(reader, text):
    query = reader.read(text)
    assert query.wanted == {} and query.near == {}


@pytest.mark.slow
@pytest.mark.parametrize("text, category", [("a loose summer dress", ["dress"]), ("a tight black skirt", ["skirt"])])
def test_the_shoppers_own_garment_word_wins_over_a_near_word(reader, text, category):
    query = reader.read(text)
    assert query.wanted["category"] == category and query.near == {}


@pytest.mark.slow
@pytest.mark.parametrize("word", ["bikini", "swimsuit", "lingerie", "pajamas", "underwear", "bodysuit", "wetsuit"])
def test_a_garment_the_schema_lacks_is_said_not_searched_silently(reader, word):
    query = reader.read(f"a red {word} for her")
    assert query.unsold == [word] and "category" not in query.wanted
    assert f"no {word} in this catalog" in query.understood()


@pytest.mark.slow
@pytest.mark.parametrize("text", ["comfy clothes for a trip", "vintage vibes", "a modest dress", "something for my mom",
                                  "an outfit for brunch", "not a bikini"])
def test_occasion_mood_and_fit_words_are_not_taken_for_missing_garments(reader, text):
    assert reader.read(text).unsold == []


def test_a_photos_garment_edited_by_words():
    base = garment_query(Garment(category="dress", colors=["red"], pattern="floral"))
    assert base.text == "red floral dress"
    wish = edited(base, read("like this but in blue, under $90"))
    assert wish.wanted == {"category": ["dress"], "colors": ["blue"], "pattern": ["floral"]}
    assert wish.max_price == 90
    plain = edited(base, read("like this without the flowers"))
    assert "pattern" not in plain.wanted and plain.refused == {"pattern": ["floral"]}


@pytest.mark.parametrize("text, echoed", [
    ("<img src=x onerror=alert(1)>", ""),  # a tag goes whole
    ("a <b>red</b> dress", "a red dress"),
    ("[x](javascript:alert(1))", "x"),  # a link keeps its text, never its target
    ("![p](data:text/html;base64,PHNjcmlwdD4=) nice", "p nice"),
    ("<a href='javascript:alert(1)'>click</a>", "click"),
    ("JavaScript :alert(1)", "alert(1)"),  # a script URL outside a link loses its scheme
    ("]<(x)", "x)"),  # a removal that would join a link's brackets
    ("<script", "script"),  # an unclosed tag loses its bracket
    ("a dress under $50 (not red) & [nice]", "a dress under $50 (not red) & [nice]"),  # plain words stay as they are
])
def test_echoed_words_are_plain(text, echoed):
    assert " ".join(plain(text).split()) == echoed
    assert is_plain(plain(text)) and is_plain(echoed)


@pytest.mark.parametrize("size", [10**6, 10**7])
def test_a_huge_text_is_refused_before_it_is_read(monkeypatch, size):
    read_chars = []

    def normalize(form, text):  # what cleaning walks
        read_chars.append(len(text))
        return unicodedata.normalize(form, text)

    monkeypatch.setattr(query_module, "unicodedata", SimpleNamespace(normalize=normalize, category=unicodedata.category))
    huge = "a red dress " * (size // 12)
    for clean in (lambda: clean_query(huge, 300), lambda: clean_text(huge, 300, "message")):
        with pytest.raises(TextTooLongError, match=f"is {len(huge)} characters long; please keep it under 300") as exc:
            clean()
        assert exc.value.length == len(huge) and exc.value.limit == 300
    assert read_chars == []  # refused on its length alone
    assert clean_text("red " * 3000, 12_000) == ("red " * 3000).strip()  # within the raw limit, read as before
    with pytest.raises(TextTooLongError, match="11999 characters long"):  # measured exactly once cleaned
        clean_text("red " * 3000, 300)
    assert max(read_chars) == 12_000 <= raw_limit(300)


def test_only_text_is_read():
    with pytest.raises(BadQueryError, match="must be text"):
        clean_text(["a", "list"], 300)
    assert clean_text(None, 300) == ""


@pytest.mark.parametrize("text, max_price, total", [
    ("nothing over fifty", 50, None),  # a negated floor is a cap, and the number in words
    ("40 max lol", 40, None), ("$60 tops per piece", 60, None), ("65 a pop", 65, None), ("<50", 50, None),
    ("≤ 85 per item", 85, None), ("sub-40 each", 40, None),
    ("the full look can't go over 200", None, 200), ("two hundred bucks for the lot", None, 200),
    ("whole thing ≤ 260", None, 260),
])
def test_caps_in_shoppers_forms(text, max_price, total):
    from fashion_ai.retrieval.reading import lexicon_reader

    query = lexicon_reader().read(text)
    assert (query.max_price, query.total_budget, query.min_price) == (max_price, total, None)


class _CountingModel:
    """A text model that embeds each text as a vector of its own (its length and first letter), counting calls."""

    dim = 2

    def __init__(self):
        self.embedded: list[str] = []

    def embed(self, texts):
        self.embedded += list(texts)
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)


def test_a_full_phrase_cache_never_loses_a_phrase_the_batch_still_needs(monkeypatch):
    # A long chat filled the cache; a message then held a cached phrase and more new ones than the cache had room
    # for: the trimming evicted the cached one before the batch was read (KeyError: 'stuffy').
    import fashion_ai.retrieval.reading as reading

    monkeypatch.setattr(reading, "PHRASE_CACHE", 3)
    model = _CountingModel()
    reader = QueryReader(None)
    reader.text_model = model
    reader.embed(["stuffy", "a", "b"])
    vectors = reader.embed(["stuffy", "cc", "ddd", "eeee"])
    assert vectors.tolist() == [[6, ord("s")], [2, ord("c")], [3, ord("d")], [4, ord("e")]]
    assert model.embedded == ["stuffy", "a", "b", "cc", "ddd", "eeee"]  # the cached one was not embedded again
