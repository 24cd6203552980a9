"""Which models may serve: the demo profile (tiny models shipped in assets/) or the hub profile (real checkpoints),
per model, decided explicitly, thread-safely, once per service (and again on request); and the catalog each serves.

Under auto, a hub model serves when its own files are cached or the Hub answers for it: the search embedder does
not wait for the attribute extractor's gated checkpoint, and the other way round.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from fashion_ai.config import DEFAULT_CATALOG_DIR, DEFAULT_HUB_CATALOG_LIMIT, DEFAULT_HUB_CATALOG_SOURCE, AppConfig

logger = logging.getLogger(__name__)

DEMO, HUB = "demo", "hub"
CONFIG_FILE = "config.json"
ADAPTER_FILE = "adapter_config.json"
# (model id or folder, the file that shows it is there)
ModelRef = tuple[str, str]


def hub_model_available(model_id: str, filename: str = CONFIG_FILE, timeout_s: float = 3.0) -> bool:
    """True when a model is a local folder, is in the local Hugging Face cache, or the Hub answers for it."""
    if Path(model_id).expanduser().is_dir():
        return (Path(model_id).expanduser() / filename).is_file()
    try:
        from huggingface_hub import HfApi, try_to_load_from_cache
        from huggingface_hub import constants as hf_constants
    except ImportError:
        return False
    try:
        if isinstance(try_to_load_from_cache(model_id, filename), str):
            return True
    except ValueError:  # not a valid repo id (a typo, a missing folder)
        return False
    if hf_constants.HF_HUB_OFFLINE:
        return False
    try:
        HfApi().model_info(model_id, timeout=timeout_s)
        return True
    except Exception as exc:  # offline, DNS failure, gated without a token, no such repo: "not usable now"
        logger.info("%s is not reachable (%s): %s", model_id, exc.__class__.__name__,
                    str(exc).splitlines()[0][:200] if str(exc) else "")
        return False


class ProfileResolver:
    """Whether hub models may serve: demo never, hub always (its failures fall back when loading), auto when each
    model's files answer. Each model id is asked about once, until reset()."""

    def __init__(self, config: AppConfig, probe: Callable[[str, str], bool] = hub_model_available):
        self.config = config
        self._probe = probe
        self._lock = threading.Lock()
        self._known: dict[ModelRef, bool] = {}

    def available(self, ref: ModelRef) -> bool:
        """Whether one model's files are there (asked once; two first requests at once ask once)."""
        with self._lock:
            if ref not in self._known:
                self._known[ref] = self._probe(*ref)
                logger.info("%s %s", ref[0], "is available" if self._known[ref] else "is not available")
            return self._known[ref]

    def hub_allowed(self, alternatives: Sequence[Sequence[ModelRef]]) -> bool:
        """Whether a hub model should be tried: by the profile, or (auto) when all the files of one of the
        alternatives (e.g. base + adapter, or the mix checkpoint) answer."""
        if self.config.profile != "auto":
            return self.config.profile == HUB
        return any(all(self.available(ref) for ref in refs) for refs in alternatives)

    def reset(self) -> None:
        """Forget what was learnt about the Hub: the next question asks again (e.g. after the Hub came back)."""
        with self._lock:
            self._known.clear()


def catalog_source(config: AppConfig, profile: str, shipped: bool = False) -> tuple[str, int]:
    """(source to import, item limit): the configured one, the hub profile's default, or ("", 0) for catalog_dir
    (always when ``shipped``: the shipped catalog serves because the profile's own could not be imported)."""
    if shipped:
        return "", 0
    if config.catalog_source:
        return config.catalog_source, config.catalog_limit
    if profile == HUB and config.catalog_dir == DEFAULT_CATALOG_DIR:
        return DEFAULT_HUB_CATALOG_SOURCE, config.catalog_limit or DEFAULT_HUB_CATALOG_LIMIT
    return "", 0


def catalog_folder(config: AppConfig, profile: str, shipped: bool = False) -> Path:
    """The catalog folder that serves a profile: catalog_dir, or where an imported catalog source is kept; the one
    place this is decided (``shipped``: catalog_dir, the profile's own catalog could not be imported)."""
    source, limit = catalog_source(config, profile, shipped)
    if not source:
        return Path(config.catalog_dir)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", source.split(":", 1)[-1]).strip("-")[-60:] or "catalog"
    return Path(config.data_dir) / "catalogs" / (f"{slug}-{limit}" if limit else slug)
