"""CLIP embeddings of catalog photos and shopper text, in one shared space."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn


def embed_texts(tokenizer, model, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """L2-normalised text embeddings."""
    out = []
    device = next(model.parameters()).device
    for start in range(0, len(texts), batch_size):
        tok = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True, return_tensors="pt")
        tok = {k: v.to(device) for k, v in tok.items() if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            emb = model.get_text_features(**tok)
        emb = getattr(emb, "pooler_output", emb)
        out.append(nn.functional.normalize(emb.float(), dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.projection_dim), dtype=np.float32)


def embed_images(image_processor, model, images: Sequence, batch_size: int = 128) -> np.ndarray:
    """L2-normalised image embeddings."""
    out = []
    device = next(model.parameters()).device
    for start in range(0, len(images), batch_size):
        pixels = image_processor(images=list(images[start:start + batch_size]), return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            emb = model.get_image_features(pixel_values=pixels.to(device, model.dtype))
        emb = getattr(emb, "pooler_output", emb)
        out.append(nn.functional.normalize(emb.float(), dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.projection_dim), dtype=np.float32)


class Embedder:
    """A loaded CLIP (tiny demo or hub checkpoint): texts and images to L2-normalised vectors."""

    def __init__(self, tokenizer: Any, image_processor: Any, model: Any, name: str = ""):
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.model = model
        self.name = name

    @property
    def dim(self) -> int:
        return int(self.model.config.projection_dim)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return embed_texts(self.tokenizer, self.model, texts)

    def embed_images(self, images: Sequence) -> np.ndarray:
        return embed_images(self.image_processor, self.model, [image.convert("RGB") for image in images])
