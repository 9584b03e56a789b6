"""`ruiyi ddx` and `ruiyi ddx-bench` through typer's CliRunner."""

import json

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_ddx_table_shows_condition_code_band_parts_and_words():
    result = run("ddx", "fever and cough with green sputum for 3 days, crackles at the right base",
                 "--age", "67", "--sex", "male")
    assert result.exit_code == 0, result.output
    assert "Community-acquired pneumonia" in result.output and "J18.9" in result.output
    assert "likely" in result.output and '"green sputum"' in result.output
    assert "n/a" in result.output  # retrieval part shown as not used


def test_ddx_json_has_the_documented_fields():
    result = run("ddx", "no fever, cough for 2 days", "--age", "30", "--sex", "female",
                 "--not-pregnant", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["inputs"] == {"age_years": 30, "sex": "female", "pregnant": False}
    first = data["conditions"][0]
    assert {"name", "icd10", "band", "score", "score_parts", "for", "against", "next_steps",
            "passages"} <= set(first)
    assert any(f["feature"] == "fever" and f["present"] is False for f in data["features_found"])


def test_ddx_without_findings_says_why_and_exits_zero():
    result = run("ddx", "hello doctor", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["conditions"] == [] and "No recognisable clinical features" in data["message"]


def test_ddx_invalid_input_exits_2_with_a_clear_message():
    male_pregnant = run("ddx", "abdominal pain", "--sex", "male", "--pregnant")
    assert male_pregnant.exit_code == 2 and "contradicts" in male_pregnant.output
    too_old = run("ddx", "cough", "--age", "130")
    assert too_old.exit_code == 2 and "age_years must be 0-120" in too_old.output
    too_long = run("ddx", "cough " * 2001)
    assert too_long.exit_code == 2 and "10,000 characters" in too_long.output
    assert "Traceback" not in male_pregnant.output + too_old.output + too_long.output


def test_ddx_bench_on_a_small_file(tmp_path):
    path = tmp_path / "v.jsonl"
    rows = [
        {"id": "a", "presentation": "sudden severe headache like a kick in the head, vomiting, stiff neck",
         "age_years": 50, "sex": "female", "pregnant": None, "gold_name": "Subarachnoid haemorrhage",
         "gold_icd10": "I60.9", "must_not_miss": True},
        {"id": "b", "presentation": "itchy dry rash in the elbow creases since a baby, has asthma",
         "age_years": 6, "sex": "male", "pregnant": None, "gold_name": "Atopic eczema",
         "gold_icd10": "L20.9", "must_not_miss": False},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = run("ddx-bench", "--data", str(path), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["metrics"]
    assert metrics["n"] == 2 and metrics["top3"] == 1.0 and metrics["must_not_miss_recall"] == 1.0
    table = run("ddx-bench", "--data", str(path))
    assert table.exit_code == 0 and "must-not-miss recall" in table.output


def test_ddx_bench_missing_file_exits_2(tmp_path):
    result = run("ddx-bench", "--data", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2 and "not found" in result.output
