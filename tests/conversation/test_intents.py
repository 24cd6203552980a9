"""Intents by example (fashion_ai.language), clauses, and polarity that never flips: on the app's own MiniLM."""

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_ai.conversation.edits import apply_message
from fashion_ai.conversation.polarity import place_price, settle_polarity
from fashion_ai.conversation.wish import OUTFIT, Shown, Wish
from fashion_ai.language.clauses import correction_number, spell_emoji, split_clauses
from fashion_ai.language.intents import IntentGuess, intent_examples, masked
from fashion_ai.retrieval.query import ShopperQuery

ROOT = Path(__file__).resolve().parents[2]
# Every edit the chat understands, as issue 34 lists them, and the ones added.
INTENTS = {"want", "refuse", "max_price", "total_budget", "cheaper", "pricier", "more_formal", "less_formal",
           "show_category", "swap", "like", "reject", "start_over", "undo", "photo_question", "more_options",
           "any_price", "none"}
SHOWN = [Shown("t1", "Black silk blouse", "shirt", ["black"], 40.0, "top"),
         Shown("b1", "Beige satin skirt", "skirt", ["beige"], 45.0, "bottom"),
         Shown("s1", "Red leather loafers", "shoe", ["red"], 120.0, "shoes"),
         Shown("g1", "Purple canvas handbag", "bag", ["purple"], 80.0, "bag")]


def test_every_intent_has_twenty_examples_none_taken_from_the_paraphrase_bench():
    examples = intent_examples()
    assert set(examples) == INTENTS
    assert all(len(clauses) >= 20 for clauses in examples.values())
    bench = set()
    for split in ("dev", "test"):
        data = json.loads((ROOT / "bench" / "paraphrases" / f"{split}.json").read_text())
        turns = data["singles"] + [t for c in data["conversations"] for t in c["turns"]]
        turns += [t for opening in data["contexts"].values() for t in opening]
        bench |= {t["say"].lower().strip() for t in turns}
    assert not {c.lower().strip() for clauses in examples.values() for c in clauses} & bench


@pytest.mark.parametrize("text, clauses", [
    ("cheaper and no checks", ["cheaper", "no checks"]),
    ("skip pink and purple", ["skip pink and purple"]),  # the verb reaches both values
    ("black and white", ["black and white"]),
    ("yellow or orange, but no florals", ["yellow or orange", "no florals"]),
    ("blue — no wait, green", ["blue", "green"]),  # the correction refuses nothing
    ("under $49.99 each", ["under $49.99 each"]),  # a decimal point ends no clause
    ("more in the vibe of no. 2", ["more in the vibe of no. 2"]),  # nor the dot of "no. 2"
    ("no. not that", ["not that"]),
])
def test_a_message_splits_into_clauses(text, clauses):
    assert split_clauses(text) == clauses


def test_emoji_are_spelt_and_values_masked():
    assert spell_emoji("no 👟 please").split() == ["no", "sneakers", "please"]
    assert spell_emoji("❤️").strip() == "love" and spell_emoji("🩷").strip() == "pink"  # the selector goes with it
    assert masked("Drop the pink stripes") == "drop the colour pattern"
    # a pick pointed at is "number" however it is said; a price is no pick
    assert {masked(t) for t in ("more like number five", "more like #5", "more like option 5", "more like 5",
                                "more like the fifth one", "more like no. 5")} == {"more like number"}
    assert masked("no 3") == "no number" and masked("under 5 dollars") == "under 5 dollars"
    assert correction_number("make that 80") == 80 and correction_number("under 80") is None


def test_a_sure_refusal_moves_what_was_read_as_wanted():
    query = ShopperQuery(text="", wanted={"colors": ["pink"], "occasion": ["wedding"]})
    assert settle_polarity(Wish(), query, IntentGuess("refuse", 0.8, "want", 0.6)) is None
    assert query.refused == {"colors": ["pink"]} and query.wanted == {"occasion": ["wedding"]}


