"""The conversation's wish is plain data: it goes to JSON and back, shows as chips, and loses any chip removed."""

import json
from dataclasses import fields

import pytest

from fashion_ai.conversation.state import MAX_STATE_CHARS, ShownState, WishState
from fashion_ai.conversation.wish import ITEMS, OUTFIT, Shown, Wish


def full_wish() -> Wish:
    return Wish(mode=OUTFIT, wanted={"occasion": ["wedding"], "season": ["summer"], "colors": ["navy"]},
                refused={"pattern": ["striped"]}, max_price=50.0, total_budget=200.0, gender="women", levels=[2, 3],
                slot_caps={"shoes": 80.0}, garment={"category": "dress", "colors": ["yellow"]},
                liked={"a1": "bottom"}, rejected=["b2"], swapped=["c3"], titles={"a1": "Beige skirt", "b2": "Red hat"},
                shown=[Shown("a1", "Beige skirt", "skirt", ["beige"], 43.99, "bottom", "summer")], turns=3)


def test_a_wish_survives_json_unchanged():
    wish = full_wish()
    again = Wish.from_json(wish.to_json())
    assert again == wish and again.to_json() == wish.to_json()  # the very text, key order included
    assert json.loads(wish.to_json())["shown"][0]["price"] == 43.99
    assert Wish.from_state(wish.to_dict()) == (wish, [])  # as an object too, and nothing said to be dropped


def test_the_state_schema_declares_every_part_of_the_wish():
    assert list(WishState.model_fields) == [f.name for f in fields(Wish)]
    assert list(ShownState.model_fields) == [f.name for f in fields(Shown)]


def nested(depth: int) -> dict:
    state: dict = {}
    for _ in range(depth):
        state = {"words": state}
    return state


@pytest.mark.parametrize("state", [
    "{not json", "[1, 2]", '"a string"', "x" * 300_000, "[" * 100_000 + "]" * 100_000,
    # As an object (gr.JSON hands the API's state over parsed): measured too, without reading past the cap.
    {"words": "x" * 2_000_000}, {"rejected": ["item"] * 500_000}, {"titles": {str(i): "t" for i in range(10**6)}},
    nested(100_000), [1, 2], 7, {"words": {1, 2}},
])
def test_a_state_we_did_not_write_is_refused_plainly(state):
    with pytest.raises(ValueError, match="conversation state"):
        Wish.from_state(state)


def test_a_long_conversation_stays_within_the_caps_and_reads_back_whole():
    wish = full_wish()
    wish.rejected = [f"r{i}" for i in range(300)]
    wish.swapped = [f"s{i}" for i in range(300)]
    wish.liked = {f"l{i}": "" for i in range(80)}
    wish.shown = [Shown(f"p{i}", "T" * 300, "hat", ["red"], 5.0, "accessory", "why " * 200) for i in range(30)]
    wish.titles = {i: "A title " * 40 for i in [*wish.rejected, *wish.swapped, *wish.liked, *(s.id for s in wish.shown),
                                                "a1", "old"]}
    wish.unsold = ["onesie", "x" * 70] + ["w" + "o" * i for i in range(30)]
    wish.fit_caps()
    assert wish.rejected == [f"r{i}" for i in range(100, 300)] and wish.swapped[0] == "s100"  # the latest kept
    assert list(wish.liked) == [f"l{i}" for i in range(30, 80)]
    assert set(wish.titles) == set(wish.liked) | set(wish.rejected) | {s.id for s in wish.shown}  # not "old"
    assert len(wish.shown) == 24 and wish.unsold[:2] == ["onesie", "w"] and len(wish.unsold) == 20
    text = wish.to_json()
    assert len(text) < MAX_STATE_CHARS
    assert Wish.from_state(text) == (wish, [])


