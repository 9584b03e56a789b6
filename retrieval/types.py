"""The retrieval roles as small Protocols, and the scored result record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from knowledge.passage import Passage


@dataclass(frozen=True)
class ScoredPassage:
    """A passage with the score the retriever gave it (higher is better) and its rank (1-based).

    ``similarity`` is the embedding cosine between query and passage when the retriever knows
    it (a fused or reranked ``score`` is not on that scale); abstention is decided on it.
    """

    passage: Passage
    score: float
    rank: int
    similarity: float | None = None

    @property
    def evidence_score(self) -> float:
        """The cosine when known, else the score (dense retrieval: they are the same)."""
        return self.score if self.similarity is None else self.similarity


class Embedder(Protocol):
    """Turns texts into vectors."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dimension), each row L2-normalised."""
        ...


class Retriever(Protocol):
    """Finds the passages that best answer a query."""

    def search(self, query: str, top_k: int = 5, filters: dict | None = None) -> list[ScoredPassage]:
        """Return at most ``top_k`` passages, best first; ``filters`` maps a passage field
        (publisher, topic, region, doc_id) to the value or list of values it must have."""
        ...
