"""The model card of a trained model folder, built from its eval.json with huggingface_hub's ModelCard."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from fashion_ai.hub.snippets import clip_snippet, paligemma_snippet
from fashion_ai.models.paligemma.prompts import DEFAULT_PROMPT

logger = logging.getLogger(__name__)

CARD_FILE = "README.md"
EVAL_FILE = "eval.json"  # what fashion_ai.training writes beside the weights
CURVES_FILE = "training_curves.png"  # the run's curves, drawn by fashion_ai.training.curves beside eval.json
CARD_TEMPLATE = "---\n{{ card_data }}\n---\n\n{{ body }}\n"
PIPELINE_TAGS = {"paligemma": "image-text-to-text", "clip": "zero-shot-image-classification"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_adapter(folder: Path) -> bool:
    return (folder / "adapter_config.json").is_file()


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _target(folder: Path, report: dict) -> str:
    """paligemma, clip, or "" when neither the report nor config.json says."""
    target = str(report.get("target") or (report.get("config") or {}).get("target") or "")
    if target in PIPELINE_TAGS:
        return target
    model_type = str(_read_json(folder / "config.json").get("model_type", ""))
    return model_type if model_type in PIPELINE_TAGS else ""


def _base_model(folder: Path, config: dict) -> str:
    base = str(config.get("base_model") or "")
    if not base and is_adapter(folder):
        base = str(_read_json(folder / "adapter_config.json").get("base_model_name_or_path") or "")
    return base


def _datasets(config: dict) -> list[str]:
    value = config.get("dataset") or config.get("datasets") or []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) <= 1 else f"{value:g}"
    return str(value).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows)
    return lines


def _card_data(target: str, base: str, adapter: bool, datasets: list[str]) -> ModelCardData:
    """The card's metadata (the Hub reads it for search, the widget and the base model's page)."""
    hub_datasets = [d for d in datasets if _HUB_ID.match(d)]
    return ModelCardData(
        base_model=base if _HUB_ID.match(base) else None,  # a local path is no Hub id: it goes in the text only
        library_name="peft" if adapter else "transformers",
        pipeline_tag=PIPELINE_TAGS[target] if target else None,
        tags=["fashion"] + ([target] if target else []) + (["lora"] if adapter else []),
        datasets=hub_datasets or None,
    )


def _hyperparameters(config: dict, training: dict, adapter: bool) -> list[list[Any]]:
    tiny = bool(config.get("tiny"))
    wanted: list[tuple[str, str, bool]] = [  # (key, label, shown)
        ("base_model", "base model", True),
        ("lora_r", "LoRA rank r", adapter),
        ("lora_alpha", "LoRA alpha", adapter),
        ("lora_targets", "LoRA target modules", adapter),
        ("quantize_4bit", "4-bit nf4 base (QLoRA)", adapter),
        ("learning_rate", "peak learning rate (cosine schedule)", True),
        ("batch_size", "batch size", True),
        ("steps", "optimizer steps", True),
        ("warmup_steps", "vision warm-up steps", tiny),
        ("image_size", "image size (px)", tiny),
        ("patch_size", "patch size (px)", tiny),
        ("freeze_vision", "vision tower frozen", True),
        ("train_items", "training items", True),
        ("eval_items", "held-out items", True),
        ("seed", "seed", True),
        ("eval_seed", "held-out seed", True),
    ]
    def plain(value: Any) -> Any:  # settings as written (0.002, not the metrics' 0.0020)
        return f"{value:g}" if isinstance(value, float) else value

    rows = [[label, plain(config[key])] for key, label, shown in wanted if shown and config.get(key) not in (None, "")]
    for key, label in (("steps", "steps run"), ("final_loss", "final training loss"),
                       ("train_seconds", "training time (s)")):
        if training.get(key) is not None:
            rows.append([label, plain(training[key])])
    return rows


def _macro(field_report: dict, key: str) -> float | None:
    """A field's macro average of a per-class score (classes with support), as macro_f1 is computed."""
    if isinstance(field_report.get(key), (int, float)):
        return field_report[key]
    classes = [c for c in (field_report.get("per_class") or {}).values() if c.get("support") and key in c]
    return round(sum(c[key] for c in classes) / len(classes), 4) if classes else None


def _extraction_metrics(ev: dict) -> list[str]:
    lines = []
    rates = [(label, ev[key]) for key, label in (("json_valid_rate", "answers that are valid JSON"),
                                                 ("clean_rate", "answers valid without repair")) if key in ev]
    for label, value in rates:
        lines.append(f"- {label}: {_fmt(value)}")
    fields = ev.get("fields") or {}
    if fields:
        lines += ["", "Per field, on held-out photos (precision / recall / F1 are macro averages over the field's "
                      "values; `colors` is scored on the primary colour):", ""]
        rows = []
        for name, rep in fields.items():
            f1 = rep.get("f1", rep.get("macro_f1"))
            rows.append([name] + ["" if v is None else v for v in (_macro(rep, "precision"), _macro(rep, "recall"), f1,
                                                                   rep.get("accuracy"), rep.get("support"))])
        lines += _table(["field", "precision", "recall", "F1", "accuracy", "support"], rows)
    return lines


def _retrieval_metrics(ev: dict) -> list[str]:
    directions = [("attribute query → image", ev)]
    directions += [(f"{key.replace('_to_', ' → ').replace('_', ' ')}", value) for key, value in ev.items()
                   if isinstance(value, dict)]
    keys = [k for k, v in ev.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "eval_seed"]
    if not keys:
        return []
    labels = {"mrr": "MRR", "match_rate@k": "match rate@k", "queries": "queries"}
    rows = [[name] + [rep.get(k, "") for k in keys] for name, rep in directions]
    return ["Text-to-image retrieval on held-out photos (recall@k: a relevant photo in the top k; match rate@k: "
            "share of the top k that match):", ""] + _table(["direction"] + [labels.get(k, k) for k in keys], rows)


