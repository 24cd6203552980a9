"""Publishing a trained model folder to a Hugging Face Hub model repo: its model card, then the push.

The folder is what train_space.py writes: weights (or a LoRA adapter), processor / tokenizer files and
eval.json. A failed push never touches the folder and fails with one line that says where the files are; the
token never reaches a message, a log line or the card.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from fashion_ai.config import DEFAULT_CLIP_ID, DEFAULT_PALIGEMMA_ID
from fashion_ai.errors import FashionAIError
from fashion_ai.extraction import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT

logger = logging.getLogger(__name__)

CARD_FILE = "README.md"
EVAL_FILE = "eval.json"  # what fashion_ai.training writes beside the weights
DEFAULT_COMMIT_MESSAGE = "Upload Fashion AI model"
# What a model repo needs: weights, configs, processor / tokenizer files, the card. Anything else in the folder
# (optimizer state, checkpoints, logs) stays local.
UPLOAD_SUFFIXES = (".safetensors", ".json", ".model", ".txt", ".jinja")
UPLOAD_NAMES = frozenset({CARD_FILE, "pytorch_model.bin", "adapter_model.bin"})
LEFTOVER_DIRS = frozenset({"checkpoint", "runs", "logs", "wandb", "__pycache__"})
LEFTOVER_FILES = frozenset({"trainer_state.json", "training_args.bin", "optimizer.pt", "scheduler.pt"})
PIPELINE_TAGS = {"paligemma": "image-text-to-text", "clip": "zero-shot-image-classification"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{20,}|(?i:bearer)\s+\S+")


class HubPushError(FashionAIError):
    """The model could not be pushed to the Hub; the message says why and that the files are still local."""


# --------------------------------------------------------------------------------------------- model card
def _is_adapter(folder: Path) -> bool:
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
    if not base and _is_adapter(folder):
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


def _front_matter(target: str, base: str, adapter: bool, datasets: list[str]) -> str:
    meta: dict[str, Any] = {}
    if _HUB_ID.match(base):  # a local path is no Hub id: it goes in the text, not the metadata
        meta["base_model"] = base
    meta["library_name"] = "peft" if adapter else "transformers"
    if target:
        meta["pipeline_tag"] = PIPELINE_TAGS[target]
    meta["tags"] = ["fashion"] + ([target] if target else []) + (["lora"] if adapter else [])
    hub_datasets = [d for d in datasets if _HUB_ID.match(d)]
    if hub_datasets:
        meta["datasets"] = hub_datasets
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n"


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


def _paligemma_snippet(repo_id: str, base: str, adapter: bool, example: str) -> str:
    lines = ["import torch"]
    if adapter:
        lines.append("from peft import PeftModel")
    lines += ["from PIL import Image"]
    if adapter:
        lines += ["from transformers import AutoProcessor, BitsAndBytesConfig, PaliGemmaForConditionalGeneration", "",
                  f"base = {json.dumps(base or DEFAULT_PALIGEMMA_ID)}  # the base checkpoint the adapter was trained on",
                  f"repo_id = {json.dumps(repo_id)}",
                  "# 4-bit nf4 needs a CUDA GPU and bitsandbytes; on CPU drop quantization_config and device_map.",
                  'bnb_config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", '
                  "bnb_4bit_compute_dtype=torch.bfloat16)",
                  "base_model = PaliGemmaForConditionalGeneration.from_pretrained(base, quantization_config=bnb_config, "
                  'device_map="auto")',
                  "model = PeftModel.from_pretrained(base_model, repo_id).eval()",
                  "processor = AutoProcessor.from_pretrained(repo_id)  # the processor is pushed beside the adapter"]
        to_model = ".to(torch.bfloat16).to(model.device)"
    else:
        lines += ["from transformers import AutoProcessor, PaliGemmaForConditionalGeneration", "",
                  f"repo_id = {json.dumps(repo_id)}",
                  "model = PaliGemmaForConditionalGeneration.from_pretrained(repo_id).eval()",
                  "processor = AutoProcessor.from_pretrained(repo_id)"]
        to_model = ""
    lines += ["",
              f"prompt = {json.dumps(DEFAULT_PROMPT)}",
              'image = Image.open("garment.jpg").convert("RGB")',
              f'inputs = processor(text="<image>" + prompt, images=image, return_tensors="pt"){to_model}',
              "with torch.inference_mode():",
              f"    output = model.generate(**inputs, max_new_tokens={DEFAULT_MAX_NEW_TOKENS}, do_sample=False)",
              'answer = processor.decode(output[0, inputs["input_ids"].shape[-1]:], skip_special_tokens=True)',
              "print(answer)" + (f"  # e.g. {example}" if example else "")]
    return "\n".join(lines)


def _clip_snippet(repo_id: str, base: str, adapter: bool) -> str:
    lines = ["import torch"]
    if adapter:
        lines.append("from peft import PeftModel")
    lines += ["from PIL import Image", "from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel", ""]
    if adapter:
        lines += [f"base = {json.dumps(base or DEFAULT_CLIP_ID)}  # the base checkpoint the adapter was trained on",
                  f"repo_id = {json.dumps(repo_id)}",
                  "base_model = CLIPModel.from_pretrained(base)",
                  "model = PeftModel.from_pretrained(base_model, repo_id).eval()"]
    else:
        lines += [f"repo_id = {json.dumps(repo_id)}", "model = CLIPModel.from_pretrained(repo_id).eval()"]
    lines += ["tokenizer = AutoTokenizer.from_pretrained(repo_id)",
              "image_processor = AutoImageProcessor.from_pretrained(repo_id)",
              "",
              'queries = ["navy striped sweater", "red floral dress"]',
              'images = [Image.open("garment.jpg").convert("RGB")]',
              'tokens = tokenizer(queries, padding=True, return_tensors="pt")',
              "with torch.inference_mode():",
              '    text_emb = model.get_text_features(input_ids=tokens["input_ids"], '
              'attention_mask=tokens["attention_mask"])',
              '    image_emb = model.get_image_features(**image_processor(images=images, return_tensors="pt"))',
              "# Recent transformers return an output object; the embedding is its pooler_output.",
              'text_emb = getattr(text_emb, "pooler_output", text_emb)',
              'image_emb = getattr(image_emb, "pooler_output", image_emb)',
              "scores = torch.nn.functional.normalize(text_emb, dim=-1) @ torch.nn.functional.normalize(image_emb, "
              "dim=-1).T",
              "print(scores)  # one row per query, one column per photo: higher is a better match"]
    return "\n".join(lines)


def _card_text(folder: Path, *, repo_id: str, report: dict) -> str:
    """The model card's text for a trained model folder and its eval.json report (see write_model_card)."""
    folder = Path(folder)
    report = report or {}
    config = report.get("config") or {}
    training = report.get("training") or {}
    ev = report.get("eval") or {}
    adapter = _is_adapter(folder)
    target = _target(folder, report)
    base = _base_model(folder, config)
    datasets = _datasets(config)
    name = {"paligemma": "PaliGemma attribute extractor", "clip": "CLIP catalog embedder"}.get(target, "model")

    out = [_front_matter(target, base, adapter, datasets), f"# Fashion AI {name}", ""]
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

    snippet = (_clip_snippet(repo_id, base, adapter) if target == "clip"
               else _paligemma_snippet(repo_id, base, adapter, _example_answer(ev)) if target == "paligemma" else "")
    if snippet:
        out += ["", "## How to load", "", "```python", snippet, "```"]
    return "\n".join(out) + "\n"


