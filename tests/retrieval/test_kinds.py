"""Kinds: the shopper's product nouns matched against item names, whatever their number or the shop's word."""

import pytest

from fashion_ai.retrieval.kinds import called, category_of, fits_kinds, is_kind
from tests.retrieval.helpers import make_item


@pytest.mark.parametrize("phrase, category, kind", [
    ("boots", "shoe", True), ("ankle boots", "shoe", True), ("jeans", "pants", True), ("sundress", "dress", True),
    ("shoes", "shoe", False), ("shoe", "shoe", False), ("dresses", "dress", False), ("footwear", "shoe", False),
    ("trousers", "pants", False), ("jumper", "sweater", False), ("scarves", "scarf", False), ("jumpers", "sweater", False),
])
def test_a_kind_is_narrower_than_its_category(phrase, category, kind):
    assert is_kind(phrase, category) is kind


@pytest.mark.parametrize("title, kinds, expected", [
    ("Brown leather ankle boots", ["boots"], True),
    ("Brown leather ankle boots", ["boot"], True),  # singular or plural
    ("Brown leather ankle boots", ["ankle boots"], True),
    ("Black Chelsea Boot", ["boots"], True),  # a real catalog's case and number
    ("White canvas sneakers", ["trainers"], True),  # the shop's word for the shopper's
    ("Puma Men Black Sports Shoes", ["sneakers"], True),  # Fashion Product Images' name for them
    ("Nike Women Running Shoes", ["trainers"], True),
    ("Clarks Men Brown Formal Shoes", ["sneakers"], False),
    ("Blue denim trousers", ["jeans"], False),
    ("Red striped shirt", ["t-shirt"], False),  # a hyphen binds both ways
    ("Red striped t-shirt", ["shirt"], False),
    ("Red striped t-shirt", ["tee"], True),
    ("Leather boot bag", ["ankle boots"], False),  # a phrase matches as a whole
    ("Sneakers", [], False),
])
def test_an_item_is_called_a_kind_by_its_name(title, kinds, expected):
    category = category_of(kinds[0]) if kinds else "shoe"  # an item of the kind's own category
    assert called(make_item("x", category, title=title), kinds) is expected


@pytest.mark.parametrize("category, title, kinds, expected", [
    ("top", "Grey hoodie", ["hoodies"], True),  # -ies plurals of -ie nouns
    ("dress", "Classic Sundresses Collection", ["sundress"], True),
    ("hat", "Straw trilby", ["trilbies"], True),
    ("dress", "Red cap sleeve dress", ["caps"], False),  # "caps" are hats: a dress is never called one
    ("shoe", "U.S. Polo Assn. canvas sneakers", ["polos"], False),
    ("shirt", "Navy polo", ["polos"], True),
])
def test_a_kind_speaks_only_of_its_own_category(category, title, kinds, expected):
    assert called(make_item("x", category, title=title), kinds) is expected


def test_an_item_of_a_category_no_kind_narrows_fits_as_it_is():
    kinds = ["jeans"]  # "a top and jeans"
    assert fits_kinds(make_item("t", "top", title="White top"), kinds)
    assert fits_kinds(make_item("j", "pants", title="Blue jeans"), kinds)
    assert not fits_kinds(make_item("c", "pants", title="Beige chinos"), kinds)