def _generic_metrics(ev: dict) -> list[str]:
    rows = [[k, v] for k, v in ev.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return _table(["metric", "value"], rows) if rows else []


def _example_answer(ev: dict) -> str:
    examples = ev.get("examples") or []
    raw = str(examples[0].get("raw", "")) if examples and isinstance(examples[0], dict) else ""
    return " ".join(raw.split())[:200]


def card_pictures(folder: Path, report: dict) -> list[str]:
    """The pictures the card shows and the push uploads: the run's curves, and the confusion picture of the held-out
    report when the report names it (an older one left in the folder may describe a previous model)."""
    names = [CURVES_FILE, str((report.get("fashion_mnist") or {}).get("picture") or "")]
    return [name for name in names if name and "/" not in name and (Path(folder) / name).is_file()]


def _pictures(folder: Path, report: dict) -> list[str]:
    captions = {CURVES_FILE: ("Training curves", "Loss, learning rate and items per second at each step of the run "
                                                 "(vision warm-up, then the main training), and the evaluations on "
                                                 "held-out data along the way.")}
    out = []
    for name in card_pictures(folder, report):
        title, text = captions.get(name, ("Fashion-MNIST confusion", "Fashion-MNIST's test classes (rows) against "
                                                                     "the model's answers (columns)."))
        out += ["", f"## {title}", "", text, "", f"![{title}]({name})"]
    return out


def build_model_card(folder: Path, *, repo_id: str, report: dict) -> ModelCard:
    """The model card for a trained model folder and its eval.json report (see write_model_card)."""
    folder = Path(folder)
    report = report or {}
    config = report.get("config") or {}
    training = report.get("training") or {}
    ev = report.get("eval") or {}
    adapter = is_adapter(folder)
    target = _target(folder, report)
    base = _base_model(folder, config)
    datasets = _datasets(config)
    name = {"paligemma": "PaliGemma attribute extractor", "clip": "CLIP catalog embedder"}.get(target, "model")

    out = [f"# Fashion AI {name}", ""]
    if target == "paligemma":
        out.append(f"Reads a photo of a garment and answers, for the prompt `{DEFAULT_PROMPT}`, with its attributes "
                   "as a JSON list of garments (category, colours, pattern, sleeve, length, ...). It is the attribute "
                   "extractor of the Fashion AI app.")
    elif target == "clip":
        out.append("Embeds catalog photos and shoppers' text in one space, so that a query such as "
                   "\"navy striped sweater\" finds the matching photos. It is the catalog embedder of the Fashion AI "
                   "app's text-to-outfit search.")
    out += ["", "## Base model", ""]
    kind = "a LoRA adapter (PEFT) on" if adapter else "fine-tuned from"
    if base:
        out.append(f"{kind[0].upper()}{kind[1:]} [`{base}`](https://huggingface.co/{base})." if _HUB_ID.match(base)
                   else f"{kind[0].upper()}{kind[1:]} `{base}`.")
    elif config.get("tiny"):
        out.append("None: a tiny model of the real architecture, built from a config and trained from scratch on CPU "
                   "for the app's offline demo. It shows the pipeline end to end; it is not a production model.")
    else:
        out.append("Not recorded in the training report.")

    out += ["", "## Training data", ""]
    if datasets:
        out.append("Fine-tuned on " + ", ".join(f"`{d}`" for d in datasets) + ".")
    else:
        out.append("The Fashion AI synthetic demo catalog: generated garment photos with known attributes"
                   + (f", {config['train_items']} training items (seed {config.get('seed')})" if "train_items" in config
                      else "")
                   + (f", evaluated on {config['eval_items']} held-out items (seed {config.get('eval_seed')})"
                      if "eval_items" in config else "") + ".")

    hyper = _hyperparameters(config, training, adapter)
    if hyper:
        out += ["", "## Training hyperparameters", ""] + _table(["setting", "value"], hyper)

    metrics = (_extraction_metrics(ev) if "fields" in ev or "json_valid_rate" in ev
               else _retrieval_metrics(ev) if any(k.startswith("recall@") for k in ev) else _generic_metrics(ev))
    if metrics:
        out += ["", "## Evaluation", ""] + metrics
        if (folder / EVAL_FILE).is_file():
            out += ["", f"The full report{', per class,' if 'fields' in ev else ''} is `{EVAL_FILE}` in this repo."]
    out += _pictures(folder, report)

    snippet = (clip_snippet(repo_id, base, adapter) if target == "clip"
               else paligemma_snippet(repo_id, base, adapter, _example_answer(ev)) if target == "paligemma" else "")
    if snippet:
        out += ["", "## How to load", "", "```python", snippet, "```"]
    return ModelCard.from_template(_card_data(target, base, adapter, datasets), template_str=CARD_TEMPLATE,
                                   body="\n".join(out))


def write_model_card(folder: Path, *, repo_id: str, report: dict) -> Path:
    """Write folder/README.md, the Hub model card built from the training report (eval.json); return its path.

    It replaces the generic card peft's save_pretrained leaves there. Values missing from the report are left out.
    """
    folder = Path(folder)
    path = folder / CARD_FILE
    build_model_card(folder, repo_id=repo_id, report=report).save(path)
    logger.info("model card written to %s", path)
    return path
