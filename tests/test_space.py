"""The app started the way the Hugging Face Spaces runtime starts it: `python app.py` with the platform's variables.

"Bound to all interfaces" is checked by connecting through 127.0.0.2: a server listening on 127.0.0.1 alone refuses
that connection, one listening on 0.0.0.0 (what a Space's proxy needs) accepts it. Every address stays on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from fashion_ai.catalog import load_catalog
from fashion_ai.config import DEFAULT_CATALOG_DIR, PROJECT_ROOT
from tests.conftest import free_port

pytestmark = pytest.mark.slow  # starts the app in its own process
START_TIMEOUT_S = 180


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """`python app.py` with nothing but the environment, as the Spaces runtime runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FASHION_AI_", "GRADIO_", "SPACE"))}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**clean, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", **env})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app.py exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.2:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"app.py did not serve on 0.0.0.0:{port} in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def running(tmp_path) -> Iterator:
    procs = []

    def run(env: dict[str, str]) -> tuple[str, Path]:
        port = free_port()
        log = tmp_path / f"app-{port}.log"
        procs.append(start({**env, "GRADIO_SERVER_PORT": str(port)}, port, log))
        return f"http://127.0.0.1:{port}/", log

    yield run
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_gradio_variables_decide_where_the_app_listens(running, tmp_path):
    url, _ = running({"GRADIO_SERVER_NAME": "0.0.0.0", "FASHION_AI_PROFILE": "demo",
                      "FASHION_AI_DATA_DIR": str(tmp_path / "data")})
    port = int(url.rsplit(":", 1)[1].strip("/"))
    assert port != 7860  # the platform's port, not the app's default
    assert httpx.get(f"http://127.0.0.2:{port}/", timeout=10).status_code == 200  # all interfaces, not loopback only


@pytest.fixture(scope="module")
def hub_stand_ins(tmp_path_factory) -> dict[str, str]:
    """Tiny models of the real classes standing in for the hub ids (untrained: the plumbing is what is tested)."""
    from fashion_ai.models.clip.tiny import build_tiny_clip
    from fashion_ai.models.paligemma.tiny import build_tiny_paligemma

    root = tmp_path_factory.mktemp("hub")
    tokenizer, image_processor, clip = build_tiny_clip()
    for part in (clip, tokenizer, image_processor):
        part.save_pretrained(root / "fashion-clip")
    processor, paligemma = build_tiny_paligemma()
    paligemma.save_pretrained(root / "paligemma2-mix")
    processor.save_pretrained(root / "paligemma2-mix")
    return {"clip": str(root / "fashion-clip"), "mix": str(root / "paligemma2-mix")}


@pytest.mark.parametrize("extractor, serves_attributes", [
    ("auto", "fashion-clip (CLIP zero-shot)"),  # a CPU Space: FashionCLIP reads attributes too
    ("paligemma", "paligemma2-mix (zero-shot)"),  # what a GPU Space serves without our adapter
])
def test_a_space_serves_every_tab_with_the_hub_profile(running, hub_stand_ins, tmp_path, extractor, serves_attributes):
    url, log = running({
        "GRADIO_SERVER_NAME": "0.0.0.0", "SPACE_ID": "fashion-ai/fashion-ai", "SPACE_HOST": "fashion-ai.hf.space",
        "SYSTEM": "spaces", "FASHION_AI_PROFILE": "hub", "FASHION_AI_CLIP_ID": hub_stand_ins["clip"],
        "FASHION_AI_MIX_ID": hub_stand_ins["mix"], "FASHION_AI_EXTRACTOR": extractor,
        "FASHION_AI_DATA_DIR": str(tmp_path / "data"),
    })
    client = Client(url, verbose=False)
    banner = client.predict(api_name="/status")
    # The stand-ins are local folders: the banner names them by their last part, never by a server path.
    assert "Search: fashion-clip" in banner and serves_attributes in banner and str(tmp_path.parent) not in banner, banner
    assert "fell back" not in banner
    # CI has no Hub: the hub profile's product catalog cannot be imported, so the shipped one serves, and says so.
    assert "Catalog: the shipped demo catalog (could not import the catalog products:ashraq" in banner
    photo = next(item for item in load_catalog(Path(DEFAULT_CATALOG_DIR)) if item.category == "dress").image_path
    cards, garments, note, raw = client.predict(handle_file(photo), api_name="/attributes")
    assert garments and "<h4>" in cards and "Every value is one of the schema's" in note
    gallery, listing = client.predict(query="a red dress", api_name="/search")
    assert gallery and "items for" in listing
    outfit, outfit_list = client.predict(query="an outfit for a wedding", api_name="/complete_outfit")
    assert outfit and "Complete the outfit" in outfit_list
    card, picks, pick_list = client.predict(handle_file(photo), "for a summer wedding", api_name="/stylist")
    assert "<h4>" in card and picks
    # No traceback through our code (the Spaces hot-reload server Gradio starts on SYSTEM=spaces logs asyncio noise
    # of its own when its event loop is collected; that is the platform's, not the app's).
    assert f'File "{PROJECT_ROOT}' not in log.read_text()
