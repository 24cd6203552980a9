"""Every dataset test runs offline: a Hub id must never be fetched."""

import datasets
import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    # As in CI (HF_HUB_OFFLINE=1): a Hub id fails at once instead of retrying an unreachable network.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
