"""The peer baseline: LangChain's FAISS vector store over the same vectors and embedder.

Built with ``langchain_community.vectorstores.FAISS.from_embeddings`` from the vectors our
index holds (so both sides embed nothing twice) and an ``Embeddings`` adapter over the same
embedder for queries; LangChain's defaults otherwise (exact L2 search, which ranks
L2-normalised vectors exactly as inner product does). Used by ``ruiyi bench retrieval`` only;
LangChain types stay inside this module.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from knowledge.passage import Passage
from retrieval.index import embedding_text
from retrieval.types import Embedder


def _embeddings_adapter(embedder: Embedder):
    from langchain_core.embeddings import Embeddings

    class EmbedderEmbeddings(Embeddings):
        """LangChain ``Embeddings`` over a Ruiyi ``Embedder``."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

    return EmbedderEmbeddings()


class LangChainFaissBaseline:
    """``search_ids(query, top_k)`` and ``search_ids_by_vector(vector, top_k)`` return passage
    ids, best first, as LangChain's FAISS store ranks them."""

    def __init__(self, passages: Sequence[Passage], vectors: np.ndarray,
                 embedder: Embedder) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community's notice
            from langchain_community.vectorstores import FAISS

        if len(passages) != len(vectors):
            raise ValueError(f"got {len(passages)} passages but {len(vectors)} vectors")
        self.store = FAISS.from_embeddings(
            [(embedding_text(p), v.tolist()) for p, v in zip(passages, vectors)],
            _embeddings_adapter(embedder),
            metadatas=[{"passage_id": p.passage_id} for p in passages])

    def search_ids_by_vector(self, vector: np.ndarray, top_k: int) -> list[str]:
        found = self.store.similarity_search_with_score_by_vector(
            np.asarray(vector, dtype=np.float32).tolist(), k=top_k)
        return [document.metadata["passage_id"] for document, _ in found]

    def search_ids(self, query: str, top_k: int) -> list[str]:
        found = self.store.similarity_search_with_score(query, k=top_k)
        return [document.metadata["passage_id"] for document, _ in found]
