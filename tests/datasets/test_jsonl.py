"""JSONL folders of prefix/suffix or caption rows."""

import json

import pytest

from fashion_ai.datasets import iter_examples
from fashion_ai.datasets.common import CAPTION_PROMPT
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT
from fashion_ai.schema import Garment
from tests.datasets.rows import photo


# --------------------------------------------------------------------------------------------- JSONL folders
def test_jsonl_prefix_suffix_and_caption_rows(tmp_path):
    finetune = tmp_path / "finetune"
    photo(finetune / "img" / "a.png")
    photo(finetune / "img" / "b.png")
    target = '[{"category":"dress","colors":["red"],"pattern":"floral"}]'
    rows = [{"image": "img/a.png", "prefix": "extract data in JSON format", "suffix": target},
            {"image": "img/b.png", "suffix": "a red dress with white flowers"}]  # free text: no garments known
    (finetune / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    first, second = iter_examples(f"jsonl:{finetune}")
    assert first.garments == [Garment(category="dress", colors=["red"], pattern="floral")]
    assert (first.prefix, first.suffix, first.id) == ("extract data in JSON format", target, "data-1")
    assert first.caption == "A red floral dress."
    assert (second.prefix, second.suffix, second.garments) == (DEFAULT_PROMPT, "a red dress with white flowers", [])
    assert second.caption == "a red dress with white flowers"

    captions = tmp_path / "clip"
    photo(captions / "c.png")
    (captions / "metadata.jsonl").write_text(json.dumps({"file_name": "c.png", "caption": "A red floral dress"}) + "\n")
    (example,) = iter_examples(f"jsonl:{captions}")
    # A caption row teaches a caption: PaliGemma's captioning prefix, never the extraction prompt.
    assert (example.prefix, example.suffix, example.caption, example.garments) == (
        CAPTION_PROMPT, "A red floral dress", "A red floral dress", [])


@pytest.mark.parametrize("second_line, message", [
    ("{not json", r"data.jsonl:2: not valid JSON"),
    ('{"image": "img/missing.png", "suffix": "[]"}', r"data.jsonl:2: image .*missing.png not found"),
    ('{"image": "img/a.png"}', r'data.jsonl:2: needs a "suffix"'),
    ('["img/a.png", "caption"]', r"data.jsonl:2: expected a JSON object"),
])
def test_jsonl_bad_rows_name_file_and_line(tmp_path, second_line, message):
    photo(tmp_path / "img" / "a.png")
    (tmp_path / "data.jsonl").write_text(json.dumps({"image": "img/a.png", "caption": "ok"}) + "\n" + second_line + "\n")
    examples = iter_examples(f"jsonl:{tmp_path}")
    assert next(examples).caption == "ok"  # rows before the bad one are fine
    with pytest.raises(ValueError, match=message):
        next(examples)
