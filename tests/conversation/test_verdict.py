"""A shopper's own pieces against an occasion and the weather, by the stylist's tables."""

import pytest

from fashion_ai.conversation.verdict import judge_piece
from fashion_ai.schema import Garment


@pytest.mark.parametrize("garment, occasion, season, fits, why", [
    (Garment(category="shorts", colors=["grey"]), "wedding", None, False, "too casual for wedding"),
    (Garment(category="coat", colors=["white"]), "travel", "summer", False, "too warm for the heat"),
    (Garment(category="dress", colors=["blue"], material="silk"), "wedding", "summer", True, "dressy enough"),
    (Garment(category="dress", colors=["blue"], material="silk"), "sport", None, False, "silk is out of place"),
    (Garment(category="top", colors=["white"], style="casual"), "formal", None, False, "too casual for formal"),
    (Garment(category="shorts", colors=["white"], material="linen"), "beach", "summer", True, "light for the heat"),
    (Garment(category="shorts", colors=["white"]), "everyday", "winter", False, "too light for the cold"),
])
def test_each_piece_is_judged_with_its_reason(garment, occasion, season, fits, why):
    verdict = judge_piece(garment, occasion, None, season)
    assert verdict.fits is fits and why in verdict.why


def test_a_moved_dress_code_is_judged_without_an_occasion():
    verdict = judge_piece(Garment(category="tie", colors=["black"]), None, (1, 1), None)
    assert not verdict.fits and "too formal" in verdict.why
