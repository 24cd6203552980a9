"""Pushing a model folder to the Hub, tested at the network boundary against a local fake of the Hub's HTTP API.

The fake answers the calls huggingface_hub 2.x really makes for create_repo + create_commit (read from its
hf_api.py / _commit_api.py): POST /api/repos/create, POST /api/validate-yaml (the README's metadata),
POST /api/models/{repo}/preupload/{rev}, POST /api/models/{repo}/commit/{rev} (NDJSON). Its preupload answers
every file "regular", so contents travel base64 inside the commit and the client never starts an LFS or Xet
upload; any other call (an LFS batch, a Xet token) gets a 404 and is recorded, and the tests pin the exact list
of calls, so such a call fails them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import shutil
import socket
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from huggingface_hub import close_session
from huggingface_hub import constants as hf_constants

from fashion_ai.config import ASSETS_DIR
from fashion_ai.hub import HubPushError, push_folder, write_model_card

SECRET = "hf_test_SECRET123"
REPO = "fashion-ai/test-lora"
EXTRACTOR_EVAL = ASSETS_DIR / "models" / "extractor" / "eval.json"
EMBEDDER_EVAL = ASSETS_DIR / "models" / "embedder" / "eval.json"
PUSHED = {"README.md", "adapter_config.json", "adapter_model.safetensors", "eval.json", "processor_config.json",
          "tokenizer.json", "tokenizer_config.json"}
PUSH_CALLS = [("POST", "create"), ("POST", "validate"), ("POST", "preupload"), ("POST", "commit")]


# --------------------------------------------------------------------------------------------- the fake Hub
@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict[str, str]
    body: bytes
    route: str = ""
    status: int = 0
    answer: bytes = b""


@dataclass
class FakeHub:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    repos: dict[str, dict] = field(default_factory=dict)
    commits: list[dict] = field(default_factory=list)  # {"repo", "revision", "summary", "files": {path: bytes}}
    fail: dict[str, int] = field(default_factory=dict)  # route -> HTTP status to answer instead
    echo_auth: bool = False  # put the Authorization header in error bodies, as a careless proxy might
    lock: threading.Lock = field(default_factory=threading.Lock)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.route) for r in self.requests]

    def files(self) -> dict[str, bytes]:
        assert len(self.commits) == 1, self.commits
        return self.commits[0]["files"]


ROUTES = [  # (method, regex on the path, route name)
    ("POST", r"/api/repos/create", "create"),
    ("POST", r"/api/validate-yaml", "validate"),
    ("POST", r"/api/models/(?P<repo>[^/]+/[^/]+)/preupload/(?P<rev>[^/]+)", "preupload"),
    ("POST", r"/api/models/(?P<repo>[^/]+/[^/]+)/commit/(?P<rev>[^/]+)", "commit"),
    ("GET", r"/api/models/(?P<repo>[^/]+/[^/]+)", "repo_info"),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Hub; every answer carries a Content-Length

    def log_message(self, *args) -> None:  # the test output stays quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, rec: Recorded, status: int, payload: object) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        rec.status, rec.answer = status, body
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body[:1] in (b"{", b"[") else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        hub: FakeHub = self.server.hub  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        rec = Recorded(self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()},
                       self._body())
        with hub.lock:
            hub.requests.append(rec)
        match = None
        for method, pattern, route in ROUTES:
            if method == self.command and (match := re.fullmatch(pattern, parts.path)):
                rec.route = route
                break
        if match is None:
            rec.route = "unexpected"
            return self._answer(rec, 404, {"error": f"no route {self.command} {parts.path} in this fake Hub"})
        if rec.route in hub.fail:
            status = hub.fail[rec.route]
            if rec.route == "validate" and status == 502:  # a proxy's HTML page, not the Hub's JSON
                return self._answer(rec, 502, b"<html><body>502 Bad Gateway</body></html>")
            detail = f" (got Authorization: {self.headers.get('Authorization')})" if hub.echo_auth else ""
            return self._answer(rec, status, {"error": f"fake Hub failure{detail}"})
        getattr(self, "_" + rec.route)(hub, rec, match)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

    def _create(self, hub: FakeHub, rec: Recorded, match: re.Match) -> None:
        payload = json.loads(rec.body)
        repo = f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
        if repo in hub.repos:
            return self._answer(rec, 409, {"error": "You already created this model repo", "url": f"{hub.url}/{repo}"})
        hub.repos[repo] = payload
        self._answer(rec, 200, {"url": f"{hub.url}/{repo}", "name": repo})

    def _validate(self, hub: FakeHub, rec: Recorded, match: re.Match) -> None:
        self._answer(rec, 200, {"errors": [], "warnings": []})

    def _repo_info(self, hub: FakeHub, rec: Recorded, match: re.Match) -> None:
        # create_repo(exist_ok=True) asks this after a 401/403, to see whether the repo exists anyway.
        if match["repo"] not in hub.repos:
            return self._answer(rec, 404, {"error": "Repository not found"})
        self._answer(rec, 200, {"id": match["repo"], "sha": "0" * 40, "private": False})

    def _preupload(self, hub: FakeHub, rec: Recorded, match: re.Match) -> None:
        if match["repo"] not in hub.repos:
            return self._answer(rec, 404, {"error": "Repository not found"})
        files = json.loads(rec.body)["files"]
        # "regular" for every file: contents come inline in the commit, so no LFS batch and no Xet upload start.
        self._answer(rec, 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                                           "oid": None} for f in files]})

    def _commit(self, hub: FakeHub, rec: Recorded, match: re.Match) -> None:
        lines = [json.loads(line) for line in rec.body.splitlines() if line.strip()]
        assert lines and lines[0]["key"] == "header", lines[:1]
        files, other = {}, []
        for line in lines[1:]:
            if line["key"] == "file" and line["value"]["encoding"] == "base64":
                files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
            else:
                other.append(line)  # lfsFile / deletedFile: not expected here
        oid = hashlib.sha1(rec.body).hexdigest()
        hub.commits.append({"repo": match["repo"], "revision": match["rev"], "summary": lines[0]["value"]["summary"],
                            "files": files, "other": other})
        self._answer(rec, 200, {"commitUrl": f"{hub.url}/{match['repo']}/commit/{oid}", "commitOid": oid,
                                "pullRequestUrl": None})


@pytest.fixture
def hub(monkeypatch):
    """A fake Hub on a free localhost port; huggingface_hub set online (CI exports HF_HUB_OFFLINE=1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.hub = FakeHub(url=f"http://127.0.0.1:{server.server_port}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # huggingface_hub reads HF_HUB_OFFLINE into constants at import; its request hook asks
    # constants.is_offline_mode(), which returns that module global: patching it is what switches it.
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_TOKEN", "HF_ENDPOINT", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    close_session()  # the shared httpx client reads proxy settings when it is made
    yield server.hub  # type: ignore[attr-defined]
    close_session()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --------------------------------------------------------------------------------------------- a model folder
def _adapter_report() -> dict:
    report = json.loads(EXTRACTOR_EVAL.read_text())
    report["config"].update(tiny=False, base_model="google/paligemma2-3b-pt-224", lora=True, lora_r=4, lora_alpha=8,
                            quantize_4bit=True)
    return report


@pytest.fixture(scope="module")
def adapter_template(tmp_path_factory) -> Path:
    """A real PEFT LoRA adapter on a tiny PaliGemma, its processor, eval.json, card and training leftovers."""
    import torch

    from fashion_ai.models.paligemma.loading import apply_lora
    from fashion_ai.models.paligemma.tiny import build_tiny_paligemma

    folder = tmp_path_factory.mktemp("adapter") / "extractor"
    processor, model = build_tiny_paligemma(64, 16)
    apply_lora(model, r=4, alpha=8, targets=["q_proj", "v_proj"]).save_pretrained(folder)
    processor.save_pretrained(folder)
    (folder / "eval.json").write_text(json.dumps(_adapter_report(), indent=2))
    # Training leftovers, some with names a model repo would take (an HF Trainer checkpoint holds weights too).
    (folder / "checkpoint").mkdir()
    torch.save({"step": 3, "optim": {}}, folder / "checkpoint" / "state.pt")
    shutil.copy(folder / "adapter_model.safetensors", folder / "checkpoint" / "adapter_model.safetensors")
    torch.save({}, folder / "optimizer.pt")
    (folder / "trainer_state.json").write_text("{}")
    write_model_card(folder, repo_id=REPO, report=_adapter_report())
    return folder


@pytest.fixture
def adapter_dir(adapter_template, tmp_path) -> Path:
    return Path(shutil.copytree(adapter_template, tmp_path / "extractor"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_token_only_in_auth_header(hub: FakeHub) -> None:
    assert hub.requests
    for rec in hub.requests:
        where = f"{rec.method} {rec.path}"
        assert SECRET not in rec.path and SECRET not in json.dumps(rec.query), where
        assert SECRET.encode() not in rec.body and base64.b64encode(SECRET.encode()) not in rec.body, where
        assert rec.headers.get("authorization") == f"Bearer {SECRET}", where
        assert all(SECRET not in value for key, value in rec.headers.items() if key != "authorization"), where


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
    _assert_token_only_in_auth_header(hub)
    assert not [r.getMessage() for r in caplog.records if SECRET in r.getMessage()]


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
    _assert_token_only_in_auth_header(hub)


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
    before = _snapshot(adapter_dir)
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
    assert _snapshot(adapter_dir) == before
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


# --------------------------------------------------------------------------------------------- the card
def _code_block(card: str) -> str:
    return card.split("```python\n", 1)[1].split("```", 1)[0]


def _front_matter(card: str) -> dict:
    import yaml

    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_adapter_card_has_metadata_metrics_and_a_working_quantization_config(adapter_template):
    import torch
    from transformers import BitsAndBytesConfig

    card = (adapter_template / "README.md").read_text()
    meta = _front_matter(card)
    assert meta == {"base_model": "google/paligemma2-3b-pt-224", "library_name": "peft",
                    "pipeline_tag": "image-text-to-text", "tags": ["fashion", "paligemma", "lora"]}
    fields = json.loads(EXTRACTOR_EVAL.read_text())["eval"]["fields"]
    for name, rep in fields.items():
        classes = [c for c in rep["per_class"].values() if c["support"]]
        precision = round(sum(c["precision"] for c in classes) / len(classes), 4)
        assert f"| {name} | {precision:.4f} |" in card and f"{rep['accuracy']:.4f} | {rep['support']} |" in card
    assert "| LoRA rank r | 4 |" in card and "| peak learning rate (cosine schedule) | 0.002 |" in card
    code = _code_block(card)
    compile(code, "README.md", "exec")
    assert 'AutoProcessor.from_pretrained(repo_id)' in code and f'repo_id = "{REPO}"' in code
    assert "PaliGemmaForConditionalGeneration.from_pretrained(base, quantization_config=bnb_config" in code
    # The card's own BitsAndBytesConfig call, evaluated: a misspelt keyword would leave float32 compute.
    call = re.search(r"BitsAndBytesConfig\(.*\)", code)[0]
    quant = eval(call, {"BitsAndBytesConfig": BitsAndBytesConfig, "torch": torch})  # noqa: S307 - our own card
    assert quant.load_in_4bit and quant.bnb_4bit_quant_type == "nf4" and quant.bnb_4bit_compute_dtype == torch.bfloat16
    assert SECRET not in card


def test_clip_card_shows_retrieval_metrics_and_no_adapter(tmp_path):
    folder = tmp_path / "embedder"
    folder.mkdir()
    report = json.loads(EMBEDDER_EVAL.read_text())
    card = write_model_card(folder, repo_id="fashion-ai/test-clip", report=report).read_text()

    meta = _front_matter(card)
    assert meta == {"library_name": "transformers", "pipeline_tag": "zero-shot-image-classification",
                    "tags": ["fashion", "clip"]}  # a tiny model from scratch has no base_model
    ev = report["eval"]
    assert "| direction | recall@1 | recall@5 | recall@10 | MRR | match rate@k | queries |" in card
    assert (f"| attribute query → image | {ev['recall@1']:.4f} | {ev['recall@5']:.4f} | {ev['recall@10']:.4f} | "
            f"{ev['mrr']:.4f} | {ev['match_rate@k']:.4f} | {ev['queries']} |") in card
    assert f"| caption → image | {ev['caption_to_image']['recall@1']:.4f} |" in card
    code = _code_block(card)
    assert "CLIPModel.from_pretrained(repo_id)" in code and "AutoTokenizer.from_pretrained(repo_id)" in code
    assert "PeftModel" not in card and "BitsAndBytesConfig" not in card and "json_valid" not in card


def test_card_of_a_sparse_report_leaves_out_what_is_missing(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "paligemma"}))
    card = write_model_card(folder, repo_id="me/m", report={"eval": {"fields": {"category": {"accuracy": 0.5}}}})
    card = card.read_text()
    assert _front_matter(card)["pipeline_tag"] == "image-text-to-text"
    assert "| category |  |  |  | 0.5000 |  |" in card and "hyperparameters" not in card
    assert write_model_card(folder, repo_id="me/m", report={}).read_text().startswith("---\nlibrary_name: transformers")


@pytest.mark.parametrize("kind", ["clip", "paligemma"])
def test_full_weights_card_code_runs(tmp_path, monkeypatch, capsys, kind):
    """The card's "How to load" block, run against the folder itself (repo_id = its path)."""
    from PIL import Image

    if kind == "clip":
        from fashion_ai.models.clip.tiny import build_tiny_clip

        folder = tmp_path / "embedder"
        for part in build_tiny_clip(image_size=32):
            part.save_pretrained(folder)
        report = json.loads(EMBEDDER_EVAL.read_text())
    else:
        folder = Path(shutil.copytree(ASSETS_DIR / "models" / "extractor", tmp_path / "extractor"))
        report = json.loads(EXTRACTOR_EVAL.read_text())
    code = _code_block(write_model_card(folder, repo_id=str(folder), report=report).read_text())
    assert "PeftModel" not in code
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (80, 100), (30, 40, 120)).save("garment.jpg")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own card
    if kind == "clip":
        assert tuple(namespace["scores"].shape) == (2, 1)
    else:
        assert isinstance(namespace["answer"], str) and namespace["answer"].strip().startswith("[")


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
    for name in ("model.safetensors", "config.json", "processor_config.json", "tokenizer.json", "eval.json", "README.md"):
        assert files[name] == (out / name).read_bytes(), name
    report = json.loads(files["eval.json"])
    card = files["README.md"].decode()
    category = report["eval"]["fields"]["category"]["accuracy"]
    assert f"{category:.4f}" in card and "from_pretrained" in card  # this run's numbers, not a template's
    assert SECRET not in capsys.readouterr().err
    _assert_token_only_in_auth_header(hub)


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
