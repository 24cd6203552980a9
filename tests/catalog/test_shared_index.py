"""An index shared through a Chroma server: the indexing CLI runs in its own process while a reader (the app's
store) searches, and the reader sees whole batches, and after a rebuild the old index or the new, never half."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback

from fashion_ai.config import PROJECT_ROOT
from fashion_ai.demo_world import write_catalog
from tests.catalog.test_index import clip_parts, saved_clip_dir  # noqa: F401 (fixtures)
from tests.catalog.test_store_failures import free_port, needs_chroma, open_when_up, start_chroma

pytestmark = needs_chroma
CATALOG = 60


def index(url: str, catalog, embedder_dir, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FASHION_AI_DEMO_EMBEDDER_DIR": str(embedder_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "fashion_ai.catalog.index", "--catalog", str(catalog), "--profile",
                           "demo", "--chroma-url", url, "--batch-size", "8", *flags], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_cli_indexes_through_a_server_while_the_app_reads(tmp_path, saved_clip_dir):  # noqa: F811
    catalog = tmp_path / "catalog"
    write_catalog(catalog, CATALOG, seed=12, size=64)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "server", port)
    try:
        first = index(url, catalog, saved_clip_dir, "--limit", "20")
        assert first.returncode == 0, first.stderr
        reader = open_when_up(url, server, collection="catalog-demo")  # the app's store, in this process
        sizes, errors, done = [], [], threading.Event()

        def read() -> None:
            probe = reader._collection.get(limit=1, include=["embeddings"])["embeddings"][0]
            while not done.is_set():
                try:
                    sizes.append(len(reader.query(probe, 500)))
                except Exception:  # collected with where it came from: a thread's assertion would be lost
                    errors.append(traceback.format_exc())

        thread = threading.Thread(target=read)
        thread.start()
        try:
            grown = index(url, catalog, saved_clip_dir)  # the other 40, batch by batch
            rebuilt = index(url, catalog, saved_clip_dir, "--rebuild", "--limit", "30")
        finally:
            done.set()
            thread.join()
        assert grown.returncode == 0 and rebuilt.returncode == 0, grown.stderr + rebuilt.stderr
        assert "holds 30 items" in rebuilt.stdout
        assert errors == []
        # Growing: whole batches of 8 on top of 20, up to 60; the rebuild: 30, never anything in between.
        assert set(sizes) <= {20 + 8 * k for k in range(6)} | {CATALOG, 30}, sorted(set(sizes))
        assert sizes[-1] == 30 and reader.count() == 30 and {20, CATALOG, 30} <= set(sizes)
    finally:
        server.terminate()
        server.wait(timeout=30)