def test_an_unsure_clause_asks_back_and_changes_nothing():
    query = ShopperQuery(text="", wanted={"colors": ["pink"]})
    question = settle_polarity(Wish(), query, IntentGuess("want", 0.60, "refuse", 0.59))
    assert question == "Should I leave out pink, or show more pink?" and query.wanted == {}
    # a refusal close behind another intent is a doubt as well ("black is a no-go for me" read as a question)
    query = ShopperQuery(text="", wanted={"colors": ["black"]})
    question = settle_polarity(Wish(), query, IntentGuess("photo_question", 0.62, "refuse", 0.60))
    assert question == "Should I leave out black, or show more black?" and query.wanted == {}


def test_a_refused_value_is_wanted_again_only_when_the_clause_surely_wants_it():
    wish = Wish(refused={"colors": ["red"]})
    query = ShopperQuery(text="", wanted={"colors": ["red"]})
    assert settle_polarity(wish, query, IntentGuess("swap", 0.7, "like", 0.5)) and query.wanted == {}
    query = ShopperQuery(text="", wanted={"colors": ["red"]})
    assert settle_polarity(wish, query, IntentGuess("want", 0.8, "refuse", 0.6)) is None
    assert query.wanted == {"colors": ["red"]}


@pytest.mark.parametrize("clause, intent, max_price, total", [
    ("total of 150 please", "total_budget", None, 150), ("150 for the lot", "max_price", None, 150),
    ("150 each", "total_budget", 150, None), ("can't spend more than 70 per item", "max_price", 70, None),
    ("no more than 3 things", "cheaper", None, None),  # not a price intent: the number is left alone
])
def test_a_cap_goes_where_the_words_or_the_intent_say(clause, intent, max_price, total):
    query = ShopperQuery(text=clause)
    place_price(query, clause, intent)
    assert (query.max_price, query.total_budget) == (max_price, total)


@pytest.fixture(scope="module")
def reader():
    from fashion_ai.models.text import load_text_model
    from fashion_ai.retrieval.reading import QueryReader

    return QueryReader(load_text_model())


def wedding(**parts) -> Wish:
    return Wish(mode=OUTFIT, wanted={"occasion": ["wedding"], "season": ["summer"]}, shown=list(SHOWN), **parts)


@pytest.mark.parametrize("text, field, value", [
    ("ditch the orange", "colors", "orange"), ("I can't stand yellow", "colors", "yellow"),
    ("lose the stripes", "pattern", "striped"), ("nix the leather", "material", "leather"),
])
def test_a_refusal_in_words_the_reader_has_no_negation_for_is_never_wanted(reader, text, field, value):
    wish, edit = apply_message(wedding(), text, reader)
    assert value not in wish.wanted.get(field, [])
    assert value in wish.refused.get(field, []) or any(p.startswith("Should I leave out") for p in edit.problems)


@pytest.mark.parametrize("text, field, value", [
    ("grey? nah", "colors", "grey"), ("florals... hard pass", "pattern", "floral"), ("leather. lose it", "material", "leather"),
])
def test_a_refusal_said_after_the_value_refuses_it(reader, text, field, value):
    # The value alone was read as wanted and the bare refusal after it refused nothing: the shopper got more grey.
    wish, _ = apply_message(wedding(), text, reader)
    assert value not in wish.wanted.get(field, []) and value in wish.refused.get(field, [])
    wish, _ = apply_message(wedding(), f"{text.split()[0]} yes please", reader)  # and a yes still wants it
    assert value in wish.wanted.get(field, []) and value not in wish.refused.get(field, [])


def test_two_edits_a_contradiction_and_a_correction_in_one_message(reader):
    wish, _ = apply_message(wedding(), "skip pink and purple", reader)
    assert wish.refused["colors"] == ["pink", "purple"] and "colors" not in wish.wanted
    wish, _ = apply_message(wedding(), "no red, actually red is fine", reader)
    assert "red" not in wish.refused.get("colors", [])
    wish, _ = apply_message(wedding(), "I want it under 60. no, make that 90", reader)
    assert wish.max_price == 90
    wish, _ = apply_message(wedding(), "blue — no wait, green", reader)
    assert wish.wanted["colors"] == ["green"]


