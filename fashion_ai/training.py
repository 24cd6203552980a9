"""Training of the attribute extractor (PaliGemma) and the catalog embedder (CLIP).

The same loops train the real checkpoints (LoRA / QLoRA on a hub PaliGemma, contrastive fine-tuning of a hub
CLIP) and the demo profile's tiny models of the same classes, built here from configs with tokenizers made
from our own vocabulary, because the Hub cannot be reached offline.
"""

from __future__ import annotations

import contextlib
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

from fashion_ai.catalog import CatalogItem
from fashion_ai.demo_world import (
    DEMO_CATEGORY_NAMES,
    DEMO_COLOR_NAMES,
    DEMO_NOUNS,
    DEMO_PATTERNS,
    generate_example,
    iter_demo_items,
)
from fashion_ai.embeddings import embed_images, embed_texts
from fashion_ai.evaluation import extraction_metrics, retrieval_metrics
from fashion_ai.extraction import DEFAULT_PROMPT, generate_answers
from fashion_ai.schema import FIELDS, garments_to_json, parse_garments

logger = logging.getLogger(__name__)
RUN_STARTED = time.monotonic()  # the run's clock for --time_budget_s; train_* functions restart it

DEFAULT_PALIGEMMA_BASE = "google/paligemma2-3b-pt-224"
DEFAULT_CLIP_BASE = "patrickjohncyh/fashion-clip"
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEMO_FIELDS = ("category", "colors", "pattern", "length", "sleeve")  # what a demo photo shows
SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>", "<image>")
EVAL_FILE = "eval.json"
# "0 = auto" settings: the tiny demo models train from scratch on many generated photos with large batches and a
# high learning rate; real checkpoints are fine-tuned with small batches (3B on one GPU) and gentle rates.
DEFAULT_STEPS = {("paligemma", True): 1400, ("clip", True): 1000, ("paligemma", False): 2000, ("clip", False): 2000}
# The tiny extractor's language side learns faster from more, smaller updates; contrastive CLIP wants many negatives.
DEFAULT_BATCH_SIZE = {("paligemma", True): 32, ("clip", True): 64, ("paligemma", False): 4, ("clip", False): 4}
DEFAULT_WARMUP_BATCH_SIZE = 64
DEFAULT_LEARNING_RATE = {("paligemma", True): 2e-3, ("clip", True): 2e-3, ("paligemma", False): 2e-4,
                         ("clip", False): 1e-5}
