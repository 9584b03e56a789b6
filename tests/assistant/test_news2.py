"""NEWS2 against the RCP 2017 chart: every band edge, scale 2, oxygen, triggers, bands."""

import pytest

from assistant.clinical.news2 import (Vitals, risk_band, score_consciousness, score_news2, score_pulse,
                             score_respiration, score_spo2_scale1, score_spo2_scale2,
                             score_systolic, score_temperature)


@pytest.mark.parametrize("rr, points", [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2),
                                        (24, 2), (25, 3)])
def test_respiration_bands(rr, points):
    assert score_respiration(rr) == points


@pytest.mark.parametrize("spo2, points", [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0)])
def test_spo2_scale1_bands(spo2, points):
    assert score_spo2_scale1(spo2) == points


@pytest.mark.parametrize("spo2, on_oxygen, points", [
    (83, False, 3), (84, False, 2), (85, False, 2), (86, False, 1), (87, False, 1),
    (88, False, 0), (92, True, 0), (93, False, 0), (97, False, 0),  # on air: no penalty
    (93, True, 1), (94, True, 1), (95, True, 2), (96, True, 2), (97, True, 3),
])
def test_spo2_scale2_bands(spo2, on_oxygen, points):
    assert score_spo2_scale2(spo2, on_oxygen) == points


@pytest.mark.parametrize("sbp, points", [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1),
                                         (111, 0), (219, 0), (220, 3)])
def test_systolic_bands(sbp, points):
    assert score_systolic(sbp) == points


@pytest.mark.parametrize("hr, points", [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1),
                                        (110, 1), (111, 2), (130, 2), (131, 3)])
def test_pulse_bands(hr, points):
    assert score_pulse(hr) == points


@pytest.mark.parametrize("temp, points", [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0),
                                          (38.1, 1), (39.0, 1), (39.1, 2)])
def test_temperature_bands(temp, points):
    assert score_temperature(temp) == points


def test_consciousness_new_confusion_scores_three():
    assert score_consciousness("A") == 0
    assert all(score_consciousness(level) == 3 for level in "CVPU")


def full(**changes) -> Vitals:
    values = dict(rr_per_min=16, spo2_percent=97, sbp_mmhg=125, hr_bpm=72, consciousness="A",
                  temp_c=37.0)
    values.update(changes)
    return Vitals(**values)


def test_normal_observations_score_zero_low_risk():
    result = score_news2(full())
    assert (result.total, result.risk, result.complete) == (0, "low", True)


def test_hand_worked_aggregate_and_oxygen():
    # RR 22 (2) + SpO2 93 (2) + oxygen (2) + SBP 105 (1) + HR 115 (2) + A (0) + 38.6 (1) = 10
    result = score_news2(full(rr_per_min=22, spo2_percent=93, on_oxygen=True, sbp_mmhg=105,
                              hr_bpm=115, temp_c=38.6))
    assert result.total == 10 and result.risk == "high"
    assert "emergency" in result.response.lower()


def test_single_parameter_three_is_low_medium():
    result = score_news2(full(consciousness="C"))
    assert result.total == 3 and result.any_single_three and result.risk == "low-medium"


@pytest.mark.parametrize("total, single, band", [(4, False, "low"), (4, True, "low-medium"),
                                                 (5, False, "medium"), (6, True, "medium"),
                                                 (7, False, "high")])
def test_risk_bands(total, single, band):
    assert risk_band(total, single) == band


def test_scale2_used_only_when_asked():
    assert score_news2(full(spo2_percent=89)).total == 3
    assert score_news2(full(spo2_percent=89, spo2_scale=2)).total == 0


def test_partial_vitals_are_incomplete_lower_bound():
    result = score_news2(Vitals(hr_bpm=135))
    assert result.total == 3 and not result.complete
    assert "respiration_rate" in result.missing


def test_children_and_pregnancy_not_applicable():
    assert not score_news2(full(), age_years=8).applicable
    assert not score_news2(full(), pregnant=True).applicable
    assert score_news2(full(), age_years=30).applicable


@pytest.mark.parametrize("field, value", [("spo2_percent", 120), ("hr_bpm", -5),
                                          ("rr_per_min", 200), ("sbp_mmhg", 10)])
def test_impossible_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        Vitals(**{field: value})


def test_fahrenheit_temperature_is_caught_with_a_hint():
    with pytest.raises(ValueError, match="Fahrenheit"):
        Vitals(temp_c=104)
    assert Vitals.with_temperature(104, unit="f").temp_c == 40.0


def test_contradictory_blood_pressure_and_bad_acvpu():
    with pytest.raises(ValueError, match="dbp_mmhg"):
        Vitals(sbp_mmhg=80, dbp_mmhg=90)
    with pytest.raises(ValueError, match="ACVPU"):
        Vitals(consciousness="Z")
    with pytest.raises(ValueError, match="spo2_scale"):
        Vitals(spo2_scale=3)


def test_acvpu_is_one_letter():
    assert Vitals(consciousness=" v ").consciousness == "V"
    with pytest.raises(ValueError, match="ACVPU"):
        Vitals(consciousness="CV")
