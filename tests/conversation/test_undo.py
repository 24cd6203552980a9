"""'Undo that', 'go back': one step back to the wish before the last turn that changed it, carried in the state within
its caps."""

import json

import pytest

from fashion_ai.conversation.edits import apply_message
from fashion_ai.conversation.state import MAX_SHOWN, MAX_STATE_CHARS
from fashion_ai.conversation.undo import remember, snapshot
from fashion_ai.conversation.wish import ITEMS, OUTFIT, Shown, Wish
from fashion_ai.retrieval.reading import lexicon_reader

SHOWN = [Shown("t1", "Black silk blouse", "shirt", ["black"], 40.0, "top"),
         Shown("b1", "Beige satin skirt", "skirt", ["beige"], 45.0, "bottom"),
         Shown("s1", "Red leather loafers", "shoe", ["red"], 120.0, "shoes")]


def turn(wish: Wish, text: str, reader=None) -> tuple[Wish, object]:
    """One message as take_turn applies it: the edit, then the step back kept."""
    wish = Wish.from_state(wish.to_json())[0]  # the caller's wish stays as it was
    before = snapshot(wish)
    wish, edit = apply_message(wish, text, reader or lexicon_reader())
    if not edit.undone:
        remember(wish, before)
    wish.shown = list(SHOWN)
    return Wish.from_state(wish.to_json())[0], edit  # through the state, as a client sends it back


def opened() -> Wish:
    return turn(Wish(), "an outfit for a summer wedding")[0]


@pytest.mark.parametrize("edit_text, undo_text", [
    ("no pink", "undo that"), ("under $50 each", "go back"), ("more casual", "undo"), ("start over", "take that back"),
])
def test_undo_restores_the_wish_before_the_last_turn(edit_text, undo_text):
    wish = opened()
    edited, _ = turn(wish, edit_text)
    assert edited.to_dict() | {"previous": None, "turns": 0} != wish.to_dict() | {"previous": None, "turns": 0}
    undone, edit = turn(edited, undo_text)
    assert edit.undone and edit.said == ["back to your wish before the last change"]
    for name in ("mode", "wanted", "refused", "max_price", "levels", "rejected", "swapped", "liked"):
        assert getattr(undone, name) == getattr(wish, name), name
    again, edit = turn(undone, "undo")  # one step only
    assert edit.problems == ["There is nothing to undo yet."] and again.wanted == wish.wanted


def test_undo_brings_back_a_rejected_pick_and_keeps_older_ones_set_aside():
    wish, _ = turn(opened(), "not number 2")
    wish, _ = turn(wish, "not number 3")
    assert wish.rejected == ["b1", "s1"]
    undone, _ = turn(wish, "undo that")
    assert undone.rejected == ["b1"]


def test_a_turn_that_changes_nothing_keeps_the_step_back():
    wish, _ = turn(opened(), "no pink")
    wish, _ = turn(wish, "👍")
    undone, _ = turn(wish, "undo")
    assert undone.refused == {} and undone.wanted == {"occasion": ["wedding"], "season": ["summer"]}


def test_going_back_to_the_whole_outfit_is_no_undo():
    wish, _ = turn(Wish(mode=ITEMS, wanted={"category": ["shoe"]}, shown=list(SHOWN)), "in red")
    back, edit = turn(wish, "go back to the whole outfit")
    assert not edit.undone and back.mode == OUTFIT


def test_a_state_at_every_cap_with_its_step_back_stays_under_the_state_cap():
    wish = Wish(wanted={"occasion": ["wedding"]}, rejected=[f"r{i:0120d}" for i in range(200)],
                swapped=[f"s{i:0120d}" for i in range(200)], liked={f"l{i:0120d}": "" for i in range(50)},
                words="w" * 2_000, titles={}, kinds=["boots"] * 20, unsold=["onesie"] * 20)
    wish.shown = [Shown(f"p{i:0120d}", "T" * 200, "hat", ["red"] * 10, 5.0, "accessory", "why " * 125) for i in range(24)]
    wish.titles = {i: "T" * 200 for i in [*wish.rejected, *wish.liked, *(s.id for s in wish.shown)]}
    before = snapshot(wish)
    wish.rejected = wish.rejected[24:] + [f"n{i:0120d}" for i in range(24)]  # the turn set aside a whole turn's picks
    wish.swapped = wish.swapped[24:] + [f"x{i:0120d}" for i in range(24)]
    wish.refused = {"colors": ["pink"]}
    remember(wish, before)
    wish.fit_caps()
    assert len(wish.previous["rejected_new"]) == len(wish.previous["swapped_new"]) == MAX_SHOWN
    text = wish.to_json()
    assert len(text) < MAX_STATE_CHARS and Wish.from_state(text) == (wish, [])


def test_a_step_back_that_does_not_fit_the_schema_is_dropped_and_said():
    wish, notes = Wish.from_state(json.dumps({"wanted": {"colors": ["red"]}, "previous": {"max_price": -5}}))
    assert wish.wanted == {"colors": ["red"]} and wish.previous is None
    assert notes == ["I could not read the step to undo in the conversation you sent back, so I left it out."]


@pytest.fixture(scope="module")
def reader():
    from fashion_ai.models.text import load_text_model
    from fashion_ai.retrieval.reading import QueryReader

    return QueryReader(load_text_model())


@pytest.mark.parametrize("text", ["can we go back to how it was", "bring back what we had",
                                  "return it to how it was a moment ago"])
def test_undo_in_other_words_by_the_intent(reader, text):
    wish, _ = turn(opened(), "no pink", reader)
    undone, edit = turn(wish, text, reader)
    assert edit.undone and undone.refused == {}
