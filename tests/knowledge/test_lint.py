import json
from pathlib import Path

import pytest

from knowledge.corpus import CORPUS_DIR
from knowledge.lint import REQUIRED_SECTIONS, dose_problems, lint_corpus

REPO = Path(__file__).resolve().parents[2]
FILLER = ("this passage carries enough words of ordinary clinical prose to sit comfortably "
          "inside the length bounds that the corpus lint applies to every passage here")


def _passage(pid: str, text: str, strength: str = "strong") -> str:
    return f"<!-- id: {pid}; section: 1.1; strength: {strength} -->\n{text}\n"


def _doc(doc_id="demo", sections=REQUIRED_SECTIONS, passages=None, url="https://www.nice.org.uk/guidance/ng1",
         drop_key=None) -> str:
    meta = {"id": doc_id, "title": "Demo", "topic": doc_id, "publisher": "NICE", "code": "NG1",
            "source_title": "Demo guideline", "version": "2024", "url": url, "region": "UK",
            "reviewed": "2026-11-26"}
    meta.pop(drop_key, None)
    lines = ["---", *(f"{k}: {v}" for k, v in meta.items()), "---", "", "# Demo", ""]
    for n, section in enumerate(sections):
        lines += [f"## {section}", ""]
        body = (passages or {}).get(section)
        if body is None:
            body = _passage(f"{doc_id}-p{n}", f"Point {n} about {doc_id}: {FILLER} number {n}.")
        lines += [body, ""]
    return "\n".join(lines)


def _lint(tmp_path, files: dict, gold: list | None = None):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    gold_files = []
    if gold is not None:
        suite = tmp_path / "suite.jsonl"
        suite.write_text("\n".join(gold) + "\n")
        gold_files = [suite]
    return lint_corpus(tmp_path, gold_files)


def _rules(problems):
    return sorted({(p.rule, p.passage_id) for p in problems})


def test_a_well_formed_file_is_clean(tmp_path):
    gold = [json.dumps({"id": "q1", "gold_passages": ["demo-p0", "demo-p3"]})]
    assert _lint(tmp_path, {"demo.md": _doc()}, gold) == []


@pytest.mark.parametrize("drop", ["publisher", "reviewed", "source_title"])
def test_required_metadata(tmp_path, drop):
    problems = _lint(tmp_path, {"demo.md": _doc(drop_key=drop)})
    assert any(p.rule in ("metadata", "parse") and drop in p.message for p in problems)


def test_url_form_and_document_id(tmp_path):
    problems = _lint(tmp_path, {"other-name.md": _doc(url="http://nice.org.uk/x y")})
    rules = {p.rule for p in problems}
    assert rules == {"url", "doc-id"}


