"""`ruiyi bench robustness`'s tries, run as a test: hundreds of bad inputs and ten kinds of
fault through the real CLI (real rules, real MiniLM index, real SQLite audit store); none may
crash, give an unsafe result or lose a stored document."""

import pytest

from ui.robustness import robustness_cases, run_cases


@pytest.mark.slow
def test_hundreds_of_bad_inputs_and_faults_are_refused_or_handled_safely(tmp_path):
    cases = robustness_cases(tmp_path)
    fault_kinds = {c.kind for c in cases if c.kind.startswith("fault:")}
    assert len(cases) >= 400 and len(fault_kinds) >= 10
    report = run_cases(cases)
    data = report.to_dict()
    assert data["crash"] == data["unsafe"] == data["data lost"] == 0, data["failures"]
    assert data["clean refusal"] >= 400


def test_the_judge_counts_a_crash_and_an_unsafe_result(tmp_path):
    from ui.robustness import Case

    accepted = Case("calc", ["calc", "centor", "--no-audit", "--no-cough", "yes"],
                    expect_refusal=True)
    self_care = Case("triage", ["triage", "runny nose and sneezing", "--no-semantic",
                                "--no-audit", "--json"],
                     forbid=lambda data, _output: (data or {}).get("level") == "self-care")
    report = run_cases([accepted, self_care])
    assert [o.verdict for o in report.outcomes] == ["unsafe", "unsafe"]
