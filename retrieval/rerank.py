"""Optional cross-encoder reranking by model id (sentence-transformers ``CrossEncoder``).

A cross-encoder reads the query and a passage together and scores their relevance; it is
slower than the bi-encoder and so only reorders the head of the fused ranking
(``HybridConfig.rerank_depth``). No cross-encoder ships its weights on PyPI, so none is
available offline here: users with hub access name one (e.g.
``cross-encoder/ms-marco-MiniLM-L-6-v2``, ``BAAI/bge-reranker-base``), and the tests use a tiny
model built from a config with random weights. Nothing here pretends such a model is a real
reranker. Weights load lazily on first use.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)


class RerankerError(RuntimeError):
    """A reranking model could not be loaded or run."""


class Reranker(Protocol):
    """Scores (query, passage text) pairs; higher is more relevant."""

    model_id: str

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """Return float scores, one per text, on the model's own scale."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` by hub id or local path."""

    def __init__(self, model_id: str, model_path: str | Path | None = None,
                 batch_size: int = 16, max_length: int = 512, device: str = "cpu") -> None:
        if not model_id:
            raise ValueError("model_id must name a cross-encoder, e.g. "
                             "cross-encoder/ms-marco-MiniLM-L-6-v2")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        if max_length <= 0:
            raise ValueError(f"max_length must be > 0, got {max_length}")
        self.model_id = model_id
        self.model_path = str(model_path or model_id)
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self._model = None

    def load(self) -> "CrossEncoderReranker":
        if self._model is None:
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as e:
                raise RerankerError("reranking needs sentence-transformers: "
                                    "pip install sentence-transformers") from e
            started = time.perf_counter()
            try:
                self._model = CrossEncoder(self.model_path, max_length=self.max_length,
                                           device=self.device)
            except Exception as e:  # hub, file and config errors all land here; name the model
                raise RerankerError(f"could not load cross-encoder {self.model_id!r} from "
                                    f"{self.model_path}: {e}. Offline, pass a local path; "
                                    "online, check the model id") from e
            logger.info("loaded cross-encoder %s in %.2f s", self.model_id,
                        time.perf_counter() - started)
        return self

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        self.load()
        pairs = [(query, text) for text in texts]
        try:
            scores = self._model.predict(pairs, batch_size=self.batch_size,
                                         show_progress_bar=False, convert_to_numpy=True)
        except Exception as e:
            raise RerankerError(f"cross-encoder {self.model_id!r} failed on "
                                f"{len(pairs)} pairs: {e}") from e
        scores = np.asarray(scores, dtype=np.float32)
        if scores.ndim == 2:
            # A multi-label head: the last column is the "relevant" class by convention.
            scores = scores[:, -1]
        return scores
