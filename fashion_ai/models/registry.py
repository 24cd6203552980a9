"""The models a service owns: the profile's attribute extractor and catalog embedder, each loaded on first use,
once, and thread-safely. Nothing is cached at module level: a new registry loads anew."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_ai.config import AppConfig
from fashion_ai.profiles import DEMO, ProfileResolver

if TYPE_CHECKING:  # torch and transformers load with the first model, not with the registry
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.paligemma.inference import AttributeExtractor

logger = logging.getLogger(__name__)


def load_extractor(config: AppConfig, profile: str) -> AttributeExtractor:
    """The profile's attribute extractor: the shipped tiny PaliGemma, or the hub base (+ adapter, 4-bit on CUDA)."""
    from fashion_ai.models.paligemma.inference import AttributeExtractor
    from fashion_ai.models.paligemma.loading import load_paligemma

    if profile == DEMO:
        processor, model = load_paligemma(config.demo_extractor_dir, None, load_in_4bit=False, device="cpu")
        return AttributeExtractor(processor, model, name=f"demo extractor ({Path(config.demo_extractor_dir).name})")
    adapter = config.adapter_id or None
    processor, model = load_paligemma(config.paligemma_id, adapter, config.load_in_4bit)
    return AttributeExtractor(processor, model, name=config.paligemma_id + (f" + {adapter}" if adapter else ""))


def load_embedder(config: AppConfig, profile: str) -> Embedder:
    """The profile's catalog embedder: the shipped tiny CLIP, or the hub CLIP."""
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip

    if profile == DEMO:
        tokenizer, image_processor, model = load_clip(config.demo_embedder_dir, device="cpu")
        return Embedder(tokenizer, image_processor, model, name=f"demo:{Path(config.demo_embedder_dir).name}")
    return Embedder(*load_clip(config.clip_id), name=config.clip_id)


class ModelRegistry:
    """The extractor and the embedder of one config, loaded lazily and once; loaders are injectable for tests."""

    def __init__(self, config: AppConfig, profiles: ProfileResolver | None = None,
                 extractor_loader: Callable[[AppConfig, str], AttributeExtractor] = load_extractor,
                 embedder_loader: Callable[[AppConfig, str], Embedder] = load_embedder):
        self.config = config
        self.profiles = profiles or ProfileResolver(config)
        self._loaders = {"extractor": extractor_loader, "embedder": embedder_loader}
        self._models: dict[str, object] = {}
        # One lock per model: reading a photo while the catalog embedder loads must not wait for it.
        self._locks = {name: threading.Lock() for name in self._loaders}

    @property
    def profile(self) -> str:
        return self.profiles.resolve()

    def _get(self, name: str):
        with self._locks[name]:
            if name not in self._models:
                self._models[name] = self._loaders[name](self.config, self.profile)
            return self._models[name]

    def extractor(self) -> AttributeExtractor:
        """The attribute extractor, loaded on first use."""
        return self._get("extractor")

    def embedder(self) -> Embedder:
        """The catalog embedder, loaded on first use."""
        return self._get("embedder")