def test_sections_missing_empty_or_out_of_order(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    missing = _lint(tmp_path / "a", {"demo.md": _doc(sections=REQUIRED_SECTIONS[:4])})
    assert [p.message for p in missing] == ["no '## Safety-netting and follow-up' section"]
    empty = _lint(tmp_path / "b", {"demo.md": _doc(passages={"Assessment": ""})})
    assert [p.message for p in empty] == ["'## Assessment' has no passage"]
    swapped = list(REQUIRED_SECTIONS)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    order = _lint(tmp_path / "c", {"demo.md": _doc(sections=swapped)})
    assert [p.rule for p in order] == ["sections"] and "in the order" in order[0].message


def test_passage_ids_explicit_well_formed_and_unique(tmp_path):
    text = f"Unannotated paragraph: {FILLER} and more."
    files = {
        "demo.md": _doc(passages={"Assessment": text,
                                  "Management": _passage("Bad_ID", f"Odd id: {FILLER} again.")}),
        "other.md": _doc("other", passages={"Assessment": _passage("demo-p0", f"Reused: {FILLER} x.")}),
    }
    rules = _rules(_lint(tmp_path, files))
    assert ("passage-id", "Bad_ID") in rules
    assert any(rule == "passage-id" and pid.startswith("demo-") for rule, pid in rules)
    assert ("unique-id", "demo-p0") in rules


def test_duplicate_and_near_duplicate_passages(tmp_path):
    base = (f"Offer ambulatory blood pressure monitoring to confirm hypertension when clinic "
            f"blood pressure is 140/90 mmHg or higher and {FILLER}; review the readings with "
            f"the person within a week and agree a plan for treatment and follow-up together")
    files = {"demo.md": _doc(passages={
        "Assessment": _passage("demo-a", base),
        "Management": _passage("demo-b", base.replace("confirm", "establish")),
        "Red flags and when to refer or admit": _passage("demo-c", base.upper())})}
    problems = [p for p in _lint(tmp_path, files) if p.rule == "duplicate"]
    # In file order: Red flags (demo-c) comes before Management (demo-b).
    assert [(p.passage_id, p.message.split()[0]) for p in problems] == [("demo-c", "exact"),
                                                                         ("demo-b", "near")]


def test_length_bounds_and_strength(tmp_path):
    files = {"demo.md": _doc(passages={
        "Assessment": _passage("demo-short", "Too short to stand alone."),
        "Management": _passage("demo-long", " ".join(["word"] * 230)),
        "Recognition and diagnosis": _passage("demo-s", f"Fine length: {FILLER}.", "maybe")})}
    rules = _rules(_lint(tmp_path, files))
    assert ("length", "demo-short") in rules and ("length", "demo-long") in rules
    assert ("annotation", "demo-s") in rules


def test_tables_are_exempt_from_the_length_rule(tmp_path):
    table = "<!-- id: demo-t; section: 1; strength: strong -->\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert _lint(tmp_path, {"demo.md": _doc(passages={"Assessment": table})}) == []


def test_doses_must_carry_units():
    assert dose_problems("Give amoxicillin 500 three times a day.") == [
        "'amoxicillin 500' has no unit (mg, g, micrograms, mL, units or %)"]
    assert dose_problems("ramipril 2.5 once daily; a starting dose of 10 daily") == [
        "'ramipril 2.5' has no unit (mg, g, micrograms, mL, units or %)",
        "'dose 10' has no unit (mg, g, micrograms, mL, units or %)"]
    fine = ("amoxicillin 500 mg three times a day for 5 days; prednisolone 30 to 40 mg; "
            "co-amoxiclav 500/125 mg; hydrocortisone 1% cream; levothyroxine at a dose of "
            "1.6 micrograms/kg; colchicine 500 micrograms; insulin 10 units; clinic blood "
            "pressure 140/90 mmHg in people aged 80 and over; stage 2 disease")
    assert dose_problems(fine) == []


def test_dose_rule_reports_the_passage(tmp_path):
    files = {"demo.md": _doc(passages={"Management": _passage(
        "demo-dose", f"Offer amoxicillin 500 three times a day for 5 days; {FILLER}.")})}
    assert _rules(_lint(tmp_path, files)) == [("dose-units", "demo-dose")]


def test_unknown_gold_ids_and_unreadable_suite_lines(tmp_path):
    gold = [json.dumps({"id": "q1", "gold_passages": ["demo-p0", "demo-missing"]}), "{oops"]
    problems = _lint(tmp_path, {"demo.md": _doc()}, gold)
    assert [(p.rule, p.passage_id) for p in problems] == [("gold-id", "demo-missing"),
                                                          ("gold-file", "")]
    assert "line 1 (q1)" in problems[0].message and "line 2" in problems[1].message


def test_unparseable_files_are_reported_not_raised(tmp_path):
    problems = _lint(tmp_path, {"broken.md": "# no front matter\n\ntext\n"})
    assert [p.rule for p in problems] == ["parse"] and "front matter" in problems[0].message


def test_the_bundled_corpus_and_its_gold_ids_are_clean():
    gold = sorted((REPO / "eval/data/gp_suite").glob("*.jsonl")) + \
        sorted((REPO / "eval/data/gp_suite_zh").glob("*.jsonl"))
    assert gold, "the question suites are missing"
    problems = lint_corpus(CORPUS_DIR, gold)
    assert problems == [], "\n".join(map(str, problems))
