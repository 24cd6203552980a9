"""Publishing a trained model folder to a Hugging Face Hub model repo: create_commit with its model files only.

A failed push never touches the folder and fails with one line that says where the files are; the token never
reaches a message, a log line or the card.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from fashion_ai.errors import FashionAIError
from fashion_ai.hub.card import CARD_FILE, EVAL_FILE, card_pictures, is_adapter

logger = logging.getLogger(__name__)

DEFAULT_COMMIT_MESSAGE = "Upload Fashion AI model"
# What a model repo needs: weights, configs, processor / tokenizer files, the card. Anything else in the folder
# (optimizer state, checkpoints, logs) stays local.
UPLOAD_SUFFIXES = (".safetensors", ".json", ".model", ".txt", ".jinja")
UPLOAD_NAMES = frozenset({CARD_FILE, "pytorch_model.bin", "adapter_model.bin"})
LEFTOVER_DIRS = frozenset({"checkpoint", "runs", "logs", "wandb", "__pycache__"})
LEFTOVER_FILES = frozenset({"trainer_state.json", "training_args.bin", "optimizer.pt", "scheduler.pt"})
_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{20,}|(?i:bearer)\s+\S+")


class HubPushError(FashionAIError):
    """The model could not be pushed to the Hub; the message says why and that the files are still local."""


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
    try:
        report = json.loads((folder / EVAL_FILE).read_text())
    except (OSError, ValueError):
        report = {}
    files += [Path(name) for name in card_pictures(folder, report if isinstance(report, dict) else {})]
    return sorted(files)


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise HubPushError(f"cannot push {folder}: no such folder (train a model first, or give the folder it was "
                           "saved to)")
    if not ((folder / "config.json").is_file() or is_adapter(folder)):
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

    Uploads weights or adapter, configs, processor / tokenizer files, eval.json, README.md and the pictures the card
    shows (training_curves.png; eval_confusion.png when eval.json names it); leaves checkpoint/, logs and other
    training leftovers out. Token: the argument, else HF_TOKEN. Endpoint: the argument,
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
