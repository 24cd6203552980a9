"""Fine-tune and evaluate Fashion AI's models.

    python train_space.py --target paligemma --tiny --output_dir assets/models/extractor   # demo extractor
    python train_space.py --target clip --tiny --output_dir assets/models/embedder         # demo embedder
    python train_space.py --target paligemma --base_model google/paligemma2-3b-pt-224 --quantize_4bit  # QLoRA
    python train_space.py eval --target paligemma --model_dir assets/models/extractor      # re-evaluate

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


def _summary(report: dict) -> str:
    ev = report.get("eval", report)
    if "fields" in ev:
        accs = ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in ev["fields"].items())
        return f"JSON valid {ev['json_valid_rate']:.3f}; accuracy: {accs}"
    return ", ".join(f"{k} {v}" for k, v in ev.items() if isinstance(v, float))


def run_eval(cfg: EvalConfig) -> dict:
    """Evaluate saved weights on held-out demo items and write eval.json beside them."""
    import torch

    from fashion_ai.embeddings import Embedder
    from fashion_ai.models import load_clip, load_paligemma
    from fashion_ai.training import EVAL_FILE, demo_data, evaluate_embedder, evaluate_extractor

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
    from fashion_ai.training import TrainConfig, train_clip, train_paligemma

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    evaluating = bool(argv) and argv[0] == "eval"
    try:
        # 1. Parse and validate the arguments.
        parser = HfArgumentParser(EvalConfig if evaluating else TrainConfig)
        (cfg,) = parser.parse_args_into_dataclasses(args=argv[1:] if evaluating else argv)
        if evaluating:
            report = run_eval(cfg)
            print(_summary(report))
            return 0
        # 2. Seed and threads.
        import torch

        torch.manual_seed(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        # 3-7. Load or build the model, make the data, warm up, train, save, evaluate (fashion_ai.training).
        report = train_paligemma(cfg) if cfg.target == "paligemma" else train_clip(cfg)
        # 8. Report.
        print(f"saved to {cfg.output_dir}; {_summary(report)}")
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