EVAL_RESERVE_S = 18.0  # what saving and the final evaluation of a tiny model on 300 photos take on 2 cores
# Under a time budget, the vision warm-up gets this share of the time left after the data is made and the main
# training the rest. Measured on 2 cores: 12-17 warm-up steps/s at batch 64; the PaliGemma phase (1400 steps at
# batch 32, ~8/s) needs ~170 s, the CLIP phase (1000 steps at batch 64, ~10/s) ~100 s.
WARMUP_SHARE = {"paligemma": 0.62, "clip": 0.78}
DEFAULT_DEMO_TRAIN_ITEMS = 60000  # generated: enough distinct photos that the warm-up does not memorise them
DEFAULT_DATASET_TRAIN_ITEMS = 20000  # rows read from a real dataset (photos are kept in memory at input size)
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
    train_items: int = field(default=0, metadata={"help": "training items: generated (demo) or rows read from the "
                                                         f"dataset (0 = {DEFAULT_DEMO_TRAIN_ITEMS} demo, "
                                                         f"{DEFAULT_DATASET_TRAIN_ITEMS} dataset)"})
    eval_items: int = field(default=300, metadata={"help": "held-out items for the final evaluation"})
    seed: int = field(default=1, metadata={"help": "seed of the training data and initialisation"})
    eval_seed: int = field(default=1001, metadata={"help": "seed of the held-out data (must differ from seed)"})
    image_size: int = field(default=64, metadata={"help": "model input size of tiny models, in pixels"})
    patch_size: int = field(default=16, metadata={"help": "ViT patch size of tiny models: 64/16 gives 16 image "
                                                          "tokens, which learn silhouettes fastest on a CPU"})
    batch_size: int = field(default=0, metadata={"help": "examples per micro-batch of the main training (0 = tiny: "
                                                        "32 paligemma, 64 clip; real checkpoints: 4)"})
    warmup_batch_size: int = field(default=0, metadata={"help": "examples per step of the tiny models' vision "
                                                               f"warm-up (0 = {DEFAULT_WARMUP_BATCH_SIZE})"})
    learning_rate: float = field(default=0.0, metadata={"help": "peak learning rate, cosine schedule (0 = 2e-3 "
                                                               "tiny, 2e-4 PaliGemma LoRA, 1e-5 CLIP)"})
    warmup_steps: int = field(default=5000, metadata={"help": "supervised warm-up steps of the vision tower"})
    steps: int = field(default=0, metadata={"help": "optimizer steps of the main training (0 = tiny: 1400 "
                                                    "paligemma, 1000 clip; real checkpoints: 2000)"})
    time_budget_s: float = field(default=0.0, metadata={"help": "wall-clock budget of the whole run in seconds, "
                                                                "data and warm-up included: the main training stops "
                                                                f"early so that the final evaluation (about "
                                                                f"{EVAL_RESERVE_S:.0f} s reserved) ends in time "
                                                                "(0 = no limit)"})
    checkpoint_every: int = field(default=200, metadata={"help": "save a resumable checkpoint every N steps"})
    resume: bool = field(default=False, metadata={"help": "continue from output_dir/checkpoint if present"})
    freeze_vision: bool = field(default=True, metadata={"help": "keep the vision tower frozen in the main "
                                                                "training (after the tiny model's warm-up)"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch default)"})
    dataset: str = field(default="demo", metadata={"help": "training data: demo (generated), or "
                                                          "fashionpedia:<coco json | hub id>, products:<hub id | "
                                                          "parquet | csv>, jsonl:<folder | file> (fashion_ai.data)"})
    eval_split: str = field(default="", metadata={"help": "split of the dataset to evaluate on; empty = hold out "
                                                         "eval_items examples of the training split"})
    grad_accum_steps: int = field(default=1, metadata={"help": "micro-batches accumulated per optimizer step"})
    bf16: bool = field(default=True, metadata={"help": "bfloat16 autocast where the GPU supports it (float32 "
                                                      "on CPU)"})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "recompute activations in the backward "
                                                                         "pass: less memory, ~30% slower"})
    eval_every: int = field(default=0, metadata={"help": "evaluate on eval_every_items held-out examples every N "
                                                        "steps (0 = only at the end)"})
    eval_every_items: int = field(default=64, metadata={"help": "held-out examples used by the periodic "
                                                               "evaluation"})
    push_to_hub: str = field(default="", metadata={"help": "model repo id to push weights/adapter, processor, "
                                                          "eval.json and a model card to (token from HF_TOKEN)"})
    hub_private: bool = field(default=False, metadata={"help": "create the Hub repo as private"})

    def __post_init__(self) -> None:
        if self.target not in ("paligemma", "clip"):
            raise ValueError(f"target must be 'paligemma' or 'clip', not {self.target!r}")
        if self.seed == self.eval_seed:
            raise ValueError("eval_seed must differ from seed, or the evaluation would see training images")
        for name in ("eval_items", "image_size", "lora_r", "grad_accum_steps", "eval_every_items"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("train_items", "batch_size", "warmup_batch_size", "steps", "warmup_steps", "eval_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative, got {getattr(self, name)}")
        self.dataset = self.dataset.strip() or "demo"
        if self.dataset != "demo" and ":" not in self.dataset:
            raise ValueError(f"dataset must be demo or <kind>:<source> (fashionpedia, products, jsonl), "
                             f"not {self.dataset!r}")
        if not [t for t in self.lora_targets.split(",") if t.strip()]:
            raise ValueError("lora_targets must name at least one module, e.g. q_proj,v_proj")
        if self.learning_rate < 0:
            raise ValueError("learning_rate cannot be negative")
        self.steps = self.steps or DEFAULT_STEPS[(self.target, self.tiny)]
        self.batch_size = self.batch_size or DEFAULT_BATCH_SIZE[(self.target, self.tiny)]
        self.warmup_batch_size = self.warmup_batch_size or DEFAULT_WARMUP_BATCH_SIZE
        self.learning_rate = self.learning_rate or DEFAULT_LEARNING_RATE[(self.target, self.tiny)]
        if not self.train_items:
            self.train_items = DEFAULT_DEMO_TRAIN_ITEMS if self.dataset == "demo" else DEFAULT_DATASET_TRAIN_ITEMS
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


def _json_pre_tokenizer():
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r'"[^"]*"|[\[\]{}:,]'), behavior="isolated"),
        pre_tokenizers.WhitespaceSplit(),
    ])


def dataset_words(texts: Sequence[str]) -> list[str]:
    """The words a tiny model's tokenizer needs for a dataset's prompts and targets, most frequent first."""
    from collections import Counter

    split = _json_pre_tokenizer()
    counts = Counter(word for text in texts for word, _ in split.pre_tokenize_str(text))
    return [word for word, _ in counts.most_common()]


def build_demo_json_tokenizer(extra_words: Sequence[str] = ()):
    """A word-level tokenizer whose tokens are JSON punctuation and whole quoted schema values.

    One token per value keeps the tiny model's target short; decoding joins tokens with spaces, which JSON
    allows, so decoded text parses as it is.
    """
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    vocab = demo_vocabulary(extra_words)
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.pre_tokenizer = _json_pre_tokenizer()
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    # The generic tokenizers-backed class, not GemmaTokenizer: saved as that, AutoProcessor would rebuild
    # Gemma's own vocabulary on load and the word-level vocabulary would be lost.
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                              unk_token="<unk>", additional_special_tokens=["<image>"], padding_side="right")


