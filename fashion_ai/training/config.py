"""Settings of one training run (train_space.py): a dataclass whose fields are the CLI's flags, with auto defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

REPORT_TO_CHOICES = ("trackio", "tensorboard", "none", "all")  # as transformers' TrainingArguments.report_to

DEFAULT_PALIGEMMA_BASE = "google/paligemma2-3b-pt-224"
DEFAULT_CLIP_BASE = "patrickjohncyh/fashion-clip"
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEMO_FIELDS = ("category", "colors", "pattern", "length", "sleeve")  # what a demo photo shows
EVAL_FILE = "eval.json"
# "0 = auto" settings: the tiny demo models train from scratch on many generated photos with large batches and a
# high learning rate; real checkpoints are fine-tuned with small batches (3B on one GPU) and gentle rates.
DEFAULT_STEPS = {("paligemma", True): 1400, ("clip", True): 350, ("paligemma", False): 2000, ("clip", False): 2000}
# The tiny extractor's language side learns faster from more, smaller updates; contrastive CLIP wants many negatives
# (the demo CLIP's attribute match, tuning data: 0.902 at batch 64 x 2,000 steps, 0.951 at 512 x 350, same time).
DEFAULT_BATCH_SIZE = {("paligemma", True): 32, ("clip", True): 512, ("paligemma", False): 4, ("clip", False): 4}
DEFAULT_WARMUP_BATCH_SIZE = 64
DEFAULT_LEARNING_RATE = {("paligemma", True): 2e-3, ("clip", True): 2e-3, ("paligemma", False): 2e-4,
                         ("clip", False): 1e-5}
EVAL_RESERVE_S = 18.0  # what saving and the final evaluation of a tiny model on 300 photos take on 2 cores
# Under a time budget, the vision warm-up gets this share of the time left after the data is made and the main
# training the rest. Measured on 2 cores (eager attention, bfloat16 autocast): ~26 warm-up steps/s at batch 128; the
# PaliGemma phase ~26 steps/s at batch 32 (3,721 steps in the ~140 s it gets), the CLIP phase 350 steps at batch 512
# in ~86 s (2,000 at batch 64 in as long; float32: ~16 and ~18 steps/s). PaliGemma's share was 0.62 until bfloat16
# made its main phase cheap: at 0.70 its tower reads Fashion-MNIST better (README, Training).
WARMUP_SHARE = {"paligemma": 0.70, "clip": 0.78}
# Off unless asked: the shipped extractor's command asks for 0.1, which lifted its Fashion-MNIST reading on the
# tuning data (README, Training); not tried on the embedder or on real checkpoints.
DEFAULT_WARMUP_LABEL_SMOOTHING = 0.0
DEFAULT_DEMO_TRAIN_ITEMS = 60000  # generated: enough distinct photos that the warm-up does not memorise them
DEFAULT_DATASET_TRAIN_ITEMS = 20000  # rows read from a real dataset (photos are kept in memory at input size)
CHECKPOINT_DIR = "checkpoint"
DEFAULT_MIX_SHARE = 0.5
# Empty scenes (no garment) in every batch: enough that "no garment" is learned in a short run, few enough that a
# model still mostly sees garments (and, in doubt, names one: most uploads are garments).
DEFAULT_EMPTY_SHARE = 0.1
EMPTY_EVAL_ITEMS = 60  # empty scenes of eval_seed in the run's own final evaluation
# The run's final evaluation of mix_dataset's held-out rows, per row (added to EVAL_RESERVE_S): measured 2.3 ms
# (PaliGemma) on one busy core, doubled for safety.
MIX_EVAL_S_PER_ROW = {"paligemma": 0.005, "clip": 0.002}


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
                                                        "32 paligemma, 512 clip; real checkpoints: 4)"})
    warmup_batch_size: int = field(default=0, metadata={"help": "examples per step of the tiny models' vision "
                                                               f"warm-up (0 = {DEFAULT_WARMUP_BATCH_SIZE})"})
    learning_rate: float = field(default=0.0, metadata={"help": "peak learning rate, cosine schedule (0 = 2e-3 "
                                                               "tiny, 2e-4 PaliGemma LoRA, 1e-5 CLIP)"})
    warmup_label_smoothing: float = field(default=DEFAULT_WARMUP_LABEL_SMOOTHING, metadata={
        "help": "label smoothing of the tiny models' warm-up heads per photo (0 = hard targets)"})
    warmup_steps: int = field(default=5000, metadata={"help": "supervised warm-up steps of the vision tower"})
    steps: int = field(default=0, metadata={"help": "optimizer steps of the main training (0 = tiny: 1400 "
                                                    "paligemma, 350 clip; real checkpoints: 2000)"})
    time_budget_s: float = field(default=0.0, metadata={"help": "wall-clock budget of the whole run in seconds, "
                                                                "data and warm-up included: the main training stops "
                                                                f"early so that the final evaluation (about "
                                                                f"{EVAL_RESERVE_S:.0f} s reserved) ends in time "
                                                                "(0 = no limit)"})
    checkpoint_every: int = field(default=200, metadata={"help": "save a resumable checkpoint every N steps"})
    resume: bool = field(default=False, metadata={"help": "continue from output_dir/checkpoint if present"})
    freeze_vision: bool = field(default=True, metadata={"help": "PaliGemma: keep the vision tower frozen in the "
                                                                "main training (after the tiny model's warm-up); "
                                                                "CLIP's contrastive training moves both towers"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch default)"})
    dataset: str = field(default="demo", metadata={"help": "training data: demo (generated), or "
                                                          "fashionpedia:<coco json | hub id>, products:<hub id | "
                                                          "parquet | csv>, jsonl:<folder | file>, fashion-mnist:<folder> "
                                                          "(fashion_ai.datasets)"})
    mix_dataset: str = field(default="", metadata={"help": "a labelled real dataset mixed into the generated demo "
                                                          "items (dataset demo), e.g. fashion-mnist:/usr/share/datasets/"
                                                          "fashion-mnist: its train split enters the vision warm-up "
                                                          "(heads of the fields it labels) and the main training"})
    mix_items: int = field(default=0, metadata={"help": "rows of mix_dataset's train split to train on (0 = all but "
                                                       "the held-out ones)"})
    mix_eval_items: int = field(default=1000, metadata={"help": "last rows of mix_dataset's train split held out "
                                                               "(never trained on) for the run's own evaluation"})
    mix_share: float = field(default=DEFAULT_MIX_SHARE, metadata={"help": "share of every training batch (warm-up, "
                                                                         "and main unless main_mix_share) drawn "
                                                                         "from mix_dataset"})
    main_mix_share: float = field(default=0.0, metadata={"help": "share of every main-phase batch drawn from "
                                                                "mix_dataset, after the warm-up (0 = mix_share)"})
    shop_share: float = field(default=0.0, metadata={
        "help": "share of mix_dataset's training rows (fashion-mnist only) photographed as shops do, drawn anew for "
                "each row: the garment at 45-100%% of the frame anywhere in it, a white to mid-grey or lightly "
                "tinted backdrop, one of the schema's colours (named in its target and caption), tilted up to 10 "
                "degrees, JPEG quality 50-95 (fashion_ai.demo_world.shop_photos; 0 = none, the rows as stored)"})
    crop: bool = field(default=True, metadata={
        "help": "the extractor's shop-style rows are cropped to the garment, as the app crops an upload "
                "(fashion_ai.images.crop_to_garment); the embedder's never are (photo search reads photos whole)"})
    empty_share: float = field(default=DEFAULT_EMPTY_SHARE, metadata={
        "help": "share of every training batch (warm-up and main) that is an empty scene, a photo with no garment "
                "(fashion_ai.demo_world.empty): PaliGemma's target for it is [], the warm-up's label background, "
                "CLIP's caption 'an empty background with no clothing' or another phrasing. round(empty_share * "
                "train_items) distinct scenes are drawn (with --dataset demo; 0 = none)"})
    eval_split: str = field(default="", metadata={"help": "split of the dataset to evaluate on; empty = hold out "
                                                         "eval_items examples of the training split"})
    grad_accum_steps: int = field(default=1, metadata={"help": "micro-batches accumulated per optimizer step"})
    bf16: bool = field(default=True, metadata={"help": "bfloat16 autocast where the GPU or CPU multiplies "
                                                      "bfloat16 natively (float32 elsewhere)"})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "recompute activations in the backward "
                                                                         "pass: less memory, ~30% slower"})
    eval_every: int = field(default=0, metadata={"help": "evaluate on eval_every_items held-out examples every N "
                                                        "steps (0 = only at the end)"})
    eval_every_items: int = field(default=64, metadata={"help": "held-out examples used by the periodic "
                                                               "evaluation"})
    report_to: Literal["trackio", "tensorboard", "none", "all"] | None = field(default=None, metadata={
        "help": "where the run logs its loss, learning rate, items/s and evaluations per step, besides "
                "<output_dir>/training_log.jsonl: trackio (local, trackio show --project fashion-ai), tensorboard "
                "(<output_dir>/logs), all (every one installed) or none; default: trackio if installed, else "
                "tensorboard if installed, else none"})
    run_name: str = field(default="", metadata={"help": "the run's name in the tracker (default: the output folder's "
                                                        "name and the start time; --resume keeps the run's name)"})
    logging_steps: int = field(default=1, metadata={"help": "log the scalars every N optimizer steps (the loss and "
                                                           "items/s averaged over them)"})
    push_to_hub: str = field(default="", metadata={"help": "model repo id to push weights/adapter, processor, "
                                                          "eval.json and a model card to (token from HF_TOKEN)"})
    hub_private: bool = field(default=False, metadata={"help": "create the Hub repo as private"})

    def __post_init__(self) -> None:
        if self.target not in ("paligemma", "clip"):
            raise ValueError(f"target must be 'paligemma' or 'clip', not {self.target!r}")
        if self.seed == self.eval_seed:
            raise ValueError("eval_seed must differ from seed, or the evaluation would see training images")
        if self.report_to not in (None, *REPORT_TO_CHOICES):
            raise ValueError(f"report_to must be one of {', '.join(REPORT_TO_CHOICES)}, not {self.report_to!r}")
        for name in ("eval_items", "image_size", "lora_r", "grad_accum_steps", "eval_every_items", "logging_steps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("train_items", "batch_size", "warmup_batch_size", "steps", "warmup_steps", "eval_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative, got {getattr(self, name)}")
        self.dataset = self.dataset.strip() or "demo"
        if self.dataset != "demo" and ":" not in self.dataset:
            raise ValueError(f"dataset must be demo or <kind>:<source> (fashionpedia, products, jsonl, fashion-mnist), "
                             f"not {self.dataset!r}")
        for name in ("empty_share", "warmup_label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be at least 0 and below 1, not {getattr(self, name)}")
        self.mix_dataset = self.mix_dataset.strip()
        if self.mix_dataset:
            if self.dataset != "demo":
                raise ValueError("mix_dataset is mixed into the generated demo items: use it with --dataset demo")
            if ":" not in self.mix_dataset:
                raise ValueError(f"mix_dataset must be <kind>:<source>, e.g. fashion-mnist:/usr/share/datasets/"
                                 f"fashion-mnist, not {self.mix_dataset!r}")
            self.main_mix_share = self.main_mix_share or self.mix_share
            for name in ("mix_share", "main_mix_share"):
                share = getattr(self, name)
                if not 0.0 < share < 1.0:
                    raise ValueError(f"{name} must be between 0 and 1 (exclusive), not {share}")
                if share + self.empty_share >= 1.0:
                    raise ValueError(f"{name} + empty_share must leave room for demo items (below 1), not "
                                     f"{share} + {self.empty_share}")
        if not 0.0 <= self.shop_share <= 1.0:
            raise ValueError(f"shop_share must be between 0 and 1, not {self.shop_share}")
        if self.shop_share and not self.mix_dataset.lower().startswith("fashion-mnist:"):
            raise ValueError("shop_share photographs Fashion-MNIST rows: give --mix_dataset fashion-mnist:<folder>")
        for name in ("mix_items", "mix_eval_items"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative, got {getattr(self, name)}")
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

    @property
    def empty_items(self) -> int:
        """Distinct empty scenes drawn for training (demo data only)."""
        return round(self.empty_share * self.train_items) if self.dataset == "demo" else 0

    @property
    def eval_reserve_s(self) -> float:
        """Seconds a time budget keeps for saving and the final evaluation."""
        mixed = self.mix_eval_items if self.mix_dataset else 0
        empty = EMPTY_EVAL_ITEMS if self.empty_items else 0
        return EVAL_RESERVE_S + MIX_EVAL_S_PER_ROW[self.target] * (mixed + empty)
