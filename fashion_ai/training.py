"""Training of the attribute extractor (PaliGemma) and the catalog embedder (CLIP).

The same loops train the real checkpoints (LoRA / QLoRA on a hub PaliGemma, contrastive fine-tuning of a hub
CLIP) and the demo profile's tiny models of the same classes, built here from configs with tokenizers made
from our own vocabulary, because the Hub cannot be reached offline.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from fashion_ai.attributes import FIELDS, garments_to_json, parse_garments
from fashion_ai.catalog import DEMO_CATEGORIES, DEMO_COLORS, DEMO_PATTERNS, CatalogItem, generate_example, iter_demo_items
from fashion_ai.embeddings import embed_images, embed_texts
from fashion_ai.evaluation import extraction_metrics, retrieval_metrics
from fashion_ai.extraction import DEFAULT_PROMPT, generate_answers

logger = logging.getLogger(__name__)

DEFAULT_PALIGEMMA_BASE = "google/paligemma2-3b-pt-224"
DEFAULT_CLIP_BASE = "patrickjohncyh/fashion-clip"
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEMO_FIELDS = ("category", "colors", "pattern", "length", "sleeve")  # what a demo photo shows
SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>", "<image>")
EVAL_FILE = "eval.json"
DEFAULT_STEPS = {"paligemma": 1400, "clip": 2500}
CHECKPOINT_DIR = "checkpoint"


@dataclass
class TrainConfig:
    """Settings for one training run of train_space.py (every field is a CLI flag)."""

    target: str = field(default="paligemma", metadata={"help": "what to train: paligemma or clip"})
    output_dir: str = field(default="runs/model", metadata={"help": "where weights, processor and eval.json go"})
    tiny: bool = field(default=False, metadata={"help": "build a tiny model of the real class from a config "
                                                        "(offline demo profile) instead of loading base_model"})
    base_model: str = field(default="", metadata={"help": "hub id or local path of the base checkpoint; "
                                                          f"default {DEFAULT_PALIGEMMA_BASE} / {DEFAULT_CLIP_BASE}"})
    lora: bool = field(default=True, metadata={"help": "train LoRA adapters (peft) instead of all weights; "
                                                       "ignored for tiny models, which start from scratch"})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha"})
    lora_targets: str = field(default=",".join(DEFAULT_LORA_TARGETS), metadata={"help": "comma-separated modules"})
    quantize_4bit: bool = field(default=False, metadata={"help": "QLoRA: load the base in 4-bit nf4 (needs CUDA)"})
    train_items: int = field(default=20000, metadata={"help": "generated training items (demo data)"})
    eval_items: int = field(default=300, metadata={"help": "held-out items for the final evaluation"})
    seed: int = field(default=1, metadata={"help": "seed of the training data and initialisation"})
    eval_seed: int = field(default=1001, metadata={"help": "seed of the held-out data (must differ from seed)"})
    image_size: int = field(default=64, metadata={"help": "model input size of tiny models, in pixels"})
    patch_size: int = field(default=16, metadata={"help": "ViT patch size of tiny models: 64/16 gives 16 image "
                                                          "tokens, which learn silhouettes fastest on a CPU"})
    batch_size: int = field(default=32, metadata={"help": "examples per optimizer step"})
    learning_rate: float = field(default=2e-3, metadata={"help": "peak learning rate (cosine schedule)"})
    warmup_steps: int = field(default=6000, metadata={"help": "supervised warm-up steps of the vision tower"})
    steps: int = field(default=0, metadata={"help": "optimizer steps of the main training (0 = the target's "
                                                    "default: 1400 for paligemma, 2500 for clip)"})
    time_budget_s: float = field(default=0.0, metadata={"help": "stop the main training after this many seconds "
                                                                "(0 = no limit)"})
    checkpoint_every: int = field(default=200, metadata={"help": "save a resumable checkpoint every N steps"})
    resume: bool = field(default=False, metadata={"help": "continue from output_dir/checkpoint if present"})
    freeze_vision: bool = field(default=True, metadata={"help": "keep the vision tower frozen in the main "
                                                                "training (after the tiny model's warm-up)"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch default)"})

    def __post_init__(self) -> None:
        if self.target not in ("paligemma", "clip"):
            raise ValueError(f"target must be 'paligemma' or 'clip', not {self.target!r}")
        if self.seed == self.eval_seed:
            raise ValueError("eval_seed must differ from seed, or the evaluation would see training images")
        for name in ("train_items", "eval_items", "batch_size", "image_size", "lora_r"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.steps < 0 or self.warmup_steps < 0:
            raise ValueError("steps and warmup_steps cannot be negative")
        if not self.steps:
            self.steps = DEFAULT_STEPS[self.target]
        if not self.tiny and not self.base_model:
            self.base_model = DEFAULT_PALIGEMMA_BASE if self.target == "paligemma" else DEFAULT_CLIP_BASE


# --------------------------------------------------------------------------------------------- tokenizers
def demo_vocabulary(extra_words: Sequence[str] = ()) -> list[str]:
    """Tokens of the demo tokenizers: JSON punctuation, quoted schema names and values, prompt words."""
    words = list(SPECIAL_TOKENS) + ["[", "]", "{", "}", ":", ","]
    for name, values in FIELDS.items():
        words.append(f'"{name}"')
        words.extend(f'"{v}"' for v in values)
    words.extend(DEFAULT_PROMPT.split())
    words.extend(extra_words)
    return list(dict.fromkeys(words))


def build_demo_json_tokenizer():
    """A word-level tokenizer whose tokens are JSON punctuation and whole quoted schema values.

    One token per value keeps the tiny model's target short; decoding joins tokens with spaces, which JSON
    allows, so decoded text parses as it is.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = demo_vocabulary()
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r'"[^"]*"|[\[\]{}:,]'), behavior="isolated"),
        pre_tokenizers.WhitespaceSplit(),
    ])
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    # The generic tokenizers-backed class, not GemmaTokenizer: saved as that, AutoProcessor would rebuild
    # Gemma's own vocabulary on load and the word-level vocabulary would be lost.
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                              unk_token="<unk>", additional_special_tokens=["<image>"], padding_side="right")


