"""Every extractor can say "no garment": the decoder's first choice, the CLIP gate and the mix checkpoint's yes/no
question, each driven by stand-ins whose preference we set, with the decision's probability in the answer."""

import json

import numpy as np
import pytest
from PIL import Image

from fashion_ai.models.clip import zero_shot as clip_zero_shot
from fashion_ai.models.clip.zero_shot import NO_GARMENT_CAPTIONS, ClipAttributeExtractor
from fashion_ai.models.extraction import presence_guess, says_no_garment
from fashion_ai.models.paligemma import inference
from fashion_ai.models.paligemma import zero_shot as mix_zero_shot
from fashion_ai.models.paligemma.constrained import NO_GARMENT_THRESHOLD, decode_garments
from fashion_ai.models.paligemma.inference import AttributeExtractor
from fashion_ai.models.paligemma.zero_shot import PRESENCE_QUESTION, QuestionExtractor
from fashion_ai.schema import parse_garments

PHOTO = Image.new("RGB", (40, 40), "white")


def _scorer(empty_score: float):
    """A decoder scorer: "[]" scores empty_score against 0 for a garment; then a red dress, and the end."""
    def score(written, candidates, complete):
        def value(c: str) -> float:
            if not written:
                return empty_score if c == "[]" else 0.0 if c == '[{"category":' else -99.0
            if written.endswith('"category":'):
                return 0.0 if c == '"dress"' else -9.0
            return 0.0 if c in ("}", "]") else -9.0
        return [value(c) for c in candidates]
    return score


def test_a_model_that_prefers_the_empty_answer_gets_no_garment():
    raw, garments, guesses, presence = decode_garments(_scorer(3.0))
    assert (raw, garments, guesses) == ("[]", [], [])
    assert parse_garments(raw).ok and presence.value == "no"
    assert presence.probability_of("no") == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-6)


def test_a_model_that_prefers_a_garment_gets_it():
    raw, garments, _, presence = decode_garments(_scorer(-3.0))
    assert raw == '[{"category":"dress"}]' and [g.category for g in garments] == ["dress"]
    assert presence.value == "yes" and presence.probability_of("no") == pytest.approx(0.0474, abs=1e-3)


def test_the_threshold_decides_and_is_the_models_preference_by_default():
    assert NO_GARMENT_THRESHOLD == 0.5
    leaning_garment = _scorer(-0.4)  # "[]" at 0.40
    assert decode_garments(leaning_garment)[1]
    assert decode_garments(leaning_garment, threshold=0.35)[1] == []
    assert says_no_garment(presence_guess(0.0, 0.0), 0.5)  # a tie counts as no garment at 0.5


def test_the_constrained_extractor_reports_the_decision(monkeypatch):
    class PrefersEmpty:
        def __init__(self, processor, model, image, mirror=False):
            pass

        def __call__(self, prompt, candidates, written="", complete=True):
            return _scorer(2.0)(written, candidates, complete)

    monkeypatch.setattr(inference, "ContinuationScorer", PrefersEmpty)
    extraction = AttributeExtractor(None, None).extract(PHOTO)
    assert extraction.raw == "[]" and extraction.result.garments == [] and extraction.result.valid_json
    assert extraction.presence.value == "no" and extraction.presence.probability > 0.85


# ------------------------------------------------------------------------------------------------ CLIP gate
class _WordTokenizer:
    """Knows some words; the others are unknown (id 0), as in the demo CLIP's word-level vocabulary."""

    unk_token_id = 0

    def __init__(self, known: set[str]):
        self.known = known

    def __call__(self, text):
        return {"input_ids": [1 if w in self.known else 0 for w in text.lower().split()]}


class _Embedder:
    """Texts about clothing point one way, texts about an empty background another; photos are given vectors."""

    dim = 2

    def __init__(self, known: set[str]):
        self.tokenizer = _WordTokenizer(known)
        self.model = None
        self.name = "stand-in"
        self.texts: list[str] = []

    def embed_texts(self, texts):
        self.texts.extend(texts)
        rows = [[0.0, 1.0] if ("no" in t.split() or "background" in t or "nothing" in t) else [1.0, 0.0]
                for t in texts]
        return np.array(rows, dtype=np.float32)

    def embed_images(self, images):
        return np.array([image.info["vector"] for image in images], dtype=np.float32)


