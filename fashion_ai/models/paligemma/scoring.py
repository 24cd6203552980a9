"""Scoring answers instead of generating them: the log-probability a PaliGemma gives each candidate continuation.

Candidates go through PaliGemmaProcessor(suffix=...) exactly as training targets do (image tokens, the prompt, then
the answer with token_type_ids 1), right-padded so that PaliGemma's positions ignore the padding; a candidate's
score is the summed log-probability of its own tokens, which for a complete answer equals minus the model's loss
times its token count. The photo is encoded once per scorer and handed to every batch as the model's precomputed
image features (``mm_encoder_outputs``), so scoring 27 categories does not run the vision tower 27 times. With
``mirror``, the photo and its mirror image are both encoded and every candidate's score is the mean of its two
(test-time flip: training flips half its photos, so both views are ones the model knows; the two go in one batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image, ImageOps
from transformers.modeling_outputs import BaseModelOutputWithPooling


def _input_size(image_processor: Any) -> tuple[int, int]:
    size = getattr(image_processor, "size", None) or {}
    side = size.get("shortest_edge")
    return (int(size.get("width") or side or 224), int(size.get("height") or side or 224))


class ContinuationScorer:
    """Scores continuations of a prompt for one photo (encoded once, on the model's device), or for the photo and its
    mirror image, averaged (``mirror``)."""

    def __init__(self, processor: Any, model: Any, image: Image.Image, mirror: bool = False):
        self.processor = processor
        self.model = model
        self.device = next(model.parameters()).device
        self.dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
        # The batch's own pixels are never used: a photo already at the model's input size keeps the processor cheap.
        rgb = image.convert("RGB")
        self.small = rgb.resize(_input_size(processor.image_processor), Image.Resampling.BICUBIC)
        views = [rgb, ImageOps.mirror(rgb)] if mirror else [rgb]
        pixels = processor.image_processor(images=views, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            self.features = model.get_image_features(pixels.to(self.device, self.dtype)).pooler_output

    def __call__(self, prompt: str, candidates: Sequence[str], written: str = "",
                 complete: Sequence[bool] | bool = True) -> list[float]:
        """Summed log-probability of each candidate after the prompt and the answer `written` so far.

        A complete candidate ends the answer, so the end-of-text token counts too; an incomplete one is a step in
        the middle of the answer. One batch, one forward pass for all candidates.
        """
        if not candidates:
            return []
        n = len(candidates)
        ends = [complete] * n if isinstance(complete, bool) else list(complete)
        tokenizer = self.processor.tokenizer
        side = tokenizer.padding_side
        tokenizer.padding_side = "right"  # PaliGemma's positions count from the left: padding must come last
        try:
            batch = self.processor(text=["<image>" + prompt] * n, images=[self.small] * n,
                                   suffix=[written + c for c in candidates], return_tensors="pt", padding="longest")
        finally:
            tokenizer.padding_side = side
        labels = torch.as_tensor(batch["labels"]).clone()
        skip = len(tokenizer(written, add_special_tokens=False)["input_ids"]) if written else 0
        for row in range(n):
            answer = (labels[row] != -100).nonzero().flatten()
            # The shared start is context, not part of the candidate; an unfinished step does not end the answer.
            labels[row, answer[:skip]] = -100
            if not ends[row]:
                labels[row, answer[-1]] = -100
        n_views = len(self.features)
        inputs = {k: batch[k].repeat(n_views, 1).to(self.device)
                  for k in ("input_ids", "attention_mask", "token_type_ids")}
        labels = labels.repeat(n_views, 1)
        image = BaseModelOutputWithPooling(pooler_output=self.features.repeat_interleave(n, dim=0))
        # Logits only from the position before the first scored token: the image and the prompt need none, and at a
        # 257k vocabulary the whole sequence's float32 logits would be ~15 GB for 27 categories and their mirrors.
        scored = (labels != -100).any(dim=0).nonzero().flatten()
        start = max(int(scored[0]) - 1, 0) if len(scored) else labels.shape[1] - 1
        with torch.inference_mode():
            logits = self.model(**inputs, mm_encoder_outputs={"image": image},
                                logits_to_keep=labels.shape[1] - start).logits.float()
        # The logit at position t predicts the token at t + 1.
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        targets = labels[:, start + 1:].to(self.device)
        mask = targets != -100
        picked = logprobs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        return (picked * mask).sum(dim=1).view(n_views, n).mean(dim=0).tolist()