def build_demo_text_tokenizer(max_length: int = 32):
    """A lower-casing word-level tokenizer for the tiny CLIP's text tower (shopper words of the schema)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = set()
    for values in FIELDS.values():
        for value in values:
            words.update(re.findall(r"[a-z0-9]+", value))
    words.update(re.findall(r"[a-z0-9]+", " ".join(n for spec in DEMO_CATEGORIES.values() for n in spec.nouns)))
    words.update("a an the in for with and of to on accents clean plain finish perfect length sleeve".split())
    words.update(("women", "men", "unisex", "spring", "summer", "autumn", "winter", "t", "shirt"))
    vocab = list(SPECIAL_TOKENS) + sorted(words)
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", vocab.index("<bos>")), ("<eos>", vocab.index("<eos>"))])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>",
                                   pad_token="<pad>", unk_token="<unk>", model_max_length=max_length)


# --------------------------------------------------------------------------------------------- tiny models
def build_tiny_paligemma(image_size: int = 64, patch_size: int = 16, seed: int = 0):
    """A from-scratch PaliGemmaForConditionalGeneration small enough to train on 2 CPU cores."""
    from transformers import (
        GemmaConfig,
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipVisionConfig,
    )
    from transformers.models.siglip import SiglipImageProcessorPil

    tokenizer = build_demo_json_tokenizer()
    num_patches = (image_size // patch_size) ** 2
    image_processor = SiglipImageProcessorPil(size={"height": image_size, "width": image_size})
    image_processor.image_seq_length = num_patches
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer)
    vision = SiglipVisionConfig(image_size=image_size, patch_size=patch_size, hidden_size=128,
                                intermediate_size=256, num_hidden_layers=4, num_attention_heads=4)
    text = GemmaConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=3,
                       num_attention_heads=4, num_key_value_heads=1, head_dim=32, max_position_embeddings=256,
                       pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id)
    config = PaliGemmaConfig(vision_config=vision, text_config=text, projection_dim=128,
                             image_token_index=tokenizer.convert_tokens_to_ids("<image>"))
    torch.manual_seed(seed)
    model = PaliGemmaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return processor, model


def build_tiny_clip(image_size: int = 64, patch_size: int = 16, seed: int = 0):
    """A from-scratch CLIPModel with a word-level tokenizer; returns (tokenizer, image_processor, model)."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTextConfig, CLIPVisionConfig

    tokenizer = build_demo_text_tokenizer()
    image_processor = CLIPImageProcessor(size={"shortest_edge": image_size},
                                         crop_size={"height": image_size, "width": image_size})
    text = CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                          num_attention_heads=4, max_position_embeddings=tokenizer.model_max_length,
                          pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id)
    vision = CLIPVisionConfig(image_size=image_size, patch_size=patch_size, hidden_size=128, intermediate_size=256,
                              num_hidden_layers=4, num_attention_heads=4)
    torch.manual_seed(seed)
    model = CLIPModel(CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(), projection_dim=128))
    return tokenizer, image_processor, model