def _photo(vector) -> Image.Image:
    image = Image.new("RGB", (8, 8))
    image.info["vector"] = np.array(vector, dtype=np.float32) / np.linalg.norm(vector)
    return image


def test_the_clip_gate_says_no_garment_when_the_non_garment_prompts_match_best():
    words = {w for caption in NO_GARMENT_CAPTIONS for w in caption.split()}
    extractor = ClipAttributeExtractor(_Embedder(words | {"photo", "of"}))
    extractor.scale = 10.0
    empty = extractor.extract(_photo([0.1, 1.0]))
    assert empty.result.garments == [] and empty.presence.value == "no"
    said = json.loads(empty.raw)
    assert list(said) == ["garment"] and said["garment"]["no"] == pytest.approx(empty.presence.probability, abs=1e-3)
    dress = extractor.extract(_photo([1.0, 0.1]))
    assert len(dress.result.garments) == 1 and dress.presence.value == "yes"
    assert list(json.loads(dress.raw))[:2] == ["garment", "category"]


def test_the_clip_gate_leaves_out_prompts_the_tokenizer_cannot_read():
    """With none of the non-garment words known (today's shipped demo CLIP), the gate never says no garment."""
    embedder = _Embedder({"a", "photo", "of"})
    extractor = ClipAttributeExtractor(embedder)
    assert extractor.readable(clip_zero_shot.NON_GARMENT_PROMPTS) == []
    extraction = extractor.extract(_photo([0.1, 1.0]))
    assert extraction.result.garments and extraction.presence.probability_of("no") == 0.0
    assert not any("background" in t for t in embedder.texts)
    known = _Embedder({"a", "photo", "of", "landscape"})
    assert ClipAttributeExtractor(known).readable(clip_zero_shot.NON_GARMENT_PROMPTS) == ["a photo of a landscape"]


# ------------------------------------------------------------------------------------------------ mix checkpoint
class _MixScorer:
    """Answers the presence question with the given yes/no scores, every other question with its first value."""

    asked: list[str] = []

    def __init__(self, processor, model, image, yes=0.0, no=0.0):
        self.yes, self.no = yes, no

    def __call__(self, prompt, candidates, written="", complete=True):
        _MixScorer.asked.append(prompt)
        if prompt.endswith(PRESENCE_QUESTION):
            assert list(candidates) == ["yes", "no"]
            return [self.yes, self.no]
        return [0.0] + [-5.0] * (len(candidates) - 1)


@pytest.mark.parametrize("yes, no, garment", [(-2.0, 0.0, False), (0.0, -2.0, True)])
def test_the_mix_checkpoint_is_asked_first_whether_there_is_clothing(monkeypatch, yes, no, garment):
    _MixScorer.asked = []
    monkeypatch.setattr(mix_zero_shot, "ContinuationScorer",
                        lambda processor, model, image: _MixScorer(processor, model, image, yes, no))
    extraction = QuestionExtractor(None, None).extract(PHOTO)
    said = json.loads(extraction.raw)
    assert said[PRESENCE_QUESTION]["no"] == pytest.approx(1 / (1 + np.exp(yes - no)), abs=1e-3)
    assert _MixScorer.asked[0] == "answer en " + PRESENCE_QUESTION
    if garment:
        assert len(extraction.result.garments) == 1 and len(_MixScorer.asked) > 1 and extraction.presence.value == "yes"
    else:
        assert extraction.result.garments == [] and _MixScorer.asked == ["answer en " + PRESENCE_QUESTION]
        assert extraction.presence.value == "no" and extraction.guesses == []


def test_a_checkpoint_without_yes_and_no_is_not_asked_and_reads_the_garment():
    from fashion_ai.models.paligemma.tiny import build_tiny_paligemma

    processor, model = build_tiny_paligemma()  # its vocabulary is the schema's words: "yes" and "no" are unknown
    extractor = QuestionExtractor(processor, model)
    extraction = extractor.extract(PHOTO)
    assert not extractor.can_ask_presence() and extraction.presence is None
    assert PRESENCE_QUESTION not in json.loads(extraction.raw) and len(extraction.result.garments) == 1
