import math

import pytest

from eval.retrieval_metrics import (hit_at_k, ndcg_at_k, percentile_ms, reciprocal_rank,
                               summarise_rankings)

RANKED = ["a", "b", "c", "d"]


def test_hit_at_k_counts_a_gold_passage_within_the_first_k():
    assert hit_at_k(RANKED, {"c"}, 1) == 0.0
    assert hit_at_k(RANKED, {"c"}, 2) == 0.0
    assert hit_at_k(RANKED, {"c"}, 3) == 1.0
    assert hit_at_k(RANKED, {"z"}, 10) == 0.0
    with pytest.raises(ValueError, match="k must be > 0"):
        hit_at_k(RANKED, {"a"}, 0)


def test_reciprocal_rank_is_one_over_the_first_gold_rank():
    assert reciprocal_rank(RANKED, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, {"d", "b"}) == pytest.approx(1 / 2)
    assert reciprocal_rank(RANKED, {"z"}) == 0.0


def test_ndcg_matches_hand_worked_numbers():
    # One gold at rank 3: DCG = 1/log2(4) = 0.5; ideal DCG = 1.
    assert ndcg_at_k(RANKED, {"c"}) == pytest.approx(0.5)
    # Gold at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161;
    # ideal = 1 + 1/log2(3) = 1.63093; nDCG = 0.650921.
    assert ndcg_at_k(RANKED, {"b", "d"}) == pytest.approx(0.650921, abs=1e-6)
    # Cut at k=3 drops the rank-4 hit: 0.63093 / 1.63093.
    assert ndcg_at_k(RANKED, {"b", "d"}, k=3) == pytest.approx(0.386853, abs=1e-6)
    assert ndcg_at_k(["a", "a"], {"a"}) == pytest.approx(1.0)  # a repeated id counts once
    assert ndcg_at_k(RANKED, {"a", "b"}) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least one gold"):
        ndcg_at_k(RANKED, set())


def test_summarise_rankings_averages_over_questions():
    summary = summarise_rankings([(["a", "b"], {"a"}), (["x", "y", "z"], {"z"}),
                                  (["p"], {"q"})])
    assert summary["questions"] == 3
    assert summary["hit@1"] == pytest.approx(1 / 3)
    assert summary["hit@5"] == pytest.approx(2 / 3)
    assert summary["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert summary["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 3)
    with pytest.raises(ValueError, match="at least one question"):
        summarise_rankings([])


def test_percentile_ms_interpolates_in_milliseconds():
    assert percentile_ms([0.001, 0.002, 0.003, 0.004], 50) == pytest.approx(2.5)
    assert percentile_ms([0.010], 95) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        percentile_ms([], 50)
