"""A local fake of the Hub's HTTP API and a trained model folder, for the card and push tests.

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
import re
import shutil
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from huggingface_hub import close_session
from huggingface_hub import constants as hf_constants

from fashion_ai.config import ASSETS_DIR
from fashion_ai.hub import write_model_card

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
def adapter_report() -> dict:
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
    (folder / "eval.json").write_text(json.dumps(adapter_report(), indent=2))
    # Training leftovers, some with names a model repo would take (an HF Trainer checkpoint holds weights too).
    (folder / "checkpoint").mkdir()
    torch.save({"step": 3, "optim": {}}, folder / "checkpoint" / "state.pt")
    shutil.copy(folder / "adapter_model.safetensors", folder / "checkpoint" / "adapter_model.safetensors")
    torch.save({}, folder / "optimizer.pt")
    (folder / "trainer_state.json").write_text("{}")
    write_model_card(folder, repo_id=REPO, report=adapter_report())
    return folder


@pytest.fixture
def adapter_dir(adapter_template, tmp_path) -> Path:
    return Path(shutil.copytree(adapter_template, tmp_path / "extractor"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_token_only_in_auth_header(hub: FakeHub) -> None:
    assert hub.requests
    for rec in hub.requests:
        where = f"{rec.method} {rec.path}"
        assert SECRET not in rec.path and SECRET not in json.dumps(rec.query), where
        assert SECRET.encode() not in rec.body and base64.b64encode(SECRET.encode()) not in rec.body, where
        assert rec.headers.get("authorization") == f"Bearer {SECRET}", where
        assert all(SECRET not in value for key, value in rec.headers.items() if key != "authorization"), where
