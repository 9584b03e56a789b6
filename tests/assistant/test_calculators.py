"""Calculators against published equations and hand-worked cases; input checking."""

import math

import pytest

from assistant.clinical.calculators import (CALCULATORS, CalculatorInputError, get_calculator,
                                   list_calculators, run_calculator)
from assistant.clinical.calculators.cardio import qtc_bazett_ms, qtc_fridericia_ms
from assistant.clinical.calculators.renal import ckd_epi_2021


def test_registry_lists_every_required_calculator_with_sources():
    required = {"curb65", "crb65", "centor", "feverpain", "wells_dvt", "wells_pe", "perc",
                "cha2ds2vasc", "orbit", "hasbled", "egfr", "qtc", "phq9", "gad7", "bmi", "news2"}
    assert required <= set(CALCULATORS)
    for calc in list_calculators():
        source = calc["source"]
        assert source["title"] and source["publisher"] and source["year"] > 1900
        assert source["url"].startswith("https://")
        for field in calc["fields"]:
            assert field["help"]
            if field["kind"] in ("int", "float"):
                assert field["min"] < field["max"]


# --- eGFR (CKD-EPI 2021) -----------------------------------------------------------------
def test_ckd_epi_2021_matches_the_equation_by_hand():
    # Female, 50 y, Scr 1.0 mg/dL (88.4 µmol/L): 142 x (1/0.7)^-1.2 x 0.9938^50 x 1.012
    by_hand = 142 * (1 / 0.7) ** -1.2 * 0.9938 ** 50 * 1.012
    assert ckd_epi_2021(88.4, 50, "female") == pytest.approx(by_hand, rel=1e-9)
    assert round(by_hand) == 69
    # Male, 50 y, Scr 1.0 mg/dL: 142 x (1/0.9)^-1.2 x 0.9938^50
    assert round(ckd_epi_2021(88.4, 50, "male")) == 92
    # Low creatinine uses the alpha exponent: male 30 y, Scr 0.7 mg/dL (61.88 µmol/L)
    by_hand = 142 * (0.7 / 0.9) ** -0.302 * 0.9938 ** 30
    assert ckd_epi_2021(61.88, 30, "male") == pytest.approx(by_hand, rel=1e-6)


def test_egfr_result_and_kdigo_category():
    result = run_calculator("egfr", {"creatinine_umol_l": 200, "age_years": 75, "sex": "male"})
    assert result.category == "G4" and 15 <= result.score < 30
    assert "NEJM" in result.source.publisher or "New England" in result.source.publisher


# --- QTc ----------------------------------------------------------------------------------
def test_qtc_corrections_equal_qt_at_60_bpm_and_match_by_hand_at_100():
    assert qtc_bazett_ms(400, 60) == pytest.approx(400)
    assert qtc_fridericia_ms(400, 60) == pytest.approx(400)
    assert qtc_bazett_ms(400, 100) == pytest.approx(400 / math.sqrt(0.6))  # 516.4
    assert qtc_fridericia_ms(400, 100) == pytest.approx(400 / 0.6 ** (1 / 3))  # 474.3


def test_qtc_interpretation_by_sex_and_method():
    result = run_calculator("qtc", {"qt_ms": 400, "hr_bpm": 100, "sex": "male"})
    assert result.score == pytest.approx(474.3, abs=0.05) and result.category == "prolonged"
    bazett = run_calculator("qtc", {"qt_ms": 400, "hr_bpm": 100, "sex": "male",
                                    "method": "bazett"})
    assert bazett.category == "markedly_prolonged"
    assert run_calculator("qtc", {"qt_ms": 455, "hr_bpm": 60, "sex": "female"}).category == "normal"


# --- pneumonia and sore throat -----------------------------------------------------------
BASE_PNEUMONIA = {"confusion": False, "rr_per_min": 18, "sbp_mmhg": 130, "dbp_mmhg": 80,
                  "age_years": 40}


def test_curb65_and_crb65_hand_worked():
    high = dict(BASE_PNEUMONIA, confusion=True, rr_per_min=32, sbp_mmhg=85, age_years=70)
    assert run_calculator("crb65", high).score == 4
    assert run_calculator("curb65", dict(high, urea_mmol_l=8)).score == 5
    assert run_calculator("curb65", dict(BASE_PNEUMONIA, urea_mmol_l=7)).score == 0  # >7 only
    assert run_calculator("crb65", dict(BASE_PNEUMONIA, dbp_mmhg=60)).score == 1  # <=60
    assert run_calculator("crb65", BASE_PNEUMONIA).category == "low"


def test_centor_and_feverpain_bands():
    assert run_calculator("centor", {"tonsillar_exudate": True, "no_cough": True,
                                     "fever_history": True}).category == "higher"
    assert run_calculator("centor", {}).score == 0
    result = run_calculator("feverpain", {"fever": "yes", "purulence": "yes",
                                          "attend_rapidly": "yes", "inflamed_tonsils": "yes"})
    assert result.score == 4 and result.category == "high"
    assert run_calculator("feverpain", {"fever": "y", "purulence": 1}).category == "intermediate"


# --- VTE ----------------------------------------------------------------------------------
def test_wells_dvt_two_level_with_alternative_diagnosis():
    assert run_calculator("wells_dvt", {"active_cancer": True, "entire_leg_swollen": True}
                          ).category == "likely"
    result = run_calculator("wells_dvt", {"active_cancer": True, "entire_leg_swollen": True,
                                          "alternative_as_likely": True})
    assert result.score == 0 and result.category == "unlikely"


