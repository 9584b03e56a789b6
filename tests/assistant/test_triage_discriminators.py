"""Discriminators first, self-care only on positive evidence, and what bad input gets.

The cases named in the triage issue are here as regression tests; the bank in
``eval/data/triage_bank`` is the measure of how well triage generalises.
"""

import pytest

from assistant.clinical.news2 import Vitals
from assistant.clinical.triage import PatientContext, triage


def level(text: str, **patient) -> str:
    return triage(text, PatientContext(**patient) if patient else None).level


@pytest.mark.parametrize("text", [
    "acutely disoriented and increasingly somnolent",
    "BP 80/50, pulse 130, sats 85% on air, 60 year old",
    "胸口像被石头压着，出冷汗，左手臂发麻，58岁男性",
    "he's not breathing properly, lips going blue",
    "tiny purple spots that don't fade under a glass, 4 year old",
    "took 32 paracetamol 6 hours ago, feels fine",
    "GP rang, potassium 7.1, feel a bit weak",
    "glucose 28, ketones 4.2, vomiting, 19 year old",
    "6/52 M, T 38.3, off feeds",
    "fever and shivers since getting back from Malawi last week",
    "孩子软绵绵的，叫他也不太理",
    "已经抽搐了五分钟还没停",
])
def test_alarm_features_are_emergencies_in_any_words(text):
    result = triage(text)
    assert result.level == "emergency", result.rationale
    assert result.discriminators, "an alarm feature is a discriminator, not only a rule"


def test_vitals_written_in_the_text_score_news2():
    result = triage("HR 150, RR 40, 70 year old")
    assert result.news2 is not None and result.news2.total >= 6
    assert result.level == "emergency"
    assert "hr_bpm" in result.to_dict()["vitals_from_text"]


def test_children_use_age_specific_limits():
    assert level("RR 55, temp 38.2", age_years=3) == "urgent"     # NG143 amber, not adult NEWS2
    assert level("RR 65, temp 38.2", age_years=3) == "emergency"  # NG143 red
    assert level("HR 150, playing", age_years=3) == "urgent"


def test_critical_results_are_discriminators():
    assert level("INR 9, no bleeding") == "urgent"
    assert level("troponin raised") == "emergency"
    assert level("ALT 4000, jaundiced, confused after paracetamol") == "emergency"


def test_a_benign_rule_never_wins_over_an_alarm_beside_it():
    result = triage("just a cold but she's floppy and won't wake properly")
    assert result.level == "emergency"


def test_self_care_needs_positive_evidence():
    cold = triage("runny nose and sneezing for 2 days, no fever, eating fine")
    assert cold.level == "self-care" and cold.coverage == "covered"
    # The same presentation with an unexplained finding of concern is not self-care.
    assert triage("runny nose and sneezing, and some blood in my poo").level != "self-care"
    # Or with abnormal vitals.
    assert triage("runny nose and sneezing", vitals=Vitals(hr_bpm=125, rr_per_min=24)).level \
        != "self-care"


def test_an_unrecognised_presentation_is_routine_and_says_it_was_not_covered():
    result = triage("my left little toe has felt funny since Tuesday")
    assert result.level == "routine" and result.coverage == "not-covered"
    assert result.confidence == "low"
    assert "not covered" in result.rationale.lower()
    assert result.to_dict()["coverage"] == "not-covered"


@pytest.mark.parametrize("text, vitals, expected_note", [
    ("", Vitals(hr_bpm=72, sbp_mmhg=120), "Only vital signs"),
    ("BP 120/80 HR 72", None, "Only vital signs"),
    ("hello, is anyone there?", None, "No clinical findings"),
    ("no chest pain this morning ... chest pain since noon", None, "contradictory"),
    ("temp 104, sore throat", None, "no unit"),
    ("HR 400, feels faint", None, "not a possible value"),
    ("chest\x01pain 😀", None, "dropped characters"),
])
def test_bad_input_gets_a_clear_note_and_never_silent_self_care(text, vitals, expected_note):
    result = triage(text, vitals=vitals)
    assert result.level != "self-care"
    assert any(expected_note.lower() in note.lower() for note in result.notes), result.notes