# --------------------------------------------------------------------------------------------- data
@dataclass
class DemoData:
    """Held-out demo items with their photos (kept as images: evaluation runs the real preprocessing)."""

    items: list[CatalogItem]
    images: list


def demo_data(count: int, seed: int, size: int = 256, progress: bool = True) -> DemoData:
    """Generate `count` demo items of a seed with their photos."""
    items, images = [], []
    for item, image in tqdm(iter_demo_items(count, seed, size), total=count, desc=f"generate seed {seed}",
                            disable=not progress, leave=False):
        items.append(item)
        images.append(image)
    return DemoData(items, images)


@dataclass
class TrainingSet:
    """Generated training items as tensors: model inputs, per-field labels and per-patch labels."""

    items: list[CatalogItem]
    tensors: dict[str, torch.Tensor]
    # (N, grid*grid, 3): per patch, the category (len(categories) on background), primary colour and pattern
    # (-100 off the garment and on its ambiguous edge).
    patch_labels: torch.Tensor


def _pad_cat(chunks: list[torch.Tensor], value: int) -> torch.Tensor:
    width = max(c.shape[1] for c in chunks)
    return torch.cat([nn.functional.pad(c, (0, width - c.shape[1]), value=value) for c in chunks])


def training_set(count: int, seed: int, encode: Callable[[list, list[CatalogItem]], dict], grid: int,
                 chunk: int = 500) -> TrainingSet:
    """Generate and encode items chunk by chunk, so only tensors (not thousands of photos) stay in memory."""
    from PIL import Image

    categories = _demo_category_names()
    colors, patterns = sorted(DEMO_COLORS), list(DEMO_PATTERNS)
    items: list[CatalogItem] = []
    encoded: list[dict] = []
    patches = []
    bar = tqdm(total=count, desc=f"generate seed {seed}", leave=False)
    for start in range(0, count, chunk):
        images = []
        for index in range(start, min(count, start + chunk)):
            item, image, mask = generate_example(index, seed)
            items.append(item)
            images.append(image)
            frac = np.asarray(mask.resize((grid, grid), Image.BOX), dtype=np.float32) / 255.0
            label = np.full(frac.shape + (3,), -100, dtype=np.int64)  # patches on the garment's edge are ambiguous
            on = frac > 0.5
            label[on] = (categories.index(item.category), colors.index(item.colors[0]), patterns.index(item.pattern))
            label[frac < 0.1, 0] = len(categories)
            patches.append(torch.from_numpy(label.reshape(-1, 3)))
        encoded.append(encode(images, items[start:]))
        bar.update(len(images))
    bar.close()
    pads = {"input_ids": 0, "attention_mask": 0, "token_type_ids": 0, "labels": -100}
    tensors = {}
    for key in encoded[0]:
        parts = [e[key] for e in encoded]
        tensors[key] = _pad_cat(parts, pads.get(key, 0)) if parts[0].dim() == 2 else torch.cat(parts)
    return TrainingSet(items, tensors, torch.stack(patches))


