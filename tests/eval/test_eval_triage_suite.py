"""The triage suite: accuracy, under-/over-triage per level and confusion tables by hand,
with a fake triage function; and the vignette → triage-input adapter."""

from pathlib import Path

import pytest

from eval.execute import EvalBackend
from eval.metrics import to_three_levels
from eval.loaders import load_suite
from eval.runner import RunSettings, run_suite
from eval.scoring import ScoringContext
from eval.triage_suite import triage_inputs

FIXTURES = Path(__file__).parent / "fixtures"

# Predicted (five-level, em/ne/sc) per fixture vignette.
PREDICTED = {"t1": ("urgent", "ne"), "t2": ("self-care", "sc"), "t3": ("emergency", "em"),
             "t4": ("emergency", "em"), "t5": ("routine", "ne")}


def fake_triage(record):
    if record["id"] == "boom":
        raise ValueError("age_years must be 0-125, got 300")
    level, em_ne_sc = PREDICTED[record["id"]]
    return {"level": level, "em_ne_sc": em_ne_sc}


def run(tmp_path, data=FIXTURES / "triage.jsonl"):
    loaded = load_suite("triage", data)
    return run_suite(loaded, EvalBackend(triage_fn=fake_triage), RunSettings("triage", str(data)),
                     tmp_path, ScoringContext(), progress=False, n_resamples=200)


def test_triage_metrics_by_hand(tmp_path):
    summary = run(tmp_path).summary
    got = {k: v["value"] for k, v in summary["metrics"].items()}
    # t1 em→ne under; t2 sc→sc; t3 ne→em over; t4 emergency→emergency; t5 self-care→routine over.
    assert got["triage_accuracy"] == 0.4
    assert got["triage_accuracy_3"] == 0.4
    assert got["under_triage"] == 0.2 and got["over_triage"] == 0.4
    assert got["under_triage.em"] == 0.5       # t1 of t1, t4
    assert got["over_triage.sc"] == 0.5        # t5 of t2, t5
    assert got["over_triage.ne"] == 1.0        # t3
    assert got["under_triage.emergency"] == 0.0 and got["over_triage.self-care"] == 1.0
    assert summary["tables"]["urgency_em_ne_sc"]["matrix"] == [[1, 1, 0], [1, 0, 0], [0, 1, 1]]
    five = summary["tables"]["urgency_five_levels"]
    assert five["matrix"][0][0] == 1 and five["matrix"][4][3] == 1  # emergency→emergency, self-care→routine
    assert "Confusion matrix" in (tmp_path / "report.html").read_text()


def test_a_failing_vignette_is_skipped_with_its_reason(tmp_path):
    data = tmp_path / "t.jsonl"
    data.write_text((FIXTURES / "triage.jsonl").read_text()
                    + '{"id": "boom", "text": "fell over", "urgency_level": "ne"}\n')
    summary = run(tmp_path / "out", data).summary
    assert summary["scored"] == 5 and summary["skipped"]["failed_cases"] == 1
    assert "age_years must be 0-125" in summary["skipped"]["failed_examples"][0]["reason"]


def test_triage_inputs_from_flat_and_nested_vitals():
    text, patient, vitals = triage_inputs({"text": "breathless", "age": "70", "sex": "F",
                                           "spo2_percent": 91, "vitals": {"rr_per_min": 26}})
    assert text == "breathless" and patient.age_years == 70 and patient.sex == "female"
    assert vitals.spo2_percent == 91 and vitals.rr_per_min == 26
    assert triage_inputs({"text": "cough"})[2] is None


@pytest.mark.parametrize("record, message", [
    ({"text": "x", "vitals": {"pulse": 120}}, "unknown field"),
    ({"text": "x", "age_years": 300}, "age_years must be"),
    ({"text": "x", "age": "old"}, "age_years must be a number"),
])
def test_bad_vignette_fields_are_named(record, message):
    with pytest.raises(ValueError, match=message):
        triage_inputs(record)


def test_scores_agree_with_the_triage_bench_on_the_bundled_vignettes(tmp_path):
    """Same numbers as eval/triage_bench.score_predictions for the same predictions."""
    from eval.triage_bench import score_predictions
    from knowledge.redflag_rules import LEVELS

    loaded = load_suite("triage")  # the bundled vignettes (five-level gold)
    # A deterministic, imperfect predictor: every third case one level off, alternating sides.
    predicted = {}
    for n, case in enumerate(loaded.cases):
        rank = LEVELS.index(case.data["urgency_level"])
        if n % 3 == 0:
            rank = min(len(LEVELS) - 1, rank + 1) if n % 2 else max(0, rank - 1)
        predicted[case.case_id] = LEVELS[rank]

    def fake(record):
        return {"level": predicted[record["id"]], "em_ne_sc": to_three_levels(predicted[record["id"]])}

    summary = run_suite(loaded, EvalBackend(triage_fn=fake), RunSettings("triage", "bundled"),
                        tmp_path, ScoringContext(), progress=False, n_resamples=50,
                        plots=False).summary
    bench = score_predictions([c.data["urgency_level"] for c in loaded.cases],
                              [predicted[c.case_id] for c in loaded.cases])
    n = bench["n"]
    got = summary["metrics"]
    assert got["triage_accuracy"]["value"] == bench["exact_accuracy"]
    assert got["triage_accuracy_3"]["value"] == bench["em_ne_sc_accuracy"]
    assert got["under_triage_5"]["value"] == round(bench["under_triaged"] / n, 4)
    assert got["over_triage_5"]["value"] == round(bench["over_triaged"] / n, 4)
    assert bench["under_triaged"] > 0 and bench["over_triaged"] > 0
    emergencies = bench["per_level"]["emergency"]
    assert got["under_triage.emergency"]["value"] == round(emergencies["under"] / emergencies["n"], 4)
    matrix = summary["tables"]["urgency_five_levels"]["matrix"]
    assert matrix == [[bench["confusion"][g][p] for p in LEVELS] for g in LEVELS]
