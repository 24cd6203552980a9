"""The stylist's tables: dress-code ranges read from an item's words, and weather signs."""

import pytest

from fashion_ai.retrieval.rules import climate, formality, occasion_fit, suits_occasion, suits_weather, weather_signs
from tests.retrieval.helpers import make_item


@pytest.mark.parametrize("title, category, material, style, levels", [
    ("white rubber sneakers", "shoe", "rubber", "classic", (1, 1)),  # the title and the rubber outvote "classic"
    ("black leather loafers", "shoe", "leather", "classic", (2, 4)),
    ("red silk gown", "dress", "silk", "elegant", (3, 4)),
    ("brown knit tank top", "top", "knit", "minimalist", (1, 1)),  # a tank top stays casual in any knit
    ("navy wool blazer", "jacket", "wool", "business", (3, 3)),
    ("plain item", "umbrella", None, None, (1, 4)),  # nothing says: any occasion
])
def test_dress_code_from_an_items_words(title, category, material, style, levels):
    assert formality(make_item("x", category, title=title, material=material, style=style)) == levels


@pytest.mark.parametrize("item, occasion, fits", [
    (make_item("a", "shoe", title="white rubber sneakers", material="rubber"), "wedding", False),
    (make_item("b", "shoe", title="black leather loafers", material="leather"), "wedding", True),
    (make_item("c", "shorts"), "work", False),
    (make_item("d", "bag", material="suede"), "beach", False),  # no suede at the beach
    (make_item("e", "shoe", material="leather", style="sporty"), "sport", False),  # no leather at the gym
    (make_item("f", "dress", material="silk", style="elegant"), None, True),  # no occasion: anything goes
])
def test_what_suits_an_occasion(item, occasion, fits):
    assert suits_occasion(item, occasion) is fits


def test_the_fit_is_a_share_of_the_votes():
    sneakers = make_item("a", "shoe", title="white rubber sneakers", material="rubber", style="classic")
    assert occasion_fit(sneakers, "sport") > occasion_fit(sneakers, "wedding")
    assert occasion_fit(sneakers, None) == 1.0


@pytest.mark.parametrize("item, signs", [
    (make_item("a", "coat"), {"cold"}), (make_item("b", "scarf", material="wool"), {"cold"}),
    (make_item("c", "shorts"), {"warm"}), (make_item("d", "hat", material="straw", title="sun hat"), {"warm"}),
    (make_item("e", "top", material="knit", title="knit tank top"), {"warm", "cold"}),  # both: neither wish takes it
    (make_item("f", "shoe", title="suede ankle boots"), {"cold"}), (make_item("g", "bag"), set()),
])
def test_weather_signs(item, signs):
    assert weather_signs(item) == signs
    assert suits_weather(item, "warm") == ("cold" not in signs) and suits_weather(item, "cold") == ("warm" not in signs)


def test_a_wishes_climate():
    assert climate("summer", None) == "warm" and climate(None, "beach") == "warm" and climate("winter", None) == "cold"
    assert climate("autumn", "work") is None


@pytest.mark.parametrize("item, occasion, fits", [
    # A piece's own style, make or kind rules it out whatever its other words vote (issue 34 point 5).
    (make_item("a", "shoe", title="purple leather loafers", material="leather", style="streetwear"), "work", False),
    (make_item("b", "shoe", title="purple leather loafers", material="leather", style="classic"), "work", True),
    (make_item("c", "shoe", title="beige canvas ankle boots", material="canvas", style="classic"), "formal", False),
    (make_item("d", "jacket", title="black denim jacket", material="denim", style="classic"), "wedding", False),
    (make_item("e", "shoe", title="white leather sneakers", material="leather", style="classic"), "wedding", False),
    (make_item("f", "top", title="white silk top", material="silk", style="elegant"), "formal", False),
    (make_item("g", "bag", title="black silk clutch", material="silk", style="elegant"), "sport", False),
    (make_item("h", "skirt", title="black cotton skirt", material="cotton", style="casual"), "sport", False),
])
def test_style_material_and_kind_hold_against_the_dress_code(item, occasion, fits):
    assert suits_occasion(item, occasion) is fits


@pytest.mark.parametrize("season, wish, fits", [
    ("winter", "warm", False), ("summer", "warm", True), ("summer", "cold", False), ("winter", "cold", True),
    ("spring", "warm", True), ("autumn", "cold", True),
])
def test_a_pieces_own_catalog_season_holds_against_the_weather(season, wish, fits):
    bag = make_item("a", "bag", title="blue leather handbag", material="leather", season=season)
    assert suits_weather(bag, wish) is fits


def test_the_season_said_wins_over_the_place():
    assert climate("winter", "beach") == "cold" and climate(None, "beach") == "warm"
