"""Kinds: the shopper's product nouns matched against item names, whatever their number or the shop's word."""

import pytest

from fashion_ai.retrieval.kinds import called, is_kind
from tests.retrieval.helpers import make_item


@pytest.mark.parametrize("phrase, category, kind", [
    ("boots", "shoe", True), ("ankle boots", "shoe", True), ("jeans", "pants", True), ("sundress", "dress", True),
    ("shoes", "shoe", False), ("shoe", "shoe", False), ("dresses", "dress", False), ("footwear", "shoe", False),
    ("trousers", "pants", False), ("jumper", "sweater", False),
])
def test_a_kind_is_narrower_than_its_category(phrase, category, kind):
    assert is_kind(phrase, category) is kind


@pytest.mark.parametrize("title, kinds, expected", [
    ("Brown leather ankle boots", ["boots"], True),
    ("Brown leather ankle boots", ["boot"], True),  # singular or plural
    ("Brown leather ankle boots", ["ankle boots"], True),
    ("Black Chelsea Boot", ["boots"], True),  # a real catalog's case and number
    ("White canvas sneakers", ["trainers"], True),  # the shop's word for the shopper's
    ("Classic Dresses Collection", ["dress"], True),
    ("Blue denim trousers", ["jeans"], False),
    ("Red striped shirt", ["t-shirt"], False),  # a hyphen binds both ways
    ("Red striped t-shirt", ["shirt"], False),
    ("Red striped t-shirt", ["tee"], True),
    ("Leather boot bag", ["ankle boots"], False),  # a phrase matches as a whole
    ("Sneakers", [], False),
])
def test_an_item_is_called_a_kind_by_its_name(title, kinds, expected):
    assert called(make_item("x", "shoe", title=title), kinds) is expected
