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
                           (["x", "--avpu", "Q"], "ACVPU"), ([""], "give the symptoms"),
                           (["chest pain " * 5000], "the limit is 10,000")):
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
                           (["bmi", "--weight-kg", "500", "--height-cm", "170"], "20-400"),
                           (["centor"], "--tender-anterior-nodes"),
                           (["centor", "--no-cough", "yes", "--no-cough", "no"], "given twice")):
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


def test_triage_json_has_findings_coverage_and_notes():
    result = run("triage", "no fever. chest tight like someone sitting on it, sweaty, 58M",
                 "--json", "--no-semantic")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["level"] == "emergency" and data["coverage"] == "covered"
    assert {"concept": "fever", "assertion": "absent"}.items() <= next(
        f for f in data["findings"] if f["concept"] == "fever").items()
    assert data["discriminators"] and data["patient"]["age_years"] == 58
    unknown = json.loads(run("triage", "my toe feels funny", "--json", "--no-semantic").output)
    assert unknown["coverage"] == "not-covered" and unknown["level"] == "routine"


def test_triage_process_loads_neither_torch_nor_faiss_nor_a_model():
    import subprocess
    import sys

    code = ("import sys\nfrom ui.cli import app\n"
            "try:\n    app(['triage', 'chest pain and sweating', '--json'])\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('torch', 'faiss', 'transformers', "
            "'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "LOADED []" in out, out[-500:]
    assert '"level": "emergency"' in out


def test_bench_triage_reports_by_style_language_and_split(tmp_path):
    rows = [{"id": "a", "text": "worst headache of my life", "age_years": 40, "sex": "female",
             "pregnant": False, "vitals": None, "urgency_level": "emergency", "em_ne_sc": "em",
             "style": "patient", "language": "en"},
            {"id": "b", "text": "流鼻涕，打喷嚏两天，不发烧", "age_years": 30, "sex": None,
             "pregnant": None, "vitals": None, "urgency_level": "self-care", "em_ne_sc": "sc",
             "style": "patient", "language": "zh"}]
    (tmp_path / "bank.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                                   for r in rows) + "\n", encoding="utf-8")
    result = run("bench", "triage", "--data", str(tmp_path), "--json", "--no-semantic")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["by_language"]) == {"en", "zh"} and report["n"] == 2
    assert report["safety"]["emergencies_at_emergency"] == 1
    holdout = json.loads(run("bench", "triage", "--data", str(tmp_path), "--json",
                             "--no-semantic", "--split", "holdout").output)
    assert holdout["mistakes"] == []
