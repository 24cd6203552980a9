"""What every model family shares: device and dtype, 4-bit quantization, load errors, and the startup summary."""

from __future__ import annotations

import logging
import resource
from typing import Any

import torch

from fashion_ai.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>", "<image>")  # of the tiny demo models' own tokenizers


def cuda_available() -> bool:
    return torch.cuda.is_available()


def quantization_config(load_in_4bit: bool, cuda: bool | None = None):
    """The 4-bit nf4 config for QLoRA / inference on CUDA, or None where 4-bit cannot run."""
    if not load_in_4bit:
        return None
    if not (cuda_available() if cuda is None else cuda):
        # bitsandbytes' 4-bit from_pretrained path fails on CPU (FIELD_NOTES): fall back to float, and say so.
        logger.warning("4-bit quantization needs CUDA; loading in float on CPU instead")
        return None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def model_dtype() -> torch.dtype:
    if cuda_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def unavailable_error(model_id: str, exc: Exception) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"could not load {model_id!r}: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
        "The Hugging Face Hub is unreachable or the files are not cached; run offline with "
        "FASHION_AI_PROFILE=demo (the shipped demo models), or point the model id at a local folder.")


def weight_bytes(model: torch.nn.Module) -> int:
    """Bytes the weights take as loaded (4-bit weights count as packed), buffers included."""
    if hasattr(model, "get_memory_footprint"):
        return int(model.get_memory_footprint())
    return sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])


def describe_model(model: torch.nn.Module, quant: Any, device: str) -> str:
    """What a startup log should say about a loaded model: precision or quantization, device and memory."""
    if quant is not None:
        precision = (f"4-bit {quant.bnb_4bit_quant_type} (compute dtype "
                     f"{str(quant.bnb_4bit_compute_dtype).replace('torch.', '')}"
                     f"{', double quant' if quant.bnb_4bit_use_double_quant else ''})")
    else:
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        precision = str(dtype).replace("torch.", "")
    memory = f"weights {weight_bytes(model) / 2**20:,.1f} MiB"
    if str(device).startswith("cuda") and cuda_available():
        memory += (f", CUDA allocated {torch.cuda.memory_allocated() / 2**20:,.0f} MiB "
                   f"(peak {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB)")
    memory += f", process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    return f"{precision} on {device}; {memory}"


