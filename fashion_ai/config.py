"""Settings of the app: one typed dataclass, read once from FASHION_AI_* environment variables or the CLI."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
ENV_PREFIX = "FASHION_AI_"

DEFAULT_PROFILE = "auto"
DEFAULT_PALIGEMMA_ID = "google/paligemma2-3b-pt-224"  # the base our LoRA adapters are trained on
DEFAULT_ADAPTER_ID = ""  # none published yet: train one with train_space.py and set FASHION_AI_ADAPTER_ID
DEFAULT_MIX_ID = "google/paligemma2-3b-mix-224"  # instruction-tuned: answers zero-shot when there is no adapter
DEFAULT_CLIP_ID = "patrickjohncyh/fashion-clip"
DEFAULT_TEXT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"  # offline: the same model, from its PyPI package
DEFAULT_EXTRACTOR = "auto"
EXTRACTORS = ("auto", "paligemma", "clip")
DEFAULT_DECODING = "constrained"
DECODINGS = ("constrained", "free")
# Test-time flip of the constrained decoder: on the demo extractor's tuning data (Fashion-MNIST's 5,000 held-out train
# photos) it reads 14 more categories right for ~1.4x the scoring time of an upload (README, "Training").
DEFAULT_MIRROR = True
DEFAULT_TAG_CATALOG = True
DEFAULT_MODEL_WORKER = "auto"
MODEL_WORKERS = ("auto", "process", "inline")
DEFAULT_DEMO_EXTRACTOR_DIR = str(ASSETS_DIR / "models" / "extractor")
DEFAULT_DEMO_EMBEDDER_DIR = str(ASSETS_DIR / "models" / "embedder")
DEFAULT_CATALOG_DIR = str(ASSETS_DIR / "catalog")
DEFAULT_DATA_DIR = str(PROJECT_ROOT / "data")
# The real catalog the hub profile imports and indexes on first start (the images the seed taggers learned from).
DEFAULT_HUB_CATALOG_SOURCE = "products:ashraq/fashion-product-images-small"
DEFAULT_HUB_CATALOG_LIMIT = 5000
DEFAULT_HOST = "127.0.0.1"
SPACE_HOST = "0.0.0.0"  # a Space's proxy reaches the app from outside its container
DEFAULT_PORT = 7860
DEFAULT_MAX_UPLOAD_MB = 10
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_QUERY_CHARS = 300
# JSON request bodies (API calls, MCP tool calls, the page's own events); uploads have max_upload_mb instead. Room for
# a photo of DEFAULT_MAX_UPLOAD_MB pasted inline as base64 (4/3 of its size: 13.3 MB) and the call around it.
DEFAULT_MAX_REQUEST_MB = 14
DEFAULT_MCP_SERVER = True  # agents call the app's tools at /gradio_api/mcp/ (needs gradio[mcp])
DEFAULT_RESULTS = 12
# The catalog index's HNSW graph (Chroma), chosen by measurement for catalogs up to 1M items: see README
# "Catalogs of a million items". Neighbours and construction effort are fixed when an index is built.
DEFAULT_HNSW_MAX_NEIGHBORS = 32
DEFAULT_HNSW_EF_CONSTRUCTION = 200
DEFAULT_HNSW_EF_SEARCH = 256
PROFILES = ("auto", "demo", "hub")
DEMO_BANNER = "Offline demo models, trained on the synthetic catalog"


@dataclass
class AppConfig:
    """Everything the app can be told; each field is env var FASHION_AI_<NAME> and flag --<name>."""

    profile: str = field(default=DEFAULT_PROFILE, metadata={"help": "demo, hub, or auto (hub when its models "
                                                                    "are reachable or cached, else demo)"})
    paligemma_id: str = field(default=DEFAULT_PALIGEMMA_ID, metadata={"help": "hub PaliGemma base (hub profile)"})
    adapter_id: str = field(default=DEFAULT_ADAPTER_ID, metadata={"help": "hub LoRA adapter trained on paligemma_id "
                                                                          "(hub profile); empty: the mix checkpoint "
                                                                          "answers zero-shot"})
    mix_id: str = field(default=DEFAULT_MIX_ID, metadata={"help": "instruction-tuned PaliGemma that reads attributes "
                                                                  "zero-shot when there is no adapter (hub profile)"})
    extractor: str = field(default=DEFAULT_EXTRACTOR, metadata={"help": "attribute extractor: paligemma, clip "
                                                                        "(CLIP zero-shot, runs on CPU), or auto "
                                                                        "(paligemma on a GPU or with the demo models, "
                                                                        "else clip)"})
    decoding: str = field(default=DEFAULT_DECODING, metadata={"help": "constrained (every value from the schema, "
                                                                      "JSON that always parses, unsure fields left "
                                                                      "out) or free (greedy generation, repaired)"})
    mirror: bool = field(default=DEFAULT_MIRROR, metadata={
        "help": "constrained decoding scores every choice on the photo and its mirror image and takes the mean "
                "(no: the photo alone, faster)"})
    model_worker: str = field(default=DEFAULT_MODEL_WORKER, metadata={
        "help": "where the PaliGemma extractor runs: process (a child process at a lower CPU priority, so searches "
                "never wait behind a photo), inline (the app's process), or auto (process, except on ZeroGPU, whose "
                "GPU is attached to the app's own calls)"})
    tag_catalog: bool = field(default=DEFAULT_TAG_CATALOG, metadata={
        "help": "once the index serves, the attribute extractor tags the catalog's items that lack a category, "
                "colour or pattern, in the background (python -m fashion_ai.tagging does it ahead of time)"})
    clip_id: str = field(default=DEFAULT_CLIP_ID, metadata={"help": "hub CLIP checkpoint (hub profile)"})
    text_model_id: str = field(default=DEFAULT_TEXT_MODEL_ID, metadata={
        "help": "sentence-transformers model that reads shoppers' words and item texts (hub profile; the demo "
                "profile uses the packaged all-MiniLM-L6-v2)"})
    load_in_4bit: bool = field(default=True, metadata={"help": "4-bit nf4 PaliGemma on CUDA (float on CPU)"})
    demo_extractor_dir: str = field(default=DEFAULT_DEMO_EXTRACTOR_DIR, metadata={"help": "demo extractor weights"})
    demo_embedder_dir: str = field(default=DEFAULT_DEMO_EMBEDDER_DIR, metadata={"help": "demo embedder weights"})
    catalog_dir: str = field(default=DEFAULT_CATALOG_DIR, metadata={"help": "catalog folder (catalog.jsonl + "
                                                                           "images) indexed on first start"})
    catalog_source: str = field(default="", metadata={
        "help": "a real catalog to import and index instead of catalog_dir: products:<hub id | parquet | csv | "
                "jsonl> in the ashraq/fashion-product-images-small layout or with our item columns (id, title, "
                "image, price, url, ...); the hub profile defaults to " + DEFAULT_HUB_CATALOG_SOURCE})
    catalog_limit: int = field(default=0, metadata={"help": "import at most N items of catalog_source (0 = all; "
                                                           f"{DEFAULT_HUB_CATALOG_LIMIT} for the hub default)"})
    data_dir: str = field(default=DEFAULT_DATA_DIR, metadata={"help": "where the Chroma index (and imported "
                                                                     "catalogs) are kept"})
    chroma_url: str = field(default="", metadata={"help": "http://host:port of a Chroma server to use instead of "
                                                         "the embedded store"})
    host: str = field(default="", metadata={"help": "address the app listens on; empty: GRADIO_SERVER_NAME, else "
                                                    f"{SPACE_HOST} on a Space (SPACE_ID set), else {DEFAULT_HOST}"})
    port: int = field(default=0, metadata={"help": f"port the app listens on; 0: GRADIO_SERVER_PORT, else {DEFAULT_PORT}"})
    max_upload_mb: int = field(default=DEFAULT_MAX_UPLOAD_MB, metadata={"help": "largest upload accepted"})
    max_image_pixels: int = field(default=DEFAULT_MAX_IMAGE_PIXELS, metadata={"help": "largest image (w*h) "
                                                                                      "decoded"})
    max_query_chars: int = field(default=DEFAULT_MAX_QUERY_CHARS, metadata={
        "help": "longest text a shopper may send (a search, the stylist's prompt, a chat message), in characters"})
    max_request_mb: int = field(default=DEFAULT_MAX_REQUEST_MB, metadata={
        "help": "largest JSON request body (API and MCP calls, the page's events), refused before it is read; "
                "uploads are capped by max_upload_mb instead"})
    mcp_server: bool = field(default=DEFAULT_MCP_SERVER, metadata={
        "help": "serve search, photo search, attributes, stylist and the chat as MCP tools for AI agents at "
                "/gradio_api/mcp/ (no: off)"})
    results: int = field(default=DEFAULT_RESULTS, metadata={"help": "items shown per search"})
    hnsw_max_neighbors: int = field(default=DEFAULT_HNSW_MAX_NEIGHBORS, metadata={
        "help": "links per item in the catalog index's HNSW graph (fixed when the index is built)"})
    hnsw_ef_construction: int = field(default=DEFAULT_HNSW_EF_CONSTRUCTION, metadata={
        "help": "candidates weighed per link when the index is built (fixed when the index is built)"})
    hnsw_ef_search: int = field(default=DEFAULT_HNSW_EF_SEARCH, metadata={
        "help": "candidates weighed per search (at least the results asked for; may change on an existing index)"})

    def __post_init__(self) -> None:
        self.profile = self.profile.strip().lower()
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r} "
                             f"(set {ENV_PREFIX}PROFILE)")
        for name in ("max_upload_mb", "max_image_pixels", "max_query_chars", "max_request_mb", "results",
                     "hnsw_max_neighbors", "hnsw_ef_construction", "hnsw_ef_search"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive (set {ENV_PREFIX}{name.upper()})")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 1 and 65535, or 0 for the platform's (set {ENV_PREFIX}PORT)")
        for name, allowed in (("extractor", EXTRACTORS), ("decoding", DECODINGS), ("model_worker", MODEL_WORKERS)):
            value = getattr(self, name).strip().lower()
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r} "
                                 f"(set {ENV_PREFIX}{name.upper()})")
            setattr(self, name, value)
        if self.catalog_limit < 0:
            raise ValueError(f"catalog_limit cannot be negative (set {ENV_PREFIX}CATALOG_LIMIT)")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must look like http://host:port, not {self.chroma_url!r}")

    @property
    def chroma_path(self) -> Path:
        return Path(self.data_dir) / "chroma"

    def with_overrides(self, **changes) -> AppConfig:
        return dataclasses.replace(self, **changes)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def _convert(kind: type | str, text: str):
    kind_name = kind if isinstance(kind, str) else kind.__name__
    if kind_name == "bool":
        return _parse_bool(text)
    if kind_name == "int":
        return int(text)
    return text


def config_from_env(environ: dict[str, str] | None = None) -> AppConfig:
    """Build the config from FASHION_AI_* variables (unknown or malformed values raise ValueError)."""
    environ = dict(os.environ if environ is None else environ)
    values = {}
    for f in fields(AppConfig):
        key = ENV_PREFIX + f.name.upper()
        if key in environ:
            try:
                values[f.name] = _convert(f.type, environ[key])
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from exc
    return AppConfig(**values)


def build_arg_parser(defaults: AppConfig) -> argparse.ArgumentParser:
    """transformers' HfArgumentParser over AppConfig, as train_space.py parses its settings: --max-upload-mb and
    --max_upload_mb (the setting as its env var spells it) per field, the current values (the environment's) as
    defaults, help naming each env var, and yes/no settings read as their env vars are (yes/no, on/off, 1/0)."""
    from transformers import HfArgumentParser  # here, not at the top: `import app` stays without transformers

    parser = HfArgumentParser(AppConfig, description="Fashion AI: attribute extraction, outfit search, AI stylist.",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.set_defaults(**dataclasses.asdict(defaults))
    names = {f.name for f in fields(AppConfig)}
    for action in parser._actions:
        if action.dest not in names or action.const is False:  # --no_<name>: the switch HfArgumentParser adds
            continue
        action.help = f"{action.help or ''} [env {ENV_PREFIX}{action.dest.upper()}]"
        if action.const is True:  # a yes/no setting ("--mirror" alone says yes)
            action.type, action.metavar = _parse_bool, "yes|no"
    return parser


def load_config(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> AppConfig:
    """Env vars first, then CLI flags on top: the one place settings are read (ValueError for a flag it does not
    know, as for a bad value)."""
    defaults = config_from_env(environ)
    if argv is None:
        return defaults
    (config,) = build_arg_parser(defaults).parse_args_into_dataclasses(argv, look_for_args_file=False)
    return config


def listen_address(config: AppConfig, environ: dict[str, str] | None = None) -> tuple[str, int]:
    """Where the app listens: its own setting if given, else the platform's (Gradio's variables, which the Spaces
    runtime sets), else all interfaces on a Space, else loopback; the port likewise, else 7860."""
    environ = dict(os.environ if environ is None else environ)
    host = config.host or environ.get("GRADIO_SERVER_NAME", "").strip()
    if not host:
        host = SPACE_HOST if environ.get("SPACE_ID") else DEFAULT_HOST
    port = config.port
    if not port:
        text = environ.get("GRADIO_SERVER_PORT", "").strip()
        try:
            port = int(text) if text else DEFAULT_PORT
        except ValueError as exc:
            raise ValueError(f"GRADIO_SERVER_PORT must be a port number, not {text!r}") from exc
    return host, port
