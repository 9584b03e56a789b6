"""The triage engine: levels, context handling, vitals, LLM escalation, the GP banner,
and the whole vignette suite (no emergency under-triaged, accuracy >= 0.85, speed)."""

import pytest

from assistant.clinical.news2 import Vitals
from assistant.clinical.triage import (EM_NE_SC, PatientContext, age_from_text, apply_llm_escalation,
                              red_flags_for_question, triage)
from eval.triage_bench import PROJECT_VIGNETTES, load_vignettes, score_vignettes


def level(text, **patient):
    return triage(text, patient=PatientContext(**patient) if patient else None).level


def test_lay_words_for_emergencies_fire():
    assert level("my chest feels tight like someone's sitting on it, going down my left arm") == "emergency"
    assert level("worst headache of my life, came on suddenly") == "emergency"
    assert level("back pain and I can't feel my bum") == "emergency"


def test_negation_history_family_do_not_fire_emergency():
    assert level("no chest pain") != "emergency"
    assert level("mother had a stroke") != "emergency"
    assert level("stroke in 2019, here for a repeat prescription") == "routine"


def test_possible_mention_fires_and_is_flagged():
    result = triage("?chest pain")
    assert result.level in ("emergency", "urgent")
    assert result.rules and result.rules[0].possible


def test_all_five_levels_reachable_from_text():
    assert {level("sudden worst headache ever"), level("swollen painful calf"),
            level("lump in my breast"), level("tired all the time"),
            level("runny nose and sneezing")} == {"emergency", "urgent", "soon", "routine",
                                                   "self-care"}


def test_age_conditions_and_age_from_text():
    assert level("temperature of 38.2", age_years=0.1) == "emergency"
    assert level("temperature of 38.2", age_years=3) == "self-care"
    assert level("my 6 week old has a temperature") == "emergency"
    assert age_from_text("my 6 week old") == pytest.approx(6 * 7 / 365.25, abs=1e-3)
    assert age_from_text("62M with cough") == 62
    assert age_from_text("no age here") is None


def test_pregnancy_condition_from_context_or_text():
    text = "severe headache and flashing lights, face swollen"
    assert level(text, pregnant=True, age_years=30) == "emergency"
    assert level("I'm 34 weeks pregnant, severe headache, flashing lights and puffy face") == "emergency"
    assert level("baby moving less today", pregnant=True) == "urgent"


def test_empty_text_triages_on_vitals_alone():
    vitals = Vitals(rr_per_min=26, spo2_percent=93, sbp_mmhg=95, hr_bpm=118,
                    consciousness="A", temp_c=39.2)
    result = triage("", vitals=vitals)
    # RR 26 (3) + SpO2 93 (2) + air (0) + SBP 95 (2) + HR 118 (2) + A (0) + 39.2 (2) = 11
    assert result.news2.total == 11 and result.level == "emergency"
    assert "NEWS2 11" in result.rationale
    single_three = triage("", vitals=Vitals(rr_per_min=8, spo2_percent=97, sbp_mmhg=120,
                                            hr_bpm=70, consciousness="A", temp_c=37))
    assert single_three.level == "urgent"
    assert triage("", vitals=Vitals(hr_bpm=70)).level == "routine"


def test_news2_not_used_as_floor_for_children():
    result = triage("", patient=PatientContext(age_years=4),
                    vitals=Vitals(hr_bpm=135, rr_per_min=22))
    assert not result.news2.applicable and "not validated" in result.rationale


def test_em_ne_sc_mapping_follows_semigran():
    assert EM_NE_SC == {"emergency": "em", "urgent": "ne", "soon": "ne", "routine": "ne",
                        "self-care": "sc"}
    assert triage("runny nose and sneezing").em_ne_sc == "sc"


def test_llm_can_raise_but_never_lower():
    base = triage("runny nose and sneezing")
    raised = apply_llm_escalation(base, "urgent")
    assert raised.level == "urgent" and raised.rule_level == "self-care"
    emergency = triage("sudden worst headache ever")
    kept = apply_llm_escalation(emergency, "self-care")
    assert kept.level == "emergency" and "stands" in kept.rationale
    with pytest.raises(ValueError, match="llm_level"):
        apply_llm_escalation(base, "later")


def test_result_json_has_rules_with_sources():
    data = triage("vomiting blood this morning").to_dict()
    rule = data["rules"][0]
    assert data["level"] == "emergency" and rule["matched_text"]
    assert rule["source"]["url"].startswith("https://") and rule["source"]["section"]


def test_red_flags_for_question_banner():
    flags = red_flags_for_question("62M crushing central chest pain radiating to jaw, sweaty")
    assert flags and flags[0]["level"] == "emergency" and flags[0]["source"]["publisher"]
    assert red_flags_for_question("amoxicillin dose for acute otitis media in a 3 year old") == []
    assert red_flags_for_question("") == []


def test_bad_patient_context():
    with pytest.raises(ValueError, match="age_years"):
        PatientContext(age_years=200)
    with pytest.raises(ValueError, match="pregnant"):
        PatientContext(sex="male", pregnant=True)
    with pytest.raises(TypeError):
        triage(None)  # type: ignore[arg-type]


def test_vignette_suite_targets():
    vignettes = load_vignettes(PROJECT_VIGNETTES)
    assert len(vignettes) >= 150
    counts = {lvl: sum(v["urgency_level"] == lvl for v in vignettes) for lvl in EM_NE_SC}
    assert min(counts.values()) >= 25, counts
    report = score_vignettes(vignettes)
    assert report["emergency_under_triaged"] == 0, report["mistakes"]
    assert report["exact_accuracy"] >= 0.85
    assert report["em_ne_sc_accuracy"] >= 0.85
    assert report["latency_ms"]["p95"] < 300
