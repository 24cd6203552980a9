"""Fine-tune and evaluate Fashion AI's models.

    python train_space.py --target paligemma --tiny --output_dir assets/models/extractor   # demo extractor
    python train_space.py --target clip --tiny --output_dir assets/models/embedder         # demo embedder
    python train_space.py --target paligemma --base_model google/paligemma2-3b-pt-224 --quantize_4bit  # QLoRA
    python train_space.py eval --target paligemma --model_dir assets/models/extractor      # held-out report
    python train_space.py push --model_dir runs/model --repo_id you/fashion-attributes-lora  # HF_TOKEN from env

Ctrl-C during training saves a checkpoint in <output_dir>/checkpoint (and says so); add --resume to continue from it.
Every run logs its loss, learning rate, items/s and evaluations per step to <output_dir>/training_log.jsonl and to
--report_to (trackio where installed, else tensorboard), and draws them into training_curves.png beside eval.json.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fashion_ai.config import DECODINGS, DEFAULT_DECODING, DEFAULT_MIRROR

logger = logging.getLogger("train_space")
# Held-out demo items per seed. The extractor's length field covers dresses and skirts only: ~300 of 2,000 items,
# ~75 of 500, where one item moves it 1.3 points. The embedder's retrieval scores depend on the pool's size.
DEFAULT_EVAL_ITEMS = {"paligemma": 2000, "clip": 500}


@dataclass
class EvalConfig:
    """Settings of `train_space.py eval`."""

    target: str = field(default="paligemma", metadata={"help": "paligemma or clip"})
    model_dir: str = field(default="", metadata={"help": "folder with trained weights (and adapter) to evaluate"})
    base_model: str = field(default="", metadata={"help": "base checkpoint when model_dir holds a LoRA adapter"})
    eval_items: int | None = field(default=None, metadata={
        "help": "held-out demo items per seed, 0 to skip (default: 2,000 for paligemma, 500 for clip)"})
    eval_seeds: str = field(default="424242,77777,31337", metadata={"help": "comma-separated seeds of the held-out "
                                                                            "demo items (never used while tuning); "
                                                                            "each is reported, with mean and worst"})
    fashion_mnist: str = field(default="/usr/share/datasets/fashion-mnist", metadata={
        "help": "folder of Fashion-MNIST's idx files (Debian's dataset-fashion-mnist): its test split is scored "
                "and eval_confusion.png drawn; empty to skip"})
    limit: int = field(default=0, metadata={"help": "Fashion-MNIST test photos to score (0 = all 10,000)"})
    decoding: str = field(default=DEFAULT_DECODING, metadata={
        "help": "how the extractor answers Fashion-MNIST's test photos: constrained (as the app answers an upload, "
                "FASHION_AI_DECODING's default) or free (greedy generation, ~5x faster)"})
    mirror: bool = field(default=DEFAULT_MIRROR, metadata={
        "help": "constrained decoding scores the photo and its mirror image, as the app does by default "
                "(FASHION_AI_MIRROR); false: the photo alone"})
    presence_items: int = field(default=300, metadata={
        "help": "photos per set of the garment-or-not report: empty scenes (spread over the eval seeds), each kind of "
                "non-garment photo training never draws, demo items (spread over the eval seeds) and Fashion-MNIST's "
                "first test photos; the share answered 'no garment' in each (0 = skip)"})
    shift_items: int = field(default=500, metadata={
        "help": "Fashion-MNIST test photos per set of the shift report (0 = skip): the same rows taken plain, with "
                "each factor of shop photos varied alone (scale, position, background, colour, rotation, jpeg, "
                "resolution) and all of them at once (fashion_ai.training.shift)"})
    shift_seed: int = field(default=3301, metadata={"help": "seed of the shift report's looks"})
    shift_decoding: str = field(default="free", metadata={
        "help": "how the extractor answers the shift report's photos (after the app's crop to the garment): free "
                "(batched greedy generation) or constrained (the app's decoder, a batch at a time, ~4x slower)"})
    crop: bool = field(default=True, metadata={
        "help": "the extractor's photos are cropped to the garment first, as the app does "
                "(fashion_ai.images.crop_to_garment); false: read whole"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch default)"})

    def __post_init__(self) -> None:
        if self.target not in ("paligemma", "clip"):
            raise ValueError(f"target must be 'paligemma' or 'clip', not {self.target!r}")
        if self.shift_items < 0:
            raise ValueError("--shift_items cannot be negative")
        if self.shift_decoding not in DECODINGS:
            raise ValueError(f"--shift_decoding must be one of {', '.join(DECODINGS)}, not {self.shift_decoding!r}")
        if not self.model_dir:
            raise ValueError("--model_dir is required")
        if not Path(self.model_dir).is_dir():
            raise ValueError(f"--model_dir {self.model_dir} is not a folder")
        try:
            self.seeds = [int(seed) for seed in self.eval_seeds.split(",") if seed.strip()]
        except ValueError:
            raise ValueError(f"--eval_seeds must be whole numbers separated by commas, not {self.eval_seeds!r}") from None
        if self.fashion_mnist and not Path(self.fashion_mnist).is_dir():  # before any model is loaded
            raise ValueError(f"--fashion_mnist {self.fashion_mnist} is not a folder (Debian: apt-get install "
                             "dataset-fashion-mnist; or --fashion_mnist '' to skip it)")
        if self.decoding not in DECODINGS:
            raise ValueError(f"--decoding must be one of {', '.join(DECODINGS)}, not {self.decoding!r}")
        if self.eval_items is None:
            self.eval_items = DEFAULT_EVAL_ITEMS[self.target]
        if min(self.eval_items, self.limit, self.threads, self.presence_items) < 0 or (
                (self.eval_items or self.presence_items) and not self.seeds):
            raise ValueError("--eval_items, --limit, --presence_items and --threads cannot be negative; --eval_seeds "
                             "must name a seed")


@dataclass
class PushConfig:
    """Settings of `train_space.py push` (the token comes from HF_TOKEN, never from a flag)."""

    model_dir: str = field(default="", metadata={"help": "folder written by a training run (with eval.json)"})
    repo_id: str = field(default="", metadata={"help": "model repo to create or update, e.g. you/fashion-lora"})
    private: bool = field(default=False, metadata={"help": "create the repo as private"})

    def __post_init__(self) -> None:
        if not self.model_dir or not Path(self.model_dir).is_dir():
            raise ValueError(f"--model_dir must be a folder written by training, not {self.model_dir!r}")
        if not self.repo_id or self.repo_id.count("/") != 1:
            raise ValueError(f"--repo_id must look like owner/name, not {self.repo_id!r}")


def push(model_dir: str, repo_id: str, private: bool = False) -> str:
    """Write the model card from eval.json, then upload the folder; returns the commit URL."""
    from fashion_ai.hub import push_folder, write_model_card
    from fashion_ai.training.config import EVAL_FILE

    folder = Path(model_dir)
    report_path = folder / EVAL_FILE
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    write_model_card(folder, repo_id=repo_id, report=report)
    return push_folder(folder, repo_id, private=private)


def _summary(report: dict) -> str:
    from fashion_ai.training.engine import headline

    numbers = headline(report.get("eval", report))
    return ", ".join(f"{k} {v:.3f}" for k, v in numbers.items() if isinstance(v, (int, float))) or "no metrics"


def run_eval(cfg: EvalConfig) -> dict:
    """The held-out report of saved weights: demo fields on seeds never used while tuning, Fashion-MNIST's test
    split, and how often "no garment" is said on photos without one and on garment photos; merged into eval.json
    beside them, with eval_confusion.png."""
    import torch

    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip
    from fashion_ai.models.paligemma.loading import load_paligemma
    from fashion_ai.training.clip import evaluate_embedder
    from fashion_ai.training.config import EVAL_FILE
    from fashion_ai.training.heldout import (
        embedder_on_fashion_mnist,
        extractor_on_fashion_mnist,
        held_out_sets,
        seeds_report,
        write_confusion_picture,
    )
    from fashion_ai.training.paligemma import evaluate_extractor
    from fashion_ai.training.presence import embedder_deciders, extractor_deciders, presence_report, summary
    from fashion_ai.training.shift import embedder_shift, extractor_shift, write_shift_picture

    torch.set_num_threads(cfg.threads or max(1, torch.get_num_threads()))
    report: dict = {}
    if cfg.target == "paligemma":
        adapter = (Path(cfg.model_dir) / "adapter_config.json").exists()
        base = cfg.base_model if adapter else cfg.model_dir
        if adapter and not base:
            raise ValueError("model_dir holds a LoRA adapter: give --base_model")
        processor, model = load_paligemma(base, cfg.model_dir if adapter else None, load_in_4bit=adapter)
        name = "extractor (PaliGemma)"
        if cfg.eval_items:
            report["held_out_seeds"] = seeds_report(
                lambda data: evaluate_extractor(processor, model, data, crop=cfg.crop), cfg.seeds, cfg.eval_items)
        if cfg.fashion_mnist:
            report["fashion_mnist"] = extractor_on_fashion_mnist(processor, model, cfg.fashion_mnist, cfg.limit or None,
                                                                 cfg.decoding, cfg.mirror, cfg.crop)
        if cfg.fashion_mnist and cfg.shift_items:
            report["shift"] = extractor_shift(processor, model, cfg.fashion_mnist, cfg.shift_items, cfg.shift_seed,
                                              decoding=cfg.shift_decoding, mirror=cfg.mirror, crop=cfg.crop)
        deciders = extractor_deciders(processor, model, cfg.mirror, cfg.crop)
    else:
        embedder = Embedder(*load_clip(cfg.model_dir))
        parts = (embedder.tokenizer, embedder.image_processor, embedder.model)
        name = "embedder (CLIP)"
        if cfg.eval_items:
            report["held_out_seeds"] = seeds_report(lambda data: evaluate_embedder(*parts, data), cfg.seeds,
                                                    cfg.eval_items)
        if cfg.fashion_mnist:
            report["fashion_mnist"] = embedder_on_fashion_mnist(*parts, cfg.fashion_mnist, cfg.limit or None)
        if cfg.fashion_mnist and cfg.shift_items:
            report["shift"] = embedder_shift(*parts, cfg.fashion_mnist, cfg.shift_items, cfg.shift_seed)
        deciders = embedder_deciders(*parts)
    if cfg.presence_items:
        sets = held_out_sets(cfg.seeds, cfg.presence_items, cfg.fashion_mnist or None)
        report["no_garment"] = presence_report(deciders, sets)
        report["no_garment"]["summary"] = summary(report["no_garment"])
    if "fashion_mnist" in report:
        report["fashion_mnist"]["picture"] = write_confusion_picture(report["fashion_mnist"], name, cfg.model_dir).name
    if "shift" in report:
        report["shift"]["picture"] = write_shift_picture(report["shift"], name, cfg.model_dir).name
    path = Path(cfg.model_dir) / EVAL_FILE
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(report)
    tmp = path.with_name(f".{EVAL_FILE}.tmp")
    tmp.write_text(json.dumps(previous, indent=2))
    tmp.replace(path)  # a kill mid-write leaves the previous report whole
    return report


def _eval_summary(report: dict) -> str:
    parts = []
    seeds = report.get("held_out_seeds")
    if seeds:
        parts.append(f"seeds {','.join(map(str, seeds['seeds']))}: " + ", ".join(
            f"{k} {v:.3f} (worst {seeds['worst'][k]:.3f})" for k, v in seeds["mean"].items()))
    fmnist = report.get("fashion_mnist")
    if fmnist:
        scores = fmnist.get("category") or fmnist["class"]
        parts.append(f"Fashion-MNIST test ({fmnist['photos']} photos): accuracy {scores['accuracy']:.3f}, "
                     f"weighted F1 {scores['weighted_f1']:.3f}")
    if report.get("shift"):
        from fashion_ai.training.shift import shift_table

        parts.append(f"shift ({report['shift']['photos_per_factor']} test photos a set): {shift_table(report['shift'])}")
    for name, line in (report.get("no_garment") or {}).get("summary", {}).items():
        parts.append(f"no garment said, {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in line.items()))
    return "; ".join(parts) or "nothing evaluated"


def _parser(base: type) -> type:
    """HfArgumentParser whose refusals (an unknown flag, a value outside a flag's choices) are one line, as every other
    bad input here, instead of argparse's usage block and exit."""

    class Parser(base):
        def error(self, message: str):
            raise ValueError(f"{message} (python train_space.py --help lists the flags)")

    return Parser


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from fashion_ai.errors import FashionAIError
    from fashion_ai.training.clip import train_clip
    from fashion_ai.training.config import TrainConfig
    from fashion_ai.training.paligemma import train_paligemma
    from fashion_ai.training.run import start_run

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = argv[0] if argv and argv[0] in ("eval", "push") else "train"
    run = None
    try:
        # 1. Parse and validate the arguments.
        schema = {"eval": EvalConfig, "push": PushConfig, "train": TrainConfig}[command]
        (cfg,) = _parser(HfArgumentParser)(schema).parse_args_into_dataclasses(
            args=argv[1:] if command != "train" else argv)
        if command == "eval":
            print(_eval_summary(run_eval(cfg)))
            return 0
        if command == "push":
            print(f"pushed {cfg.model_dir} to {push(cfg.model_dir, cfg.repo_id, cfg.private)}")
            return 0
        # 2. Seed and threads.
        import torch

        torch.manual_seed(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        # 3. The output folder and the time budget; the run records what it saves.
        run = start_run(cfg)
        # 4-8. Load or build the model, make the data, warm up, train, evaluate, save (fashion_ai.training).
        report = train_paligemma(cfg, run) if cfg.target == "paligemma" else train_clip(cfg, run)
        # 9. Report (the model is saved locally whatever happens next).
        print(f"saved to {cfg.output_dir}; {_summary(report)}")
        # 10. Push adapter/weights, processor, eval.json and a model card to the Hub when asked.
        if cfg.push_to_hub:
            run.stage = f"pushing to {cfg.push_to_hub}"
            print(f"pushed to {push(cfg.output_dir, cfg.push_to_hub, cfg.hub_private)}")
        return 0
    except KeyboardInterrupt:
        # What this process saved, as the run recorded it: nothing before training, a checkpoint from training on.
        line = run.interrupted() if run is not None else "interrupted: nothing was saved"
        if run is not None and run.stage.startswith("pushing"):
            line += (f"; push it with: python train_space.py push --model_dir {cfg.output_dir} --repo_id "
                     f"{cfg.push_to_hub}")
        print(line, file=sys.stderr)
        return 130
    except (ValueError, FashionAIError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if run is not None:
            run.close()


if __name__ == "__main__":
    sys.exit(main())
