"""Batched extraction (issue 35 point 3): every extractor's extract_batch reads each photo as extract reads it alone,
with far fewer model calls; on the shipped demo extractor, tiny PaliGemmas of the real class (taught and zero-shot),
a tiny CLIP, and through the worker process."""

import json

import pytest
import torch
from PIL import Image

from fashion_ai.catalog import load_catalog
from fashion_ai.config import ASSETS_DIR, AppConfig
from fashion_ai.images import load_image
from fashion_ai.models.clip.embeddings import Embedder
from fashion_ai.models.clip.tiny import build_tiny_clip
from fashion_ai.models.clip.zero_shot import ClipAttributeExtractor
from fashion_ai.models.paligemma.batching import run_in_lockstep
from fashion_ai.models.paligemma.inference import AttributeExtractor
from fashion_ai.models.paligemma.scoring import ContinuationScorer, PhotoScorer, ScoreRequest
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma
from fashion_ai.models.paligemma.zero_shot import QuestionExtractor
from fashion_ai.models.registry import ModelRegistry

PROMPT = "extract data in JSON format"


def assert_same_reading(batch, alone):
    """Photo by photo: the raw text, the garments, every scored value and its probability, the presence guess."""
    assert len(batch) == len(alone)
    for index, (got, want) in enumerate(zip(batch, alone)):
        assert got.raw == want.raw, index
        assert got.result.garments == want.result.garments, index
        assert [list(g) for g in got.guesses] == [list(g) for g in want.guesses], index
        for got_fields, want_fields in zip(got.guesses, want.guesses):
            for name, guess in want_fields.items():
                other = got_fields[name]
                assert (other.value, other.runner_up) == (guess.value, guess.runner_up), (index, name)
                assert other.probability == pytest.approx(guess.probability, abs=1e-4), (index, name)
                assert other.runner_up_probability == pytest.approx(guess.runner_up_probability, abs=1e-4), (index, name)
        assert (got.presence is None) == (want.presence is None), index
        if want.presence is not None:
            assert got.presence.value == want.presence.value, index
            assert got.presence.probability == pytest.approx(want.presence.probability, abs=1e-4), index


@pytest.fixture(scope="module")
def photos():
    """Demo catalog photos of varied categories, a blank photo (no garment) and a shop-style photo."""
    items = load_catalog(AppConfig(profile="demo").catalog_dir)
    chosen, seen = [], set()
    for item in items:
        if item.category not in seen:
            seen.add(item.category)
            chosen.append(load_image(item.image_path))
        if len(chosen) == 10:
            break
    shop = json.loads((ASSETS_DIR / "fashion_mnist" / "shop_examples.json").read_text())[1]["file"]
    return chosen + [Image.new("RGB", (96, 128), "white"), load_image(ASSETS_DIR / "fashion_mnist" / shop)]


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "mirror"])
def demo(request):
    return ModelRegistry(AppConfig(profile="demo", model_worker="inline", mirror=request.param)).extractor()


def test_the_demo_extractor_reads_a_batch_as_it_reads_each_photo(demo, photos):
    alone = [demo.extract(photo) for photo in photos]
    assert any(not e.result.garments for e in alone) and sum(bool(e.result.garments) for e in alone) >= 8
    assert len({e.result.garments[0].category for e in alone if e.result.garments}) >= 5  # varied answers
    assert_same_reading(demo.extract_batch(photos), alone)
    assert_same_reading(demo.extract_batch(photos[:1]), alone[:1])
    assert demo.extract_batch([]) == []
    demo.batch_size = 5  # a list longer than the batch size is read in slices, with the same answers
    try:
        assert_same_reading(demo.extract_batch(photos), alone)
    finally:
        demo.batch_size = AttributeExtractor(None, None).batch_size


@pytest.fixture(scope="module")
def tiny():
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8, seed=5)
    return processor, model.eval()