def write_model_card(folder: Path, *, repo_id: str, report: dict) -> Path:
    """Write folder/README.md, the Hub model card built from the training report (eval.json); return its path.

    It replaces the generic card peft's save_pretrained leaves there. Values missing from the report are left out.
    """
    folder = Path(folder)
    path = folder / CARD_FILE
    path.write_text(_card_text(folder, repo_id=repo_id, report=report), encoding="utf-8")
    logger.info("model card written to %s", path)
    return path


# --------------------------------------------------------------------------------------------- push
def _scrub(text: str, token: str | None) -> str:
    """The text with the token (and anything that looks like one) masked, on one line."""
    if token:
        text = text.replace(token, "***")
    return " ".join(_TOKEN_LIKE.sub("***", text).split())


def _model_files(folder: Path) -> list[Path]:
    """The files a model repo needs, relative to folder; checkpoints, logs and optimizer state are left out."""
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        dirs = rel.parts[:-1]
        if not path.is_file() or any(d in LEFTOVER_DIRS or d.startswith((".", "checkpoint-")) for d in dirs):
            continue
        name = rel.name
        if name.startswith(".") or name in LEFTOVER_FILES:
            continue
        if name in UPLOAD_NAMES or name.endswith(UPLOAD_SUFFIXES):
            files.append(rel)
    return files


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise HubPushError(f"cannot push {folder}: no such folder (train a model first, or give the folder it was "
                           "saved to)")
    if not ((folder / "config.json").is_file() or _is_adapter(folder)):
        raise HubPushError(f"cannot push {folder}: it holds no model (neither config.json nor adapter_config.json); "
                           "give the folder train_space.py saved the model to")


def _failed_url(exc: BaseException) -> str:
    for holder in (getattr(exc, "response", None), exc):
        try:
            request = getattr(holder, "request", None)
            if request is not None:
                return str(request.url)
        except RuntimeError:  # httpx raises when an error carries no request
            continue
    return ""


def _stage(url: str, fallback: str) -> str:
    for marker, stage in (("/api/repos/create", "creating the repo"), ("/api/validate-yaml", "checking the model card"),
                          ("/preupload/", "preparing the upload"), ("/commit/", "committing the files"),
                          ("/info/lfs", "uploading the large files"), ("xet", "uploading the large files")):
        if marker in url:
            return stage
    return fallback


