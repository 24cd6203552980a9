"""Fixtures of the Hub tests: the local fake Hub and a trained adapter folder (defined in fake_hub).

train_space.py runs here log to a trackio folder of their own (trackio reads TRACKIO_DIR when a run first imports it)."""

import os

import pytest

from tests.hub.fake_hub import adapter_dir, adapter_template, hub

__all__ = ["adapter_dir", "adapter_template", "hub"]


@pytest.fixture(scope="session", autouse=True)
def trackio_dir(tmp_path_factory) -> str:
    return os.environ.setdefault("TRACKIO_DIR", str(tmp_path_factory.mktemp("trackio")))
