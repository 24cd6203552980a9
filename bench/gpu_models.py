"""What bench_gpu.py builds and watches: random-weight checkpoints of the real architectures saved with offline
processors, the demo photos, peak memory per phase, each forward pass's shape, and the true-answer decoding path."""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

from bench_training_memory import paligemma2_config

ROOT = Path(__file__).resolve().parent.parent
CLIP_CONFIG = ROOT / "bench" / "configs" / "clip-vit-base-patch32.json"
# The tiny CLIP: the same config with these sizes (64 px at patch 32: 4 patches).
TINY_CLIP = {"projection_dim": 64,
             "text_config": {"hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 2,
                             "num_hidden_layers": 2, "projection_dim": 64},
             "vision_config": {"hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 2,
                               "num_hidden_layers": 2, "projection_dim": 64, "image_size": 64}}
TINY_IMAGE_SIZE = 56  # the tiny PaliGemma's input: 16 image tokens instead of 256, so that CI runs it in seconds
PHOTO_SEED = 424242  # a demo seed no recipe was tuned on (bench_extractors' first)


# --------------------------------------------------------------------------------------------- device
def sync() -> None:
    """Wait for the GPU's queued work, so that a timer reads what it ran."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def free_memory() -> None:
    """Give back what dropped models held."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def reset_peak() -> None:
    """Start a phase's peak memory: CUDA's allocator statistics, or the process's peak RSS on CPU."""
    import torch

    sync()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        return
    try:  # Linux: writing 5 resets the process's peak RSS (VmHWM) to its current RSS
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_bytes() -> int:
    """The phase's peak: torch.cuda.max_memory_allocated, or the peak RSS on CPU."""
    import torch

    from fashion_ai.models.common import peak_rss_mib

    sync()
    if torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated())
    return int(peak_rss_mib() * 2**20)


class ForwardCounter:
    """The (rows, tokens) of every forward pass a model runs, read from its input_ids by a forward pre-hook."""

    def __init__(self, model):
        self.shapes: list[tuple[int, int]] = []
        self._handle = model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None:
            self.shapes.append(tuple(ids.shape))

    def take(self) -> list[tuple[int, int]]:
        shapes, self.shapes = self.shapes, []
        return shapes

    def close(self) -> None:
        self._handle.remove()


# --------------------------------------------------------------------------------------------- models
def paligemma_config(tiny: bool):
    """PaliGemma 2 3B-224's config, or the tiny one of the same classes at TINY_IMAGE_SIZE."""
    return paligemma2_config("tiny", TINY_IMAGE_SIZE) if tiny else paligemma2_config("3b")


def build_processor(config):
    """PaliGemmaProcessor for the config, offline: the repo's word-level JSON tokenizer (fashion_ai.models.paligemma.
    tiny) with its vocabulary padded to the config's size, PaliGemma's <loc>/<seg> tokens just below <image> and
    <image> at config.image_token_index, as in the real tokenizer (pad, eos, bos, unk are 0-3 in both)."""
    from tokenizers import Tokenizer, models
    from transformers import PaliGemmaProcessor, PreTrainedTokenizerFast
    from transformers.models.paligemma.processing_paligemma import EXTRA_TOKENS
    from transformers.models.siglip import SiglipImageProcessorPil

    from fashion_ai.models.paligemma.tiny import build_demo_json_tokenizer, demo_vocabulary

    size, image_id = config.text_config.vocab_size, config.image_token_index
    words = [w for w in demo_vocabulary() if w != "<image>"]
    first_extra = image_id - len(EXTRA_TOKENS)
    if first_extra < len(words) or image_id >= size:
        raise ValueError(f"no room for {len(words)} words, {len(EXTRA_TOKENS)} <loc>/<seg> tokens and <image> at "
                         f"{image_id} in a vocabulary of {size}")
    vocab = words + [f"<unused{i}>" for i in range(len(words), first_extra)] + list(EXTRA_TOKENS) + ["<image>"]
    vocab += [f"<unused{i}>" for i in range(len(vocab), size)]
    demo = build_demo_json_tokenizer().backend_tokenizer
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.pre_tokenizer, backend.decoder = demo.pre_tokenizer, demo.decoder
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>",
                                        pad_token="<pad>", unk_token="<unk>", additional_special_tokens=["<image>"],
                                        padding_side="right")
    side = config.vision_config.image_size
    image_processor = SiglipImageProcessorPil(size={"height": side, "width": side})
    image_processor.image_seq_length = (side // config.vision_config.patch_size) ** 2
    return PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer)