def build_demo_text_tokenizer(max_length: int = 32, extra_words: Sequence[str] = ()):
    """A lower-casing word-level tokenizer for the tiny CLIP's text tower (shopper words of the schema)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = set()
    for values in FIELDS.values():
        for value in values:
            words.update(re.findall(r"[a-z0-9]+", value))
    words.update(re.findall(r"[a-z0-9]+", " ".join(DEMO_NOUNS)))
    words.update("a an the in for with and of to on accents clean plain finish perfect length sleeve".split())
    words.update(("women", "men", "unisex", "spring", "summer", "autumn", "winter", "t", "shirt"))
    words.update(w for text in extra_words for w in re.findall(r"[a-z0-9]+", text.lower()))
    vocab = list(SPECIAL_TOKENS) + sorted(words)
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", special_tokens=[("<bos>", vocab.index("<bos>")), ("<eos>", vocab.index("<eos>"))])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<bos>", eos_token="<eos>",
                                   pad_token="<pad>", unk_token="<unk>", model_max_length=max_length)


# --------------------------------------------------------------------------------------------- tiny models
def build_tiny_paligemma(image_size: int = 64, patch_size: int = 16, seed: int = 0, extra_words: Sequence[str] = ()):
    """A from-scratch PaliGemmaForConditionalGeneration small enough to train on 2 CPU cores.

    extra_words extend the schema vocabulary (e.g. the words of a JSONL dataset's free-text targets).
    """
    from transformers import (
        GemmaConfig,
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipVisionConfig,
    )
    from transformers.models.siglip import SiglipImageProcessorPil

    tokenizer = build_demo_json_tokenizer(extra_words)
    num_patches = (image_size // patch_size) ** 2
    image_processor = SiglipImageProcessorPil(size={"height": image_size, "width": image_size})
    image_processor.image_seq_length = num_patches
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tokenizer)
    vision = SiglipVisionConfig(image_size=image_size, patch_size=patch_size, hidden_size=128,
                                intermediate_size=256, num_hidden_layers=4, num_attention_heads=4)
    text = GemmaConfig(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256, num_hidden_layers=3,
                       num_attention_heads=4, num_key_value_heads=1, head_dim=32, max_position_embeddings=512,
                       pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                       eos_token_id=tokenizer.eos_token_id)
    config = PaliGemmaConfig(vision_config=vision, text_config=text, projection_dim=128,
                             image_token_index=tokenizer.convert_tokens_to_ids("<image>"))
    torch.manual_seed(seed)
    model = PaliGemmaForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return processor, model


def build_tiny_clip(image_size: int = 64, patch_size: int = 16, seed: int = 0, extra_words: Sequence[str] = ()):
    """A from-scratch CLIPModel with a word-level tokenizer; returns (tokenizer, image_processor, model)."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTextConfig, CLIPVisionConfig

    tokenizer = build_demo_text_tokenizer(extra_words=extra_words)
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

    def head(self, limit: int | None) -> DemoData:
        """The first `limit` items (all of them for None)."""
        return self if limit is None else DemoData(self.items[:limit], self.images[:limit])


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


_ENCODE: Callable[[list, list[CatalogItem]], dict] | None = None  # read by forked workers (closures don't pickle)


def _make_chunk(args: tuple[int, int, int, int]) -> tuple[list[CatalogItem], dict, torch.Tensor]:
    """Items start..stop of a seed: their encoded tensors and per-patch labels (runs in a worker or inline)."""
    from PIL import Image

    start, stop, seed, grid = args
    categories = _demo_category_names()
    colors, patterns = list(DEMO_COLOR_NAMES), list(DEMO_PATTERNS)
    items, images, patches = [], [], []
    for index in range(start, stop):
        item, image, mask = generate_example(index, seed)
        items.append(item)
        images.append(image)
        frac = np.asarray(mask.resize((grid, grid), Image.BOX), dtype=np.float32) / 255.0
        label = np.full(frac.shape + (3,), -100, dtype=np.int64)  # patches on the garment's edge are ambiguous
        on = frac > 0.5
        label[on] = (categories.index(item.category), colors.index(item.colors[0]), patterns.index(item.pattern))
        label[frac < 0.1, 0] = len(categories)
        patches.append(torch.from_numpy(label.reshape(-1, 3)))
    return items, _ENCODE(images, items), torch.stack(patches)


def _worker_init() -> None:
    torch.set_num_threads(1)


def training_set(count: int, seed: int, encode: Callable[[list, list[CatalogItem]], dict], grid: int,
                 chunk: int = 500, workers: int = 1) -> TrainingSet:
    """Generate and encode items chunk by chunk, so only tensors (not thousands of photos) stay in memory.

    With workers > 1 the chunks are made in forked processes (drawing and preprocessing are CPU-bound Python).
    """
    import multiprocessing

    global _ENCODE
    _ENCODE = encode
    jobs = [(start, min(count, start + chunk), seed, grid) for start in range(0, count, chunk)]
    items: list[CatalogItem] = []
    encoded: list[dict] = []
    patches: list[torch.Tensor] = []
    bar = tqdm(total=count, desc=f"generate seed {seed}", leave=False)
    pool = None
    if workers > 1 and len(jobs) > 1 and "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init)
    try:
        for chunk_items, chunk_tensors, chunk_patches in (pool.imap(_make_chunk, jobs) if pool else map(_make_chunk, jobs)):
            items.extend(chunk_items)
            encoded.append(chunk_tensors)
            patches.append(chunk_patches)
            bar.update(len(chunk_items))
    finally:
        if pool:
            pool.close()
            pool.join()
        bar.close()
        _ENCODE = None
    pads = {"input_ids": 0, "attention_mask": 0, "token_type_ids": 0, "labels": -100}
    tensors = {}
    for key in encoded[0]:
        parts = [e[key] for e in encoded]
        tensors[key] = _pad_cat(parts, pads.get(key, 0)) if parts[0].dim() == 2 else torch.cat(parts)
    return TrainingSet(items, tensors, torch.cat(patches))


def _label_tensors(items: Sequence[CatalogItem]) -> dict[str, torch.Tensor]:
    """Class indices per visible field for the vision warm-up (-100 where the field does not apply)."""
    vocab = {"category": _demo_category_names(), "colors": list(DEMO_COLOR_NAMES), "pattern": list(DEMO_PATTERNS),
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
    return list(DEMO_CATEGORY_NAMES)


# --------------------------------------------------------------------------------------------- real datasets
@dataclass
class ExampleSet:
    """Examples of a real dataset (fashion_ai.data), split into training and held-out evaluation rows."""

    train: list
    held_out: list

    def texts(self) -> list[str]:
        return [text for ex in self.train for text in (ex.prefix, ex.suffix, ex.caption)]


def _shrink(image, size: int):
    """Keep photos only as large as the model input (shortest side), so thousands fit in memory."""
    image = image.convert("RGB")
    short = min(image.size)
    if short > size:
        scale = size / short
        image = image.resize((max(size, round(image.width * scale)), max(size, round(image.height * scale))))
    return image


def load_examples(cfg: TrainConfig, input_size: int) -> ExampleSet:
    """Read cfg.dataset through fashion_ai.data; hold out cfg.eval_items rows unless cfg.eval_split names a split."""
    import random

    from fashion_ai.data import iter_examples

    def read(split: str, limit: int) -> list:
        rows = []
        try:
            for ex in tqdm(iter_examples(cfg.dataset, split=split, limit=limit), total=limit, desc=f"read {split}",
                           leave=False):
                ex.image = _shrink(ex.image, input_size)
                rows.append(ex)
        except (ValueError, OSError) as exc:  # corrupt files, bad rows: say which dataset, keep the reason
            message = " ".join(str(exc).split())
            if cfg.dataset.split(":", 1)[-1] not in message:
                message = f"cannot read {cfg.dataset} ({split}): {message}"
            raise ValueError(message) from exc
        return rows

    if cfg.eval_split:
        train, held = read("train", cfg.train_items), read(cfg.eval_split, cfg.eval_items)
    else:
        rows = read("train", cfg.train_items + cfg.eval_items)
        random.Random(cfg.seed).shuffle(rows)
        # Small datasets still keep most rows for training: at most a fifth is held out.
        n_held = min(cfg.eval_items, len(rows) // 5)
        held, train = rows[:n_held], rows[n_held:]
    if not train:
        raise ValueError(f"{cfg.dataset} gave no training examples")
    if not held:
        logger.warning("no held-out examples: the evaluation will use training rows")
        held = train[: cfg.eval_items]
    logger.info("dataset %s: %d training and %d held-out examples", cfg.dataset, len(train), len(held))
    return ExampleSet(train, held)


def evaluate_examples(processor, model, examples: Sequence) -> dict:
    """Extraction metrics on held-out dataset rows: per garment for schema targets, exact match for free text."""
    raw: list[str] = [""] * len(examples)
    by_prompt: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_prompt.setdefault(ex.prefix, []).append(i)
    for prompt, rows in by_prompt.items():
        for i, text in zip(rows, generate_answers(processor, model, [examples[i].image for i in rows], prompt)):
            raw[i] = text
    results = [parse_garments(text) for text in raw]
    report: dict = {"images": len(examples)}
    pairs = [(result, truth) for result, ex in zip(results, examples) for truth in ex.garments]
    if pairs:
        taught = [name for name in FIELDS if any(getattr(t, name) for _, t in pairs)]
        report.update(extraction_metrics([r for r, _ in pairs], [t for _, t in pairs], taught))
        report["garments"] = report.pop("images")
        report["images"] = len(examples)
        report["json_valid_rate"] = round(float(np.mean([r.valid_json for r in results])), 4) if results else 0.0
    free = [(text, ex.suffix) for text, ex in zip(raw, examples) if not ex.garments]
    if free:
        report["exact_match"] = round(float(np.mean([" ".join(a.split()) == " ".join(b.split()) for a, b in free])), 4)
    report["examples"] = [{"id": ex.id, "raw": text, "target": ex.suffix} for ex, text in list(zip(examples, raw))[:5]]
    return report


def evaluate_caption_retrieval(tokenizer, image_processor, model, examples: Sequence) -> dict:
    """Caption-to-image retrieval on held-out rows (rows sharing a caption count as relevant to each other)."""
    captions = [ex.caption for ex in examples]
    sim = embed_texts(tokenizer, model, captions) @ embed_images(image_processor, model, [ex.image for ex in examples]).T
    relevant = np.array([[a == b for b in captions] for a in captions])
    return {"caption_to_image": retrieval_metrics(sim, relevant)}


# --------------------------------------------------------------------------------------------- loops
class _Schedule:
    """Linear warm-up, then a cosine decay to 5% of the peak over the run's progress.

    Progress is the share of steps done or, when a deadline is set, the share of the time used, whichever is
    further: under a time budget the rate still anneals fully by the deadline, on a fast machine or a slow one.
    """

    def __init__(self, steps: int, peak: float, deadline: float | None = None, warm: int = 50):
        self.steps, self.peak, self.deadline, self.warm = steps, peak, deadline, warm
        self.started = time.monotonic()

    def progress(self, step: int) -> float:
        done = (step - self.warm) / max(1, self.steps - self.warm)
        if self.deadline is not None:
            done = max(done, (time.monotonic() - self.started) / max(1e-6, self.deadline - self.started))
        return done

    def lr(self, step: int) -> float:
        if step < self.warm:
            return self.peak * (step + 1) / self.warm
        return self.peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, self.progress(step)))))

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


