import pytest

from assistant.abstention import calibrate_threshold, rates_at


def test_threshold_is_the_highest_that_keeps_the_answered_share():
    in_scope = [0.30, 0.45, 0.50, 0.60, 0.70]
    out_of_scope = [0.10, 0.20, 0.35, 0.48]
    calibration = calibrate_threshold(in_scope, out_of_scope, min_answered=0.8)
    # 0.45 answers 4/5 = 0.8; 0.50 would answer only 3/5.
    assert calibration.threshold == 0.45
    assert calibration.in_scope_answered == 0.8
    assert calibration.out_of_scope_abstained == 0.75  # 0.10, 0.20, 0.35 below; 0.48 not


def test_rates_count_scores_at_the_threshold_as_answered():
    assert rates_at(0.5, [0.5, 0.4], [0.5, 0.1]) == (0.5, 0.5)


def test_empty_inputs_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        calibrate_threshold([], [0.1])


def test_each_embedder_has_its_own_threshold_and_unknown_ones_are_refused():
    from assistant.abstention import ABSTAIN_BELOW_BY_EMBEDDER, threshold_for
    from retrieval.embedders import EMBEDDER_CHOICES

    assert set(ABSTAIN_BELOW_BY_EMBEDDER) == set(EMBEDDER_CHOICES)
    assert threshold_for(None) == threshold_for("minilm") == 0.30
    assert threshold_for("use") < threshold_for("minilm")  # USE's cosines run lower
    with pytest.raises(ValueError, match="no abstention threshold"):
        threshold_for("bert")
