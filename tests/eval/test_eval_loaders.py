"""Suite loading: formats, subsets, limits, and bad input named by file, line and field."""

import json
from pathlib import Path

import pytest

from eval.loaders import load_suite
from eval.suites import SUITES, SuiteInputError, get_suite

FIXTURES = Path(__file__).parent / "fixtures"


def write_lines(path, lines):
    path.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n")
    return path


def test_unknown_suite_lists_the_valid_ones():
    with pytest.raises(SuiteInputError) as error:
        get_suite("medqa")
    for name in SUITES:
        assert name in str(error.value)


def test_gp_suite_fixture():
    loaded = load_suite("gp", FIXTURES / "gp_suite.jsonl")
    assert [c.case_id for c in loaded.cases] == ["gp-htn-1", "gp-cap-1", "oos-1", "oos-2"]
    first = loaded.cases[0]
    assert first.group == "hypertension" and first.data["gold_passages"] == ["htn-confirm"]
    assert loaded.cases[2].data["in_scope"] is False and loaded.cases[2].group == "out-of-scope"
    assert [c.case_id for c in load_suite("gp", FIXTURES / "gp_suite.jsonl",
                                          subset="out_of_scope").cases] == ["oos-1", "oos-2"]


def test_the_bundled_gp_suite_loads_without_problems():
    loaded = load_suite("gp")
    assert loaded.cases and not loaded.problems, [str(p) for p in loaded.problems[:3]]


def test_bad_lines_are_skipped_with_file_line_and_field(tmp_path):
    path = write_lines(tmp_path / "gp.jsonl", [
        {"id": "ok-1", "question": "amox dose CAP", "gold_passages": ["p1"], "must_have": ["500 mg"]},
        '{"id": "broken", "question": ',
        {"id": "no-question", "gold_passages": ["p1"]},
        {"id": "bad-gold", "question": "q", "gold_passages": "p1"},
        {"id": "ok-1", "question": "duplicate id", "gold_passages": ["p1"]},
        "[1, 2]",
        "",
        {"id": "unscorable", "question": "q", "in_scope": True},
    ])
    loaded = load_suite("gp", path)
    assert [c.case_id for c in loaded.cases] == ["ok-1"]
    problems = {(p.location, p.field) for p in loaded.problems}
    assert problems == {("line 2", ""), ("line 3", "question"), ("line 4", "gold_passages"),
                        ("line 5", "id"), ("line 6", ""), ("line 8", "gold_passages")}
    text = [str(p) for p in loaded.problems]
    assert any(str(path) in t and "line 2" in t and "not valid JSON" in t for t in text)
    assert any("line 3" in t and "'question'" in t and "missing" in t for t in text)


def test_empty_and_missing_files_are_unusable(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(SuiteInputError, match="is empty"):
        load_suite("triage", empty)
    with pytest.raises(SuiteInputError, match="does not exist"):
        load_suite("triage", tmp_path / "nope.jsonl")
    only_bad = write_lines(tmp_path / "bad.jsonl", ["{not json", {"text": "no level"}])
    with pytest.raises(SuiteInputError, match=r"no usable case .*2 records had problems"):
        load_suite("triage", only_bad)


def test_suites_without_bundled_data_ask_for_data():
    with pytest.raises(SuiteInputError, match="needs --data"):
        load_suite("mcq")


def test_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "x", "text": "caf\xe9", "urgency_level": "em"}\n'.encode("latin-1"))
    with pytest.raises(SuiteInputError, match="not UTF-8"):
        load_suite("triage", path)


def test_limit_takes_cases_in_turn_from_each_group_and_remembers_the_total():
    # Groups in file order: hypertension, pneumonia, out-of-scope (2 cases).
    loaded = load_suite("gp", FIXTURES / "gp_suite.jsonl", limit=3)
    assert [c.case_id for c in loaded.cases] == ["gp-htn-1", "gp-cap-1", "oos-1"]
    assert loaded.limited_from == 4
    mcq = load_suite("mcq", FIXTURES / "mirage_mini" / "benchmark.json", limit=2)
    assert [c.case_id for c in mcq.cases] == ["medqa/q1", "mmlu/anatomy-000"]
    with pytest.raises(SuiteInputError, match="--limit must be > 0"):
        load_suite("gp", FIXTURES / "gp_suite.jsonl", limit=0)


