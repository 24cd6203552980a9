"""Rendering for the page: what comes from a catalog or a model is escaped; confidence and unsure values shown."""

from fashion_ai.models.extraction import FieldGuess
from fashion_ai.schema import Garment
from ui.render import garment_cards


def test_garment_cards_escape_what_they_show():
    cards = garment_cards([Garment(category="dress", colors=["red", "<b>ink</b>"], pattern="floral")])
    assert "<h4>dress</h4>" in cards and "floral" in cards and "background:#cd1e23" in cards
    assert "<b>ink</b>" not in cards and "&lt;b&gt;ink&lt;/b&gt;" in cards


def test_cards_show_how_sure_the_model_was_and_what_it_left_out():
    guesses = {"category": FieldGuess("category", "dress", 0.91, "skirt", 0.05),
               "colors": FieldGuess("colors", "red", 0.8, "pink", 0.1),
               "pattern": FieldGuess("pattern", "striped", 0.45, "checked", 0.4)}
    cards = garment_cards([Garment(category="dress", colors=["red"])], [guesses])
    assert "<h4>dress" in cards and "91%" in cards and "80%" in cards
    assert "fa-unsure" in cards and "pattern?" in cards and "striped" in cards and "checked" in cards
