"""Training runs in these tests log to a trackio folder of their own (pytest's temporary one), never to
~/.cache/huggingface/trackio: trackio reads TRACKIO_DIR once, when a run first imports it, after this has run."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def trackio_dir(tmp_path_factory) -> str:
    return os.environ.setdefault("TRACKIO_DIR", str(tmp_path_factory.mktemp("trackio")))