def test_wells_pe_threshold_is_more_than_four():
    assert run_calculator("wells_pe", {"dvt_signs": True, "haemoptysis": True}).score == 4.0
    assert run_calculator("wells_pe", {"dvt_signs": True, "haemoptysis": True}
                          ).category == "unlikely"
    assert run_calculator("wells_pe", {"dvt_signs": True, "hr_over_100": True}
                          ).category == "likely"  # 4.5


def test_perc_negative_only_when_all_criteria_absent():
    clear = {"age_years": 35, "hr_bpm": 80, "spo2_percent": 98}
    assert run_calculator("perc", clear).category == "negative"
    assert run_calculator("perc", dict(clear, age_years=50)).category == "positive"
    assert run_calculator("perc", dict(clear, spo2_percent=94)).score == 1


# --- AF -----------------------------------------------------------------------------------
def test_cha2ds2vasc_hand_worked():
    result = run_calculator("cha2ds2vasc", {"age_years": 78, "sex": "female",
                                            "hypertension": True, "diabetes": True,
                                            "stroke_tia_thromboembolism": True})
    assert result.score == 2 + 1 + 1 + 1 + 2 and result.category == "high"
    assert run_calculator("cha2ds2vasc", {"age_years": 60, "sex": "female"}).category == "low"
    assert run_calculator("cha2ds2vasc", {"age_years": 66, "sex": "male"}).category == "intermediate"


def test_orbit_and_hasbled():
    result = run_calculator("orbit", {"age_years": 80, "sex": "female", "haemoglobin_g_l": 110,
                                      "egfr_ml_min": 50, "bleeding_history": True,
                                      "antiplatelet": True})
    assert result.score == 7 and result.category == "high"
    assert run_calculator("orbit", {"age_years": 60, "sex": "male", "haemoglobin_g_l": 125,
                                    "egfr_ml_min": 80}).score == 2  # male Hb < 130
    assert run_calculator("hasbled", {"elderly": True, "drugs": True, "alcohol": True}
                          ).category == "high"


# --- questionnaires and BMI --------------------------------------------------------------
def test_phq9_bands_and_item9_flag():
    answers = {f"item{n}": 2 for n in range(1, 10)}
    result = run_calculator("phq9", answers)
    assert result.score == 18 and result.category == "moderately_severe"
    assert "suicide" in result.interpretation
    low = {f"item{n}": 0 for n in range(1, 10)}
    assert run_calculator("phq9", low).category == "minimal"


def test_gad7_bands():
    assert run_calculator("gad7", {f"item{n}": 3 for n in range(1, 8)}).category == "severe"
    assert run_calculator("gad7", {f"item{n}": 1 for n in range(1, 8)}).score == 7


def test_bmi_and_lower_thresholds():
    result = run_calculator("bmi", {"weight_kg": 70, "height_cm": 175})
    assert result.score == 22.9 and result.category == "healthy_weight"
    assert run_calculator("bmi", {"weight_kg": 70, "height_cm": 175,
                                  "lower_threshold_ethnicity": True}).category == "healthy_weight"
    assert run_calculator("bmi", {"weight_kg": 75, "height_cm": 175,
                                  "lower_threshold_ethnicity": True}).category == "overweight"
    assert run_calculator("bmi", {"weight_kg": 130, "height_cm": 175}).category == "obesity_class_3"


# --- input checking ------------------------------------------------------------------------
def test_unknown_calculator_lists_valid_names():
    with pytest.raises(CalculatorInputError, match="valid names: .*egfr"):
        get_calculator("nope")
    assert get_calculator("CURB-65").name == "curb65"


def test_missing_required_field_names_it_and_its_range():
    with pytest.raises(CalculatorInputError, match=r"age_years \(a whole number 18-120"):
        run_calculator("egfr", {"creatinine_umol_l": 90, "sex": "male"})


@pytest.mark.parametrize("values, field", [
    ({"creatinine_umol_l": 5, "age_years": 50, "sex": "male"}, "creatinine_umol_l"),
    ({"creatinine_umol_l": 90, "age_years": 50.5, "sex": "male"}, "age_years"),
    ({"creatinine_umol_l": 90, "age_years": 50, "sex": "x"}, "sex"),
    ({"creatinine_umol_l": "abc", "age_years": 50, "sex": "male"}, "creatinine_umol_l"),
])
def test_out_of_range_or_wrong_type_names_the_field(values, field):
    with pytest.raises(CalculatorInputError, match=field):
        run_calculator("egfr", values)


def test_unknown_field_and_bad_boolean():
    with pytest.raises(CalculatorInputError, match="valid fields"):
        run_calculator("centor", {"exudate": True})
    with pytest.raises(CalculatorInputError, match="yes/no"):
        run_calculator("centor", {"no_cough": "maybe"})


def test_results_serialise_with_source():
    data = run_calculator("news2", {"rr_per_min": 16, "spo2_percent": 97, "sbp_mmhg": 120,
                                    "hr_bpm": 70, "consciousness": "a", "temp_c": 37}).to_dict()
    assert data["score"] == 0 and data["source"]["publisher"] == "Royal College of Physicians"
