"""Which models serve: the demo profile (tiny models shipped in assets/) or the hub profile (real checkpoints),
decided explicitly, once per service, thread-safely, and again on request; and the catalog each profile serves.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

from fashion_ai.config import DEFAULT_CATALOG_DIR, DEFAULT_HUB_CATALOG_LIMIT, DEFAULT_HUB_CATALOG_SOURCE, AppConfig

logger = logging.getLogger(__name__)

DEMO, HUB = "demo", "hub"


def hub_models_available(config: AppConfig, timeout_s: float = 3.0) -> bool:
    """True when the hub profile's models are in the local cache or the Hub answers for them."""
    try:
        from huggingface_hub import HfApi, try_to_load_from_cache
        from huggingface_hub import constants as hf_constants
    except ImportError:
        return False
    ids = [config.paligemma_id, config.clip_id] + ([config.adapter_id] if config.adapter_id else [])
    cached = all(isinstance(try_to_load_from_cache(i, "config.json" if i != config.adapter_id
                                                   else "adapter_config.json"), str) for i in ids)
    if cached:
        return True
    if hf_constants.HF_HUB_OFFLINE:
        return False
    try:
        api = HfApi()
        for model_id in ids:
            api.model_info(model_id, timeout=timeout_s)
        return True
    except Exception as exc:  # offline, DNS failure, gated repo without token: all mean "not usable now"
        logger.info("hub models not reachable (%s): %s", exc.__class__.__name__, str(exc).splitlines()[0][:200]
                    if str(exc) else "")
        return False


class ProfileResolver:
    """demo or hub for one config: an explicit profile as it is; auto asks `probe` once, until reset()."""

    def __init__(self, config: AppConfig, probe: Callable[[AppConfig], bool] = hub_models_available):
        self.config = config
        self._probe = probe
        self._lock = threading.Lock()
        self._decided: str | None = None

    def resolve(self) -> str:
        """The profile that serves; the first call under auto may ask the Hub (a few seconds at most)."""
        if self.config.profile != "auto":
            return self.config.profile
        with self._lock:  # two first requests at once must not both probe the Hub
            if self._decided is None:
                self._decided = HUB if self._probe(self.config) else DEMO
                logger.info("profile auto -> %s", self._decided)
            return self._decided

    def reset(self) -> None:
        """Forget the auto decision: the next resolve() asks again (e.g. after the Hub came back)."""
        with self._lock:
            self._decided = None


def catalog_source(config: AppConfig, profile: str) -> tuple[str, int]:
    """(source to import, item limit): the configured one, the hub profile's default, or ("", 0) for catalog_dir."""
    if config.catalog_source:
        return config.catalog_source, config.catalog_limit
    if profile == HUB and config.catalog_dir == DEFAULT_CATALOG_DIR:
        return DEFAULT_HUB_CATALOG_SOURCE, config.catalog_limit or DEFAULT_HUB_CATALOG_LIMIT
    return "", 0


def catalog_folder(config: AppConfig, profile: str) -> Path:
    """The catalog folder a profile serves: catalog_dir, or where an imported catalog source is kept."""
    source, limit = catalog_source(config, profile)
    if not source:
        return Path(config.catalog_dir)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", source.split(":", 1)[-1]).strip("-")[-60:] or "catalog"
    return Path(config.data_dir) / "catalogs" / (f"{slug}-{limit}" if limit else slug)
