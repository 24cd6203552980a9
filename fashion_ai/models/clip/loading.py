"""Loading CLIP by hub id or folder, for inference or contrastive fine-tuning."""

from __future__ import annotations

import logging
from typing import Any

import torch

from fashion_ai.models.common import cuda_available, describe_model, unavailable_error

logger = logging.getLogger(__name__)


def load_clip(model_id: str, device: str | None = None) -> tuple[Any, Any, Any]:
    """Load (tokenizer, image_processor, model) of a CLIP checkpoint by hub id or path."""
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    device = device or ("cuda" if cuda_available() else "cpu")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_id)
        image_processor = AutoImageProcessor.from_pretrained(model_id)
        model = CLIPModel.from_pretrained(model_id, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise unavailable_error(model_id, exc) from exc
    model.to(device).eval()
    model.fashion_ai_summary = describe_model(model, None, device)
    logger.info("loaded CLIP %s: %s", model_id, model.fashion_ai_summary)
    return tokenizer, image_processor, model


def load_clip_for_training(model_id: str) -> tuple[Any, Any, Any]:
    tokenizer, image_processor, model = load_clip(model_id)
    model.train()
    return tokenizer, image_processor, model


