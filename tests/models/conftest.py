"""Tiny models of the real classes, saved as folders the loaders read like hub checkpoints."""

import pytest

from fashion_ai.models.clip.tiny import build_tiny_clip
from fashion_ai.models.paligemma.tiny import build_tiny_paligemma


@pytest.fixture(scope="session")
def tiny_paligemma_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("paligemma")
    processor, model = build_tiny_paligemma(image_size=32, patch_size=8)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip")
    tokenizer, image_processor, model = build_tiny_clip(image_size=32)
    for part in (model, tokenizer, image_processor):
        part.save_pretrained(path)
    return path