def test_unknown_and_malformed_parts_are_dropped_and_named():
    wish, notes = Wish.from_state(json.dumps({"mode": "teleport", "wanted": {"colors": ["red"], "mood": ["happy"]},
                                              "hacked": True, "kinds": "boots", "refused_kinds": [7, "sneakers"]}))
    assert wish.mode == OUTFIT and wish.wanted == {"colors": ["red"]}
    assert wish.kinds == [] and wish.refused_kinds == ["sneakers"]
    assert notes == ["I could not read whether you wanted a whole outfit or single pieces, what you asked for, the "
                     "kinds of garment you asked for and a kind of garment you ruled out in the conversation you sent "
                     "back, so I left them out."]  # a key of another version ("hacked") is no part of the wish


def hat(**changes) -> dict:
    return {"id": "h1", "title": "Red hat", "category": "hat", "colors": ["red"], "price": 9.0, **changes}


# (the part sent, what the reply names, the field it lands in, what is kept of it)
@pytest.mark.parametrize(("part", "said", "kept"), [
    ({"max_price": float("nan")}, "the price per piece you set", None),
    ({"max_price": -5}, "the price per piece you set", None),
    ({"max_price": "50"}, "the price per piece you set", None),  # a number, not text that reads as one
    ({"total_budget": float("inf")}, "the budget you set", None),
    ({"total_budget": float("-inf")}, "the budget you set", None),
    ({"slot_caps": {"shoes": float("nan"), "bag": 40.0}}, "a price to beat from “cheaper” or “pricier”", {"bag": 40.0}),
    ({"refused": {"pattern": ["striped", "tartan-ish"]}}, "a pattern you ruled out", {"pattern": ["striped"]}),
    ({"refused": {"occasion": ["coronation"]}}, "an occasion you ruled out", {}),  # an emptied field goes
    ({"gender": "aliens"}, "who the clothes are for", None),
    ({"garment": {"category": "dress", "colors": ["octarine"]}}, "your own garment", None),
    ({"garment": {"category": "<b>dress</b>"}}, "your own garment", None),
    ({"kinds": ["boots", "hovercraft"]}, "a kind of garment you asked for", ["boots"]),
    ({"skipped": ["bag", "jetpack"]}, "a part of the outfit you left out", ["bag"]),
    ({"levels": [True, 2]}, "the dress code you set", None),  # a bool is no level
    ({"levels": [3, 1]}, "the dress code you set", None),
    ({"shown": [hat(colors=5), hat(id="h2")]}, "a pick I showed you", [Shown(**hat(id="h2"))]),
    ({"shown": [hat(price=float("nan"))]}, "a pick I showed you", []),
    ({"shown": [hat(id=f"h{i}") for i in range(25)]}, "the picks I showed you", []),
    ({"rejected": [f"item-{i}" for i in range(201)]}, "the pieces you set aside", []),
    ({"swapped": ["x"] * 201}, "the pieces you swapped out", []),
    ({"liked": {"<b>": "top", "a1": "top"}}, "a piece you liked", {"a1": "top"}),  # an id with markup is none of ours
    ({"turns": -1}, "the turn count", 0),
])
def test_a_part_outside_the_schema_is_dropped_and_said(part, said, kept):
    name = next(iter(part))
    wish, notes = Wish.from_state({**part, "wanted": {"colors": ["red", "mauve"]}})
    assert notes == [f"I could not read a colour you asked for and {said} in the conversation you sent back, so I "
                     "left them out."]  # in the wish's order: wanted comes first
    assert wish.wanted == {"colors": ["red"]}  # of the colours, the one the schema knows is kept
    assert getattr(wish, name) == (getattr(Wish(), name) if kept is None else kept)
    labels = " ".join(label for _, label in wish.chips())
    assert "nan" not in labels and "inf" not in labels and "$-" not in labels
    wish.query(), wish.describe()  # what a turn reads of it: none of these may raise


