"""Bootstrap intervals: determinism, sensible widths, ratio weighting, pairing."""

import math

import numpy as np
import pytest

from eval.bootstrap import (bootstrap_ratio, bootstrap_statistic, metric_seed, paired_ratio_delta,
                            paired_statistic_delta, percentile_statistic)


def test_same_seed_same_interval_and_other_seed_differs():
    hits = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1] * 5
    ones = [1] * len(hits)
    first = bootstrap_ratio(hits, ones, seed=7)
    again = bootstrap_ratio(hits, ones, seed=7)
    other = bootstrap_ratio(hits, ones, seed=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert first.value == pytest.approx(0.7) and first.n == 50
    assert first.low < 0.7 < first.high


def test_interval_width_matches_the_normal_approximation():
    # 400 cases at p = 0.5: the 95% interval is about ±1.96 * sqrt(.25 / 400) = ±0.049.
    hits = [1, 0] * 200
    interval = bootstrap_ratio(hits, [1] * 400, n_resamples=2000, seed=1)
    assert interval.high - interval.low == pytest.approx(0.098, abs=0.015)


def test_constant_values_give_a_zero_width_interval():
    interval = bootstrap_ratio([1] * 20, [1] * 20)
    assert (interval.value, interval.low, interval.high) == (1.0, 1.0, 1.0)


def test_ratio_ignores_cases_where_the_metric_does_not_apply():
    # Abstention precision: [correct abstention, abstained]; only 3 cases abstained, 2 correctly.
    interval = bootstrap_ratio([1, 0, 1, 0, 0], [1, 1, 1, 0, 0])
    assert interval.value == pytest.approx(2 / 3) and interval.n == 3


def test_ratio_of_sums_weights_cases_by_denominator():
    # Tokens per second: (10 + 90) / (1 + 9) = 10.
    assert bootstrap_ratio([10, 90], [1, 9]).value == 10.0


def test_empty_metric_is_nan_not_zero():
    interval = bootstrap_ratio([0, 0], [0, 0])
    assert math.isnan(interval.value) and interval.n == 0
    assert interval.to_dict()["value"] is None


def test_percentile_statistic_interval():
    latencies = list(range(1, 101))
    interval = bootstrap_statistic(latencies, percentile_statistic(50), seed=3)
    assert interval.value == pytest.approx(50.5)
    assert interval.low < 50.5 < interval.high


def test_paired_delta_of_identical_runs_is_exactly_zero():
    hits = [1, 0, 1, 1, 0, 0, 1] * 10
    ones = [1] * len(hits)
    delta = paired_ratio_delta(hits, ones, hits, ones)
    assert (delta.value, delta.low, delta.high) == (0.0, 0.0, 0.0)
    assert not delta.excludes_zero()


def test_pairing_detects_a_small_consistent_gain_that_unpaired_intervals_miss():
    rng = np.random.default_rng(0)
    a = (rng.random(300) < 0.6).astype(float)
    b = a.copy()
    flipped = np.flatnonzero(a == 0)[:12]  # B fixes 12 of A's errors and breaks nothing: +4 points
    b[flipped] = 1
    ones = np.ones(300)
    delta = paired_ratio_delta(a, ones, b, ones, seed=5)
    assert delta.value == pytest.approx(0.04)
    assert delta.excludes_zero() and delta.low > 0
    # Unpaired, the two single-run intervals overlap.
    ia, ib = bootstrap_ratio(a, ones, seed=5), bootstrap_ratio(b, ones, seed=6)
    assert ib.low < ia.high


def test_paired_statistic_delta_for_latency():
    a = [1.0] * 50
    b = [2.0] * 50
    delta = paired_statistic_delta(a, b, percentile_statistic(95))
    assert (delta.value, delta.low, delta.high) == (1.0, 1.0, 1.0)


def test_paired_inputs_must_align():
    with pytest.raises(ValueError, match="same cases"):
        paired_ratio_delta([1], [1], [1, 0], [1, 1])


def test_large_suites_are_resampled_in_batches_deterministically():
    hits = (np.arange(30_000) % 3 == 0).astype(float)
    first = bootstrap_ratio(hits, np.ones_like(hits), n_resamples=200, seed=11)
    second = bootstrap_ratio(hits, np.ones_like(hits), n_resamples=200, seed=11)
    assert first == second
    assert first.low < 1 / 3 < first.high


def test_metric_seed_is_stable_and_distinct():
    assert metric_seed(1, "accuracy") == metric_seed(1, "accuracy")
    assert metric_seed(1, "accuracy") != metric_seed(1, "hit@1")


def test_bad_parameters():
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ratio([1], [1], n_resamples=1)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ratio([1], [1], confidence=95)
