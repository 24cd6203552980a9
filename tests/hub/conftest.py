"""Fixtures of the Hub tests: the local fake Hub and a trained adapter folder (defined in fake_hub)."""

from tests.hub.fake_hub import adapter_dir, adapter_template, hub

__all__ = ["adapter_dir", "adapter_template", "hub"]