def _deadline(cfg: TrainConfig, share: float = 1.0) -> float | None:
    """When a phase must end under cfg.time_budget_s: `share` of the time left before the evaluation reserve."""
    if not cfg.time_budget_s:
        return None
    now = time.monotonic()
    return now + share * max(0.0, RUN_STARTED + cfg.time_budget_s - EVAL_RESERVE_S - now)


def warm_up_vision(vision: nn.Module, data: TrainingSet, pixel_key: str, steps: int, batch_size: int, lr: float,
                   seed: int, held_out: tuple[torch.Tensor, list[CatalogItem]] | None = None,
                   deadline: float | None = None) -> dict[str, dict]:
    """Supervised warm-up: teach a from-scratch vision tower the visible attributes before the real objective.

    A ViT trained from scratch learns shape slowly through a language-model or contrastive loss alone. Linear
    heads on mean-pooled features give it a direct signal per visible field, and a dense head asks every patch
    which garment (or background) it belongs to, which teaches silhouettes far faster than one label per
    photo. The heads are thrown away afterwards. Returns the heads' accuracies per field on the last training
    batches and, when given, on held-out photos (a diagnostic of what the vision tower alone can tell).
    With a deadline (time.monotonic()), the warm-up anneals and ends by then if the steps take longer.
    """
    if steps <= 0:
        return {}
    labels = _label_tensors(data.items)
    pixels = data.tensors[pixel_key]
    hidden = vision.config.hidden_size
    heads = nn.ModuleDict({name: nn.Linear(hidden, int(t.max().item()) + 1) for name, t in labels.items()})
    patch_heads = nn.ModuleList([nn.Linear(hidden, len(_demo_category_names()) + 1), nn.Linear(hidden, len(DEMO_COLOR_NAMES)),
                                 nn.Linear(hidden, len(DEMO_PATTERNS))])
    params = list(vision.parameters()) + list(heads.parameters()) + list(patch_heads.parameters())
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    gen = torch.Generator().manual_seed(seed)
    grid = int(math.isqrt(data.patch_labels.shape[1]))
    n_tokens = grid * grid
    vision.train()
    bar = tqdm(range(steps), desc="vision warm-up", leave=False)
    accs: dict[str, list[float]] = {k: [] for k in labels}
    schedule = _Schedule(steps, lr, deadline)
    done = 0
    for step in bar:
        if schedule.out_of_time():
            logger.warning("vision warm-up stopped by the time budget at step %d of %d", step, steps)
            break
        done = step + 1
        for group in optim.param_groups:
            group["lr"] = schedule.lr(step)
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
    report: dict = {"steps": done,
                    "train": {k: round(float(np.mean(v[-50:])), 3) for k, v in accs.items() if v}}
    if held_out is not None:
        pixels_out, items_out = held_out
        truth = _label_tensors(items_out)
        vision.eval()
        with torch.inference_mode():
            feats = vision(pixel_values=pixels_out).last_hidden_state[:, -n_tokens:].mean(dim=1)
            report["held_out"] = {name: round(float((head(feats).argmax(-1) == truth[name])[truth[name] >= 0]
                                                    .float().mean()), 3) for name, head in heads.items()}
        vision.train()
    logger.info("vision warm-up accuracy: %s", report)
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


