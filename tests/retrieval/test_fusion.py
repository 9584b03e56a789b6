import numpy as np
import pytest

from retrieval.fusion import (FusionConfig, fuse, normalise_scores, ranks_of,
                              reciprocal_rank_fusion)


@pytest.mark.parametrize("method, scores, expected", [
    ("minmax", [1.0, 2.0, 3.0], [0.0, 0.5, 1.0]),
    ("minmax", [2.0, 2.0], [0.0, 0.0]),
    ("zscore", [1.0, 2.0, 3.0], [-1.224745, 0.0, 1.224745]),
    ("zscore", [5.0, 5.0], [0.0, 0.0]),
    ("tmm", [0.2, 0.5], [0.4, 1.0]),
    ("tmm", [0.0, 0.0], [0.0, 0.0]),
])
def test_normalisations_match_hand_worked_values(method, scores, expected):
    np.testing.assert_allclose(normalise_scores(np.array(scores), method), expected, atol=1e-6)


def test_tmm_clips_scores_below_the_theoretical_floor():
    np.testing.assert_allclose(normalise_scores(np.array([-0.2, 0.5]), "tmm"), [0.0, 1.0])


def test_ranks_are_one_based_best_first_and_stable_on_ties():
    np.testing.assert_array_equal(ranks_of(np.array([0.1, 0.9, 0.5, 0.5])), [4, 1, 2, 3])


def test_rrf_matches_the_formula():
    fused = reciprocal_rank_fusion([np.array([1, 2, 3]), np.array([3, 1, 2])], [1.0, 1.0], k=60)
    np.testing.assert_allclose(fused, [1 / 61 + 1 / 63, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62])
    weighted = reciprocal_rank_fusion([np.array([1, 2]), np.array([2, 1])], [2.0, 0.5], k=10)
    np.testing.assert_allclose(weighted, [2 / 11 + 0.5 / 12, 2 / 12 + 0.5 / 11])


def test_weighted_fusion_hand_worked():
    # tmm: dense [0.9, 0.5] -> [1, 0.5556]; lexical [0, 10] -> [0, 1]; 0.6/0.4 weights.
    fused = fuse(np.array([0.9, 0.5]), np.array([0.0, 10.0]),
                 FusionConfig("weighted", 0.6, 0.4, "tmm"))
    np.testing.assert_allclose(fused, [0.6, 0.6 * 0.5 / 0.9 + 0.4], atol=1e-9)


def test_weighted_fusion_keeps_a_clear_dense_winner_where_rrf_sees_a_tie():
    # Candidate 0 is far ahead on dense and second on BM25; candidate 1 barely leads BM25.
    dense, lexical = np.array([0.90, 0.30, 0.29]), np.array([9.0, 10.0, 1.0])
    weighted = fuse(dense, lexical, FusionConfig("weighted", 0.6, 0.4, "tmm"))
    assert int(np.argmax(weighted)) == 0
    rrf = fuse(dense, lexical, FusionConfig("rrf", 1.0, 1.0, rrf_k=60))
    assert rrf[0] == pytest.approx(1 / 61 + 1 / 62) and rrf[1] == pytest.approx(1 / 62 + 1 / 61)


def test_misaligned_inputs_and_bad_configs_are_refused():
    with pytest.raises(ValueError, match="align"):
        fuse(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="fusion method"):
        FusionConfig(method="borda")
    with pytest.raises(ValueError, match="normalisation"):
        FusionConfig(normalisation="softmax")
    with pytest.raises(ValueError, match=">= 0"):
        FusionConfig(dense_weight=-1)
    with pytest.raises(ValueError, match="at least one"):
        FusionConfig(dense_weight=0, lexical_weight=0)
    with pytest.raises(ValueError, match="rrf_k"):
        FusionConfig(rrf_k=0)
