"""Scoring answers instead of generating them: the log-probability a PaliGemma gives each candidate continuation.

Candidates are laid out exactly as PaliGemmaProcessor(suffix=...) lays out training targets (image tokens, the
prompt, then the answer with token_type_ids 1), right-padded so that PaliGemma's positions ignore the padding; a
candidate's score is the summed log-probability of its own tokens, which for a complete answer equals minus the
model's loss times its token count. Photos are encoded once per scorer, all in one pass through the vision tower,
and every row of a forward pass carries its own photo's features (``mm_encoder_outputs``), so scoring 27
categories does not run the vision tower 27 times, and one forward pass scores the requests of many photos
(``PhotoScorer.score``, what the batched decoders use). With ``mirror``, each photo and its mirror image are both
encoded and every candidate's score is the mean of its two (test-time flip: training flips half its photos, so
both views are ones the model knows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image, ImageOps
from transformers.modeling_outputs import BaseModelOutputWithPooling

# Rows (candidates x views) per forward pass, and float32 logits per pass (rows x kept positions x vocabulary):
# a round of 64 photos' 27 categories and their mirrors is split rather than held at once (at the 3B's 257k
# vocabulary, 2**27 logits are 512 MiB).
DEFAULT_MAX_ROWS = 512
DEFAULT_MAX_LOGITS = 2**27
# Image-and-prompt tokens whose keys and values are held per forward pass (one copy per row): at the 3B's 256 image
# tokens, 2**15 is ~120 rows and ~3.5 GB of cache in bfloat16.
DEFAULT_MAX_CACHED_TOKENS = 2**15
# Photos through the vision tower per call.
ENCODE_BATCH = 64


@dataclass(frozen=True)
class ScoreRequest:
    """Score each candidate as the continuation of `written` after `prompt`, on photo number `photo`; a complete
    candidate ends the answer (its end-of-text token counts too)."""

    photo: int
    prompt: str
    written: str
    candidates: Sequence[str]
    complete: Sequence[bool]


def encode_photos(processor: Any, model: Any, images: Sequence[Image.Image], mirror: bool = False) -> torch.Tensor:
    """Each photo's image features (and its mirror image's after it, with `mirror`), on the model's device."""
    device = next(model.parameters()).device
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
    views: list[Image.Image] = []
    for image in images:
        rgb = image.convert("RGB")
        views.extend([rgb, ImageOps.mirror(rgb)] if mirror else [rgb])
    parts = []
    for start in range(0, len(views), ENCODE_BATCH):
        pixels = processor.image_processor(images=views[start:start + ENCODE_BATCH], return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            parts.append(model.get_image_features(pixels.to(device, dtype)).pooler_output)
    return torch.cat(parts)


class PhotoScorer:
    """Scores continuations for a batch of photos, each encoded once (with its mirror image, averaged, when
    ``mirror``). With ``cache_prompt`` (the batch's way) each distinct context (a photo view, the prompt, the answer
    written so far) goes through the model once and each candidate row runs only its own tokens after the context's
    cached keys and values: two forward passes per prompt and written length (one or two of those per decoding
    round), where each row would otherwise recompute its photo's 16 (demo) to 256 (3B) image tokens and the whole
    answer so far. Without it, one pass over whole rows (the one-photo scorer's way, the reference the cached way is
    tested against). More passes only when the rows exceed ``max_rows``, ``max_logits`` or
    ``max_cached_tokens``."""

    def __init__(self, processor: Any, model: Any, images: Sequence[Image.Image], mirror: bool = False,
                 max_rows: int = DEFAULT_MAX_ROWS, max_logits: int = DEFAULT_MAX_LOGITS,
                 max_cached_tokens: int = DEFAULT_MAX_CACHED_TOKENS, cache_prompt: bool = True):
        self.processor = processor
        self.model = model
        self.device = next(model.parameters()).device
        self.views = 2 if mirror else 1
        self.max_rows = max_rows
        self.max_logits = max_logits
        self.max_cached_tokens = max_cached_tokens
        self.cache_prompt = cache_prompt
        self.features = encode_photos(processor, model, images, mirror)
        self._image_text = processor.image_token * processor.image_seq_length + processor.tokenizer.bos_token
        self._skips: dict[str, int] = {}
        self._prompts: dict[str, list[int]] = {}

    def _skip(self, written: str) -> int:
        """Tokens of the answer written so far: context shared by the candidates, not part of their scores."""
        if written not in self._skips:
            tokens = self.processor.tokenizer(written, add_special_tokens=False)["input_ids"] if written else []
            self._skips[written] = len(tokens)
        return self._skips[written]

    def layout(self, prompts: Sequence[str], answers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Rows as PaliGemmaProcessor(text="<image>" + prompt, suffix=answer) lays them out (prepare_inputs_layout):
        image tokens, BOS, the prompt and a newline with token_type_ids 0, then the answer and EOS with 1;
        right-padded, since PaliGemma's positions count from the left. Each prompt is tokenized once."""
        tokenizer = self.processor.tokenizer
        for prompt in set(prompts) - self._prompts.keys():
            self._prompts[prompt] = tokenizer(f"{self._image_text}{prompt}\n", add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer([answer + tokenizer.eos_token for answer in answers], add_special_tokens=False)["input_ids"]
        starts = [len(self._prompts[prompt]) for prompt in prompts]
        lengths = [start + len(ids) for start, ids in zip(starts, answer_ids)]
        shape = (len(lengths), max(lengths))
        input_ids = torch.full(shape, tokenizer.pad_token_id, dtype=torch.long)
        positions = torch.arange(shape[1])
        token_type_ids = ((positions >= torch.tensor(starts).unsqueeze(1))
                          & (positions < torch.tensor(lengths).unsqueeze(1))).long()
        attention_mask = (positions < torch.tensor(lengths).unsqueeze(1)).long()
        for row, (prompt, ids) in enumerate(zip(prompts, answer_ids)):
            input_ids[row, :lengths[row]] = torch.tensor(self._prompts[prompt] + ids)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}

    def score(self, requests: Sequence[ScoreRequest]) -> list[list[float]]:
        """Summed log-probability of each request's candidates, one list per request."""
        rows = [(request, candidate, end) for request in requests
                for candidate, end in zip(request.candidates, request.complete, strict=True)]
        if not rows:
            return [[] for _ in requests]
        batch = self.layout([request.prompt for request, _, _ in rows],
                            [request.written + candidate for request, candidate, _ in rows])
        labels = batch["input_ids"].masked_fill(batch["token_type_ids"] == 0, -100)
        # The shared start is context, not part of the candidate; an unfinished step does not end the answer.
        answer = labels != -100
        seen = answer.cumsum(dim=1)
        skip_list = [self._skip(request.written) for request, _, _ in rows]
        skips = torch.tensor(skip_list).unsqueeze(1)
        unfinished = torch.tensor([not end for _, _, end in rows]).unsqueeze(1)
        drop = answer & ((seen <= skips) | (unfinished & (seen == seen[:, -1:])))
        labels = labels.masked_fill(drop, -100)
        photos = torch.tensor([request.photo for request, _, _ in rows])
        totals = torch.zeros(len(rows), self.views)
        # Rows of one prompt and one length of answer written so far share a context length: they go together.
        groups: dict[tuple[str, int], list[int]] = {}
        for index, ((request, _, _), skip) in enumerate(zip(rows, skip_list)):
            groups.setdefault((request.prompt, skip), []).append(index)
        for (prompt, skip), indices in groups.items():
            group = torch.tensor(indices)
            context = len(self._prompts[prompt]) + skip  # the image, the prompt, the answer written so far
            for chunk in self._chunks(labels[group], context):
                rows_here = group[chunk]
                totals[rows_here] = self._forward(batch, labels, photos, rows_here, context)
        flat = totals.mean(dim=1).tolist()
        out, start = [], 0
        for request in requests:
            out.append(flat[start:start + len(request.candidates)])
            start += len(request.candidates)
        return out

    def _chunks(self, labels: torch.Tensor, context: int) -> list[slice]:
        """Consecutive rows per forward pass, within the row, logit and cached-context budgets (each row counts once
        per view)."""
        scored = labels != -100
        positions = torch.arange(labels.shape[1])
        first = torch.where(scored, positions, labels.shape[1]).min(dim=1).values.tolist()
        last = torch.where(scored, positions, -1).max(dim=1).values.tolist()
        vocab = self.model.get_output_embeddings().out_features
        most_rows = max(1, min(self.max_rows, self.max_cached_tokens // context))
        chunks, start, low, high = [], 0, labels.shape[1], 0
        for row in range(len(first)):
            new_low, new_high = min(low, first[row]), max(high, last[row])
            size = (row - start + 1) * self.views
            if row > start and (size > most_rows or size * (new_high - new_low + 2) * vocab > self.max_logits):
                chunks.append(slice(start, row))
                start, new_low, new_high = row, first[row], last[row]
            low, high = new_low, new_high
        chunks.append(slice(start, len(first)))
        return chunks

    def _forward(self, batch: Any, labels: torch.Tensor, photos: torch.Tensor, rows: torch.Tensor,
                 context: int) -> torch.Tensor:
        """Each row's summed log-probability per view, [rows, views]; `context`: the rows' tokens before their
        candidate (the image, the prompt and the answer written so far)."""
        views = (photos[rows].unsqueeze(1) * self.views + torch.arange(self.views)).flatten().to(self.device)
        length = int(batch["attention_mask"][rows].sum(dim=1).max())  # right padding: shorter rows end in pads
        inputs = {k: batch[k][rows, :length].repeat_interleave(self.views, dim=0).to(self.device)
                  for k in ("input_ids", "attention_mask", "token_type_ids")}
        row_labels = labels[rows, :length].repeat_interleave(self.views, dim=0)
        with torch.inference_mode():
            if self.cache_prompt:
                context = min(context, length - 1)
                start = context - 1
                logits = self._after_cached_context(inputs, views, context)
            else:
                # Logits only from the position before the first scored token: the image and the prompt need none,
                # and at a 257k vocabulary the whole sequence's float32 logits would be ~15 GB for 27 categories
                # and their mirrors.
                scored = (row_labels != -100).any(dim=0).nonzero().flatten()
                start = max(int(scored[0]) - 1, 0) if len(scored) else length - 1
                image = BaseModelOutputWithPooling(pooler_output=self.features.index_select(0, views))
                logits = self.model(**inputs, mm_encoder_outputs={"image": image}, logits_to_keep=length - start).logits
        # The logit at position t predicts the token at t + 1.
        logits = logits.float()[:, :-1]
        targets = row_labels[:, start + 1:].to(self.device)
        mask = targets != -100
        picked = logits.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        return (picked * mask).sum(dim=1).cpu().view(len(rows), self.views)

    def _after_cached_context(self, inputs: dict[str, torch.Tensor], views: torch.Tensor, context: int) -> torch.Tensor:
        """Logits from the context's last position to the end of each row. Each distinct context (a photo view, the
        prompt, the answer written so far) goes through the model once, its keys and values cached and shared by the
        rows that continue it; the rows then run only their candidates. Nothing before a token attends to it (the
        prompt attends to itself, the answer causally), so these are the one pass's numbers."""
        ids = inputs["input_ids"]
        distinct, which = torch.unique(torch.cat([views.unsqueeze(1), ids[:, :context]], dim=1), dim=0,
                                       return_inverse=True)
        context_ids = distinct[:, 1:]
        image = BaseModelOutputWithPooling(pooler_output=self.features.index_select(0, distinct[:, 0]))
        before = self.model(input_ids=context_ids, attention_mask=torch.ones_like(context_ids),
                            token_type_ids=inputs["token_type_ids"][:1, :context].expand(len(distinct), -1),
                            mm_encoder_outputs={"image": image}, use_cache=True, logits_to_keep=1)
        cache = before.past_key_values
        cache.reorder_cache(which)
        after = self.model(input_ids=ids[:, context:], attention_mask=inputs["attention_mask"], past_key_values=cache,
                           use_cache=False).logits
        return torch.cat([before.logits.index_select(0, which), after], dim=1)


class ContinuationScorer(PhotoScorer):
    """Scores continuations of a prompt for one photo (encoded once, on the model's device), or for the photo and its
    mirror image, averaged (``mirror``)."""

    def __init__(self, processor: Any, model: Any, image: Image.Image, mirror: bool = False):
        super().__init__(processor, model, [image], mirror, cache_prompt=False)

    def __call__(self, prompt: str, candidates: Sequence[str], written: str = "",
                 complete: Sequence[bool] | bool = True) -> list[float]:
        """Summed log-probability of each candidate after the prompt and the answer `written` so far.

        A complete candidate ends the answer, so the end-of-text token counts too; an incomplete one is a step in
        the middle of the answer. One batch, one forward pass for all candidates.
        """
        ends = [complete] * len(candidates) if isinstance(complete, bool) else list(complete)
        return self.score([ScoreRequest(0, prompt, written, list(candidates), ends)])[0]
