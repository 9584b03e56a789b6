"""Ranking metrics for retrieval: hit@k, reciprocal rank, nDCG@k, and their means.

Pure functions over passage ids with binary relevance (a passage is gold or it is not). No
models, files or randomness here; the benchmark runner and ``eval`` both call these.
"""

from __future__ import annotations

import math
from typing import Collection, Iterable, Sequence

import numpy as np


def hit_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int) -> float:
    """1.0 when any gold passage is among the first ``k`` ranked, else 0.0."""
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    gold = set(gold_ids)
    return 1.0 if any(pid in gold for pid in ranked_ids[:k]) else 0.0


def reciprocal_rank(ranked_ids: Sequence[str], gold_ids: Collection[str]) -> float:
    """1 / rank of the first gold passage (0.0 when none is ranked)."""
    gold = set(gold_ids)
    for rank, pid in enumerate(ranked_ids, 1):
        if pid in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k.

    DCG sums 1 / log2(rank + 1) over gold passages at ranks 1..k (a repeated id counts once);
    the ideal DCG puts min(len(gold), k) gold passages first.
    """
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    gold = set(gold_ids)
    if not gold:
        raise ValueError("ndcg_at_k needs at least one gold passage id")
    seen: set[str] = set()
    dcg = 0.0
    for rank, pid in enumerate(ranked_ids[:k], 1):
        if pid in gold and pid not in seen:
            dcg += 1.0 / math.log2(rank + 1)
        seen.add(pid)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def summarise_rankings(rankings: Iterable[tuple[Sequence[str], Collection[str]]],
                       ks: Sequence[int] = (1, 5, 10), ndcg_k: int = 10) -> dict[str, float]:
    """Means over questions of hit@k for each k, MRR and nDCG@``ndcg_k``.

    ``rankings`` yields (ranked passage ids, gold ids) per question. Keys: ``hit@1``, ...,
    ``mrr``, ``ndcg@10``, ``questions``.
    """
    totals: dict[str, float] = {f"hit@{k}": 0.0 for k in ks}
    totals.update({"mrr": 0.0, f"ndcg@{ndcg_k}": 0.0})
    count = 0
    for ranked, gold in rankings:
        count += 1
        for k in ks:
            totals[f"hit@{k}"] += hit_at_k(ranked, gold, k)
        totals["mrr"] += reciprocal_rank(ranked, gold)
        totals[f"ndcg@{ndcg_k}"] += ndcg_at_k(ranked, gold, ndcg_k)
    if count == 0:
        raise ValueError("summarise_rankings needs at least one question")
    summary = {name: value / count for name, value in totals.items()}
    summary["questions"] = count
    return summary


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100, linear interpolation) of durations, in milliseconds."""
    if not seconds:
        raise ValueError("percentile_ms needs at least one duration")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be 0–100, got {q}")
    return float(np.percentile(np.asarray(seconds, dtype=np.float64) * 1000.0, q))
