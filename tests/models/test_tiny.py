"""The tiny demo models' own tokenizers."""

import json

from fashion_ai.models.paligemma.tiny import build_demo_json_tokenizer


def test_demo_tokenizer_keeps_json_intact():
    tok = build_demo_json_tokenizer()
    text = '[{"category":"dress","colors":["red"],"pattern":"colour-block","length":"maxi"}]'
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert len(ids) == 21  # one token per value, key and punctuation mark
    assert json.loads(tok.decode(ids)) == json.loads(text)
