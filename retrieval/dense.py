"""Dense retrieval: embed the query, search the FAISS index, apply metadata filters."""

from __future__ import annotations

import numpy as np

from retrieval.filters import check_filters, matches
from retrieval.index import PassageIndex
from retrieval.query import check_query
from retrieval.types import Embedder, ScoredPassage


class DenseRetriever:
    def __init__(self, index: PassageIndex, embedder: Embedder) -> None:
        if index.manifest.embedder_id != embedder.model_id:
            raise ValueError(f"index was built with {index.manifest.embedder_id!r} but the "
                             f"embedder is {embedder.model_id!r}; rebuild with `ruiyi kb rebuild`")
        self.index = index
        self.embedder = embedder

    def search(self, query: str, top_k: int = 5, filters: dict | None = None) -> list[ScoredPassage]:
        query = check_query(query)
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        wanted = check_filters(filters)
        query_vector = self.embedder.embed([query])
        return self.search_vector(query_vector[0], top_k, wanted)

    def search_vector(self, query_vector: np.ndarray, top_k: int,
                      wanted: dict[str, set[str]] | None = None) -> list[ScoredPassage]:
        # With filters, look further down the list so that top_k matching passages remain.
        depth = len(self.index) if wanted else top_k
        scores, positions = self.index.search_vectors(query_vector[None, :], depth)
        results: list[ScoredPassage] = []
        for score, position in zip(scores[0], positions[0]):
            if position < 0:
                continue
            passage = self.index.passages[position]
            if wanted and not matches(passage, wanted):
                continue
            results.append(ScoredPassage(passage, float(score), len(results) + 1, float(score)))
            if len(results) == top_k:
                break
        return results
