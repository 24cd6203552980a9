"""Attribute extraction at inference time: photo in, validated garments out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch

from fashion_ai.images import crop_to_garment
from fashion_ai.models.extraction import Extraction
from fashion_ai.models.paligemma.batching import DEFAULT_BATCH_SIZE, run_in_lockstep
from fashion_ai.models.paligemma.constrained import NO_GARMENT_THRESHOLD, Decoded, StepRequest, decode_garments, garment_steps
from fashion_ai.models.paligemma.prompts import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT
from fashion_ai.models.paligemma.scoring import ContinuationScorer, PhotoScorer, ScoreRequest
from fashion_ai.schema import ParseResult, parse_garments

logger = logging.getLogger(__name__)

# The upload's pre-step (issue 33 point 5): crop to the garment by its difference from a plain backdrop, pad to a
# square. Training's shop-style photos go through it too (training.augment), so the model sees what it learned.
DEFAULT_CROP = True


def generate_answers(processor: Any, model: Any, images: Sequence, prompt: str = DEFAULT_PROMPT,
                     max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, batch_size: int = 64) -> list[str]:
    """Greedy-decode the model's raw answer for each image."""
    texts: list[str] = []
    device = next(model.parameters()).device
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
    for start in range(0, len(images), batch_size):
        chunk = [image.convert("RGB") for image in images[start:start + batch_size]]
        inputs = processor(text=["<image>" + prompt] * len(chunk), images=chunk, return_tensors="pt",
                           padding="longest").to(device)
        inputs["pixel_values"] = inputs["pixel_values"].to(dtype)
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
        texts.extend(processor.batch_decode(out[:, inputs["input_ids"].shape[-1]:], skip_special_tokens=True))
    return texts


class AttributeExtractor:
    """A loaded PaliGemma taught our JSON prompt (tiny demo, or hub base + adapter) that turns photos into garments.

    decoding="constrained" lets the model choose only what the schema allows (fashion_ai.models.paligemma.
    constrained), "no garment" ("[]") when that reaches no_garment_threshold; "free" generates greedily and
    repairs what the parser can ("[]" parses as no garment). mirror: constrained decoding scores every choice on the
    photo and its mirror image and takes the mean (ContinuationScorer). crop: the photo is first cropped to the
    garment (``prepare``), as training's photos were. batch_size: photos decoded together by ``extract_batch``.
    """

    def __init__(self, processor: Any, model: Any, prompt: str = DEFAULT_PROMPT, name: str = "",
                 decoding: str = "constrained", no_garment_threshold: float = NO_GARMENT_THRESHOLD,
                 mirror: bool = False, crop: bool = DEFAULT_CROP, batch_size: int = DEFAULT_BATCH_SIZE):
        self.processor = processor
        self.model = model
        self.prompt = prompt
        self.name = name
        self.decoding = decoding
        self.no_garment_threshold = no_garment_threshold
        self.mirror = mirror
        self.crop = crop
        self.batch_size = batch_size

    def prepare(self, image):
        """The photo as the model reads it: cropped to the garment when ``crop`` (a no-op on photos without a plain
        backdrop)."""
        return crop_to_garment(image) if self.crop else image

    def extract(self, image) -> Extraction:
        """The garments in one photo; malformed model output comes back repaired or reported, never raised."""
        image = self.prepare(image)
        if self.decoding == "constrained":
            return self._constrained(image)
        return _parsed(generate_answers(self.processor, self.model, [image], self.prompt)[0])

    def extract_batch(self, images: Sequence) -> list[Extraction]:
        """The garments in each photo, as ``extract`` reads them one by one, but decoded together: constrained
        decoding scores every photo's pending choice in one forward pass per step; free generation generates the
        batch at once."""
        prepared = [self.prepare(image) for image in images]
        out: list[Extraction] = []
        for start in range(0, len(prepared), self.batch_size):
            chunk = prepared[start:start + self.batch_size]
            if self.decoding == "constrained":
                out.extend(self._constrained_batch(chunk))
                continue
            out.extend(_parsed(raw) for raw in generate_answers(self.processor, self.model, chunk, self.prompt))
        return out

    def _constrained_batch(self, images: Sequence) -> list[Extraction]:
        scorer = PhotoScorer(self.processor, self.model, images, self.mirror)

        def score_round(requests: list[tuple[int, StepRequest]]) -> list[list[float]]:
            return scorer.score([ScoreRequest(photo, self.prompt, written, candidates, complete)
                                 for photo, (written, candidates, complete) in requests])

        steps = [garment_steps(threshold=self.no_garment_threshold) for _ in images]
        return [_extraction(decoded) for decoded in run_in_lockstep(steps, score_round)]

    def _constrained(self, image) -> Extraction:
        scorer = ContinuationScorer(self.processor, self.model, image, self.mirror)

        def score(written: str, candidates, complete) -> list[float]:
            return scorer(self.prompt, candidates, written, complete)

        return _extraction(decode_garments(score, threshold=self.no_garment_threshold))


def _parsed(raw: str) -> Extraction:
    """Free generation's answer, parsed (repaired where the parser can, the repair logged)."""
    result = parse_garments(raw)
    if not result.ok:
        logger.info("model output needed repair: %s", "; ".join(result.dropped) or "not strict JSON")
    return Extraction(raw, result)


def _extraction(decoded: Decoded) -> Extraction:
    raw, garments, guesses, presence = decoded
    return Extraction(raw, ParseResult(garments, valid_json=True), guesses, presence)
