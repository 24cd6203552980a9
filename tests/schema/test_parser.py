"""The parser is the app's guard against whatever a model says: tested hardest, table by table."""

import json

import pytest

from fashion_ai.schema import CATEGORIES, FIELDS, Garment, garments_to_json, normalize_value, parse_garments

DRESS = {"category": "dress", "colors": ["red"], "pattern": "floral", "length": "maxi"}

# (raw model text, expected garments as dicts, strict JSON?, substrings expected among the dropped notes)
CASES = [
    # the canonical, clean answer
    (json.dumps([DRESS]), [DRESS], True, []),
    # the demo tokenizer's decoded form: tokens joined by spaces, still strict JSON
    ('[ { "category" : "dress" , "colors" : [ "red" ] , "pattern" : "floral" , "length" : "maxi" } ]', [DRESS], True, []),
    # two garments in one photo
    (json.dumps([DRESS, {"category": "shoe", "colors": ["black"]}]), [DRESS, {"category": "shoe", "colors": ["black"]}],
     True, []),
    # generation cut off mid-object (max_new_tokens): json-repair closes it, the note says it was not strict
    ('[{"category": "dress", "colors": ["red"], "pattern": "floral", "length": "maxi"', [DRESS], False, []),
    # cut off inside a string value: the half value is not in the schema and is dropped, the garment kept
    ('[{"category": "dress", "pattern": "flo', [{"category": "dress"}], False, ["pattern"]),
    # chatty prefix and suffix around the JSON
    ('Sure! Here is the JSON: [{"category": "dress", "colors": ["red"], "pattern": "floral", "length": "maxi"}] Hope it helps',
     [DRESS], False, []),
    # a small model looping: the same object repeated
    (json.dumps([DRESS, DRESS, DRESS]), [DRESS], True, ["repeated"]),
    # a single object instead of a list
    (json.dumps(DRESS), [DRESS], False, ["single object"]),
    # unknown values are dropped field by field, the rest kept
    ('[{"category": "dress", "colors": ["red", "ultraviolet"], "pattern": "hologram"}]',
     [{"category": "dress", "colors": ["red"]}], True, ["ultraviolet", "hologram"]),
    # an unknown field name
    ('[{"category": "dress", "vibe": "cosmic"}]', [{"category": "dress"}], True, ["vibe"]),
    # synonyms and casing the real models use ("T-Shirt", "Gray", "stripes", "colour" key, a single colour string)
    ('[{"category": "T-Shirt", "colour": "Gray", "pattern": "Stripes", "sleeve": "short sleeves"}]',
     [{"category": "top", "colors": ["grey"], "pattern": "striped", "sleeve": "short"}], True, []),
    # a garment without a valid category cannot be shown: dropped with a note
    ('[{"category": "spaceship", "colors": ["red"]}, {"category": "hat"}]', [{"category": "hat"}], True,
     ["no valid category"]),
    # list items that are not objects
    ('["dress", 42, {"category": "bag"}]', [{"category": "bag"}], True, ["not an object"]),
    # single quotes (python-style dicts) are repaired
    ("[{'category': 'skirt', 'length': 'mini'}]", [{"category": "skirt", "length": "mini"}], False, []),
    # empty list: valid, no garments
    ("[]", [], True, []),
]


@pytest.mark.parametrize(("raw", "expected", "strict", "notes"), CASES)
def test_parse_garments_table(raw, expected, strict, notes):
    result = parse_garments(raw)
    assert [g.to_dict() for g in result.garments] == expected
    assert result.valid_json is strict
    for note in notes:
        assert any(note in d for d in result.dropped), (note, result.dropped)
    if not notes:
        assert not [d for d in result.dropped if "single object" not in d]


@pytest.mark.parametrize("raw", [
    "",  # empty generation
    "   \n ",  # whitespace only
    "I cannot see a garment in this image.",  # prose, no JSON at all
    "{{{{[[[[",  # garbage brackets
    "null",  # JSON, but not a list of garments
    '"dress"',  # a bare string
    "[" * 5000,  # pathological nesting must not blow the stack
    None,  # not even text
], ids=lambda raw: repr(raw)[:20])
def test_parse_garments_never_raises_and_reports(raw):
    result = parse_garments(raw)
    assert result.garments == []
    assert result.dropped, "the user must be told why nothing came back"
    assert not result.ok


def test_round_trip_of_every_schema_value():
    for name, values in FIELDS.items():
        for value in values:
            fields = {"category": "coat", name: [value] if name == "colors" else value}
            garment = Garment(**fields)
            parsed = parse_garments(garments_to_json([garment]))
            assert parsed.ok
            assert parsed.garments == [garment]


def test_schema_has_fashionpedias_27_categories():
    assert len(CATEGORIES) == 27
    assert len(set(CATEGORIES)) == 27


@pytest.mark.parametrize(("field", "raw", "expected"), [
    ("length", "Knee Length", "knee"),  # group word after the value
    ("neckline", "v neck", "v-neck"),  # space for hyphen
    ("category", "  Trousers ", "pants"),  # synonym with padding
    ("colors", 3, None),  # not a string
    ("pattern", "", None),
])
def test_normalize_value(field, raw, expected):
    assert normalize_value(field, raw) == expected