def build_base(config, folder: Path, cuda: bool) -> dict:
    """Random weights of the config's architecture (bfloat16 on CUDA, built there; float32 on CPU) saved with the
    processor in `folder`, as a checkpoint would be."""
    import torch
    from transformers import PaliGemmaForConditionalGeneration

    processor = build_processor(config)
    if len(processor.tokenizer) != config.text_config.vocab_size:
        raise ValueError(f"tokenizer has {len(processor.tokenizer)} ids, the config {config.text_config.vocab_size}")
    torch.manual_seed(0)
    started = time.perf_counter()
    with torch.device("cuda" if cuda else "cpu"):
        model = PaliGemmaForConditionalGeneration._from_config(config, dtype=torch.bfloat16 if cuda else torch.float32)
    parameters = sum(p.numel() for p in model.parameters())
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    del model
    free_memory()
    return {"parameters": parameters, "vocab_size": config.text_config.vocab_size,
            "image_tokens": processor.image_seq_length, "build_and_save_s": round(time.perf_counter() - started, 1)}


def build_clip(folder: Path, tiny: bool) -> None:
    """CLIP ViT-B/32 (openai/clip-vit-base-patch32's config, FashionCLIP's architecture), or the tiny one, with random
    weights, saved with an image processor of its input size and the repo's word-level text tokenizer."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    from fashion_ai.models.clip.tiny import build_demo_text_tokenizer

    values = json.loads(CLIP_CONFIG.read_text())
    for key, value in (TINY_CLIP if tiny else {}).items():
        if isinstance(value, dict):
            values[key].update(value)
        else:
            values[key] = value
    config = CLIPConfig.from_dict(values)
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(folder)
    side = config.vision_config.image_size
    CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side}).save_pretrained(folder)
    build_demo_text_tokenizer(max_length=config.text_config.max_position_embeddings).save_pretrained(folder)


# --------------------------------------------------------------------------------------------- inputs and paths
def demo_photos(count: int) -> tuple[list, list]:
    """Demo catalog items and their photos, of a seed no recipe was tuned on."""
    from fashion_ai.demo_world import iter_demo_items

    pairs = list(iter_demo_items(count, PHOTO_SEED))
    return [item for item, _ in pairs], [image for _, image in pairs]


def training_inputs(processor, items: list, images: list) -> dict:
    """Training rows as the recipe makes them: the prompt, the photo, the visible garment's JSON as the suffix."""
    from fashion_ai.models.paligemma.inference import DEFAULT_PROMPT
    from fashion_ai.schema import garments_to_json

    batch = processor(text=["<image>" + DEFAULT_PROMPT] * len(images), images=images, return_tensors="pt",
                      suffix=[garments_to_json([item.visible_garment()]) for item in items], padding="longest")
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels", "pixel_values")}


def logits_of(model, probe: dict):
    """The model's logits for a batch of training inputs without labels, in float32 on the CPU."""
    import torch

    from fashion_ai.models.common import model_dtype

    device = next(model.parameters()).device
    inputs = {k: v.to(device) for k, v in probe.items()}
    inputs["pixel_values"] = inputs["pixel_values"].to(model_dtype())
    with torch.no_grad():
        return model(**inputs).logits.float().cpu()


def true_path(scorer, prompt: str, truth: str):
    """A Scorer for decode_garments: the model scores every choice as usual, then the choice that continues the true
    answer `truth` wins (the model's own scores where no candidate does)."""

    def score(written: str, candidates, complete) -> list[float]:
        scores = scorer(prompt, candidates, written, complete)
        wins = [written + c == truth if done else truth.startswith(written + c) and written + c != truth
                for c, done in zip(candidates, complete)]
        return [0.0 if win else -1e9 for win in wins] if any(wins) else scores

    return score
