"""Rendering for the page: what comes from a catalog or a model is escaped; confidence and unsure values shown."""

from types import SimpleNamespace

import pytest

from fashion_ai.models.extraction import FieldGuess
from fashion_ai.schema import Garment
from tests.retrieval.helpers import make_item
from ui.render import garment_cards, item_lines, link_target


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


@pytest.mark.parametrize("url, target", [
    ("https://shop.example.com/p/red-dress", "https://shop.example.com/p/red-dress"),
    # Parentheses would end the Markdown link; spaces, quotes and non-ASCII are escaped, existing escapes kept.
    ("https://shop.example.com/p/dress (red)?size=M&c=a%20b#top", "https://shop.example.com/p/dress%20%28red%29?size=M&c=a%20b#top"),
    ('http://shop.example.com/p/"café"', "http://shop.example.com/p/%22caf%C3%A9%22"),
    ("javascript:alert(1)", None),  # only the shop's web links are linked
    ("ftp://shop.example.com/x", None),
    ("", None),
])
def test_shop_links_are_escaped_for_markdown(url, target):
    assert link_target(url) == target


def test_item_lines_link_the_escaped_url_and_leave_other_urls_unlinked():
    hits = [SimpleNamespace(item=make_item("a", "dress"), reason="red"), SimpleNamespace(item=make_item("b", "bag"), reason="x")]
    hits[0].item.url = "https://shop.example.com/p/a (new)"
    hits[1].item.url = "javascript:alert(1)"
    lines = item_lines(hits, "**2 items**").splitlines()
    assert lines[2].startswith("1. [a](https://shop.example.com/p/a%20%28new%29) — $50.00")
    assert lines[3].startswith("2. b — $50.00") and "javascript" not in lines[3]
