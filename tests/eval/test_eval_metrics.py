"""Each metric against numbers worked out by hand."""

import math

import pytest

from eval.metrics import (cohens_kappa, confusion_matrix, hit_at_k, ndcg_at_k, normalise_urgency,
                          percentile, precision_recall, reciprocal_rank, rubric_score,
                          to_three_levels, tokens_per_second, triage_outcome)

RANKED = ["p3", "p7", "p1", "p9", "p2"]


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 1.0), (5, 1.0)])
def test_hit_at_k(k, expected):
    assert hit_at_k(RANKED, ["p7", "p2"], k) == expected


def test_hit_at_k_rejects_zero_k():
    with pytest.raises(ValueError, match="k must be > 0"):
        hit_at_k(RANKED, ["p1"], 0)


def test_reciprocal_rank():
    assert reciprocal_rank(RANKED, ["p1"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, ["p2", "p1"]) == pytest.approx(1 / 3)  # first gold found
    assert reciprocal_rank(RANKED, ["zz"]) == 0.0


def test_ndcg_by_hand():
    # Gold p7 (rank 2) and p2 (rank 5): DCG = 1/log2(3) + 1/log2(6) = 0.63093 + 0.38685
    # Ideal: ranks 1 and 2 = 1 + 0.63093.
    expected = (1 / math.log2(3) + 1 / math.log2(6)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKED, ["p7", "p2"], 10) == pytest.approx(expected)
    assert expected == pytest.approx(1.01778 / 1.63093, abs=1e-4)  # = 0.6241
    assert ndcg_at_k(RANKED, ["p3"], 10) == 1.0
    # k cuts the list: p2 at rank 5 is outside k=4.
    assert ndcg_at_k(RANKED, ["p2"], 4) == 0.0


def test_ndcg_counts_a_repeated_id_once():
    assert ndcg_at_k(["a", "a"], ["a", "b"], 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_rubric_score_healthbench_points():
    # Two must-haves (+1 each), one must-not (-1): both met and the must-not stated → 1/2.
    assert rubric_score([True, True, True], [1, 1, -1]) == 0.5
    assert rubric_score([True, False, False], [1, 1, -1]) == 0.5
    assert rubric_score([False, False, True], [1, 1, -1]) == 0.0  # clipped at zero
    assert rubric_score([True, True], [3, 1]) == 1.0
    assert rubric_score([False, True], [3, 1]) == 0.25


def test_rubric_score_needs_positive_points():
    with pytest.raises(ValueError, match="positive points"):
        rubric_score([True], [-1])


def test_precision_recall_of_abstention():
    abstained = [True, True, False, False, True]
    out_of_scope = [True, False, True, False, True]
    precision, recall = precision_recall(abstained, out_of_scope)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    precision, recall = precision_recall([False, False], [True, False])
    assert math.isnan(precision) and recall == 0.0


@pytest.mark.parametrize("gold, predicted, outcome", [
    ("emergency", "urgent", "under"), ("routine", "emergency", "over"),
    ("soon", "soon", "correct"), ("em", "ne", "under"), ("sc", "ne", "over"),
    ("Emergent", "em", "correct"),
])
def test_triage_outcome(gold, predicted, outcome):
    assert triage_outcome(gold, predicted) == outcome


def test_triage_outcome_refuses_mixed_scales():
    with pytest.raises(ValueError, match="different scales"):
        triage_outcome("emergency", "em")


def test_urgency_mapping_and_bad_level():
    assert [to_three_levels(x) for x in ("emergency", "urgent", "soon", "routine", "self-care")] == \
        ["em", "ne", "ne", "ne", "sc"]
    assert normalise_urgency("Self care") == "self-care"
    with pytest.raises(ValueError, match="got 'whenever'"):
        normalise_urgency("whenever")


def test_confusion_matrix_rows_gold_columns_predicted():
    matrix = confusion_matrix(["em", "em", "ne", "sc"], ["em", "ne", "ne", "ne"], ["em", "ne", "sc"])
    assert matrix == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="not in labels"):
        confusion_matrix(["em"], ["??"], ["em", "ne", "sc"])


def test_percentile_and_tokens_per_second():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert math.isnan(percentile([], 50))
    # Totals, not the mean of per-case rates: (10 + 90) / (1 + 9) = 10, not (10 + 10) / 2.
    assert tokens_per_second([10, 90], [1, 9]) == 10.0
    assert tokens_per_second([10, 90], [2, 3]) == 20.0


def test_cohens_kappa_against_hand_computed_values():
    # 10 items, raters agree on 7; rater A says yes 6 times, rater B 5 times.
    a = ["y", "y", "y", "y", "y", "y", "n", "n", "n", "n"]
    b = ["y", "y", "y", "y", "n", "n", "y", "n", "n", "n"]
    # p_o = 0.7; p_e = 0.6*0.5 + 0.4*0.5 = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert cohens_kappa(a, b) == pytest.approx(0.4)
    assert cohens_kappa(a, a) == pytest.approx(1.0)
    assert cohens_kappa(["y"] * 3, ["y"] * 3) is None  # chance agreement is certain
    with pytest.raises(ValueError):
        cohens_kappa(["y"], [])