def _label_tensors(items: Sequence[CatalogItem]) -> dict[str, torch.Tensor]:
    """Class indices per visible field for the vision warm-up (-100 where the field does not apply)."""
    vocab = {"category": _demo_category_names(), "colors": sorted(DEMO_COLORS), "pattern": list(DEMO_PATTERNS),
             "sleeve": ["sleeveless", "short", "long"], "length": ["mini", "knee", "maxi"]}
    out = {}
    for name, values in vocab.items():
        index = {v: k for k, v in enumerate(values)}
        labels = []
        for item in items:
            value = item.colors[0] if name == "colors" else getattr(item, name)
            labels.append(index.get(value, -100))
        out[name] = torch.tensor(labels)
    return out


def _demo_category_names() -> list[str]:
    return sorted(DEMO_CATEGORIES)


# --------------------------------------------------------------------------------------------- loops
def _cosine_lr(step: int, total: int, peak: float, warm: int = 50) -> float:
    if step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def warm_up_vision(vision: nn.Module, data: TrainingSet, pixel_key: str, steps: int, batch_size: int, lr: float,
                   seed: int, held_out: tuple[torch.Tensor, list[CatalogItem]] | None = None) -> dict[str, dict]:
    """Supervised warm-up: teach a from-scratch vision tower the visible attributes before the real objective.

    A ViT trained from scratch learns shape slowly through a language-model or contrastive loss alone. Linear
    heads on mean-pooled features give it a direct signal per visible field, and a dense head asks every patch
    which garment (or background) it belongs to, which teaches silhouettes far faster than one label per
    photo. The heads are thrown away afterwards. Returns the heads' accuracies per field on the last training
    batches and, when given, on held-out photos (a diagnostic of what the vision tower alone can tell).
    """
    if steps <= 0:
        return {}
    labels = _label_tensors(data.items)
    pixels = data.tensors[pixel_key]
    hidden = vision.config.hidden_size
    heads = nn.ModuleDict({name: nn.Linear(hidden, int(t.max().item()) + 1) for name, t in labels.items()})
    patch_heads = nn.ModuleList([nn.Linear(hidden, len(_demo_category_names()) + 1), nn.Linear(hidden, len(DEMO_COLORS)),
                                 nn.Linear(hidden, len(DEMO_PATTERNS))])
    params = list(vision.parameters()) + list(heads.parameters()) + list(patch_heads.parameters())
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    gen = torch.Generator().manual_seed(seed)
    grid = int(math.isqrt(data.patch_labels.shape[1]))
    n_tokens = grid * grid
    vision.train()
    bar = tqdm(range(steps), desc="vision warm-up", leave=False)
    accs: dict[str, list[float]] = {k: [] for k in labels}
    for step in bar:
        for group in optim.param_groups:
            group["lr"] = _cosine_lr(step, steps, lr)
        idx = torch.randint(0, len(pixels), (batch_size,), generator=gen)
        flip = torch.rand(batch_size, generator=gen) < 0.5
        x = _flip(pixels[idx], flip)
        patch_target = data.patch_labels[idx].view(batch_size, grid, grid, 3).permute(0, 3, 1, 2)
        patch_target = _flip(patch_target, flip).permute(0, 2, 3, 1).reshape(batch_size, n_tokens, 3)
        tokens = vision(pixel_values=x).last_hidden_state
        tokens = tokens[:, -n_tokens:]  # CLIP puts a class token first; SigLIP has none
        feats = tokens.mean(dim=1)
        loss = torch.zeros(())
        for k, head in enumerate(patch_heads):
            logits = head(tokens)
            loss = loss + nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                      patch_target[..., k].reshape(-1), ignore_index=-100)
        for name, head in heads.items():
            target = labels[name][idx]
            logits = head(feats)
            loss = loss + nn.functional.cross_entropy(logits, target, ignore_index=-100)
            mask = target >= 0
            if mask.any():
                accs[name].append((logits.argmax(-1)[mask] == target[mask]).float().mean().item())
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    report: dict[str, dict] = {"train": {k: round(float(np.mean(v[-50:])), 3) for k, v in accs.items() if v}}
    if held_out is not None:
        pixels_out, items_out = held_out
        truth = _label_tensors(items_out)
        vision.eval()
        with torch.inference_mode():
            feats = vision(pixel_values=pixels_out).last_hidden_state[:, -n_tokens:].mean(dim=1)
            report["held_out"] = {name: round(float((head(feats).argmax(-1) == truth[name])[truth[name] >= 0]
                                                    .float().mean()), 3) for name, head in heads.items()}
        vision.train()
    return report


