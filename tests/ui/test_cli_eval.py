"""`ruiyi eval run` and `ruiyi eval compare`: scoring a predictions file, bad input with exit
code 2 and no traceback, comparison output; one slow run of the GP suite with the real
default assistant."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "eval" / "fixtures"
PREDICTIONS = FIXTURES / "mirage_mini" / "predictions.jsonl"


def invoke(*args):
    # Wide columns so that rich does not wrap messages (paths included) in the middle.
    return runner.invoke(app, ["eval", *[str(a) for a in args]], env={"COLUMNS": "400"})


def score_predictions(out):
    return invoke("run", "predictions", "--data", PREDICTIONS, "--out", out, "--no-progress")


def test_predictions_are_scored_per_group_with_unparsed_counts(tmp_path):
    result = score_predictions(tmp_path)
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    accuracy = {g: b["metrics"]["accuracy"]["value"] for g, b in metrics["groups"].items()}
    # m1 medqa: B ok, "C. Pancreas" ok, "None of the above" unparsed, empty unparsed → 2/4.
    assert accuracy == {"m1|cot|medqa": 0.5, "m1|cot|mmlu": 0.5, "m2|cot|medqa": 1.0}
    assert metrics["extraction"]["unparsed"] == 2
    assert "Unparsed outputs (counted wrong): 2" in result.output
    assert (tmp_path / "report.html").exists() and (tmp_path / "cases.jsonl").exists()


def test_json_output(tmp_path):
    result = invoke("run", "predictions", "--data", PREDICTIONS, "--out", tmp_path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["suite"] == "predictions"


def test_unknown_suite_exits_2_and_lists_valid_ones(tmp_path):
    result = invoke("run", "medqa", "--out", tmp_path)
    assert result.exit_code == 2
    assert "unknown suite 'medqa'" in result.output and "gp, mcq, pubmedqa, triage" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, fragment", [
    (["--quantization", "fp3"], "--quantization must be one of"),
    (["--retrieval", "maybe"], "--retrieval must be on or off"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--limit", "0"], "--limit must be > 0"),
])
def test_bad_options_exit_2(tmp_path, args, fragment):
    result = invoke("run", "predictions", "--data", PREDICTIONS, "--out", tmp_path / "o", *args)
    assert result.exit_code == 2 and fragment in result.output
    assert "Traceback" not in result.output


def test_gp_with_retrieval_off_is_refused(tmp_path):
    result = invoke("run", "gp", "--retrieval", "off", "--out", tmp_path)
    assert result.exit_code == 2 and "does not apply" in result.output


def test_unusable_file_exits_2_naming_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "answer": "A"}\n{"id": \n')
    result = invoke("run", "predictions", "--data", bad, "--out", tmp_path / "o", "--no-progress")
    assert result.exit_code == 2
    assert str(bad) in result.output and "line 1" in result.output
    assert "'raw'" in result.output and "Traceback" not in result.output


def test_empty_file_and_missing_data(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = invoke("run", "triage", "--data", empty, "--out", tmp_path / "o")
    assert result.exit_code == 2 and "is empty" in result.output
    result = invoke("run", "mcq", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "needs --data" in result.output


def test_some_bad_lines_are_reported_and_the_rest_scored(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text(PREDICTIONS.read_text() + '{"id": "test_q9", "dataset": "medqa", "raw": ["A"]}\n'
                    + "not json\n")
    result = invoke("run", "predictions", "--data", data, "--gold",
                    FIXTURES / "mirage_mini" / "benchmark.json", "--out", tmp_path / "o", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "Skipped 2 unusable input record(s)" in result.output
    assert "line 11" in result.output and "line 12" in result.output and "not valid JSON" in result.output
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["scored"] == 10 and metrics["skipped"]["input_problems"] == 2


def test_out_must_be_a_folder(tmp_path):
    file = tmp_path / "file.txt"
    file.write_text("x")
    result = invoke("run", "predictions", "--data", PREDICTIONS, "--out", file)
    assert result.exit_code == 2 and "is a file" in result.output


def test_compare_two_runs_text_and_json(tmp_path):
    assert score_predictions(tmp_path / "a").exit_code == 0
    assert score_predictions(tmp_path / "b").exit_code == 0
    result = invoke("compare", tmp_path / "a", tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "no significant change" in result.output
    result = invoke("compare", tmp_path / "a", tmp_path / "b", "--json", "--groups")
    data = json.loads(result.stdout)
    assert data["shared_cases"] == 10 and {m["metric"] for m in data["metrics"]} >= {"accuracy"}
    assert set(data["groups"]) == {"m1|cot|medqa", "m1|cot|mmlu", "m2|cot|medqa"}


def test_compare_bad_folders_exit_2(tmp_path):
    result = invoke("compare", tmp_path / "nope", tmp_path)
    assert result.exit_code == 2 and "not a run folder" in result.output
    result = invoke("compare", tmp_path, tmp_path)
    assert result.exit_code == 2 and "cases.jsonl is missing" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_gp_suite_with_the_real_default_assistant(real_assistant, real_data_dir, tmp_path):
    out = tmp_path / "gp"
    result = invoke("run", "gp", "--limit", "3", "--out", out, "--data-dir", real_data_dir,
                    "--no-progress", "--max-new-tokens", "64")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cases"] == 3 and metrics["scored"] + metrics["skipped"]["failed_cases"] == 3
    assert metrics["run"]["judge"] == "lexical+embedding" and "SmolLM2" in metrics["run"]["settings"]["model"]
    for name in ("hit@5", "mrr", "ndcg@10", "latency_p50_s"):
        assert name in metrics["metrics"]
    # A rerun is served from the cache.
    again = invoke("run", "gp", "--limit", "3", "--out", out, "--data-dir", real_data_dir,
                   "--no-progress", "--json", "--max-new-tokens", "64")
    assert json.loads(again.stdout)["run"]["executed_now"] == 0
