"""The conversation's wish is plain data: it goes to JSON and back, shows as chips, and loses any chip removed."""

import json

import pytest

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
    assert again == wish
    assert json.loads(wish.to_json())["shown"][0]["price"] == 43.99


@pytest.mark.parametrize("state", ["{not json", "[1, 2]", '"a string"', "x" * 300_000])
def test_a_state_we_did_not_write_is_refused_plainly(state):
    with pytest.raises(ValueError, match="conversation state"):
        Wish.from_json(state)


def test_unknown_and_malformed_parts_are_dropped():
    wish = Wish.from_json(json.dumps({"mode": "teleport", "wanted": {"colors": ["red"], "mood": ["happy"]},
                                      "hacked": True, "kinds": "boots", "refused_kinds": [7]}))
    assert wish.mode == OUTFIT and wish.wanted == {"colors": ["red"]}
    assert wish.kinds == [] and wish.refused_kinds == ["7"]


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