def _flip(x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """Mirror the chosen rows left-right (last axis): garments are symmetric enough, colours stay untouched."""
    if which.any():
        x = x.clone()
        x[which] = x[which].flip(-1)
    return x


class _Checkpointer:
    """Resumable training state in output_dir/checkpoint: weights, optimizer, step, RNG."""

    def __init__(self, output_dir: Path):
        self.dir = output_dir / CHECKPOINT_DIR

    def save(self, model: nn.Module, optim: torch.optim.Optimizer, step: int, extra: dict | None = None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / "state.pt.tmp"
        trainable = {k: v for k, v in model.state_dict().items()}
        torch.save({"model": trainable, "optim": optim.state_dict(), "step": step, "extra": extra or {},
                    "rng": torch.get_rng_state()}, tmp)
        tmp.replace(self.dir / "state.pt")  # a kill mid-save leaves the previous checkpoint intact
        logger.info("checkpoint saved at step %d in %s", step, self.dir)

    def load(self, model: nn.Module, optim: torch.optim.Optimizer) -> tuple[int, dict]:
        path = self.dir / "state.pt"
        if not path.is_file():
            return 0, {}
        state = torch.load(path, weights_only=False)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        torch.set_rng_state(state["rng"])
        logger.info("resumed from step %d of %s", state["step"], path)
        return int(state["step"]), state.get("extra", {})


def _train_loop(model: nn.Module, batch_fn: Callable[[torch.Tensor], dict], n_examples: int, cfg: TrainConfig,
                output_dir: Path, loss_fn: Callable[[nn.Module, dict], torch.Tensor], desc: str) -> dict:
    """The shared optimizer loop: cosine schedule, progress bar with loss and ETA, checkpoints, Ctrl-C save."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.01)
    ckpt = _Checkpointer(output_dir)
    start, extra = ckpt.load(model, optim) if cfg.resume else (0, {})
    gen = torch.Generator().manual_seed(cfg.seed + start)
    model.train()
    started = time.monotonic() - extra.get("elapsed_s", 0.0)
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, desc=desc)
    losses: list[float] = []
    step = start
    try:
        for step in bar:
            for group in optim.param_groups:
                group["lr"] = _cosine_lr(step, cfg.steps, cfg.learning_rate)
            idx = torch.randint(0, n_examples, (cfg.batch_size,), generator=gen)
            loss = loss_fn(model, batch_fn(idx))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0:
                ckpt.save(model, optim, step + 1, {"elapsed_s": time.monotonic() - started})
            if cfg.time_budget_s and time.monotonic() - started > cfg.time_budget_s:
                logger.warning("time budget of %.0f s reached at step %d of %d", cfg.time_budget_s, step + 1,
                               cfg.steps)
                break
        step += 1
    except KeyboardInterrupt:
        ckpt.save(model, optim, step, {"elapsed_s": time.monotonic() - started})
        raise
    finally:
        bar.close()
    model.eval()
    return {"steps": step, "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
            "train_seconds": round(time.monotonic() - started, 1)}


# --------------------------------------------------------------------------------------------- paligemma
def evaluate_extractor(processor, model, data: DemoData, fields: Sequence[str] = DEMO_FIELDS,
                       prompt: str = DEFAULT_PROMPT) -> dict:
    """Run the extractor on held-out items and score it against their metadata."""
    raw = generate_answers(processor, model, data.images, prompt)
    results = [parse_garments(text) for text in raw]
    report = extraction_metrics(results, [item.visible_garment() for item in data.items], fields)
    report["examples"] = [{"id": item.id, "raw": text} for item, text in list(zip(data.items, raw))[:5]]
    return report


def train_paligemma(cfg: TrainConfig) -> dict:
    """Train the attribute extractor and write weights, processor and eval.json to cfg.output_dir."""
    from fashion_ai.models import apply_lora, load_paligemma_for_training

    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    if cfg.tiny:
        processor, model = build_tiny_paligemma(cfg.image_size, cfg.patch_size, seed=cfg.seed)
    else:
        processor, model = load_paligemma_for_training(cfg.base_model, cfg.quantize_4bit)
    vision_config = model.config.vision_config
    grid = vision_config.image_size // vision_config.patch_size

    def encode(images: list, items: list[CatalogItem]) -> dict:
        targets = [garments_to_json([item.visible_garment()]) for item in items]
        batch = processor(text=["<image>" + DEFAULT_PROMPT] * len(images), images=images, suffix=targets,
                          return_tensors="pt", padding="longest")
        return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels", "pixel_values")}

    train = training_set(cfg.train_items, cfg.seed, encode, grid)
    held_out = demo_data(cfg.eval_items, cfg.eval_seed)
    batches = train.tensors
    logger.info("training tensors: %s", {k: tuple(v.shape) for k, v in batches.items()})
    report: dict = {"target": "paligemma", "config": asdict(cfg)}
    vision = model.model.vision_tower if hasattr(model, "model") else model.vision_tower
    if cfg.tiny and not (cfg.resume and (output_dir / CHECKPOINT_DIR).exists()):
        held_pixels = processor.image_processor(images=held_out.images, return_tensors="pt")["pixel_values"]
        report["vision_warmup_accuracy"] = warm_up_vision(
            vision, train, "pixel_values", cfg.warmup_steps, cfg.batch_size, cfg.learning_rate, cfg.seed,
            held_out=(held_pixels, held_out.items))
    if cfg.freeze_vision:
        # The language side learns to describe what the (warmed-up or pretrained) vision tower already sees;
        # letting random early LM gradients into the tower undoes the warm-up.
        vision.requires_grad_(False)
    if cfg.lora and not cfg.tiny:
        model = apply_lora(model, cfg.lora_r, cfg.lora_alpha, cfg.lora_targets.split(","))
    gen = torch.Generator().manual_seed(cfg.seed)
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype

    def batch_fn(idx: torch.Tensor) -> dict:
        batch = {k: v[idx] for k, v in batches.items()}
        batch["pixel_values"] = _flip(batch["pixel_values"], torch.rand(len(idx), generator=gen) < 0.5).to(dtype)
        # Trim the padding shared by the whole set down to this batch's longest row.
        keep = int(batch["attention_mask"].sum(dim=1).max())
        for key in ("input_ids", "attention_mask", "token_type_ids", "labels"):
            batch[key] = batch[key][:, :keep]
        return batch

    report["training"] = _train_loop(model, batch_fn, len(train.items), cfg, output_dir,
                                     lambda m, b: m(**b).loss, "paligemma")
    save_dir = output_dir
    model.save_pretrained(save_dir)
    processor.save_pretrained(save_dir)
    report["eval"] = evaluate_extractor(processor, model, held_out)
    report["eval"]["eval_seed"] = cfg.eval_seed
    (output_dir / EVAL_FILE).write_text(json.dumps(report, indent=2))
    return report


# --------------------------------------------------------------------------------------------- clip
def clip_training_texts(item: CatalogItem, rng: np.random.Generator) -> str:
    """One of several shopper phrasings of an item, so the text tower sees short queries and long captions."""
    primary = item.colors[0]
    noun = item.title.split()[-1]
    choices = [
        f"{primary} {item.pattern} {item.category}",
        f"a {primary} {item.pattern} {item.category}",
        f"{primary} {item.category}",
        f"{item.pattern} {item.category}",
        item.title,
        item.caption,
        f"{primary} {item.pattern} {noun}",
    ]
    return choices[int(rng.integers(len(choices)))]


def evaluate_embedder(tokenizer, image_processor, model, data: DemoData) -> dict:
    """Text-to-image retrieval on held-out items, with one query per (colour, pattern, category) present."""
    keys = [(i.colors[0], i.pattern, i.category) for i in data.items]
    combos = sorted(set(keys))
    queries = [f"{c} {p} {cat}" for c, p, cat in combos]
    relevant = np.array([[k == combo for k in keys] for combo in combos])
    sim = embed_texts(tokenizer, model, queries) @ embed_images(image_processor, model, data.images).T
    report = retrieval_metrics(sim, relevant)
    # Caption retrieval: each item's own caption should find its own photo.
    captions = [i.caption for i in data.items]
    cap_sim = embed_texts(tokenizer, model, captions) @ embed_images(image_processor, model, data.images).T
    report["caption_to_image"] = retrieval_metrics(cap_sim, np.eye(len(captions), dtype=bool))
    return report


def train_clip(cfg: TrainConfig) -> dict:
    """Contrastive image-text training of the catalog embedder; writes weights, processors and eval.json."""
    from fashion_ai.models import load_clip_for_training

    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    if cfg.tiny:
        tokenizer, image_processor, model = build_tiny_clip(cfg.image_size, cfg.patch_size, seed=cfg.seed)
    else:
        tokenizer, image_processor, model = load_clip_for_training(cfg.base_model)
    vision_config = model.config.vision_config
    grid = vision_config.image_size // vision_config.patch_size
    train = training_set(cfg.train_items, cfg.seed,
                         lambda images, _: {"pixel_values": image_processor(images=images, return_tensors="pt")[
                             "pixel_values"]}, grid)
    held_out = demo_data(cfg.eval_items, cfg.eval_seed)
    pixels = train.tensors["pixel_values"]
    report: dict = {"target": "clip", "config": asdict(cfg)}
    if cfg.tiny and not (cfg.resume and (output_dir / CHECKPOINT_DIR).exists()):
        held_pixels = image_processor(images=held_out.images, return_tensors="pt")["pixel_values"]
        report["vision_warmup_accuracy"] = warm_up_vision(
            model.vision_model, train, "pixel_values", cfg.warmup_steps, cfg.batch_size, cfg.learning_rate, cfg.seed,
            held_out=(held_pixels, held_out.items))
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    def batch_fn(idx: torch.Tensor) -> dict:
        texts = [clip_training_texts(train.items[i], rng) for i in idx.tolist()]
        tok = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        # Items that share (colour, pattern, category) are not negatives of each other's queries.
        keys = [(train.items[i].colors[0], train.items[i].pattern, train.items[i].category) for i in idx.tolist()]
        same = torch.tensor([[a == b for b in keys] for a in keys])
        return {"input_ids": tok["input_ids"], "attention_mask": tok["attention_mask"],
                "pixel_values": _flip(pixels[idx], torch.rand(len(idx), generator=gen) < 0.5).to(model.dtype),
                "same": same}

    def loss_fn(m: nn.Module, batch: dict) -> torch.Tensor:
        same = batch.pop("same")
        out = m(**batch)
        logits = out.logits_per_text
        target = same.float() / same.float().sum(dim=1, keepdim=True)
        return (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.T, target.T)) / 2

    report["training"] = _train_loop(model, batch_fn, len(train.items), cfg, output_dir, loss_fn, "clip")
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    image_processor.save_pretrained(output_dir)
    report["eval"] = evaluate_embedder(tokenizer, image_processor, model, held_out)
    report["eval"]["eval_seed"] = cfg.eval_seed
    (output_dir / EVAL_FILE).write_text(json.dumps(report, indent=2))
    return report
