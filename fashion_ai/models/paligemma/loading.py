"""Loading PaliGemma: base by hub id or folder, an optional LoRA adapter, 4-bit nf4 on CUDA; and LoRA for training."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from fashion_ai.models.common import (
    check_model_type,
    cuda_available,
    describe_model,
    model_dtype,
    quantization_config,
    unavailable_error,
)

logger = logging.getLogger(__name__)


def load_paligemma(model_id: str, adapter_id: str | None = None, load_in_4bit: bool = True,
                   device: str | None = None, setting: str = "FASHION_AI_PALIGEMMA_ID") -> tuple[Any, Any]:
    """Load (processor, model) for inference: base by hub id or path, optional PEFT adapter, 4-bit on CUDA.

    ModelUnavailableError, naming the id and the fix, when the files are missing, gated, of another architecture,
    or the adapter was trained on another base."""
    from transformers import AutoProcessor, PaliGemmaForConditionalGeneration

    check_model_type(model_id, "paligemma", setting)
    quant = quantization_config(load_in_4bit)
    device = device or ("cuda" if cuda_available() else "cpu")
    kwargs: dict[str, Any] = {"dtype": model_dtype()}
    if quant is not None:
        kwargs.update(quantization_config=quant, device_map={"": 0})
    try:
        processor_source = adapter_id if adapter_id and _has_processor(adapter_id) else model_id
        processor = AutoProcessor.from_pretrained(processor_source)
        model = PaliGemmaForConditionalGeneration.from_pretrained(model_id, **kwargs)
        if adapter_id:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter_id)
    except Exception as exc:  # missing, gated, corrupt, or an adapter of another base's shapes (RuntimeError)
        adapter_failed = adapter_id and ("adapter" in str(exc) or isinstance(exc, RuntimeError))
        raise unavailable_error(adapter_id if adapter_failed else model_id, exc) from exc
    if quant is None:
        model = model.to(device)
    model.eval()
    model.fashion_ai_summary = describe_model(model, quant, device)
    logger.info("loaded PaliGemma %s%s: %s", model_id, f" + adapter {adapter_id}" if adapter_id else "",
                model.fashion_ai_summary)
    return processor, model


def _has_processor(source: str) -> bool:
    path = Path(source).expanduser()
    if path.exists():
        return (path / "processor_config.json").exists() or (path / "preprocessor_config.json").exists()
    return True  # a hub adapter repo: we push the processor beside it


def load_paligemma_for_training(model_id: str, load_in_4bit: bool) -> tuple[Any, Any]:
    """Base model for fine-tuning: 4-bit prepared for k-bit training when asked and CUDA is there."""
    processor, model = load_paligemma(model_id, None, load_in_4bit)
    if quantization_config(load_in_4bit) is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    # The vision tower stays frozen: fine-tuning teaches the language side to describe what SigLIP sees.
    for param in model.model.vision_tower.parameters():
        param.requires_grad = False
    return processor, model


def apply_lora(model: torch.nn.Module, r: int, alpha: int, targets: list[str], dropout: float = 0.05):
    """Wrap a model with LoRA adapters on the language model's target modules."""
    from peft import LoraConfig, get_peft_model

    # A regex keeps LoRA off SigLIP's own q/k/v projections: only the language model is adapted.
    pattern = r".*language_model.*\.(" + "|".join(t.strip() for t in targets if t.strip()) + r")$"
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=pattern, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    trainable, total = peft_model.get_nb_trainable_parameters()
    logger.info("LoRA r=%d: %d trainable of %d parameters (%.3f%%)", r, trainable, total, 100 * trainable / total)
    return peft_model