def test_mcq_mirage_json_and_subsets():
    loaded = load_suite("mcq", FIXTURES / "mirage_mini" / "benchmark.json")
    assert len(loaded.cases) == 6 and {c.group for c in loaded.cases} == {"medqa", "mmlu"}
    mmlu = load_suite("mcq", FIXTURES / "mirage_mini" / "benchmark.json", subset="mmlu")
    assert [c.case_id for c in mmlu.cases] == ["mmlu/anatomy-000", "mmlu/anatomy-001"]
    with pytest.raises(SuiteInputError, match="valid: medqa, mmlu"):
        load_suite("mcq", FIXTURES / "mirage_mini" / "benchmark.json", subset="bioasq")


def test_mcq_jsonl_with_a_bad_answer(tmp_path):
    path = write_lines(tmp_path / "mcq.jsonl", [
        {"id": "1", "question": "q", "options": {"A": "x", "B": "y"}, "answer": "B"},
        {"id": "2", "question": "q", "options": {"A": "x", "B": "y"}, "answer": "E"},
        {"id": "3", "question": "q", "options": ["x", "y"], "answer": "A"},
    ])
    loaded = load_suite("mcq", path)
    assert [c.case_id for c in loaded.cases] == ["1"]
    assert [(p.location, p.field) for p in loaded.problems] == [("line 2", "answer"), ("line 3", "options")]


def test_pubmedqa_test_split_and_all():
    loaded = load_suite("pubmedqa", FIXTURES / "pubmedqa_mini" / "ori_pqal.json")
    assert sorted(c.case_id for c in loaded.cases) == ["1001", "1002", "1003"]
    assert {c.data["answer"] for c in loaded.cases} == {"A", "B", "C"}
    everything = load_suite("pubmedqa", FIXTURES / "pubmedqa_mini", subset="all")
    assert len(everything.cases) == 4


def test_triage_accepts_both_scales_and_both_text_fields():
    loaded = load_suite("triage", FIXTURES / "triage.jsonl")
    assert [c.data["urgency_level"] for c in loaded.cases] == ["em", "sc", "ne", "emergency", "self-care"]
    assert loaded.cases[2].data["text"].startswith("Painful urination")


def test_triage_bad_level_is_named(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", [
        {"id": "a", "text": "chest pain", "urgency_level": "asap"},
        {"id": "b", "text": "cough", "urgency_level": "sc"},
    ])
    loaded = load_suite("triage", path)
    assert len(loaded.cases) == 1
    assert loaded.problems[0].field == "urgency_level" and "'asap'" in loaded.problems[0].message


def test_predictions_take_gold_from_benchmark_beside_them():
    loaded = load_suite("predictions", FIXTURES / "mirage_mini" / "predictions.jsonl")
    assert len(loaded.cases) == 10 and not loaded.problems
    first = loaded.cases[0]
    assert first.case_id == "m1|cot|medqa|test_q1" and first.group == "m1|cot|medqa"
    assert first.data["answer"] == "B" and first.data["options"]["B"] == "Vitamin C"
    assert len(load_suite("predictions", FIXTURES / "mirage_mini" / "predictions.jsonl",
                          subset="m2").cases) == 4


def test_predictions_without_gold_are_named(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [
        {"id": "x1", "raw": "B", "answer": "B"},
        {"id": "x2", "raw": "C"},
        {"id": "x3", "answer": "A"},
    ])
    loaded = load_suite("predictions", path)
    assert [c.case_id for c in loaded.cases] == ["x1"]
    assert [(p.location, p.field) for p in loaded.problems] == [("line 2", "answer"), ("line 3", "raw")]
