"""Vital signs, test results, tablets and durations read from free text, with units."""

import pytest

from assistant.clinical.measurements import read_durations, read_measurements


def values(text: str) -> dict:
    return {name: m.value for name, m in read_measurements(text).values.items()}


@pytest.mark.parametrize("text, expected", [
    ("T 38.9, HR 120, BP 85/50, sats 88% on air, RR 30",
     {"temp_c": 38.9, "hr_bpm": 120, "sbp_mmhg": 85, "dbp_mmhg": 50, "spo2_percent": 88,
      "rr_per_min": 30}),
    ("pulse 130, GCS 12, BM 2.1", {"hr_bpm": 130, "gcs": 12, "glucose_mmol_l": 2.1}),
    ("obs: T 38.9 HR 128 RR 28 sats 93% RA BP 92/60",
     {"temp_c": 38.9, "hr_bpm": 128, "rr_per_min": 28, "spo2_percent": 93, "sbp_mmhg": 92,
      "dbp_mmhg": 60}),
    ("体温39.2℃，心率130次/分，血压85/50，血氧88%，呼吸28次",
     {"temp_c": 39.2, "hr_bpm": 130, "sbp_mmhg": 85, "dbp_mmhg": 50, "spo2_percent": 88,
      "rr_per_min": 28}),
    ("K+ 6.8, Na 118, pH 7.1, lactate 4.5, INR 8.5, Hb 62 g/L, ALT 3,200 U/L",
     {"potassium_mmol_l": 6.8, "sodium_mmol_l": 118, "ph": 7.1, "lactate_mmol_l": 4.5,
      "inr": 8.5, "hb_g_l": 62, "alt_u_l": 3200}),
    ("血钾 6.9 mmol/L，血糖 28 mmol/L", {"potassium_mmol_l": 6.9, "glucose_mmol_l": 28}),
    ("GP rang: potassium came back 7.1", {"potassium_mmol_l": 7.1}),
])
def test_values_with_their_labels(text, expected):
    read = values(text)
    for name, value in expected.items():
        assert read[name] == pytest.approx(value), name


def test_units_are_converted_and_noted():
    reading = read_measurements("temp 103.1°F, glucose 450 mg/dL, Hb 9.8 g/dL")
    assert reading.values["temp_c"].value == pytest.approx(39.5)
    assert reading.values["glucose_mmol_l"].value == pytest.approx(25.0)
    assert reading.values["hb_g_l"].value == pytest.approx(98)
    assert all(reading.values[name].note for name in ("temp_c", "glucose_mmol_l", "hb_g_l"))


def test_a_temperature_of_104_with_no_unit_is_read_as_fahrenheit_and_says_so():
    temperature = read_measurements("temp 104 since last night").values["temp_c"]
    assert temperature.value == pytest.approx(40.0)
    assert "°F" in temperature.note and "no unit" in temperature.note


def test_impossible_values_are_refused_with_a_message():
    reading = read_measurements("HR 400, sats 130%")
    assert "hr_bpm" not in reading.values and "spo2_percent" not in reading.values
    assert len(reading.problems) == 2 and "not a possible value" in reading.problems[0]


def test_dates_scores_and_durations_are_not_blood_pressures_or_ages():
    assert "sbp_mmhg" not in values("seen on 12/10, pain score 3/10")
    assert "temp_c" not in values("t 2 diabetes")


def test_troponin_and_oxygen_and_tablets():
    assert values("troponin raised at 6 hours")["troponin_raised"] == 1
    assert values("肌钙蛋白升高")["troponin_raised"] == 1
    assert read_measurements("sats 91% on 2L").on_oxygen
    assert not read_measurements("sats 91% on air").on_oxygen
    assert values("took 32 x 500mg paracetamol ~6 hrs ago")["tablets_taken"] == 32
    assert values("吃了30片安眠药")["tablets_taken"] == 30


@pytest.mark.parametrize("text, days", [
    ("fever for 6 days", 6), ("4yo F fever 6/7 despite calpol", 6), ("发烧五天了", 5),
    ("cough 3 weeks, smoker for 30 years", 21), ("2/52 of diarrhoea", 14),
])
def test_the_longest_illness_duration(text, days):
    assert values(text)["duration_days"] == pytest.approx(days)


def test_habits_frequencies_and_ages_are_not_durations():
    assert read_durations("smoker for 30 years") == []
    assert read_durations("paracetamol twice a day") == []
    assert read_durations("6 week old baby") == []
    assert read_durations("6/52 M, T 38.3") == []
