"""What every model family shares: device and dtype, 4-bit quantization, load errors, and the startup summary."""

from __future__ import annotations

import logging
import resource
from typing import Any

import torch

from fashion_ai.errors import ModelUnavailableError, without_paths

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


def explain_load_error(model_id: str, exc: BaseException) -> str:
    """What went wrong loading a model, in one line that names the id and the fix.

    Shoppers may read it, so it names no file path: a model folder is named by its last part, and so is any path
    in the exception's text (the full text goes to the log)."""
    full = " ".join(str(exc).split())
    text = without_paths(full)
    if text != full or without_paths(model_id) != model_id:
        logger.warning("could not load the model at %s: %s: %s", model_id, type(exc).__name__, full)
    model_id = without_paths(model_id)
    kind = type(exc).__name__
    lowered = text.lower()
    if kind == "GatedRepoError" or "gated repo" in lowered or "is gated" in lowered:
        return (f"{model_id} is gated: accept its licence at https://huggingface.co/{model_id} and set HF_TOKEN (a Space "
                "secret) to a token of the account that accepted it")
    if kind == "RepositoryNotFoundError" or "not a valid model identifier" in lowered or "repository not found" in lowered:
        return f"{model_id} was not found: check the id's spelling (a private repo also needs HF_TOKEN)"
    if kind in ("LocalEntryNotFoundError", "OfflineModeIsEnabled") or "offline" in lowered or "connect" in lowered:
        return (f"{model_id} is not cached and the Hugging Face Hub cannot be reached; allow network access or "
                "download it first")
    if "size mismatch" in lowered:
        return f"{model_id} does not fit its base model (trained on another base?): {text[:160]}"
    return f"{model_id} could not be loaded ({kind}: {text[:200]})"


def unavailable_error(model_id: str, exc: BaseException) -> ModelUnavailableError:
    return ModelUnavailableError(explain_load_error(model_id, exc) + "; offline, FASHION_AI_PROFILE=demo serves the "
                                 "shipped demo models, and a model id may be a local folder.")


def check_model_type(model_id: str, expected: str, setting: str) -> None:
    """ModelUnavailableError when a checkpoint is of another architecture than the one asked for."""
    from transformers import AutoConfig

    try:
        model_type = AutoConfig.from_pretrained(model_id).model_type
    except Exception as exc:  # any failure to read a config means "not loadable"; the message says which
        raise unavailable_error(model_id, exc) from exc
    if model_type != expected:
        logger.warning("the model at %s is a %s model, not a %s model", model_id, model_type, expected)
        raise ModelUnavailableError(f"{without_paths(model_id)} is a {model_type} model, not a {expected} model: set "
                                    f"{setting} to a {expected} checkpoint")


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
    memory += f", process peak RSS {peak_rss_mib():,.0f} MiB"
    return f"{precision} on {device}; {memory}"


def peak_rss_mib() -> float:
    """This process's peak resident memory: Linux's VmHWM where there is one (ru_maxrss also counts what a spawned
    process's fork held before it ran Python anew: a model worker would report its parent's peak), else rusage."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


