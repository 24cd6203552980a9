"""Fine-tune and evaluate Fashion AI's models.

    python train_space.py --target paligemma --tiny --output_dir assets/models/extractor   # demo extractor
    python train_space.py --target clip --tiny --output_dir assets/models/embedder         # demo embedder
    python train_space.py --target paligemma --base_model google/paligemma2-3b-pt-224 --quantize_4bit  # QLoRA
    python train_space.py eval --target paligemma --model_dir assets/models/extractor      # re-evaluate
    python train_space.py push --model_dir runs/model --repo_id you/fashion-attributes-lora  # HF_TOKEN from env

Ctrl-C saves a checkpoint in <output_dir>/checkpoint; add --resume to continue from it.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("train_space")


@dataclass
class EvalConfig:
    """Settings of `train_space.py eval`."""

    target: str = field(default="paligemma", metadata={"help": "paligemma or clip"})
    model_dir: str = field(default="", metadata={"help": "folder with trained weights (and adapter) to evaluate"})
    base_model: str = field(default="", metadata={"help": "base checkpoint when model_dir holds a LoRA adapter"})
    eval_items: int = field(default=300, metadata={"help": "held-out demo items to evaluate on"})
    eval_seed: int = field(default=1001, metadata={"help": "seed of the held-out items"})

    def __post_init__(self) -> None:
        if self.target not in ("paligemma", "clip"):
            raise ValueError(f"target must be 'paligemma' or 'clip', not {self.target!r}")
        if not self.model_dir:
            raise ValueError("--model_dir is required")
        if not Path(self.model_dir).is_dir():
            raise ValueError(f"--model_dir {self.model_dir} is not a folder")


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
    """Evaluate saved weights on held-out demo items and write eval.json beside them."""
    import torch

    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip
    from fashion_ai.models.paligemma.loading import load_paligemma
    from fashion_ai.training.clip import evaluate_embedder
    from fashion_ai.training.config import EVAL_FILE
    from fashion_ai.training.demo_data import demo_data
    from fashion_ai.training.paligemma import evaluate_extractor

    torch.set_num_threads(max(1, torch.get_num_threads()))
    data = demo_data(cfg.eval_items, cfg.eval_seed)
    if cfg.target == "paligemma":
        adapter = (Path(cfg.model_dir) / "adapter_config.json").exists()
        base = cfg.base_model if adapter else cfg.model_dir
        if adapter and not base:
            raise ValueError("model_dir holds a LoRA adapter: give --base_model")
        processor, model = load_paligemma(base, cfg.model_dir if adapter else None, load_in_4bit=adapter)
        report = {"eval": evaluate_extractor(processor, model, data)}
    else:
        embedder = Embedder(*load_clip(cfg.model_dir))
        report = {"eval": evaluate_embedder(embedder.tokenizer, embedder.image_processor, embedder.model, data)}
    report["eval"]["eval_seed"] = cfg.eval_seed
    path = Path(cfg.model_dir) / EVAL_FILE
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(report)
    path.write_text(json.dumps(previous, indent=2))
    return report


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from fashion_ai.errors import FashionAIError
    from fashion_ai.training.clip import train_clip
    from fashion_ai.training.config import TrainConfig
    from fashion_ai.training.paligemma import train_paligemma

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = argv[0] if argv and argv[0] in ("eval", "push") else "train"
    try:
        # 1. Parse and validate the arguments.
        schema = {"eval": EvalConfig, "push": PushConfig, "train": TrainConfig}[command]
        (cfg,) = HfArgumentParser(schema).parse_args_into_dataclasses(args=argv[1:] if command != "train" else argv)
        if command == "eval":
            report = run_eval(cfg)
            print(_summary(report))
            return 0
        if command == "push":
            print(f"pushed {cfg.model_dir} to {push(cfg.model_dir, cfg.repo_id, cfg.private)}")
            return 0
        # 2. Seed and threads.
        import torch

        torch.manual_seed(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        # 3-7. Load or build the model, make the data, warm up, train, save, evaluate (fashion_ai.training).
        report = train_paligemma(cfg) if cfg.target == "paligemma" else train_clip(cfg)
        # 8. Report (the model is saved locally whatever happens next).
        print(f"saved to {cfg.output_dir}; {_summary(report)}")
        # 9. Push adapter/weights, processor, eval.json and a model card to the Hub when asked.
        if cfg.push_to_hub:
            print(f"pushed to {push(cfg.output_dir, cfg.push_to_hub, cfg.hub_private)}")
        return 0
    except KeyboardInterrupt:
        out = getattr(locals().get("cfg"), "output_dir", "the output folder")
        print(f"interrupted: checkpoint saved in {out}/checkpoint; run again with --resume to continue",
              file=sys.stderr)
        return 130
    except (ValueError, FashionAIError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