def _offline_error(repo_id: str, folder: Path) -> HubPushError:
    return HubPushError(f"cannot push to {repo_id!r}: offline mode is on (HF_HUB_OFFLINE); the model is saved locally "
                        f"at {folder}; unset HF_HUB_OFFLINE and run the push again")


def _push_error(exc: BaseException, stage: str, repo_id: str, folder: Path, endpoint: str, token: str) -> HubPushError:
    """One line: what failed and why, the repo, where the files are, and how to retry."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return _offline_error(repo_id, folder)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    stage = _stage(_failed_url(exc), stage)
    text = str(exc).strip()
    detail = f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__
    if status is not None:
        fixes = {401: "the token was refused (HTTP 401): set HF_TOKEN to a valid token",
                 403: f"the token may not write to {repo_id!r} (HTTP 403): use a token with write access",
                 404: "the Hub answered HTTP 404: check the repo id and the endpoint",
                 429: "the Hub is rate-limiting (HTTP 429): wait a few minutes"}
        why = fixes.get(status, f"the Hub answered HTTP {status}" + (", a server error: retry later" if status >= 500
                                                                      else ""))
    elif isinstance(exc, (ConnectionError, TimeoutError)) or type(exc).__module__.split(".")[0] in ("httpx", "httpx2"):
        why = f"the Hub could not be reached at {endpoint} ({detail}): check the network and HF_ENDPOINT"
    elif isinstance(exc, json.JSONDecodeError):  # an outage or proxy page where the Hub's JSON should be
        why = "the Hub's answer was not JSON (an outage or proxy page?): retry later, or check HF_ENDPOINT"
    else:
        why = detail
    message = (f"push to Hugging Face Hub repo {repo_id!r} failed while {stage}: {why.rstrip('.')}. The model files are saved "
               f"locally in {folder}; fix the cause and push again: python train_space.py push --model_dir {folder} "
               f"--repo_id {repo_id}")
    return HubPushError(_scrub(message, token))


def _network_errors() -> tuple[type[BaseException], ...]:
    """What the Hub client raises on network and HTTP failures (httpx2 under huggingface_hub 2.x, httpx before)."""
    errors: list[type[BaseException]] = [OSError, ValueError]  # HfHubHTTPError and ConnectionError are OSErrors;
    for module in ("httpx2", "httpx"):  # ValueError: an unparsable answer (a proxy's HTML page) or a card refused
        try:
            errors.append(__import__(module).HTTPError)
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def push_folder(folder: Path, repo_id: str, *, token: str | None = None, private: bool = False,
                endpoint: str | None = None, commit_message: str = DEFAULT_COMMIT_MESSAGE) -> str:
    """Push a trained model folder's model files to the Hub model repo repo_id (created if needed).

    Uploads weights or adapter, configs, processor / tokenizer files, eval.json and README.md; leaves
    checkpoint/ and other training leftovers out. Token: the argument, else HF_TOKEN. Endpoint: the argument,
    else HF_ENDPOINT, else huggingface_hub's default. Returns the commit URL; raises HubPushError.
    """
    from huggingface_hub import CommitOperationAdd, HfApi, constants
    from huggingface_hub.errors import HfUriError, HFValidationError
    from huggingface_hub.utils import validate_repo_id

    folder = Path(folder)
    _check_folder(folder)
    token = token or os.environ.get("HF_TOKEN") or None
    if not token:
        raise HubPushError(f"no Hugging Face token: set HF_TOKEN to a token with write access "
                           f"(https://huggingface.co/settings/tokens), then push again; the model stays in {folder}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise HubPushError(f"{repo_id!r} is not a Hub repo id (namespace/name): {_scrub(str(exc), token)}") from None
    if constants.HF_HUB_OFFLINE:  # read now, not at import: tests and callers switch it
        raise _offline_error(repo_id, folder)
    files = _model_files(folder)
    if CARD_FILE not in {str(f) for f in files}:
        logger.warning("%s has no %s: the repo gets no model card (write one with write_model_card)", folder, CARD_FILE)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or "").rstrip("/") or None
    api = HfApi(endpoint=endpoint, token=token)
    logger.info("pushing %d files from %s to %s on %s", len(files), folder, repo_id, api.endpoint)
    stage = "creating the repo"
    try:
        try:
            target = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model").repo_id or repo_id
        except HfUriError:
            # A token that may not create repos gets a 401/403; huggingface_hub then finds the repo exists, but
            # parses its URL against the default endpoint only, which fails for any other endpoint: the repo is there.
            target = repo_id
        stage = "uploading the files"
        operations = [CommitOperationAdd(path_in_repo=rel.as_posix(), path_or_fileobj=str(folder / rel)) for rel in files]
        info = api.create_commit(target, operations, commit_message=commit_message, repo_type="model")
    except _network_errors() as exc:
        error = _push_error(exc, stage, repo_id, folder, api.endpoint, token)
        logger.debug("push failed: %s: %s", type(exc).__name__, _scrub(str(exc), token))
        raise error from None  # the cause's text may quote the request; the scrubbed line is the whole story
    logger.info("pushed %s to %s", folder, info.commit_url)
    return str(info.commit_url)
