"""Shared fixtures: the live app on a free localhost port, served by the offline demo profile.

CI serves the shipped demo models (assets/models/extractor, assets/models/embedder) and catalog (assets/catalog):
they are part of the repository, so a missing one fails the tests that need it rather than skipping them.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

logger = logging.getLogger(__name__)


def pytest_configure(config):
    # Also declared in pyproject.toml; repeated so these files run on their own.
    config.addinivalue_line("markers", "slow: trains or serves real models at reduced size (still runs in CI)")
    config.addinivalue_line("markers", "browser: drives the app in headless Chromium (still runs in CI)")
    _share_the_cores_between_workers()


def pytest_collection_modifyitems(config, items):
    # The longest first (the training runs, then the other slow tests): with one worker per core the quick ones fill
    # in around them, instead of a two-minute training test starting last while the other workers have nothing left
    # (a clean-clone run on 2 cores spent its last 2.5 minutes so).
    def order(item) -> tuple[bool, bool]:
        slow = item.get_closest_marker("slow") is not None
        return not (slow and "tests/training/" in item.nodeid), not slow

    items.sort(key=order)


def _share_the_cores_between_workers() -> None:
    """Under pytest-xdist (`-n`), each worker process gets its share of the cores for torch, so two workers on two
    cores do not each start two OpenMP threads that spin waiting for a descheduled sibling."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers < 2:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = max(1, cores // workers)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # child processes (the model worker, CLIs) too
    import torch

    torch.set_num_threads(threads)


def in_ci() -> bool:
    """Whether this run is CI's (CI=true, as CI services set it): there every test must run."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(condition: bool, why: str) -> None:
    """Go on when `condition` holds; else skip the test here, but fail it in CI, where a missing browser or tool
    would otherwise pass the run with the test never run."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{why}; CI (CI=true) must run this test, so it fails instead of skipping", pytrace=False)
    pytest.skip(why, allow_module_level=True)


@pytest.fixture
def chroma_cli() -> None:
    """The chroma CLI (installed with chromadb), for tests that run a Chroma server: skipped here, failed in CI."""
    need(shutil.which("chroma") is not None, "the chroma CLI (installed with chromadb) is not on PATH")


def need_module(name: str, why: str) -> ModuleType:
    """The module, imported; else as need() does: skipped here, failed in CI."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        need(False, f"{why} ({exc})")
        raise  # need() has raised already: this only tells type checkers so


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    config: object  # fashion_ai.config.AppConfig
    catalog_dir: Path
    demo: object  # the served gr.Blocks, for tests that break its services on purpose


@pytest.fixture(scope="session")
def live_app() -> Iterator[LiveApp]:
    """The app served on a free port with FASHION_AI_PROFILE=demo and a fresh index in a temp data dir."""
    root = Path(tempfile.mkdtemp(prefix="fashion-ai-app-"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FASHION_AI_PROFILE", "demo")
        env.setenv("FASHION_AI_DATA_DIR", str(root / "data"))
        env.setenv("HF_HUB_OFFLINE", "1")
        env.setenv("GRADIO_ANALYTICS_ENABLED", "False")

        import app as app_module
        from fashion_ai.config import load_config

        config = load_config(None).with_overrides(port=free_port())
        demo = app_module.build_demo(config)
        demo.service.warm_up(log=logger.info)  # what `python app.py` does before serving
        app_module.launch(demo, config, prevent_thread_lock=True, quiet=True)
        try:
            yield LiveApp(url=demo.local_url, config=config, catalog_dir=Path(config.catalog_dir), demo=demo)
        finally:
            demo.close()
            demo.service.models.close()  # the model's worker process
            shutil.rmtree(root, ignore_errors=True)  # its index: a run leaves nothing in the temp folder


@pytest.fixture(scope="session")
def catalog_items(live_app: LiveApp):
    from fashion_ai.catalog import load_catalog

    return load_catalog(live_app.catalog_dir)


@pytest.fixture(scope="module")
def embedder():
    """An untrained tiny CLIP: real classes, random ranking (tests that need geometry set embeddings by hand)."""
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.tiny import build_tiny_clip

    return Embedder(*build_tiny_clip(image_size=32), name="tiny-test")


@pytest.fixture
def store(tmp_path):
    """An empty Chroma catalog store in a temp dir, made for the tiny embedder."""
    from fashion_ai.catalog.store import CatalogStore

    return CatalogStore(tmp_path / "chroma", embedder_name="tiny-test")
