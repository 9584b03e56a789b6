"""The frozen triage bank: its composition, its scoring, and floors the engine must hold.

The bank (eval/data/triage_bank) was written by sessions that never read the rules; the late
bank (eval/data/triage_bank_late) by another that never read the first. The floors below are
set a little under the measured figures (docs/benchmarks.md), so a change that loses ground
on cases written by others fails here. The semantic net is off: these are the deterministic
figures, the same on every CPU.
"""

import collections

import pytest

from eval.triage_bench import (DEFAULT_VIGNETTES, load_vignettes, safety_figures,
                               score_vignettes, select_split, split_of)

BANK = load_vignettes(DEFAULT_VIGNETTES)


def test_bank_composition_meets_the_brief():
    assert len(BANK) >= 400
    assert len({v["presentation"] for v in BANK}) >= 120
    levels = collections.Counter(v["urgency_level"] for v in BANK)
    assert levels["emergency"] / len(BANK) >= 0.30
    assert levels["self-care"] / len(BANK) >= 0.15
    assert sum(v["language"] == "zh" for v in BANK) >= 60
    assert {v["style"] for v in BANK} == {"patient", "shorthand", "clinical"}


def test_the_dev_and_holdout_halves_are_stable_and_disjoint():
    dev, holdout = select_split(BANK, "dev"), select_split(BANK, "holdout")
    assert len(dev) + len(holdout) == len(BANK)
    assert {v["id"] for v in dev}.isdisjoint({v["id"] for v in holdout})
    assert split_of("bank-enp-001") == split_of("bank-enp-001")
    with pytest.raises(ValueError, match="split"):
        select_split(BANK, "train")


def test_safety_figures_worked_by_hand():
    figures = safety_figures(["emergency", "emergency", "self-care", "self-care", "routine"],
                             ["emergency", "self-care", "self-care", "routine", "self-care"])
    assert figures["emergencies_at_emergency"] == 1 and figures["emergencies_to_self_care"] == 1
    assert figures["self_care_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["self_care_over_triage"] == pytest.approx(1 / 2)


@pytest.fixture(scope="module")
def report():
    return score_vignettes(BANK)


def test_report_breaks_down_by_style_and_language(report):
    assert set(report["by_style"]) == {"patient", "shorthand", "clinical"}
    assert set(report["by_language"]) == {"en", "zh"}
    assert sum(part["n"] for part in report["by_language"].values()) == report["n"]


# Measured with the semantic net off (docs/benchmarks.md, 2026-12-03 wave 3): bank em/ne/sc
# 0.840, exact 0.720, 156 of 171 emergencies at emergency, 1 to self-care, Chinese 0.79; late
# bank em/ne/sc 0.788, 41 of 53; w3 bank em/ne/sc 0.823, exact 0.715, 93 of 106, 2 to
# self-care, Chinese 0.833. The floors sit a little below, so a change that loses ground on
# cases written by others fails here, while another CPU's rounding does not.
def test_the_engine_holds_its_floor_on_the_bank(report):
    safety = report["safety"]
    assert report["em_ne_sc_accuracy"] >= 0.82
    assert report["exact_accuracy"] >= 0.70
    assert safety["emergencies_at_emergency"] >= 153
    assert safety["emergencies_to_self_care"] <= 2
    assert report["by_language"]["zh"]["em_ne_sc_accuracy"] >= 0.77


def test_the_engine_holds_its_floor_on_the_late_bank():
    late = score_vignettes(load_vignettes(DEFAULT_VIGNETTES.parent / "triage_bank_late"))
    assert late["n"] == 160
    assert late["em_ne_sc_accuracy"] >= 0.76
    assert late["safety"]["emergencies_at_emergency"] >= 39


def test_the_engine_holds_its_floor_on_the_w3_bank():
    """260 cases (90 in Chinese) written by two sessions that never read the rules, committed
    before the wave-3 changes (first run: em/ne/sc 0.742, 80 of 106 emergencies)."""
    w3 = score_vignettes(load_vignettes(DEFAULT_VIGNETTES.parent / "triage_bank_w3"))
    assert w3["n"] == 260
    assert w3["em_ne_sc_accuracy"] >= 0.80
    assert w3["exact_accuracy"] >= 0.69
    assert w3["safety"]["emergencies_at_emergency"] >= 90
    assert w3["safety"]["emergencies_to_self_care"] <= 2
    assert w3["by_language"]["zh"]["em_ne_sc_accuracy"] >= 0.80
