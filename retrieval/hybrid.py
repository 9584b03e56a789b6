"""Hybrid retrieval: dense FAISS and BM25 candidates, fused, optionally reranked, de-duplicated.

Common GP abbreviations in the query are spelled out after it first ("AOM" → "acute otitis
media", ``abbreviations``). Then the retriever takes the best ``candidate_depth`` passages of
each system, scores every candidate with *both* (the cosine of a BM25-only candidate is
computed from its stored vector, the BM25 score of a dense-only one from the full BM25 score
array), fuses the two scores (``fusion``), optionally reorders the head with a cross-encoder
(``rerank``) and then walks down the ranking skipping near-duplicates (same text, or vectors
closer than ``duplicate_similarity``), or applies MMR when ``mmr_lambda`` is set.

Each result's ``similarity`` is the embedding cosine, whatever produced the ranking, so the
assistant's abstention threshold keeps its meaning. Bad input is refused with a clear error
(``QueryError`` / ``ValueError``); a search that cannot match anything returns an empty
``RetrievalResults`` whose ``reason`` says why. Query condensation for follow-ups happens
before this (``assistant.followup``).
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Sequence

import numpy as np

from retrieval.abbreviations import expand_abbreviations
from retrieval.bm25 import BM25Config, BM25Index
from retrieval.filters import FILTERABLE_FIELDS, _field_value, check_filters
from retrieval.fusion import FusionConfig, fuse
from retrieval.index import PassageIndex, embedding_text
from retrieval.query import QueryError, check_query
from retrieval.types import Embedder, ScoredPassage

logger = logging.getLogger(__name__)

# Friendlier names accepted in filters, mapped onto passage fields.
FILTER_ALIASES = {"document": "doc_id", "guideline": "doc_id"}
_PUBLISHER_PARTS = re.compile(r"[\s,()]+")
_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)


class RetrievalResults(list):
    """A list of ``ScoredPassage``; when empty, ``reason`` says why nothing was returned."""

    def __init__(self, items: Sequence[ScoredPassage] = (), reason: str = "") -> None:
        super().__init__(items)
        self.reason = reason


@dataclass(frozen=True)
class HybridConfig:
    """Hybrid retrieval settings; defaults tuned on a MedQuAD sample (README "Retrieval")."""

    candidate_depth: int = 100
    fusion: FusionConfig = field(default_factory=FusionConfig)
    bm25: BM25Config = field(default_factory=BM25Config)
    duplicate_similarity: float = 0.98
    mmr_lambda: float | None = None
    rerank_depth: int = 20
    expand_abbreviations: bool = True

    def __post_init__(self) -> None:
        if self.candidate_depth <= 0:
            raise ValueError(f"candidate_depth must be > 0, got {self.candidate_depth}")
        if not 0 < self.duplicate_similarity <= 1:
            raise ValueError("duplicate_similarity must be in (0, 1], got "
                             f"{self.duplicate_similarity}")
        if self.mmr_lambda is not None and not 0 <= self.mmr_lambda <= 1:
            raise ValueError(f"mmr_lambda must be 0–1 or None, got {self.mmr_lambda}")
        if self.rerank_depth <= 0:
            raise ValueError(f"rerank_depth must be > 0, got {self.rerank_depth}")

    def to_dict(self) -> dict:
        """Plain JSON types, as the index manifest records them."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "HybridConfig":
        """The inverse of ``to_dict``; unknown keys are refused by the dataclasses."""
        data = dict(data)
        fusion = FusionConfig(**data.pop("fusion", {}))
        bm25 = BM25Config(**data.pop("bm25", {}))
        return cls(fusion=fusion, bm25=bm25, **data)


def normalise_filters(filters: dict | None) -> dict[str, set[str]]:
    """Check filter values and names (aliases such as ``document`` → ``doc_id`` allowed);
    a value must be a string or a non-empty list of strings."""
    if not filters:
        return {}
    if not isinstance(filters, dict):
        raise ValueError("filters must be a dict of field → value(s), got "
                         f"{type(filters).__name__}")
    renamed: dict = {}
    for name, wanted in filters.items():
        name = FILTER_ALIASES.get(name, name) if isinstance(name, str) else name
        values = [wanted] if isinstance(wanted, str) else wanted
        if not isinstance(values, (list, tuple, set, frozenset)) or not values or not all(
                isinstance(v, str) for v in values):
            raise ValueError(f"filter {name!r} must be a string or a non-empty list of strings, "
                             f"got {wanted!r}")
        renamed[name] = list(values)
    return check_filters(renamed)


def require_words(query: str) -> None:
    """Refuse a query with no letter or digit (emoji or punctuation only): nothing to match."""
    if not _HAS_WORD.search(query):
        raise QueryError("the question has no letters or digits to search for; "
                         "type the clinical question in words")


