"""Pushing a model folder to the Hub, tested at the network boundary against the local fake of the Hub (conftest)."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import traceback

import pytest
from huggingface_hub import constants as hf_constants

from fashion_ai.hub import HubPushError, push_folder
from tests.hub.fake_hub import PUSH_CALLS, PUSHED, REPO, SECRET, assert_token_only_in_auth_header, snapshot


# --------------------------------------------------------------------------------------------- the push
def test_push_uploads_the_model_files_and_nothing_else(hub, adapter_dir, caplog):
    caplog.set_level(logging.DEBUG)
    url = push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)

    assert hub.calls() == PUSH_CALLS  # no whoami, no LFS batch, no Xet token
    assert hub.repos[REPO]["visibility"] == "public"
    commit = hub.commits[0]
    assert url == f"{hub.url}/{REPO}/commit/{hashlib.sha1(hub.requests[-1].body).hexdigest()}"
    assert (commit["repo"], commit["revision"], commit["summary"], commit["other"]) == (REPO, "main",
                                                                                     "Upload Fashion AI model", [])
    assert set(hub.files()) == PUSHED  # checkpoint/, optimizer.pt and trainer_state.json stay local
    for name, content in hub.files().items():
        assert content == (adapter_dir / name).read_bytes(), name
    card = hub.files()["README.md"].decode()
    assert "PeftModel.from_pretrained(base_model, repo_id)" in card and "bnb_4bit_compute_dtype=torch.bfloat16" in card
    category = json.loads((adapter_dir / "eval.json").read_text())["eval"]["fields"]["category"]
    row = next(line for line in card.splitlines() if line.startswith("| category |"))
    assert row.endswith(f"| {category['macro_f1']:.4f} | {category['accuracy']:.4f} | {category['support']} |"), row
    assert_token_only_in_auth_header(hub)
    assert not [r.getMessage() for r in caplog.records if SECRET in r.getMessage()]


def test_push_uploads_the_pictures_the_card_shows(hub, adapter_dir):
    report = json.loads((adapter_dir / "eval.json").read_text())
    named = report.pop("fashion_mnist")  # a training run's report: no held-out picture named yet
    (adapter_dir / "eval.json").write_text(json.dumps(report))
    (adapter_dir / "training_curves.png").write_bytes(b"\x89PNG curves")
    (adapter_dir / "eval_confusion.png").write_bytes(b"\x89PNG of an earlier model")
    push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)
    assert set(hub.files()) == PUSHED | {"training_curves.png"}
    assert hub.files()["training_curves.png"] == b"\x89PNG curves"
    (adapter_dir / "eval.json").write_text(json.dumps({**report, "fashion_mnist": named}))  # `eval` drew it
    push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)
    assert set(hub.commits[1]["files"]) == PUSHED | {"training_curves.png", "eval_confusion.png"}


def test_push_again_to_an_existing_repo_commits_again(hub, adapter_dir):
    push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)
    (adapter_dir / "eval.json").write_text("{}")
    push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url, commit_message="Re-evaluated")

    assert hub.calls() == PUSH_CALLS * 2
    assert [r.status for r in hub.requests if r.route == "create"] == [200, 409]  # exist_ok takes the 409
    assert hub.commits[1]["summary"] == "Re-evaluated" and hub.commits[1]["files"]["eval.json"] == b"{}"


def test_token_and_endpoint_come_from_the_environment(hub, adapter_dir, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("HF_ENDPOINT", hub.url + "/")
    push_folder(adapter_dir, REPO, private=True)

    assert hub.calls() == PUSH_CALLS
    assert hub.repos[REPO]["visibility"] == "private"
    assert_token_only_in_auth_header(hub)


def test_a_token_that_may_not_create_repos_still_pushes_to_an_existing_one(hub, adapter_dir):
    hub.repos[REPO] = {"name": "test-lora", "organization": "fashion-ai"}
    hub.fail = {"create": 403}  # a fine-grained token: write access to this repo, no right to create repos
    url = push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)

    assert hub.calls() == [("POST", "create"), ("GET", "repo_info"), *PUSH_CALLS[1:]]
    assert url.startswith(f"{hub.url}/{REPO}/commit/") and set(hub.files()) == PUSHED


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("route, status, echo_auth, says", [
    ("create", 500, False, "while creating the repo: the Hub answered HTTP 500, a server error: retry later"),
    # The repo exists, the commit fails: nothing is half-committed.
    ("commit", 500, False, "while committing the files: the Hub answered HTTP 500"),
    # The error body quotes the Authorization header: the message must not.
    ("create", 403, True, "may not write to 'fashion-ai/test-lora' (HTTP 403): use a token with write access"),
    ("create", 401, False, "the token was refused (HTTP 401)"),
    ("validate", 502, False, "the Hub's answer was not JSON"),  # a proxy's HTML page
    ("closed port", None, False, "the Hub could not be reached at http://127.0.0.1:"),
], ids=["create-500", "commit-500", "create-403-echoing-token", "create-401", "validate-502-html", "closed-port"])
def test_a_failed_push_says_so_in_one_line_and_leaves_the_folder(hub, adapter_dir, caplog, route, status, echo_auth,
                                                                 says):
    caplog.set_level(logging.DEBUG)
    hub.fail = {route: status} if status else {}
    hub.echo_auth = echo_auth
    before = snapshot(adapter_dir)
    endpoint = _closed_port_url() if route == "closed port" else hub.url

    with pytest.raises(HubPushError) as info:
        push_folder(adapter_dir, REPO, token=SECRET, endpoint=endpoint)

    message = str(info.value)
    assert "\n" not in message
    assert repr(REPO) in message and f"saved locally in {adapter_dir}" in message
    assert f"python train_space.py push --model_dir {adapter_dir} --repo_id {REPO}" in message
    assert says in message
    assert SECRET not in "".join(traceback.format_exception(info.value))
    assert not [r.getMessage() for r in caplog.records if SECRET in r.getMessage()]
    if echo_auth:  # the scrubbing was needed: the server did send the token back
        assert any(SECRET.encode() in r.answer for r in hub.requests)
    assert snapshot(adapter_dir) == before
    assert hub.commits == []


def test_offline_mode_refuses_before_any_request(hub, adapter_dir, monkeypatch):
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubPushError, match="offline mode is on") as info:
        push_folder(adapter_dir, REPO, token=SECRET, endpoint=hub.url)
    assert f"saved locally at {adapter_dir}" in str(info.value) and "HF_HUB_OFFLINE" in str(info.value)
    assert hub.requests == []


@pytest.mark.parametrize("case, match", [
    ("no token", "no Hugging Face token: set HF_TOKEN"),
    ("no folder", "no such folder"),
    ("no model files", "holds no model"),
    ("bad repo id", "is not a Hub repo id"),
])
def test_what_cannot_be_pushed_is_refused_clearly(hub, adapter_dir, tmp_path, case, match):
    folder, token, repo = adapter_dir, SECRET, REPO
    if case == "no token":
        token = None
    elif case == "no folder":
        folder = tmp_path / "missing"
    elif case == "no model files":
        folder = tmp_path / "empty"
        folder.mkdir()
        (folder / "eval.json").write_text("{}")
    else:
        repo = "not/a/repo id"
    with pytest.raises(HubPushError, match=match) as info:
        push_folder(folder, repo, token=token, endpoint=hub.url)
    assert "\n" not in str(info.value) and SECRET not in str(info.value)
    assert hub.requests == []


# --------------------------------------------------------------------------------------------- train_space.py
TINY_RUN = ["--target", "paligemma", "--tiny", "--train_items", "96", "--eval_items", "8", "--batch_size", "8",
            "--warmup_steps", "10", "--steps", "10", "--checkpoint_every", "0", "--threads", "1"]


def test_train_space_trains_then_pushes_with_a_card_from_its_own_run(hub, tmp_path, monkeypatch, capsys):
    import train_space

    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    out = tmp_path / "extractor"
    assert train_space.main([*TINY_RUN, "--output_dir", str(out), "--push_to_hub", REPO]) == 0
    assert f"pushed to {hub.url}/{REPO}/commit/" in capsys.readouterr().out
    files = hub.files()
    for name in ("model.safetensors", "config.json", "processor_config.json", "tokenizer.json", "eval.json", "README.md",
                 "training_curves.png"):
        assert files[name] == (out / name).read_bytes(), name
    assert not [name for name in files if name.startswith(("checkpoint/", "logs/")) or name.endswith(".jsonl")]
    report = json.loads(files["eval.json"])
    card = files["README.md"].decode()
    category = report["eval"]["fields"]["category"]["accuracy"]
    assert f"{category:.4f}" in card and "from_pretrained" in card  # this run's numbers, not a template's
    assert "![Training curves](training_curves.png)" in card  # the run's curves beside its evaluation table
    assert SECRET not in capsys.readouterr().err
    assert_token_only_in_auth_header(hub)


def test_train_space_push_offline_is_one_line_after_the_local_save(tmp_path, monkeypatch, capsys):
    import train_space

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    out = tmp_path / "extractor"
    assert train_space.main([*TINY_RUN, "--output_dir", str(out), "--push_to_hub", REPO]) == 1
    captured = capsys.readouterr()
    assert f"saved to {out}" in captured.out  # the model is saved before the push is tried
    err = captured.err.strip().splitlines()  # progress bars and log lines come before it
    errors = [line for line in err if line.startswith("error: ")]
    assert errors == [err[-1]] and "offline" in err[-1] and str(out) in err[-1] and "Traceback" not in captured.err
    assert SECRET not in captured.err + captured.out
    assert (out / "model.safetensors").is_file() and (out / "eval.json").is_file()
    assert train_space.main(["push", "--model_dir", str(out), "--repo_id", "not a repo"]) == 1
    assert "--repo_id must look like owner/name" in capsys.readouterr().err
