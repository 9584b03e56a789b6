"""Fusing dense and lexical scores of the same candidate passages into one ranking.

Two families, both pure functions over aligned score arrays (one entry per candidate):

- **Weighted score fusion** (default): each system's scores are normalised per query, then
  combined as ``dense_weight * dense + lexical_weight * lexical``. Normalisations:
  ``minmax`` (candidate min → 0, max → 1), ``zscore`` (mean 0, sd 1) and ``tmm``
  ("theoretical min-max", Bruch et al. 2023: the lower bound is what the scorer can reach
  at worst, 0 for BM25 and for cosine, the upper bound the query's best candidate).
- **Reciprocal rank fusion** (Cormack et al. 2009): ``sum_i w_i / (k + rank_i)``.

Measured on MedQuAD (README "Retrieval"): plain RRF with k = 60 ranks *worse* at hit@1 than
dense alone, because it throws away how far ahead the best candidate is; the tuned weighted
fusion is better than either part. This module ranks numbers; it knows nothing of passages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FUSION_METHODS = ("weighted", "rrf")
NORMALISATIONS = ("minmax", "zscore", "tmm")


@dataclass(frozen=True)
class FusionConfig:
    """How to fuse. The defaults are the constants tuned on 500 MedQuAD questions (seeded,
    disjoint from the 2,000 reported); see README "Retrieval" for the sweep."""

    method: str = "weighted"
    dense_weight: float = 0.7
    lexical_weight: float = 0.3
    normalisation: str = "minmax"
    rrf_k: float = 60.0

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(f"fusion method must be one of {', '.join(FUSION_METHODS)}; "
                             f"got {self.method!r}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}; "
                             f"got {self.normalisation!r}")
        if self.dense_weight < 0 or self.lexical_weight < 0:
            raise ValueError("fusion weights must be >= 0, got dense_weight="
                             f"{self.dense_weight}, lexical_weight={self.lexical_weight}")
        if self.dense_weight + self.lexical_weight == 0:
            raise ValueError("at least one fusion weight must be > 0")
        if self.rrf_k <= 0:
            raise ValueError(f"rrf_k must be > 0, got {self.rrf_k}")


def normalise_scores(scores: np.ndarray, method: str, floor: float = 0.0) -> np.ndarray:
    """Per-query normalisation of one system's candidate scores (float64 out).

    ``floor`` is the theoretical minimum used by ``tmm``. A constant array maps to zeros
    (``minmax``, ``zscore``), so a system with no opinion adds nothing.
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return values
    if method == "minmax":
        low, high = values.min(), values.max()
        return (values - low) / (high - low) if high > low else np.zeros_like(values)
    if method == "zscore":
        spread = values.std()
        return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    if method == "tmm":
        high = values.max()
        if high <= floor:
            return np.zeros_like(values)
        return np.clip((values - floor) / (high - floor), 0.0, None)
    raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}; got {method!r}")


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry when sorted by score, best first (ties keep input order)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def reciprocal_rank_fusion(rank_lists: list[np.ndarray], weights: list[float],
                           k: float = 60.0) -> np.ndarray:
    """``sum_i weights[i] / (k + rank_lists[i])`` per candidate; ranks are 1-based and
    aligned on the same candidates."""
    if len(rank_lists) != len(weights):
        raise ValueError(f"got {len(rank_lists)} rank lists but {len(weights)} weights")
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    fused = np.zeros(len(rank_lists[0]) if rank_lists else 0, dtype=np.float64)
    for ranks, weight in zip(rank_lists, weights):
        fused += weight / (k + np.asarray(ranks, dtype=np.float64))
    return fused


def fuse(dense_scores: np.ndarray, lexical_scores: np.ndarray,
         config: FusionConfig = FusionConfig()) -> np.ndarray:
    """Fused score per candidate (higher is better); both inputs are aligned on candidates:
    cosine similarities and BM25 scores."""
    dense = np.asarray(dense_scores, dtype=np.float64)
    lexical = np.asarray(lexical_scores, dtype=np.float64)
    if dense.shape != lexical.shape:
        raise ValueError(f"dense and lexical scores must align, got shapes {dense.shape} "
                         f"and {lexical.shape}")
    if config.method == "rrf":
        return reciprocal_rank_fusion([ranks_of(dense), ranks_of(lexical)],
                                      [config.dense_weight, config.lexical_weight], config.rrf_k)
    return (config.dense_weight * normalise_scores(dense, config.normalisation)
            + config.lexical_weight * normalise_scores(lexical, config.normalisation))