@pytest.mark.parametrize("mirror", [False, True])
def test_a_tiny_paligemma_reads_a_batch_as_it_reads_each_photo(tiny, photos, mirror):
    """Untrained weights would answer "[]" to every photo: with "no garment" out of reach, each is decoded."""
    extractor = AttributeExtractor(*tiny, mirror=mirror, no_garment_threshold=1.1)
    alone = [extractor.extract(photo) for photo in photos]
    assert all(e.result.garments for e in alone)
    assert_same_reading(extractor.extract_batch(photos), alone)


def test_a_base_with_an_adapter_reads_a_batch_as_it_reads_each_photo(photos):
    """The hub profile's way: a LoRA adapter on the base (a PeftModel forwards the cache and the features)."""
    from fashion_ai.models.paligemma.loading import apply_lora

    processor, model = build_tiny_paligemma(image_size=32, patch_size=8, seed=5)
    adapted = apply_lora(model, r=4, alpha=8, targets=["q_proj", "v_proj"]).eval()
    extractor = AttributeExtractor(processor, adapted, mirror=True, no_garment_threshold=1.1)
    assert_same_reading(extractor.extract_batch(photos[:4]), [extractor.extract(photo) for photo in photos[:4]])


def test_free_generation_reads_a_batch_as_it_reads_each_photo(tiny, photos):
    extractor = AttributeExtractor(*tiny, decoding="free")
    alone = [extractor.extract(photo) for photo in photos[:4]]
    batch = extractor.extract_batch(photos[:4])
    assert [e.raw for e in batch] == [e.raw for e in alone] and all(e.raw for e in alone)
    assert [e.result.garments for e in batch] == [e.result.garments for e in alone]


def test_rows_split_across_forward_passes_score_as_one_pass(tiny, photos):
    """A round wider than the row or logit budget goes in several passes; the scores do not change, and a row's
    answer after the cached image and prompt scores as the whole row in one pass."""
    processor, model = tiny
    requests = [ScoreRequest(0, PROMPT, "", ['[{"category":', "[]"], [False, True]),
                ScoreRequest(1, PROMPT, '[{"category":', ['"dress"', '"fit and flare"', '"coat"'], [False] * 3),
                ScoreRequest(2, PROMPT, '[{"category":"dress","colors":["red"', ["]", ',"blue"'], [False, False]),
                ScoreRequest(0, PROMPT, '[{"category":"dress"}', ["]"], [True])]
    images = photos[:3]
    wide = PhotoScorer(processor, model, images, mirror=True).score(requests)
    narrow = PhotoScorer(processor, model, images, mirror=True, max_rows=3, max_logits=2000).score(requests)
    assert [len(scores) for scores in narrow] == [2, 3, 2, 1]
    assert sum(narrow, []) == pytest.approx(sum(wide, []), abs=1e-4)
    for request, scores in zip(requests, wide):
        one = ContinuationScorer(processor, model, images[request.photo], mirror=True)
        assert scores == pytest.approx(one(request.prompt, request.candidates, request.written, request.complete),
                                       abs=1e-4)


@pytest.mark.parametrize("model", ["tiny", "demo"])
def test_rows_are_laid_out_as_the_processor_lays_out_training_targets(model, tiny, photos):
    """The scorer tokenizes each prompt once and the answers alone; the rows must be the processor's own, token for
    token (image tokens, BOS, prompt, newline, then the answer and EOS as the text pair), padding included."""
    if model == "tiny":
        processor, model = tiny
    else:
        demo = ModelRegistry(AppConfig(profile="demo", model_worker="inline")).extractor()
        processor, model = demo.processor, demo.model
    scorer = PhotoScorer(processor, model, photos[:1])
    prompts = [PROMPT, PROMPT, "answer en what color is the dress?", PROMPT]
    answers = ['[{"category":"dress"', "[]", "red", '[{"category":"fit and flare","colors":["red","navy"]}]']
    ours = scorer.layout(prompts, answers)
    side = processor.tokenizer.padding_side
    processor.tokenizer.padding_side = "right"
    try:
        theirs = processor(text=["<image>" + p for p in prompts], images=[photos[0]] * len(prompts), suffix=answers,
                           return_tensors="pt", padding="longest")
    finally:
        processor.tokenizer.padding_side = side
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(ours[key], theirs[key]), key


