"""Fixtures of the Hub tests: the local fake Hub and a trained adapter folder (defined in fake_hub).

train_space.py runs here log to a trackio folder of their own (trackio reads TRACKIO_DIR when first imported)."""

import os
import tempfile

from tests.hub.fake_hub import adapter_dir, adapter_template, hub

os.environ.setdefault("TRACKIO_DIR", tempfile.mkdtemp(prefix="trackio-tests-"))

__all__ = ["adapter_dir", "adapter_template", "hub"]
