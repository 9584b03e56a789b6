"""Seeded percentile-bootstrap confidence intervals, single-run and paired.

Every headline metric in Ruiyi is either a *ratio* over cases (sum of per-case numerators
over sum of per-case denominators: accuracy is hits/cases, abstention precision is
correct-abstentions/abstentions, tokens per second is tokens/seconds) or a *statistic* of
per-case values (latency p50/p95). Cases are resampled with replacement; the interval is the
2.5th–97.5th percentile of the resampled metric. Paired intervals resample the *same* case ids
in both runs, which is what makes a small difference between two runs detectable.

The same seed gives the same interval. Does not decide which metrics exist (``summary``).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20240601

Statistic = Callable[[np.ndarray], np.ndarray]  # (resamples, n) -> (resamples,)


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap interval over ``n`` cases."""

    value: float
    low: float
    high: float
    n: int

    def excludes_zero(self) -> bool:
        return (self.low > 0 or self.high < 0) and not math.isnan(self.low)

    def to_dict(self, digits: int = 4) -> dict:
        def rounded(x: float):
            return None if math.isnan(x) else round(x, digits)
        return {"value": rounded(self.value), "ci_low": rounded(self.low),
                "ci_high": rounded(self.high), "n": self.n}


def metric_seed(seed: int, name: str) -> int:
    """A per-metric seed, so adding a metric never changes another metric's interval."""
    return (seed * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % (2**32)


def _check(n_resamples: int, confidence: float) -> None:
    if n_resamples < 10:
        raise ValueError(f"n_resamples must be >= 10, got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


# Resample in batches so that a large suite (tens of thousands of cases) stays within a few
# hundred MB: batch rows x n indices at most.
_MAX_BATCH_CELLS = 4_000_000


def _resample(n: int, n_resamples: int, seed: int,
              compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``compute`` to (rows, n) index batches and concatenate the per-row results."""
    rng = np.random.default_rng(seed)
    rows_per_batch = max(1, min(n_resamples, _MAX_BATCH_CELLS // max(n, 1)))
    out = []
    done = 0
    while done < n_resamples:
        rows = min(rows_per_batch, n_resamples - done)
        idx = rng.integers(0, n, size=(rows, n), dtype=np.int64)
        out.append(np.asarray(compute(idx), dtype=float))
        done += rows
    return np.concatenate(out)


def _interval(point: float, samples: np.ndarray, confidence: float, n: int) -> Interval:
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return Interval(point, math.nan, math.nan, n)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return Interval(point, float(low), float(high), n)


def _ratio(num: np.ndarray, den: np.ndarray, idx: np.ndarray) -> np.ndarray:
    totals = den[idx].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, num[idx].sum(axis=-1) / np.where(totals > 0, totals, 1), np.nan)


def _as_pair(numerators: Sequence[float], denominators: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.shape != den.shape or num.ndim != 1:
        raise ValueError(f"numerators and denominators must be 1-D and the same length, "
                         f"got {num.shape} and {den.shape}")
    return num, den


def bootstrap_ratio(numerators: Sequence[float], denominators: Sequence[float], *,
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                    confidence: float = 0.95) -> Interval:
    """Interval for sum(numerators) / sum(denominators); a mean when denominators are 1.

    Cases with denominator 0 (the metric does not apply to them) carry no weight; ``n``
    counts the cases it applies to.
    """
    _check(n_resamples, confidence)
    num, den = _as_pair(numerators, denominators)
    applies = den > 0
    num, den = num[applies], den[applies]
    if num.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    point = float(num.sum() / den.sum())
    samples = _resample(num.size, n_resamples, seed, lambda idx: _ratio(num, den, idx))
    return _interval(point, samples, confidence, int(num.size))


def bootstrap_statistic(values: Sequence[float], statistic: Statistic, *,
                        n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                        confidence: float = 0.95) -> Interval:
    """Interval for ``statistic`` (applied row-wise to resampled values), e.g. a percentile."""
    _check(n_resamples, confidence)
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    point = float(statistic(data[None, :])[0])
    samples = _resample(data.size, n_resamples, seed, lambda idx: statistic(data[idx]))
    return _interval(point, samples, confidence, int(data.size))


def paired_ratio_delta(num_a: Sequence[float], den_a: Sequence[float],
                       num_b: Sequence[float], den_b: Sequence[float], *,
                       n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                       confidence: float = 0.95) -> Interval:
    """Interval for ratio(B) - ratio(A), resampling the same cases in both runs.

    The arrays are aligned by case (same index = same case id). ``n`` counts the cases where
    the metric applies in either run.
    """
    _check(n_resamples, confidence)
    na, da = _as_pair(num_a, den_a)
    nb, db = _as_pair(num_b, den_b)
    if na.shape != nb.shape:
        raise ValueError(f"paired runs must have the same cases, got {na.size} and {nb.size}")
    applies = (da > 0) | (db > 0)
    na, da, nb, db = na[applies], da[applies], nb[applies], db[applies]
    if na.size == 0 or da.sum() == 0 or db.sum() == 0:
        return Interval(math.nan, math.nan, math.nan, int(na.size))
    point = float(nb.sum() / db.sum() - na.sum() / da.sum())
    samples = _resample(na.size, n_resamples, seed,
                        lambda idx: _ratio(nb, db, idx) - _ratio(na, da, idx))
    return _interval(point, samples, confidence, int(na.size))


def paired_statistic_delta(values_a: Sequence[float], values_b: Sequence[float],
                           statistic: Statistic, *, n_resamples: int = DEFAULT_RESAMPLES,
                           seed: int = DEFAULT_SEED, confidence: float = 0.95) -> Interval:
    """Interval for statistic(B) - statistic(A) over aligned per-case values."""
    _check(n_resamples, confidence)
    a = np.asarray(values_a, dtype=float)
    b = np.asarray(values_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired runs must have the same cases, got {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    point = float(statistic(b[None, :])[0] - statistic(a[None, :])[0])
    samples = _resample(a.size, n_resamples, seed,
                        lambda idx: np.asarray(statistic(b[idx])) - np.asarray(statistic(a[idx])))
    return _interval(point, samples, confidence, int(a.size))


def percentile_statistic(q: float) -> Statistic:
    """A row-wise percentile, for ``bootstrap_statistic`` (e.g. latency p95)."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be 0–100, got {q}")
    return lambda rows: np.percentile(rows, q, axis=-1)
