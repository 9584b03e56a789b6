"""`ruiyi triage`, `ruiyi calc` and `ruiyi bench triage` through typer's CliRunner."""

import json

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_triage_prints_level_rule_source_and_news2():
    result = run("triage", "worst headache of my life, came on suddenly", "--age", "42",
                 "--hr", "110", "--rr", "22", "--sbp", "105", "--spo2", "95", "--temp", "37",
                 "--avpu", "A")
    assert result.exit_code == 0, result.output
    assert "EMERGENCY" in result.output and "NG228" in result.output
    assert "NEWS2" in result.output and "Rationale" in result.output


def test_triage_json_and_fahrenheit():
    result = run("triage", "feels hot", "--temp", "104", "--temp-unit", "f", "--age", "0.1",
                 "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["level"] == "emergency" and data["em_ne_sc"] == "em"
    assert data["rules"][0]["id"] == "paeds-fever-under-3-months"


def test_triage_on_vitals_alone():
    result = run("triage", "", "--rr", "28", "--spo2", "90", "--sbp", "88", "--hr", "125",
                 "--temp", "39.5", "--avpu", "C", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["news2"]["risk"] == "high"


def test_triage_bad_input_exit_2_without_traceback():
    for args, expected in ((["x", "--spo2", "120"], "--spo2"), (["x", "--hr", "-5"], "--hr"),
                           (["fever", "--temp", "104"], "--temp-unit f"),
                           (["x", "--avpu", "Q"], "ACVPU"), ([""], "give the symptoms")):
        result = run("triage", *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output and "Traceback" not in result.output


def test_calc_runs_and_json():
    result = run("calc", "egfr", "--creatinine-umol-l", "88.4", "--age-years", "50", "--sex",
                 "female", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["score"] == 69 and data["source"]["year"] == 2021
    result = run("calc", "wells-pe", "--hr-over-100", "--haemoptysis")
    assert result.exit_code == 0 and "2.5" in result.output


def test_calc_list_and_errors():
    listing = run("calc", "list")
    assert listing.exit_code == 0 and "curb65" in listing.output and "--urea-mmol-l" in listing.output
    for args, expected in ((["nope"], "valid names"), (["egfr", "--creatinine-umol-l", "90"],
                           "age_years"), (["egfr", "--bad", "1"], "valid fields"),
                           (["bmi", "--weight-kg", "500", "--height-cm", "170"], "20-400")):
        result = run("calc", *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output and "Traceback" not in result.output


def test_bench_triage_json(tmp_path):
    data = tmp_path / "v.jsonl"
    data.write_text(json.dumps({"id": "a", "text": "worst headache of my life", "age_years": 40,
                                "sex": "female", "pregnant": False, "vitals": None,
                                "urgency_level": "emergency", "em_ne_sc": "em"}) + "\n")
    result = run("bench", "triage", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 1 and report["exact_accuracy"] == 1.0
    assert report["confusion"]["emergency"]["emergency"] == 1
    missing = run("bench", "triage", "--data", str(tmp_path / "none.jsonl"))
    assert missing.exit_code == 2
