"""One message's edits to the wish, read with the lexicon alone (the text model's part is tested in retrieval)."""

import pytest

from fashion_ai.conversation.edits import apply_message
from fashion_ai.conversation.wish import ITEMS, OUTFIT, Shown, Wish
from fashion_ai.retrieval.reading import lexicon_reader

OUTFIT_SHOWN = [Shown("t1", "Black silk blouse", "top", ["black"], 40.0, "top"),
                Shown("b1", "Beige satin skirt", "skirt", ["beige", "black"], 45.0, "bottom"),
                Shown("s1", "Red leather loafers", "shoe", ["red"], 120.0, "shoes"),
                Shown("g1", "Purple canvas handbag", "bag", ["purple", "green"], 80.0, "bag"),
                Shown("o1", "Grey wool coat", "coat", ["grey"], 150.0, "outerwear")]


def say(text: str, wish: Wish | None = None):
    return apply_message(wish or Wish(), text, lexicon_reader())


def shown_outfit(**parts) -> Wish:
    return Wish(mode=OUTFIT, shown=list(OUTFIT_SHOWN), **parts)


def test_an_opening_sets_occasion_and_season_as_an_outfit():
    wish, edit = say("an outfit for a summer wedding")
    assert wish.mode == OUTFIT and wish.wanted == {"occasion": ["wedding"], "season": ["summer"]}
    assert edit.said == ["wedding", "summer"]


@pytest.mark.parametrize("start, text, levels", [
    ("wedding", "more casual", [2, 3]), ("wedding", "can you make it a bit more relaxed?", [2, 3]),
    ("everyday", "dress it up", [2, 3]), ("work", "I'd like it dressier", [3, 4]), ("work", "too formal", [1, 2]),
])
def test_more_casual_or_formal_moves_the_dress_code_one_level(start, text, levels):
    wish, _ = say(text, Wish(wanted={"occasion": [start]}))
    assert wish.levels == levels
    assert "style" not in wish.wanted  # "casual" here moves the level; it is not the casual style


def test_the_dress_code_stops_at_its_ends_and_says_so():
    wish, edit = say("more casual", Wish(wanted={"occasion": ["beach"]}))
    assert wish.levels is None and "already as casual" in edit.problems[0]


def test_prices_per_item_in_all_and_nonsense():
    wish, _ = say("under $50 each", shown_outfit())
    assert wish.max_price == 50
    wish, _ = say("$200 in all", wish)
    assert wish.total_budget == 200 and wish.max_price == 50
    wish, edit = say("under $0", wish)
    assert edit.zero_budget and wish.max_price == 50  # the earlier budget holds
    wish, _ = say("any price", wish)
    assert wish.max_price is None and wish.total_budget is None


def test_cheaper_caps_each_slot_below_what_was_shown():
    wish, edit = say("these are too pricey", shown_outfit())
    assert wish.slot_caps == {"top": 40.0, "bottom": 45.0, "shoes": 120.0, "bag": 80.0, "outerwear": 150.0}
    assert "cheaper than the last picks" in edit.said
    listed = Wish(mode=ITEMS, wanted={"category": ["dress"]},
                  shown=[Shown(f"d{i}", "dress", "dress", ["red"], p, None) for i, p in enumerate([30, 60, 90])])
    wish, _ = say("cheaper", listed)
    assert wish.max_price == 59.99  # under the middle of the list


def test_colours_patterns_and_refusals_edit_their_field():
    wish, _ = say("in navy", shown_outfit(wanted={"colors": ["black"]}))
    assert wish.wanted["colors"] == ["navy"]
    wish, _ = say("no stripes and no wool", wish)
    assert wish.refused == {"pattern": ["striped"], "material": ["wool"]}
    wish, _ = say("actually striped is fine", wish)
    assert wish.wanted["pattern"] == ["striped"] and "pattern" not in wish.refused


def test_naming_a_kind_shows_a_list_and_the_whole_outfit_comes_back():
    wish, _ = say("show me shoes instead", shown_outfit(wanted={"occasion": ["wedding"]}))
    assert wish.mode == ITEMS and wish.wanted["category"] == ["shoe"] and wish.wanted["occasion"] == ["wedding"]
    wish, _ = say("now the whole outfit", wish)
    assert wish.mode == OUTFIT and "category" not in wish.wanted


