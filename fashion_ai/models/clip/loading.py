"""Loading CLIP by hub id or folder, for inference or contrastive fine-tuning."""

from __future__ import annotations

import logging
from typing import Any

import torch

from fashion_ai.models.common import check_model_type, cuda_available, describe_model, unavailable_error

logger = logging.getLogger(__name__)


def load_clip(model_id: str, device: str | None = None, setting: str = "FASHION_AI_CLIP_ID") -> tuple[Any, Any, Any]:
    """Load (tokenizer, image_processor, model) of a CLIP checkpoint by hub id or path; ModelUnavailableError,
    naming the id and the fix, when it is missing, gated or of another architecture."""
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    check_model_type(model_id, "clip", setting)
    device = device or ("cuda" if cuda_available() else "cpu")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_id)
        image_processor = AutoImageProcessor.from_pretrained(model_id)
        model = CLIPModel.from_pretrained(model_id, dtype=torch.float32)
    except Exception as exc:  # missing, gated or corrupt files: one plain error naming the id
        raise unavailable_error(model_id, exc) from exc
    model.to(device).eval()
    model.fashion_ai_summary = describe_model(model, None, device)
    logger.info("loaded CLIP %s: %s", model_id, model.fashion_ai_summary)
    return tokenizer, image_processor, model


def load_clip_for_training(model_id: str) -> tuple[Any, Any, Any]:
    tokenizer, image_processor, model = load_clip(model_id)
    model.train()
    return tokenizer, image_processor, model