@pytest.mark.parametrize("part", [{"wanted": "x"}, {"max_price": "abc"}, {"levels": [9, 1]}, {"levels": "x"},
                                  {"garment": 5}, {"garment": {"x": 1}}, {"words": 5}, {"turns": True},
                                  {"rejected": [1]}, {"liked": "x"}, {"slot_caps": {"shoes": "cheap"}}])
def test_a_part_of_the_wrong_type_keeps_its_default_and_the_wish_still_reads(part):
    wish = Wish.from_dict({**part, "max_price": 40.0} if "max_price" not in part else part)
    assert getattr(wish, next(iter(part))) == getattr(Wish(), next(iter(part)))
    assert wish.max_price == (None if "max_price" in part else 40.0)  # the well-formed rest is kept
    wish.query(), wish.chips(), wish.describe()  # what a turn reads of it: none of these may raise


def test_chips_name_every_part_and_removing_one_removes_only_it():
    wish = full_wish()
    labels = dict(wish.chips())
    assert labels["wanted:occasion:wedding"] == "wedding" and labels["refused:pattern:striped"] == "no striped"
    assert labels["max_price"] == "under $50 each" and labels["total_budget"] == "$200 in all"
    assert labels["liked:a1"] == "♥ Beige skirt" and labels["rejected:b2"] == "✕ Red hat"
    assert labels["levels"] == "dress code smart casual to business" and labels["garment"] == "your yellow dress"
    removed = wish.remove(["refused:pattern:striped", "max_price", "liked:a1"])
    assert removed == ["no striped", "under $50 each", "♥ Beige skirt"]
    assert wish.refused == {} and wish.max_price is None and wish.liked == {}
    assert wish.total_budget == 200.0 and wish.wanted["occasion"] == ["wedding"]


def test_keep_only_removes_the_unticked_chips():
    wish = full_wish()
    keep = [key for key, _ in wish.chips() if key not in ("wanted:colors:navy", "gender")]
    wish.keep_only(keep)
    assert "colors" not in wish.wanted and wish.gender is None and wish.max_price == 50.0


def test_removing_the_last_kind_asked_for_goes_back_to_an_outfit():
    wish = Wish(mode=ITEMS, wanted={"category": ["shoe"]}, kinds=["boots"])
    wish.remove(["wanted:category:shoe"])
    assert wish.mode == OUTFIT and wish.is_empty() and wish.kinds == []  # a kind only narrows a category


def test_kinds_show_as_chips_of_their_own():
    wish = Wish(mode=ITEMS, wanted={"category": ["shoe"]}, kinds=["ankle boots"], refused_kinds=["sneakers"])
    assert wish.chips() == [("wanted:category:shoe", "shoe"), ("kind:ankle boots", "ankle boots"),
                            ("refused_kind:sneakers", "no sneakers")]
    assert wish.query().kinds == ["ankle boots"] and wish.describe() == "ankle boots"
    wish.remove(["kind:ankle boots", "refused_kind:sneakers"])
    assert wish.wanted == {"category": ["shoe"]} and wish.kinds == wish.refused_kinds == []
    assert Wish(refused_kinds=["sneakers"]).is_empty() is False
    stale = Wish(mode=ITEMS, wanted={"category": ["dress"]}, kinds=["boots"])  # boots, then "a dress instead"
    assert stale.query().kinds == [] and stale.describe() == "dress" and ("kind:boots", "boots") not in stale.chips()


def test_the_steer_keeps_liked_pieces_and_leaves_out_refused_ones():
    wish = full_wish()
    steer = wish.steer(pinned={"top": "t9"})
    assert steer.pinned == {"bottom": "a1", "top": "t9"}
    assert steer.excluded == {"b2", "c3"} and steer.levels == (2, 3)
    assert steer.slot_caps == {"shoes": 80.0}
    listed = Wish(mode=ITEMS, liked={"a1": ""}).steer()
    assert listed.pinned == {} and "a1" in listed.excluded  # a list shows more like it, not it again