def test_pointers_reject_like_and_swap_picks_without_touching_the_colours():
    wish, edit = say("not the red one, something like number 2", shown_outfit())
    assert wish.rejected == ["s1"] and wish.liked == {"b1": "bottom"}
    assert "colors" not in wish.refused  # "the red one" is a pick, not a refusal of red
    wish, edit = say("swap the bag", shown_outfit())
    assert wish.swapped == ["g1"] and edit.pinned == {"top": "t1", "bottom": "b1", "shoes": "s1", "outerwear": "o1"}
    wish, _ = say("I don't like the third one", shown_outfit())
    assert wish.rejected == ["s1"]
    wish, _ = say("swap out the jacket", shown_outfit())  # the outerwear shown is a coat
    assert wish.swapped == ["o1"]


def test_a_number_that_is_not_on_show_is_said():
    _, edit = say("like number 9", shown_outfit())
    assert edit.problems == ["There is no number 9 on show: the picks go from 1 to 5."]
    _, edit = say("like number 1")
    assert "yet" in edit.problems[0]
    # A wish nothing in the catalog fits showed nothing: the shopper is told so, not asked what they look for.
    _, edit = say("love number 1", Wish(mode=ITEMS, wanted={"category": ["bag"], "occasion": ["beach"]}))
    assert edit.problems == ["There is no number 1 on show: nothing fits the wish as it stands (remove a chip to see some)."]


def test_start_over_empties_the_wish_and_reads_the_rest():
    wish, edit = say("start over: a dress for a party", shown_outfit(max_price=50, rejected=["x"]))
    assert edit.restarted and wish.max_price is None and wish.rejected == []
    assert wish.wanted == {"category": ["dress"], "occasion": ["party"]} and wish.mode == ITEMS


@pytest.mark.parametrize("text, occasion", [("is this right for a wedding?", "wedding"),
                                            ("can I wear this to the office?", "work"), ("would this work?", "")])
def test_a_question_about_the_shoppers_own_outfit_asks_for_a_verdict(text, occasion):
    _, edit = say(text)
    assert edit.verdict == occasion


def test_words_the_schema_does_not_name_are_searched_by_meaning_on_a_fresh_wish():
    wish, edit = say("something ethereal and dreamy")
    assert wish.words == "ethereal and dreamy" and wish.mode == ITEMS and edit.understood_anything


def test_removing_a_piece_leaves_its_slot_out_and_keeps_the_rest():
    wish, edit = say("remove the bag", shown_outfit())
    assert wish.skipped == ["bag"] and wish.rejected == [] and "bag" not in edit.pinned
    assert edit.pinned == {"top": "t1", "bottom": "b1", "shoes": "s1", "outerwear": "o1"}
    assert ("skipped:bag", "no bag") in wish.chips()
    listed = Wish(mode=ITEMS, shown=[Shown("d1", "Red dress", "dress", ["red"], 50.0, None)])
    wish, _ = say("drop number 1", listed)
    assert wish.rejected == ["d1"]  # in a list, dropping one is refusing it


def test_something_else_swaps_out_all_but_the_liked():
    wish, edit = say("something else", shown_outfit(liked={"b1": "bottom"}))
    assert set(wish.swapped) == {"t1", "s1", "g1", "o1"} and "other options" in edit.said


@pytest.mark.parametrize("text, season", [("something warmer", "winter"), ("it's too hot for that", "summer")])
def test_warmer_or_cooler_moves_the_weather(text, season):
    wish, _ = say(text, shown_outfit(wanted={"season": ["autumn"]}))
    assert wish.wanted["season"] == [season] and "category" not in wish.wanted  # not a leg warmer


def test_pricier_sets_each_slot_above_what_was_shown_as_cheaper_sets_it_below():
    wish, edit = say("show me more expensive ones", shown_outfit(slot_caps={"top": 30.0}, price_preference="low"))
    assert wish.price_preference == "high"
    assert wish.slot_caps == {"top": 40.0, "bottom": 45.0, "shoes": 120.0, "bag": 80.0, "outerwear": 150.0}
    assert "pricier than the last picks" in edit.said and wish.steer().pricier
    assert ("slot_caps", "pricier than the last picks") in wish.chips()
    wish, _ = say("cheaper", wish)  # and back: below what was shown again
    assert wish.price_preference == "low" and not wish.steer().pricier and wish.slot_caps["top"] == 40.0
    listed = Wish(mode=ITEMS, wanted={"category": ["dress"]},
                  shown=[Shown(f"d{i}", "dress", "dress", ["red"], p, None) for i, p in enumerate([30, 60, 90])])
    wish, edit = say("pricier", Wish(**{**vars(listed), "max_price": 50.0}))  # a list: over the middle of it
    assert wish.min_price == 60.01 and wish.max_price is None and wish.slot_caps == {}  # the $50 cap is below it
    assert ("min_price", "over $60 each") in wish.chips() and wish.query().min_price == 60.01
    wish, _ = say("cheaper", wish)
    assert wish.min_price is None and wish.max_price == 59.99