class HybridRetriever:
    """Dense + BM25 retrieval over one ``PassageIndex`` (satisfies ``Retriever``)."""

    def __init__(self, index: PassageIndex, embedder: Embedder,
                 config: HybridConfig | None = None, reranker=None,
                 bm25: BM25Index | None = None) -> None:
        if index.manifest.embedder_id != embedder.model_id:
            raise ValueError(f"index was built with {index.manifest.embedder_id!r} but the "
                             f"embedder is {embedder.model_id!r}; rebuild with `ruiyi kb rebuild`")
        self.index = index
        self.embedder = embedder
        self.config = config or HybridConfig()
        self.reranker = reranker
        self.bm25 = bm25 or BM25Index(index.passages, self.config.bm25)
        if len(self.bm25) != len(index):
            raise ValueError(f"the BM25 index has {len(self.bm25)} passages but the vector index "
                             f"{len(index)}; build both from the same passages")
        self._field_values: dict[str, np.ndarray] = {}
        self._publishers: list[frozenset[str]] | None = None
        self._text_keys = [p.content_hash for p in index.passages]

    # -- filters ------------------------------------------------------------------------------

    def _allowed_mask(self, wanted: dict[str, set[str]]) -> np.ndarray | None:
        if not wanted:
            return None
        mask = np.ones(len(self.index), dtype=bool)
        for name, values in wanted.items():
            if name == "publisher":
                mask &= np.array([bool(names & values) for names in self._publisher_names()])
                continue
            if name not in self._field_values:
                self._field_values[name] = np.array(
                    [_field_value(p, name).lower() for p in self.index.passages], dtype=object)
            mask &= np.isin(self._field_values[name], list(values))
        return mask

    def _publisher_names(self) -> list[frozenset[str]]:
        """Each passage's publisher as the full name and its parts, lower-cased, so that
        ``publisher=NICE`` also keeps "NICE CKS" and "NICE, BTS and SIGN" guidelines."""
        if self._publishers is None:
            self._publishers = [
                frozenset({p.source.publisher.lower(),
                           *(w for w in _PUBLISHER_PARTS.split(p.source.publisher.lower()) if w)})
                - {"and"}
                for p in self.index.passages]
        return self._publishers

    # -- search -----------------------------------------------------------------------------

    def search(self, query: str, top_k: int = 5, filters: dict | None = None) -> RetrievalResults:
        query = check_query(query)
        if not isinstance(top_k, int) or top_k <= 0:
            raise ValueError(f"top_k must be a whole number > 0, got {top_k!r}")
        wanted = normalise_filters(filters)
        require_words(query)
        query = self.prepare_query(query)
        query_vector = self.embedder.embed([query])[0]
        return self.search_with_vector(query, query_vector, top_k, wanted)

    def prepare_query(self, query: str) -> str:
        """The text actually searched: the query with GP abbreviations spelled out after it
        (``retrieval.abbreviations``) unless the config turns that off."""
        return expand_abbreviations(query) if self.config.expand_abbreviations else query

    def search_with_vector(self, query: str, query_vector: np.ndarray, top_k: int,
                           wanted: dict[str, set[str]] | None = None) -> RetrievalResults:
        """The search after the query is prepared and embedded (benchmarks time this part
        separately): ``query`` and ``query_vector`` must both come from ``prepare_query``."""
        allowed = self._allowed_mask(wanted or {})
        if allowed is not None and not allowed.any():
            return RetrievalResults(reason=self._no_match_reason(wanted or {}))
        depth = max(self.config.candidate_depth, top_k)
        _, dense_positions = self._dense_candidates(query_vector, depth, allowed)
        lexical_all = self.bm25.scores(query)
        if allowed is not None:
            lexical_all = np.where(allowed, lexical_all, 0.0).astype(np.float32)
        lexical_positions = _top_positions(lexical_all, depth)

        candidates = np.unique(np.concatenate([dense_positions, lexical_positions]))
        if len(candidates) == 0:
            return RetrievalResults(reason="no passage could be scored for this question")
        vectors = self._vectors(candidates)
        cosine = vectors @ np.asarray(query_vector, dtype=np.float32)
        fused = fuse(cosine, lexical_all[candidates], self._fusion_for(query))
        order = np.argsort(-fused, kind="stable")

        scores = fused
        if self.reranker is not None:
            order, scores = self._rerank(query, candidates, order, fused)
        chosen = self._diversify(order, candidates, vectors, scores, top_k)
        return RetrievalResults([
            ScoredPassage(self.index.passages[candidates[i]], float(scores[i]), rank,
                          float(cosine[i]))
            for rank, i in enumerate(chosen, 1)])

    def _no_match_reason(self, wanted: dict[str, set[str]]) -> str:
        """Why a filter matched nothing, with the values each filtered field does have, those
        that contain what was typed first (``topic=asthma`` → "asthma-adults, ...")."""
        parts = []
        for name, values in wanted.items():
            known = sorted({_field_value(p, name).lower() for p in self.index.passages} - {""},
                           key=lambda known_value: (not any(v in known_value for v in values),
                                                    known_value))
            shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more"
                                             if len(known) > 12 else "")
            parts.append(f"{name}={sorted(values)} (values here: {shown or 'none'})")
        return f"no passage matches the filters: {'; '.join(parts)}"

    def _fusion_for(self, query: str) -> FusionConfig:
        """BM25's weight scaled by how much of the query it can read (``BM25Index.coverage``):
        for a Chinese question over English passages it only matches stray numbers, and at
        full weight that noise outranked the multilingual embedder's answer."""
        fusion = self.config.fusion
        coverage = self.bm25.coverage(query)
        if coverage >= 1.0 or fusion.lexical_weight == 0:
            return fusion
        if fusion.dense_weight == 0 and coverage == 0:
            return fusion  # BM25 alone was asked for: nothing to fall back on
        return replace(fusion, lexical_weight=fusion.lexical_weight * coverage)

    def _dense_candidates(self, query_vector: np.ndarray, depth: int,
                          allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        from retrieval.ann import search_parameters

        depth = min(depth, len(self.index))
        queries = np.ascontiguousarray(query_vector[None, :], dtype=np.float32)
        params = search_parameters(self.index.faiss_index,
                                   None if allowed is None else np.flatnonzero(allowed))
        with single_thread_search():
            if params is None:
                scores, positions = self.index.faiss_index.search(queries, depth)
            else:
                scores, positions = self.index.faiss_index.search(queries, depth, params=params)
        keep = positions[0] >= 0
        return scores[0][keep], positions[0][keep]

    def _vectors(self, positions: np.ndarray) -> np.ndarray:
        from retrieval.ann import reconstruct

        return reconstruct(self.index.faiss_index, positions)

    def _rerank(self, query: str, candidates: np.ndarray, order: np.ndarray,
                fused: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        head = order[:self.config.rerank_depth]
        texts = [embedding_text(self.index.passages[candidates[i]]) for i in head]
        rerank_scores = np.asarray(self.reranker.score(query, texts), dtype=np.float64)
        head = head[np.argsort(-rerank_scores, kind="stable")]
        scores = fused.astype(np.float64).copy()
        # The head is ordered by the cross-encoder; its scores replace the fused ones there,
        # and the tail stays below the head whatever the two scales are.
        scores[order[:len(head)]] = rerank_scores
        tail = order[len(head):]
        if len(tail):
            scores[tail] = rerank_scores.min() - 1.0 - 1e-3 * np.arange(len(tail))
        return np.concatenate([head, tail]), scores

    def _diversify(self, order: np.ndarray, candidates: np.ndarray, vectors: np.ndarray,
                   scores: np.ndarray, top_k: int) -> list[int]:
        if self.config.mmr_lambda is not None:
            return _mmr(order, vectors, scores, top_k, self.config.mmr_lambda)
        chosen: list[int] = []
        seen_texts: set[str] = set()
        for i in order:
            key = self._text_keys[candidates[i]]
            if key in seen_texts:
                continue
            if chosen and float(np.max(vectors[chosen] @ vectors[i])) >= \
                    self.config.duplicate_similarity:
                continue
            chosen.append(int(i))
            seen_texts.add(key)
            if len(chosen) == top_k:
                break
        return chosen


@contextmanager
def single_thread_search():
    """One OpenMP thread for one query's FAISS search, then back to what it was.

    A single query gains nothing from a second thread, and on a busy 2-core machine waking
    it costs: p95 for one query over 15,817 vectors was 32 ms with 2 threads and 13 ms with 1.
    The setting is per calling thread (OpenMP's nthreads-var), so other threads are unaffected.
    """
    import faiss

    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _top_positions(scores: np.ndarray, depth: int) -> np.ndarray:
    positive = np.flatnonzero(scores > 0)
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    return positive


def _mmr(order: np.ndarray, vectors: np.ndarray, scores: np.ndarray, top_k: int,
         relevance_weight: float) -> list[int]:
    """Maximal marginal relevance (Carbonell & Goldstein 1998) over the ranked candidates:
    pick the candidate maximising ``λ·relevance − (1−λ)·max similarity to those picked``,
    relevance being the score min-max normalised over the pool."""
    pool = list(order[:max(top_k * 5, 20)])
    relevance = np.asarray(scores, dtype=np.float64)
    low, high = relevance[pool].min(), relevance[pool].max()
    relevance = (relevance - low) / (high - low) if high > low else np.zeros_like(relevance)
    chosen: list[int] = []
    while pool and len(chosen) < top_k:
        if chosen:
            redundancy = (vectors[pool] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(pool))
        gains = relevance_weight * relevance[pool] - (1 - relevance_weight) * redundancy
        best = int(np.argmax(gains))
        chosen.append(int(pool.pop(best)))
    return chosen