def test_output_carries_findings_spans_discriminators_coverage_and_confidence():
    data = triage("sudden worst headache of my life, 45F").to_dict()
    assert {"findings", "discriminators", "vitals_from_text", "coverage", "confidence",
            "notes"} <= set(data)
    finding = data["findings"][0]
    assert {"concept", "assertion", "span", "text"} <= set(finding)
    start, end = finding["span"]
    assert "sudden worst headache of my life, 45F"[start:end] == finding["text"]
    assert data["discriminators"] and data["discriminators"][0]["kind"] == "discriminator"


def test_respiratory_rate_zero_is_an_emergency():
    assert triage("", vitals=Vitals(rr_per_min=0)).level == "emergency"


def test_a_qualifier_or_a_concern_that_cannot_apply_does_not_block_self_care():
    from assistant.clinical.triage import _rule_index
    from knowledge.redflag_rules import load_rules

    index = _rule_index(load_rules())
    # A site used only to sharpen a burn rule is a qualifier, not a finding of concern.
    assert "burn-critical-site" in index.qualifiers
    result = triage("my 4 year old has itchy spots turning to blisters, now on her face and back; "
                    "half her nursery has chickenpox; bouncing around, eating and drinking")
    assert result.level == "self-care", result.rationale


def test_a_rule_could_apply_unless_a_known_fact_rules_it_out():
    from dataclasses import replace

    from assistant.clinical.patient import PatientContext
    from assistant.clinical.triage import _could_apply
    from knowledge.redflag_rules import load_rules

    over_50 = replace(load_rules()[0], age_min_years=50.0, age_max_years=None, sex=None,
                      pregnant=None)
    assert _could_apply(over_50, PatientContext())                      # age unknown
    assert _could_apply(over_50, PatientContext(age_years=60))
    assert not _could_apply(over_50, PatientContext(age_years=30))
    assert not _could_apply(over_50, PatientContext(age_band_years=(0.0, 2.0)))  # "my baby"
    in_pregnancy = replace(over_50, age_min_years=None, pregnant=True)
    assert not _could_apply(in_pregnancy, PatientContext(sex="male"))
    assert _could_apply(in_pregnancy, PatientContext(sex="female"))


@pytest.mark.parametrize("text, rule", [
    ("6 days after giving birth, soaking a pad every 20 minutes with clots bigger than a 50p",
     "em-pph-heavy"),
    ("my waters just went and I can see a loop of the cord coming out", "em-cord-prolapse"),
    ("headache and blurred vision, BP 228/134, fundoscopy shows papilloedema",
     "em-accelerated-hypertension"),
    ("女，76，上腹不适伴恶心1小时，无胸痛，ECG：II、III、aVF导联ST段抬高", "disc-ecg-acute"),
    ("52F on chemo, day 9 post cycle 3, T 38.3 and shivery", "disc-neutropenic-fever"),
    ("back pain, numb around the saddle area when wiping, straining to pass urine",
     "disc-cauda-equina"),
])
def test_presentations_read_from_their_features(text, rule):
    result = triage(text)
    assert result.level == "emergency", result.rationale
    assert rule in {r.id for r in result.rules}


def test_gestation_and_chronic_disease_years_are_not_illness_durations():
    from assistant.clinical.measurements import read_durations

    assert read_durations("a woman at 39 weeks' gestation, waters broke") == []
    assert read_durations("女，76，DM 20年，上腹不适") == []
    assert [d.days for d in read_durations("HTN for 10 years, headache for 2 days")] == [2.0]


def test_a_daily_paracetamol_dose_over_4_g_is_a_staggered_overdose():
    result = triage("dental pain 4/7, taking paracetamol and co-codamol, est >8g paracetamol/day "
                    "for 3 days, now nausea")
    assert result.level == "emergency" and "em-paracetamol-excess" in {r.id for r in result.rules}
    assert triage("paracetamol 1 g a day for a headache").level != "emergency"


def test_a_long_standing_problem_is_not_self_care_unless_it_recurs():
    long = triage("knee pain for 2 years, worse on stairs")
    assert long.level == "routine" and any("weeks" in note for note in long.notes)
    seasonal = triage("近5年每年春天反复打喷嚏、流清水鼻涕、眼睛痒，吃氯雷他定能控制")
    assert not any("weeks" in note for note in seasonal.notes)


def test_an_age_and_a_long_past_event_are_not_durations():
    from assistant.clinical.measurements import read_durations

    assert read_durations("宝宝8个月，屁股上尿布盖住的地方红了") == []
    assert read_durations("2年前接种过破伤风疫苗") == []
    assert [d.days for d in read_durations("3天前开始发烧")] == [3.0]
