"""Comparing two runs: paired deltas over shared case ids, significance, direction."""

import json

import pytest

from eval.compare import compare_runs, format_comparison
from eval.suites import SuiteInputError


def write_run(folder, hits, latencies=None, suite="mcq", ids=None, model="m"):
    folder.mkdir(parents=True)
    ids = ids or [f"c{i}" for i in range(len(hits))]
    with open(folder / "cases.jsonl", "w") as handle:
        for i, (case_id, hit) in enumerate(zip(ids, hits)):
            record = {"case_id": case_id, "group": "g1" if i % 2 else "g2", "status": "scored",
                      "scores": {"accuracy": [float(hit), 1.0], "unparsed_rate": [0.0, 1.0]},
                      "measures": {"latency_s": latencies[i]} if latencies else {}, "detail": {}}
            handle.write(json.dumps(record) + "\n")
        handle.write(json.dumps({"case_id": "failed", "group": "g1", "status": "error",
                                 "scores": {}, "measures": {}, "detail": {}}) + "\n")
    (folder / "metrics.json").write_text(json.dumps({"suite": suite,
                                                     "run": {"settings": {"model": model}}}))
    return folder


def by_metric(result):
    return {m["metric"]: m for m in result["metrics"]}


def test_a_consistent_gain_is_significant_and_better(tmp_path):
    a = [1] * 120 + [0] * 80
    b = [1] * 140 + [0] * 60  # B fixes 20 of A's errors
    result = compare_runs(write_run(tmp_path / "a", a), write_run(tmp_path / "b", b))
    accuracy = by_metric(result)["accuracy"]
    assert (accuracy["a"], accuracy["b"], accuracy["delta"]) == (0.6, 0.7, 0.1)
    assert accuracy["significant"] and accuracy["ci_low"] > 0 and accuracy["verdict"] == "better"
    assert result["shared_cases"] == 200


def test_identical_runs_show_no_change(tmp_path):
    hits = [1, 0, 1] * 30
    result = compare_runs(write_run(tmp_path / "a", hits), write_run(tmp_path / "b", hits))
    accuracy = by_metric(result)["accuracy"]
    assert accuracy["delta"] == 0 and not accuracy["significant"]
    assert accuracy["verdict"] == "no significant change"


def test_lower_is_better_for_latency(tmp_path):
    hits = [1] * 50
    result = compare_runs(write_run(tmp_path / "a", hits, [1.0 + i / 100 for i in range(50)]),
                          write_run(tmp_path / "b", hits, [2.0 + i / 100 for i in range(50)]))
    p50 = by_metric(result)["latency_p50_s"]
    assert p50["delta"] == pytest.approx(1.0) and p50["significant"] and p50["verdict"] == "worse"


def test_only_shared_case_ids_are_paired(tmp_path):
    a = write_run(tmp_path / "a", [1, 0, 1, 0], ids=["x", "y", "z", "w"])
    b = write_run(tmp_path / "b", [1, 1, 1], ids=["y", "z", "v"])
    result = compare_runs(a, b)
    assert (result["shared_cases"], result["only_a"], result["only_b"]) == (2, 2, 1)
    accuracy = by_metric(result)["accuracy"]
    assert (accuracy["a"], accuracy["b"]) == (0.5, 1.0)


def test_per_group_comparison_and_text_table(tmp_path):
    a = write_run(tmp_path / "a", [1, 0] * 40)
    b = write_run(tmp_path / "b", [1, 1] * 40, model="new")
    result = compare_runs(a, b, by_group=True)
    assert set(result["groups"]) == {"g1", "g2"}
    text = format_comparison(result)
    assert "accuracy" in text and "model new" in text and "*" in text and "better" in text


def test_compare_refuses_unusable_inputs(tmp_path):
    with pytest.raises(SuiteInputError, match="cases.jsonl is missing"):
        compare_runs(tmp_path, tmp_path)
    a = write_run(tmp_path / "a", [1, 0], suite="mcq")
    with pytest.raises(SuiteInputError, match="cannot compare suite"):
        compare_runs(a, write_run(tmp_path / "b", [1, 0], suite="gp"))
    with pytest.raises(SuiteInputError, match="share no scored case id"):
        compare_runs(a, write_run(tmp_path / "c", [1], ids=["other"]))
    broken = write_run(tmp_path / "d", [1])
    with open(broken / "cases.jsonl", "a") as handle:
        handle.write("{oops\n")
    with pytest.raises(SuiteInputError, match=r"line 3: unreadable"):
        compare_runs(a, broken)