def test_intents_the_rules_had_no_words_for(reader):
    wish, edit = apply_message(wedding(), "everything together for 250 max", reader)
    assert wish.total_budget == 250 and wish.max_price is None
    wish, edit = apply_message(wedding(max_price=100.0), "wipe the slate clean", reader)
    assert edit.restarted and wish.is_empty()
    wish, _ = apply_message(wedding(), "ugh, 2 is awful", reader)
    assert wish.rejected == ["b1"]
    for text in ("could you show me more in the style of number four?", "❤️ 4", "4 is the one"):
        wish, _ = apply_message(wedding(), text, reader)
        assert wish.liked == {"g1": "bag"} and not wish.rejected, text
    wish, edit = apply_message(wedding(), "could I get another bag", reader)
    assert wish.swapped == ["g1"] and wish.mode == OUTFIT
    wish, _ = apply_message(wedding(), "these prices make me cry", reader)
    assert wish.slot_caps == {"top": 40.0, "bottom": 45.0, "shoes": 120.0, "bag": 80.0}


def test_only_emoji_or_thanks_leaves_the_wish_as_it_was(reader):
    before = wedding().to_dict()
    for text in ("👍", "😍😍", "thank you!"):
        wish, _ = apply_message(wedding(), text, reader)
        assert {k: v for k, v in wish.to_dict().items() if k != "shown"} == {
            k: v for k, v in before.items() if k != "shown"}, text


class _Counting:
    """The text model, counting the texts it is asked to embed."""

    def __init__(self, model, name: str | None = None):
        self.model, self.name, self.embedded = model, name or model.name, 0

    @property
    def dim(self) -> int:
        return self.model.dim

    def embed(self, texts):
        self.embedded += len(texts)
        self.calls = getattr(self, "calls", 0) + 1
        return self.model.embed(texts)


def test_the_shipped_example_vectors_are_those_of_intents_json_and_the_text_model(reader):
    from fashion_ai.language.intents import VECTORS_SIDECAR, IntentClassifier, load_shipped_vectors, texts_hash
    from fashion_ai.models.text import PACKAGED_TEXT_MODEL

    texts = IntentClassifier(reader.text_model).example_texts()
    sidecar = json.loads(VECTORS_SIDECAR.read_text())
    # Out of date: run python -m fashion_ai.language.intents --build (intents.json or the masking words changed).
    assert (sidecar["text_model"], sidecar["texts_sha256"]) == (PACKAGED_TEXT_MODEL, texts_hash(texts))
    shipped = load_shipped_vectors(texts, PACKAGED_TEXT_MODEL)
    rows = list(range(0, len(texts), 25))
    fresh = reader.text_model.embed([texts[i] for i in rows])
    assert shipped.shape == (len(texts), fresh.shape[1])
    assert (np.sum(shipped[rows] * fresh, axis=1) > 0.999).all()  # float16 keeps the cosines


def test_the_classifier_starts_from_the_shipped_vectors_and_embeds_again_for_another_model(reader, caplog):
    from fashion_ai.language.intents import IntentClassifier

    counting = _Counting(reader.text_model)
    classifier = IntentClassifier(counting)
    classifier.prepare()
    assert counting.embedded == 0  # cold start: no example embedded
    assert classifier.classify(["drop the pink"])[0].intent == "refuse" and counting.embedded == 1
    other = _Counting(reader.text_model, name="someone/another-model")
    classifier = IntentClassifier(other)
    with caplog.at_level("WARNING"):
        classifier.prepare()
    assert other.embedded == len(classifier.example_texts()) and "--build" in caplog.text


def test_a_message_is_embedded_in_one_batch_and_read_as_clause_by_clause(reader):
    from fashion_ai.retrieval.reading import QueryReader

    counting = _Counting(reader.text_model)
    batched = QueryReader(counting)
    batched.prepare()
    counting.calls = 0
    text = "lose the stripes but keep it breezy, and a gown in teal"
    wish, edit = apply_message(wedding(), text, batched)
    assert counting.calls == 1  # clauses and leftover words ("breezy") together
    again, edit_again = apply_message(wedding(), text, reader)
    assert wish.to_dict() == again.to_dict() and edit.said == edit_again.said