def _autocast(enabled: bool, device: torch.device):
    """bfloat16 autocast on a GPU that supports it; plain float32 elsewhere (CPU bf16 is slow and lossy)."""
    if enabled and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def enable_gradient_checkpointing(model: nn.Module) -> None:
    """Recompute activations in the backward pass (non-reentrant, so frozen inputs under LoRA still work)."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # transformers 5.x name; the old one is deprecated
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    if hasattr(model, "enable_input_require_grads"):
        model.enable_input_require_grads()
    logger.info("gradient checkpointing on")


def headline(report: dict) -> dict:
    """The few numbers of an evaluation worth a log line: JSON validity and accuracies, or retrieval scores."""
    if "fields" in report:
        out = {"json_valid": report.get("json_valid_rate")}
        out.update({name: v["accuracy"] for name, v in report["fields"].items()})
        return out
    keys = ("recall@1", "recall@10", "mrr", "match_rate@k")
    out = {k: report[k] for k in keys if k in report}  # attribute queries ("red striped dress") on demo data
    captions = report.get("caption_to_image", {})
    out.update({f"caption {k}": captions[k] for k in ("recall@1", "mrr") if k in captions})
    if "exact_match" in report:
        out["exact_match"] = report["exact_match"]
    return out


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _train_loop(model: nn.Module, batch_fn: Callable[[torch.Tensor], dict], n_examples: int, cfg: TrainConfig,
                output_dir: Path, loss_fn: Callable[[nn.Module, dict], torch.Tensor], desc: str,
                evaluate: Callable[[], dict] | None = None) -> dict:
    """The shared optimizer loop: cosine schedule, gradient accumulation, bf16 autocast where supported,
    progress bar with loss and ETA, periodic evaluation, checkpoints, Ctrl-C save."""
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.01)
    ckpt = _Checkpointer(output_dir)
    start, extra = ckpt.load(model, optim) if cfg.resume else (0, {})
    gen = torch.Generator().manual_seed(cfg.seed + start)
    device = next(model.parameters()).device
    autocast = _autocast(cfg.bf16, device)
    model.train()
    started = time.monotonic() - extra.get("elapsed_s", 0.0)
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, desc=desc)
    schedule = _Schedule(cfg.steps, cfg.learning_rate, _deadline(cfg))
    losses: list[float] = []
    history: list[dict] = list(extra.get("eval_history", []))
    step = start
    try:
        for step in bar:
            for group in optim.param_groups:
                group["lr"] = schedule.lr(step)
            optim.zero_grad()
            step_loss = 0.0
            for _ in range(cfg.grad_accum_steps):
                idx = torch.randint(0, n_examples, (cfg.batch_size,), generator=gen)
                with autocast:
                    loss = loss_fn(model, _to_device(batch_fn(idx), device)) / cfg.grad_accum_steps
                loss.backward()
                step_loss += loss.item()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            losses.append(step_loss)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            if evaluate is not None and cfg.eval_every and (step + 1) % cfg.eval_every == 0:
                model.eval()
                history.append({"step": step + 1, **headline(evaluate())})
                model.train()
                logger.info("evaluation at step %d: %s", step + 1, history[-1])
            if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0:
                ckpt.save(model, optim, step + 1, {"elapsed_s": time.monotonic() - started, "eval_history": history})
            if schedule.out_of_time():
                logger.warning("time budget of %.0f s: main training stopped at step %d of %d", cfg.time_budget_s,
                               step + 1, cfg.steps)
                break
        step += 1
    except KeyboardInterrupt:
        ckpt.save(model, optim, step, {"elapsed_s": time.monotonic() - started, "eval_history": history})
        raise
    finally:
        bar.close()
    model.eval()
    out = {"steps": step, "final_loss": round(float(np.mean(losses[-20:])), 4) if losses else None,
           "train_seconds": round(time.monotonic() - started, 1),
           "examples_seen": (step - start) * cfg.batch_size * cfg.grad_accum_steps}
    if history:
        out["eval_history"] = history
    return out


# --------------------------------------------------------------------------------------------- paligemma
def evaluate_extractor(processor, model, data: DemoData, fields: Sequence[str] = DEMO_FIELDS,
                       prompt: str = DEFAULT_PROMPT) -> dict:
    """Run the extractor on held-out items and score it against their metadata."""
    raw = generate_answers(processor, model, data.images, prompt)
    results = [parse_garments(text) for text in raw]
    report = extraction_metrics(results, [item.visible_garment() for item in data.items], fields)
    report["examples"] = [{"id": item.id, "raw": text} for item, text in list(zip(data.items, raw))[:5]]
    return report


def _data_workers(cfg: TrainConfig) -> int:
    """Processes that draw the demo data: one per CPU thread training will use."""
    return max(1, cfg.threads or torch.get_num_threads())


def _input_size(image_processor) -> int:
    size = getattr(image_processor, "size", None) or {}
    return int(size.get("height") or size.get("shortest_edge") or 224)


def _prepare_output(cfg: TrainConfig) -> Path:
    global RUN_STARTED
    RUN_STARTED = time.monotonic()
    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    return output_dir


def _resuming(cfg: TrainConfig, output_dir: Path) -> bool:
    return cfg.resume and (output_dir / CHECKPOINT_DIR / "state.pt").is_file()


def _freeze_vision(cfg: TrainConfig, vision: nn.Module, trained_already: bool) -> None:
    if not cfg.freeze_vision:
        return
    if cfg.tiny and not trained_already:
        # A from-scratch tower that never saw a label would stay random: it has to learn with the rest.
        logger.warning("the tiny model's vision tower had no warm-up on this dataset; training it too")
        return
    # The language side learns to describe what the (warmed-up or pretrained) vision tower already sees;
    # letting random early LM gradients into the tower undoes the warm-up.
    vision.requires_grad_(False)


def _finish(cfg: TrainConfig, output_dir: Path, report: dict, evaluation: dict) -> dict:
    """Record the final evaluation and what it ran on, and write eval.json beside the weights (before any push)."""
    report["eval"] = evaluation
    if cfg.dataset == "demo":
        evaluation["eval_seed"] = cfg.eval_seed
    else:
        evaluation["dataset"] = cfg.dataset
    (output_dir / EVAL_FILE).write_text(json.dumps(report, indent=2))
    return report


def _paligemma_inputs(processor, prefixes: list[str], images: list, targets: list[str]) -> dict:
    """Training inputs with labels from PaliGemmaProcessor(suffix=); token_type_ids kept (training needs them)."""
    batch = processor(text=["<image>" + prefix for prefix in prefixes], images=images, suffix=targets,
                      return_tensors="pt", padding="longest")
    return {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids", "labels", "pixel_values")}


def train_paligemma(cfg: TrainConfig) -> dict:
    """Train the attribute extractor and write weights (or adapter), processor and eval.json to cfg.output_dir."""
    from fashion_ai.models import apply_lora, load_paligemma_for_training

    output_dir = _prepare_output(cfg)
    demo = cfg.dataset == "demo"
    examples = None
    if cfg.tiny:
        examples = None if demo else load_examples(cfg, cfg.image_size)
        words = () if demo else dataset_words(examples.texts())
        processor, model = build_tiny_paligemma(cfg.image_size, cfg.patch_size, seed=cfg.seed, extra_words=words)
    else:
        processor, model = load_paligemma_for_training(cfg.base_model, cfg.quantize_4bit)
        if not demo:
            examples = load_examples(cfg, _input_size(processor.image_processor))
    vision = model.model.vision_tower if hasattr(model, "model") else model.vision_tower
    report: dict = {"target": "paligemma", "config": asdict(cfg)}
    warmed = _resuming(cfg, output_dir)

    if demo:
        grid = model.config.vision_config.image_size // model.config.vision_config.patch_size

        def encode(images: list, items: list[CatalogItem]) -> dict:
            targets = [garments_to_json([item.visible_garment()]) for item in items]
            return _paligemma_inputs(processor, [DEFAULT_PROMPT] * len(images), images, targets)

        train = training_set(cfg.train_items, cfg.seed, encode, grid, workers=_data_workers(cfg))
        held_out = demo_data(cfg.eval_items, cfg.eval_seed)
        tensors = train.tensors
        logger.info("training tensors: %s", {k: tuple(v.shape) for k, v in tensors.items()})
        if cfg.tiny and not warmed:
            held_pixels = processor.image_processor(images=held_out.images, return_tensors="pt")["pixel_values"]
            report["vision_warmup_accuracy"] = warm_up_vision(
                vision, train, "pixel_values", cfg.warmup_steps, cfg.warmup_batch_size, cfg.learning_rate, cfg.seed,
                held_out=(held_pixels, held_out.items), deadline=_deadline(cfg, WARMUP_SHARE[cfg.target]))
            warmed = True
        n_examples = len(train.items)
        gen = torch.Generator().manual_seed(cfg.seed)

        def batch_fn(idx: torch.Tensor) -> dict:
            batch = {k: v[idx] for k, v in tensors.items()}
            batch["pixel_values"] = _flip(batch["pixel_values"], torch.rand(len(idx), generator=gen) < 0.5)
            # Trim the padding shared by the whole set down to this batch's longest row.
            keep = int(batch["attention_mask"].sum(dim=1).max())
            for key in ("input_ids", "attention_mask", "token_type_ids", "labels"):
                batch[key] = batch[key][:, :keep]
            return batch

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_extractor(processor, model, held_out.head(limit))
    else:
        rows = examples.train

        def batch_fn(idx: torch.Tensor) -> dict:
            chosen = [rows[i] for i in idx.tolist()]
            return _paligemma_inputs(processor, [ex.prefix for ex in chosen], [ex.image for ex in chosen],
                                     [ex.suffix for ex in chosen])

        n_examples = len(rows)

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_examples(processor, model, examples.held_out[:limit])

    _freeze_vision(cfg, vision, warmed)
    if cfg.lora and not cfg.tiny:
        model = apply_lora(model, cfg.lora_r, cfg.lora_alpha, cfg.lora_targets.split(","))
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype

    def loss_fn(m: nn.Module, batch: dict) -> torch.Tensor:
        batch["pixel_values"] = batch["pixel_values"].to(dtype)
        return m(**batch).loss

    report["training"] = _train_loop(model, batch_fn, n_examples, cfg, output_dir, loss_fn, "paligemma",
                                     evaluate=lambda: evaluate(cfg.eval_every_items))
    model.save_pretrained(output_dir)  # a peft model saves only its adapter
    processor.save_pretrained(output_dir)
    return _finish(cfg, output_dir, report, evaluate())


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

    output_dir = _prepare_output(cfg)
    demo = cfg.dataset == "demo"
    examples = None
    if cfg.tiny:
        examples = None if demo else load_examples(cfg, cfg.image_size)
        words = () if demo else [ex.caption for ex in examples.train]
        tokenizer, image_processor, model = build_tiny_clip(cfg.image_size, cfg.patch_size, seed=cfg.seed,
                                                            extra_words=words)
    else:
        tokenizer, image_processor, model = load_clip_for_training(cfg.base_model)
        if not demo:
            examples = load_examples(cfg, _input_size(image_processor))
    if cfg.gradient_checkpointing:
        enable_gradient_checkpointing(model)
    report: dict = {"target": "clip", "config": asdict(cfg)}
    gen = torch.Generator().manual_seed(cfg.seed)

    if demo:
        grid = model.config.vision_config.image_size // model.config.vision_config.patch_size
        train = training_set(cfg.train_items, cfg.seed,
                             lambda images, _: {"pixel_values": image_processor(images=images, return_tensors="pt")[
                                 "pixel_values"]}, grid, workers=_data_workers(cfg))
        held_out = demo_data(cfg.eval_items, cfg.eval_seed)
        pixels = train.tensors["pixel_values"]
        if cfg.tiny and not _resuming(cfg, output_dir):
            held_pixels = image_processor(images=held_out.images, return_tensors="pt")["pixel_values"]
            report["vision_warmup_accuracy"] = warm_up_vision(
                model.vision_model, train, "pixel_values", cfg.warmup_steps, cfg.warmup_batch_size, cfg.learning_rate,
                cfg.seed, held_out=(held_pixels, held_out.items), deadline=_deadline(cfg, WARMUP_SHARE[cfg.target]))
        rng = np.random.default_rng(cfg.seed)
        n_examples = len(train.items)

        def batch_fn(idx: torch.Tensor) -> dict:
            chosen = [train.items[i] for i in idx.tolist()]
            texts = [clip_training_texts(item, rng) for item in chosen]
            # Items that share (colour, pattern, category) are not negatives of each other's queries.
            keys = [(item.colors[0], item.pattern, item.category) for item in chosen]
            return _clip_batch(texts, keys, _flip(pixels[idx], torch.rand(len(idx), generator=gen) < 0.5))

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_embedder(tokenizer, image_processor, model, held_out.head(limit))
    else:
        rows = examples.train
        n_examples = len(rows)

        def batch_fn(idx: torch.Tensor) -> dict:
            chosen = [rows[i] for i in idx.tolist()]
            pixel_values = image_processor(images=[ex.image for ex in chosen], return_tensors="pt")["pixel_values"]
            return _clip_batch([ex.caption for ex in chosen], [ex.caption for ex in chosen], pixel_values)

        def evaluate(limit: int | None = None) -> dict:
            return evaluate_caption_retrieval(tokenizer, image_processor, model, examples.held_out[:limit])

    def _clip_batch(texts: list[str], keys: list, pixel_values: torch.Tensor) -> dict:
        tok = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        same = torch.tensor([[a == b for b in keys] for a in keys])
        return {"input_ids": tok["input_ids"], "attention_mask": tok["attention_mask"],
                "pixel_values": pixel_values.to(model.dtype), "same": same}

    def loss_fn(m: nn.Module, batch: dict) -> torch.Tensor:
        same = batch.pop("same")
        logits = m(**batch).logits_per_text
        target = same.float() / same.float().sum(dim=1, keepdim=True)
        return (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.T, target.T)) / 2

    report["training"] = _train_loop(model, batch_fn, n_examples, cfg, output_dir, loss_fn, "clip",
                                     evaluate=lambda: evaluate(cfg.eval_every_items))
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    image_processor.save_pretrained(output_dir)
    return _finish(cfg, output_dir, report, evaluate())
