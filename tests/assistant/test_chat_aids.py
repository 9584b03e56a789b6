"""The real calculators and differential engine behind the chat (no LLM)."""

from assistant.clinical.calculator_use import calculations_for
from assistant.chat_aids import DifferentialPanel
from assistant.clinical.patient import sex_from_text


def test_curb65_runs_when_named_with_all_inputs_and_reads_negated_confusion():
    (result,) = calculations_for("CURB-65? 72yo, confused, urea 8.2, RR 31, BP 88/50")
    assert result["name"] == "curb65" and result["score"] == 5
    assert result["source"]["url"].startswith("https://")
    (calm,) = calculations_for("CURB-65 in a 72yo man, no confusion, urea 6, RR 20, BP 130/80")
    assert calm["score"] == 1 and calm["inputs"]["confusion"] is False


def test_calculators_need_every_input_and_never_guess():
    assert calculations_for("what is CURB-65?") == []
    assert calculations_for("CURB-65 for a 72yo, RR 31") == []  # urea and BP missing
    assert calculations_for("urea 8.2 and RR 31") == []          # not asked for


def test_egfr_and_bmi_from_their_measurements():
    (egfr,) = calculations_for("eGFR for creatinine 130 in a 67 year old woman")
    assert egfr["name"] == "egfr" and 35 <= egfr["score"] <= 43
    (bmi,) = calculations_for("BMI? 95 kg, 175 cm")
    assert bmi["score"] == 31.0


def test_differential_panel_appears_for_a_presentation_only():
    panel = DifferentialPanel()
    data = panel("67 year old man, fever, productive cough for 3 days, crackles at the right base")
    assert data and data["conditions"][0]["name"] == "Community-acquired pneumonia"
    assert data["inputs"]["age_years"] == 67
    assert panel("amoxicillin dose for community-acquired pneumonia in adults") is None


def test_sex_from_text():
    assert sex_from_text("54M with chest pain") == "male"
    assert sex_from_text("a 30 year old woman") == "female"
    assert sex_from_text("amox dose CAP") is None