def test_the_batch_costs_the_rounds_of_its_longest_decode_not_their_sum(tiny, photos):
    """8 photos: the vision tower runs once, and a round where the photos have written answers of one length is two
    forward passes (each photo's context: image, prompt, answer so far; then every pending candidate after it), so
    no more than twice the passes of the longest photo's decode alone (one pass per step), and far from their sum."""
    processor, model = tiny
    extractor = AttributeExtractor(processor, model, mirror=True)
    calls = {"forward": 0, "vision": 0}
    forward, vision = model.forward, model.get_image_features

    def count(name, fn):
        def counted(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return counted

    model.forward, model.get_image_features = count("forward", forward), count("vision", vision)
    try:
        alone = []
        for photo in photos[:8]:
            calls["forward"] = 0
            extractor.extract(photo)
            alone.append(calls["forward"])
        calls.update(forward=0, vision=0)
        extractor.extract_batch(photos[:8])
    finally:
        model.forward, model.get_image_features = forward, vision
    assert calls["vision"] == 1
    assert calls["forward"] <= 2 * max(alone) < sum(alone) / 2, (calls, alone)


def test_the_lockstep_driver_advances_photos_of_different_lengths_together():
    def steps(n):
        total = 0
        for i in range(n):
            total += (yield (n, i))[0]
        return total

    rounds = []

    def score_round(requests):
        rounds.append([index for index, _ in requests])
        return [[float(i)] for _, (_, i) in requests]

    assert run_in_lockstep([steps(3), steps(0), steps(1)], score_round) == [3.0, 0, 0.0]
    assert rounds == [[0, 2], [0], [0]]
    assert run_in_lockstep([], score_round) == []


@pytest.mark.parametrize("words", [(), ("yes", "no")], ids=["no presence question", "presence question"])
def test_a_tiny_mix_paligemma_reads_a_batch_as_it_reads_each_photo(photos, words):
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8, seed=2, extra_words=list(words))
    extractor = QuestionExtractor(processor, model.eval())
    assert extractor.can_ask_presence() == bool(words)
    alone = [extractor.extract(photo) for photo in photos]
    assert_same_reading(extractor.extract_batch(photos), alone)
    assert extractor.extract_batch([]) == []


def test_clip_zero_shot_reads_a_batch_as_it_reads_each_photo(photos):
    tokenizer, image_processor, model = build_tiny_clip(image_size=32)
    extractor = ClipAttributeExtractor(Embedder(tokenizer, image_processor, model.eval(), name="tiny"))
    embedded = []
    embed_images = extractor.embedder.embed_images
    extractor.embedder.embed_images = lambda images: embedded.append(len(images)) or embed_images(images)
    alone = [extractor.extract(photo) for photo in photos]
    embedded.clear()
    assert_same_reading(extractor.extract_batch(photos), alone)
    assert embedded == [len(photos)]  # the photos embedded in one call
    assert extractor.extract_batch([]) == []


def test_the_worker_reads_a_batch_in_one_call_as_this_process_does(photos):
    inline = ModelRegistry(AppConfig(profile="demo", model_worker="inline")).extractor()
    worker = ModelRegistry(AppConfig(profile="demo", model_worker="process")).extractor()
    try:
        calls = []
        call = worker._call
        worker._call = lambda fn, *args: calls.append(fn.__name__) or call(fn, *args)
        there = worker.extract_batch(photos[:6])
        assert calls == ["_extract_batch"]
        assert_same_reading(there, inline.extract_batch(photos[:6]))
        assert worker.extract_batch([]) == []
    finally:
        worker.close()

