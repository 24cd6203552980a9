"""Dataset specs and the mapping tables: bad specs fail at once, tables only produce schema values."""


import pytest

from fashion_ai.catalog.importer import import_catalog
from fashion_ai.datasets import iter_examples, parse_spec
from fashion_ai.datasets.fashionpedia import FASHIONPEDIA_ATTRIBUTES, FASHIONPEDIA_CATEGORIES
from fashion_ai.datasets.products import ARTICLE_TYPES, BASE_COLOURS, USAGES
from fashion_ai.schema import CATEGORIES, FIELDS, normalize_value
from tests.datasets.rows import REAL_BASE_COLOURS


# --------------------------------------------------------------------------------------------- mapping tables
def test_mapping_tables_only_produce_values_of_our_schema():
    assert len(FASHIONPEDIA_CATEGORIES) == 27 and set(FASHIONPEDIA_CATEGORIES.values()) == set(CATEGORIES)
    for name, (field_name, value) in FASHIONPEDIA_ATTRIBUTES.items():
        assert value in FIELDS[field_name], name
    assert {category for category, _ in ARTICLE_TYPES.values()} <= set(CATEGORIES)
    for occasion, style in USAGES.values():
        assert occasion in FIELDS["occasion"] + (None,) and style in FIELDS["style"] + (None,)
    for name in REAL_BASE_COLOURS:  # every real colour is mapped, or deliberately left out (a mix, a metal)
        colour = normalize_value("colors", name) or BASE_COLOURS.get(name.lower())
        assert colour in FIELDS["colors"] or name in ("Multi", "Metallic", "Bronze", "Copper"), name


# --------------------------------------------------------------------------------------------- spec and errors
@pytest.mark.parametrize("spec, error, message", [
    ("pinterest:boards", ValueError, "fashionpedia, products, jsonl"),  # unknown kind: the kinds are listed
    ("products", ValueError, "<kind>:<source>"),  # no colon at all
    ("products:", ValueError, "names no source"),
    ("products:/nowhere/styles.parquet", FileNotFoundError, "no such file"),  # a path, not a Hub id
    ("fashionpedia:/nowhere/instances_attributes_train2020.json", FileNotFoundError, "annotation file"),
    ("jsonl:/nowhere/finetune", FileNotFoundError, "no such JSONL"),
    ("products:ashraq/fashion-product-images-small", FileNotFoundError, "Hub"),  # a Hub id while offline
])
def test_bad_specs_fail_at_once_with_a_clear_error(spec, error, message):
    with pytest.raises(error, match=message):
        iter_examples(spec)  # not consumed: the source is opened when the call is made


def test_parse_spec_and_bad_arguments(tmp_path):
    assert parse_spec(" Products : ashraq/fashion-product-images-small ") == ("products", "ashraq/fashion-product-images-small")
    with pytest.raises(ValueError, match="limit"):
        iter_examples(f"jsonl:{tmp_path}", limit=-1)
    with pytest.raises(ValueError, match="products:<source>"):
        import_catalog(f"jsonl:{tmp_path}", tmp_path / "out")
