"""Model loading: one place decides dtype, device, quantization and adapters, behind a cached factory.

Real checkpoints load by hub id (PaliGemma base + our LoRA adapter, FashionCLIP); the demo profile loads the
tiny models of the same classes that train_space.py trained and that ship in assets/.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import torch

from fashion_ai.errors import ModelUnavailableError

logger = logging.getLogger(__name__)


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


def _dtype() -> torch.dtype:
    if cuda_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _offline_hint(model_id: str, exc: Exception) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"could not load {model_id!r}: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. "
        "The Hugging Face Hub is unreachable or the files are not cached; run offline with "
        "FASHION_AI_PROFILE=demo (the shipped demo models), or point the model id at a local folder.")


def load_paligemma(model_id: str, adapter_id: str | None = None, load_in_4bit: bool = True,
                   device: str | None = None) -> tuple[Any, Any]:
    """Load (processor, model) for inference: base by hub id or path, optional PEFT adapter, 4-bit on CUDA."""
    from transformers import AutoProcessor, PaliGemmaForConditionalGeneration

    quant = quantization_config(load_in_4bit)
    device = device or ("cuda" if cuda_available() else "cpu")
    kwargs: dict[str, Any] = {"dtype": _dtype()}
    if quant is not None:
        kwargs.update(quantization_config=quant, device_map={"": 0})
    try:
        processor_source = adapter_id if adapter_id and _has_processor(adapter_id) else model_id
        processor = AutoProcessor.from_pretrained(processor_source)
        model = PaliGemmaForConditionalGeneration.from_pretrained(model_id, **kwargs)
        if adapter_id:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter_id)
    except (OSError, ValueError) as exc:
        raise _offline_hint(adapter_id if adapter_id and "adapter" in str(exc) else model_id, exc) from exc
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
    import resource

    memory += f", process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
    return f"{precision} on {device}; {memory}"


def load_clip(model_id: str, device: str | None = None) -> tuple[Any, Any, Any]:
    """Load (tokenizer, image_processor, model) of a CLIP checkpoint by hub id or path."""
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    device = device or ("cuda" if cuda_available() else "cpu")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_id)
        image_processor = AutoImageProcessor.from_pretrained(model_id)
        model = CLIPModel.from_pretrained(model_id, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise _offline_hint(model_id, exc) from exc
    model.to(device).eval()
    model.fashion_ai_summary = describe_model(model, None, device)
    logger.info("loaded CLIP %s: %s", model_id, model.fashion_ai_summary)
    return tokenizer, image_processor, model


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


def load_clip_for_training(model_id: str) -> tuple[Any, Any, Any]:
    tokenizer, image_processor, model = load_clip(model_id)
    model.train()
    return tokenizer, image_processor, model


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


def _resolved(config) -> str:
    from fashion_ai.config import resolve_profile

    return resolve_profile(config)


@functools.lru_cache(maxsize=2)
def _extractor_for(profile: str, paligemma_id: str, adapter_id: str, demo_dir: str, load_in_4bit: bool):
    from fashion_ai.extraction import AttributeExtractor

    if profile == "demo":
        processor, model = load_paligemma(demo_dir, None, load_in_4bit=False, device="cpu")
        return AttributeExtractor(processor, model, name=f"demo extractor ({Path(demo_dir).name})")
    processor, model = load_paligemma(paligemma_id, adapter_id or None, load_in_4bit)
    return AttributeExtractor(processor, model, name=paligemma_id + (f" + {adapter_id}" if adapter_id else ""))


@functools.lru_cache(maxsize=2)
def _embedder_for(profile: str, clip_id: str, demo_dir: str):
    from fashion_ai.embeddings import Embedder

    source = demo_dir if profile == "demo" else clip_id
    tokenizer, image_processor, model = load_clip(source, device="cpu" if profile == "demo" else None)
    return Embedder(tokenizer, image_processor, model, name=f"demo:{Path(demo_dir).name}" if profile == "demo"
                    else clip_id)


def get_extractor(config):
    """The profile's attribute extractor, loaded on first use and once per process."""
    return _extractor_for(_resolved(config), config.paligemma_id, config.adapter_id, config.demo_extractor_dir,
                          config.load_in_4bit)


def get_embedder(config):
    """The profile's catalog embedder, loaded on first use and once per process."""
    return _embedder_for(_resolved(config), config.clip_id, config.demo_embedder_dir)
