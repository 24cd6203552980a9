"""What a chat client sends is not trusted, through the service with the shipped demo models and catalog: a message
or state of any size is bounded before work, a state's malformed parts are dropped and said, and no markup the
shopper sent comes back in what the library answers."""

import json
import unicodedata
from types import SimpleNamespace

import pytest

from fashion_ai.conversation import Wish
from fashion_ai.retrieval import query as query_module
from fashion_ai.retrieval.query import raw_limit
from fashion_ai.service import FashionService

pytestmark = pytest.mark.slow  # the demo models and the catalog index

MARKUP = "<img src=x onerror=alert(1)> [x](javascript:alert(1))"


@pytest.fixture(scope="module")
def service(live_app) -> FashionService:
    return live_app.demo.service


@pytest.fixture(scope="module")
def opening(service):
    return service.chat("a skirt for a party under $90 each")


def echoed(result) -> str:
    """Everything of a turn a client may render: the reply, the understood line, the chips, the picks, the state."""
    return json.dumps(result.to_dict(), ensure_ascii=False)


def test_a_huge_message_is_answered_without_being_read(service, opening, monkeypatch):
    read = []

    def normalize(form, text):  # what cleaning walks
        read.append(len(text))
        return unicodedata.normalize(form, text)

    monkeypatch.setattr(query_module, "unicodedata", SimpleNamespace(normalize=normalize, category=unicodedata.category))
    huge = service.chat("x " * 5_000_000, None, opening.wish.to_dict())
    assert "That message is 10,000,000 characters long; I read messages of up to 300" in huge.reply
    assert max(read, default=0) <= raw_limit(300)  # the turn read its wish, never the message
    assert huge.wish.wanted == opening.wish.wanted and huge.wish.max_price == 90 and huge.picks


@pytest.mark.parametrize("state", [
    {"wanted": {"category": ["dress"]}, "words": "x" * 2_000_000},  # 2 MB as an object: today's cap skipped it
    {"wanted": {"category": ["dress"]}, "rejected": ["item"] * 500_000},
])
def test_a_huge_state_in_any_form_starts_a_new_conversation_and_says_so(service, state):
    for sent in (state, json.dumps(state)):
        result = service.chat("a bag", None, sent)
        assert "I could not read the earlier conversation (the conversation state is too large" in result.reply
        assert result.wish.wanted == {"category": ["bag"]} and result.wish.rejected == [] and result.picks


def test_a_pick_of_the_wrong_type_is_dropped_and_the_turn_goes_on(service, opening):
    state = opening.wish.to_dict()
    state["shown"][0]["colors"] = 5  # once a TypeError on "the red one": "Something went wrong"
    result = service.chat("not the red one", None, state)
    assert "I could not read a pick I showed you in the conversation you sent back, so I left it out." in result.reply
    assert result.picks and result.wish.wanted == opening.wish.wanted


@pytest.mark.parametrize(("part", "said"), [
    ({"max_price": float("nan")}, "the price per piece you set"),
    ({"max_price": -5}, "the price per piece you set"),
    ({"total_budget": float("inf")}, "the budget you set"),
    ({"total_budget": float("-inf")}, "the budget you set"),
])
def test_a_price_that_is_no_price_is_dropped_and_said(service, opening, part, said):
    for sent in ({**opening.wish.to_dict(), **part}, json.dumps({**opening.wish.to_dict(), **part})):  # NaN in JSON
        result = service.chat("in black", None, sent)
        assert f"I could not read {said} in the conversation you sent back, so I left it out." in result.reply
        assert result.wish.wanted["category"] == ["skirt"] and result.picks
        assert not {"nan", "inf", "$-"} & set(result.understood.split()) and "$nan" not in result.reply
        assert "$inf" not in result.reply and "$-" not in result.reply


def test_a_value_the_schema_does_not_know_is_dropped_and_said(service):
    result = service.chat("a dress", None, {"wanted": {"colors": ["mauve", "red"], "occasion": ["coronation"]}})
    assert ("I could not read a colour you asked for and an occasion you asked for in the conversation you sent back, "
            "so I left them out.") in result.reply
    assert result.wish.wanted == {"colors": ["red"], "category": ["dress"]} and result.picks


def test_lists_beyond_their_caps_are_dropped_and_said_and_ours_stay_within_them(service, opening):
    state = {**opening.wish.to_dict(), "rejected": [f"gone-{i}" for i in range(5_000)],
             "shown": opening.wish.to_dict()["shown"] * 10}
    result = service.chat("cheaper", None, state)
    assert ("I could not read the pieces you set aside and the picks I showed you in the conversation you sent back, "
            "so I left them out.") in result.reply
    assert result.wish.rejected == [] and result.picks
    again = result
    for _ in range(3):  # a conversation of ours reads back whole every turn
        again = service.chat("something else", None, again.wish.to_json())
        assert "could not read" not in again.reply
    assert Wish.from_state(again.wish.to_json()) == (again.wish, [])


def test_markup_in_a_message_does_not_come_back(service, opening):
    fresh = service.chat(MARKUP)  # nothing else understood: the words are searched by meaning, and said
    later = service.chat(MARKUP, None, opening.wish.to_json())  # "I did not catch what to change in ..."
    assert "Got it: “x”." in fresh.reply and "I did not catch what to change in “x”" in later.reply
    for result in (fresh, later):
        text = echoed(result)
        assert "<" not in text and ">" not in text and "](" not in text and "javascript" not in text.lower()


def test_markup_in_a_state_does_not_come_back(service, opening):
    pick = opening.picks[0]
    state = {**opening.wish.to_dict(), "liked": {pick.id: pick.slot or ""}, "words": MARKUP,
             "titles": {pick.id: f"{MARKUP} skirt"}}
    state["shown"][0]["reason"] = MARKUP
    result = service.chat("more formal", None, state)
    assert "♥ x skirt" in [label for _, label in result.chips]  # the piece's name, made plain
    text = echoed(result)
    assert "<" not in text and ">" not in text and "](" not in text and "javascript" not in text.lower()
