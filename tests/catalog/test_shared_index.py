"""An index shared through a Chroma server: the indexing CLI runs in its own process while a reader (the app's
store) searches, and the reader sees whole batches, and after rebuilds (two at once) an old index or a new one,
never half."""

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


def start_index(url: str, catalog, embedder_dir, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "FASHION_AI_DEMO_EMBEDDER_DIR": str(embedder_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "fashion_ai.catalog.index", "--catalog", str(catalog), "--profile",
                             "demo", "--chroma-url", url, "--batch-size", "8", *flags], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(run: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = run.communicate(timeout=600)
    return subprocess.CompletedProcess(run.args, run.returncode, out, err)


def index(url: str, catalog, embedder_dir, *flags: str) -> subprocess.CompletedProcess:
    return finish(start_index(url, catalog, embedder_dir, *flags))


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
            probe = reader.collection.current.get(limit=1, include=["embeddings"])["embeddings"][0]
            while not done.is_set():
                try:
                    sizes.append(len(reader.query(probe, 500)))
                except Exception:  # collected with where it came from: a thread's assertion would be lost
                    errors.append(traceback.format_exc())

        thread = threading.Thread(target=read)
        thread.start()
        try:
            grown = index(url, catalog, saved_clip_dir)  # the other 40, batch by batch
            # Two rebuilds at once (of 30 and of 24 items): each fills its own collection, neither resets the other's.
            rebuilds = [start_index(url, catalog, saved_clip_dir, "--rebuild", "--limit", str(n)) for n in (30, 24)]
            rebuilt, other = (finish(run) for run in rebuilds)
        finally:
            done.set()
            thread.join()
        assert grown.returncode == rebuilt.returncode == other.returncode == 0, grown.stderr + rebuilt.stderr + other.stderr
        assert "holds 30 items" in rebuilt.stdout and "holds 24 items" in other.stdout
        assert errors == []
        # Growing: whole batches of 8 on top of 20, up to 60; the rebuilds: 30 or 24, never anything in between.
        assert set(sizes) <= {20 + 8 * k for k in range(6)} | {CATALOG, 30, 24}, sorted(set(sizes))
        last = reader.count()
        assert last in (30, 24) and sizes[-1] == last and {20, CATALOG} <= set(sizes)
        # Nothing left over: for the photos and for the texts, a pointer and the collection it names.
        names = {col.name for col in reader.client.list_collections()}
        assert len(names) == 4 and {"catalog-demo.serving", "catalog-demo-text.serving"} <= names, names
    finally:
        server.terminate()
        server.wait(timeout=30)
