"""Reading suite data files into ``Case`` records, tolerating bad records.

A record that cannot be used becomes an ``InputProblem`` naming the file, line (or record key)
and field, and loading goes on; a file that is missing, unreadable, empty or yields no usable
case raises ``SuiteInputError``. Formats (one JSON object per line unless said otherwise):

- gp: ``{id, question, topic, gold_passages: [ids], must_have: [facts], must_not?: [facts],
  in_scope: true}`` and ``{id, question, kind, in_scope: false}``; ``--data`` is a file or a
  folder of ``*.jsonl`` (read in name order).
- mcq: MIRAGE JSON ``{dataset: {id: {question, options: {A..}, answer}}}`` or JSONL
  ``{id, question, options, answer, dataset?}``.
- pubmedqa: PubMedQA ``ori_pqal.json`` (``{pmid: {QUESTION, CONTEXTS, final_decision}}``)
  with ``test_ground_truth.json`` beside it, or JSONL ``{id, question, answer: yes|no|maybe,
  contexts?}``.
- triage: ``{id?, case_description | text, urgency_level, correct_diagnosis?, age?, sex?, ...}``.
- predictions: ``{id, raw | prediction, dataset?, model?, mode?, answer?}``; gold answers from
  the line's ``answer`` or a MIRAGE ``benchmark.json`` (``--gold``, default: beside the file).

Does not run models or score anything.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Iterator

from eval.metrics import normalise_urgency
from eval.suites import Case, InputProblem, LoadedSuite, SuiteInputError, get_suite

logger = logging.getLogger(__name__)

PUBMEDQA_OPTIONS = {"A": "yes", "B": "no", "C": "maybe"}
_SPLIT_PREFIX = re.compile(r"^(?:test|dev|train|valid|validation)_")


class _Problems:
    """Collects problems for one file and turns a failed check into a skipped record."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.items: list[InputProblem] = []

    def add(self, location: str, field: str, message: str) -> None:
        self.items.append(InputProblem(self.path, location, field, message))


def _check_file(path: Path, what: str) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise SuiteInputError(f"{what} file {path} does not exist")
    if path.is_file() and path.stat().st_size == 0:
        raise SuiteInputError(f"{what} file {path} is empty")
    return path


def read_jsonl(path: Path, problems: _Problems) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each usable line; blank lines are ignored."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise SuiteInputError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from e
    except OSError as e:
        raise SuiteInputError(f"cannot read {path}: {e.strerror}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            problems.add(f"line {number}", "", f"not valid JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(record, dict):
            problems.add(f"line {number}", "", f"expected a JSON object, got {type(record).__name__}")
            continue
        yield number, record


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SuiteInputError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}, "
                              f"column {e.colno})") from e
    except UnicodeDecodeError as e:
        raise SuiteInputError(f"{path} is not UTF-8 text") from e


def _text(record: dict, field: str, problems: _Problems, location: str,
          required: bool = True) -> str | None:
    value = record.get(field)
    if value is None:
        if required:
            problems.add(location, field, "missing; add a non-empty string")
        return None
    if not isinstance(value, (str, int)) or not str(value).strip():
        problems.add(location, field, f"must be a non-empty string, got {value!r:.60}")
        return None
    return str(value).strip()


def _string_list(record: dict, field: str, problems: _Problems, location: str) -> list[str] | None:
    value = record.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(location, field, f"must be a list of non-empty strings, got {value!r:.60}")
        return None
    return [v.strip() for v in value]


def _unique(cases: list[Case], problems: list[InputProblem]) -> list[Case]:
    seen: set[str] = set()
    kept = []
    for case in cases:
        if case.case_id in seen:
            path, _, location = case.source.partition(", ")
            problems.append(InputProblem(path, location, "id",
                                         f"duplicate id {case.case_id!r}; this record is skipped"))
            continue
        seen.add(case.case_id)
        kept.append(case)
    return kept


def _subset_names(subset: str | None) -> list[str]:
    return [s.strip() for s in (subset or "").split(",") if s.strip()]


# ----------------------------------------------------------------------------- gp suite

def load_gp(data_path: Path, subset: str | None = None) -> LoadedSuite:
    path = _check_file(data_path, "GP suite")
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise SuiteInputError(f"GP suite folder {path} has no *.jsonl files")
    cases: list[Case] = []
    problems: list[InputProblem] = []
    for file in files:
        found = _Problems(file)
        for number, record in read_jsonl(file, found):
            location = f"line {number}"
            before = len(found.items)
            case_id = _text(record, "id", found, location)
            question = _text(record, "question", found, location)
            in_scope = record.get("in_scope", True)
            if not isinstance(in_scope, bool):
                found.add(location, "in_scope", f"must be true or false, got {in_scope!r:.40}")
            gold = _string_list(record, "gold_passages", found, location)
            must_have = _string_list(record, "must_have", found, location)
            must_not = _string_list(record, "must_not", found, location)
            if in_scope is True and gold is not None and must_have is not None and not (gold or must_have):
                found.add(location, "gold_passages", "an in-scope question needs gold_passages "
                          "or must_have to be scored")
            if len(found.items) > before:
                continue
            topic = str(record.get("topic") or ("out-of-scope" if not in_scope else "unknown"))
            cases.append(Case(case_id, "gp", topic, {
                "question": question, "in_scope": in_scope, "topic": topic,
                "gold_passages": gold, "must_have": must_have, "must_not": must_not,
                "kind": record.get("kind", ""),
            }, f"{file}, {location}"))
        problems.extend(found.items)
    wanted = _subset_names(subset)
    if wanted:
        def keep(case: Case) -> bool:
            scope = "in_scope" if case.data["in_scope"] else "out_of_scope"
            return case.group in wanted or scope in wanted
        cases = [c for c in cases if keep(c)]
        if not cases:
            raise SuiteInputError(f"no GP case matches --subset {subset!r}; use topics or "
                                  "in_scope / out_of_scope")
    return LoadedSuite("gp", _unique(cases, problems), problems, [str(f) for f in files])


# ----------------------------------------------------------------------------- mcq suite

def _mcq_record(record: dict, case_id: str, dataset: str, location: str,
                problems: _Problems, source: str) -> Case | None:
    before = len(problems.items)
    question = _text(record, "question", problems, location)
    options = record.get("options")
    if not isinstance(options, dict) or len(options) < 2 or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in options.items()):
        problems.add(location, "options", f"must map at least two letters to option texts, "
                     f"got {options!r:.60}")
        options = None
    answer = _text(record, "answer", problems, location)
    if options is not None and answer is not None and answer not in options:
        problems.add(location, "answer", f"{answer!r} is not one of the options {list(options)}")
    if len(problems.items) > before:
        return None
    return Case(f"{dataset}/{case_id}" if dataset else case_id, "mcq", dataset or "all",
                {"question": question, "options": dict(options), "answer": answer,
                 "dataset": dataset}, source)


def load_mcq(data_path: Path, subset: str | None = None) -> LoadedSuite:
    path = _check_file(data_path, "MCQ")
    found = _Problems(path)
    cases: list[Case] = []
    if path.suffix == ".jsonl":
        for number, record in read_jsonl(path, found):
            location = f"line {number}"
            case_id = _text(record, "id", found, location)
            if case_id is None:
                continue
            case = _mcq_record(record, case_id, str(record.get("dataset") or ""), location,
                               found, f"{path}, {location}")
            if case:
                cases.append(case)
    else:
        data = _read_json(path)
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise SuiteInputError(f"{path} must be MIRAGE JSON {{dataset: {{id: {{question, "
                                  "options, answer}}}}}}")
        for dataset, records in data.items():
            for case_id, record in records.items():
                location = f"{dataset}/{case_id}"
                if not isinstance(record, dict):
                    found.add(location, "", "expected an object")
                    continue
                case = _mcq_record(record, case_id, dataset, location, found, f"{path}, {location}")
                if case:
                    cases.append(case)
    wanted = _subset_names(subset)
    if wanted:
        known = sorted({c.group for c in cases})
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise SuiteInputError(f"unknown --subset {', '.join(unknown)} for {path}; "
                                  f"valid: {', '.join(known)}")
        cases = [c for c in cases if c.group in wanted]
    return LoadedSuite("mcq", _unique(cases, found.items), found.items, [str(path)])


# ------------------------------------------------------------------------ pubmedqa suite

def _label_to_key(label: str) -> str | None:
    for key, text in PUBMEDQA_OPTIONS.items():
        if str(label).strip().lower() == text:
            return key
    return None


def load_pubmedqa(data_path: Path, subset: str | None = None) -> LoadedSuite:
    """PQA-L; ``subset`` ``test`` (the 500 ids of test_ground_truth.json, the default when that
    file is there) or ``all``."""
    path = _check_file(data_path, "PubMedQA")
    if path.is_dir():
        path = _check_file(path / "ori_pqal.json", "PubMedQA")
    found = _Problems(path)
    cases: list[Case] = []

    def add(case_id: str, question, label, contexts, location: str) -> None:
        before = len(found.items)
        if not isinstance(question, str) or not question.strip():
            found.add(location, "question", "missing or empty")
        key = _label_to_key(label) if isinstance(label, str) else None
        if key is None:
            found.add(location, "answer", f"must be yes, no or maybe, got {label!r:.40}")
        if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
            found.add(location, "contexts", "must be a list of strings")
        if len(found.items) == before:
            cases.append(Case(case_id, "pubmedqa", str(label).lower(), {
                "question": question.strip(), "options": dict(PUBMEDQA_OPTIONS),
                "answer": key, "contexts": contexts}, f"{path}, {location}"))

    if path.suffix == ".jsonl":
        for number, record in read_jsonl(path, found):
            case_id = _text(record, "id", found, f"line {number}")
            if case_id is not None:
                add(case_id, record.get("question"), record.get("answer"),
                    record.get("contexts", []), f"line {number}")
        split_ids = None
    else:
        data = _read_json(path)
        if not isinstance(data, dict):
            raise SuiteInputError(f"{path} must be PubMedQA JSON {{pmid: {{QUESTION, CONTEXTS, "
                                  "final_decision}}}}")
        for pmid, record in data.items():
            if not isinstance(record, dict):
                found.add(str(pmid), "", "expected an object")
                continue
            add(str(pmid), record.get("QUESTION"), record.get("final_decision"),
                record.get("CONTEXTS", []), str(pmid))
        truth_path = path.parent / "test_ground_truth.json"
        split_ids = set(_read_json(truth_path)) if truth_path.exists() else None
    chosen = (_subset_names(subset) or ["test" if split_ids is not None else "all"])[0]
    if chosen not in ("test", "all"):
        raise SuiteInputError(f"unknown --subset {chosen!r} for pubmedqa; valid: test, all")
    if chosen == "test":
        if split_ids is None:
            raise SuiteInputError(f"--subset test needs test_ground_truth.json beside {path}")
        cases = [c for c in cases if c.case_id in split_ids]
    return LoadedSuite("pubmedqa", _unique(cases, found.items), found.items, [str(path)])


# -------------------------------------------------------------------------- triage suite

def load_triage(data_path: Path, subset: str | None = None) -> LoadedSuite:
    path = _check_file(data_path, "triage vignette")
    found = _Problems(path)
    cases: list[Case] = []
    for number, record in read_jsonl(path, found):
        location = f"line {number}"
        text = record.get("case_description") or record.get("text")
        if not isinstance(text, str) or not text.strip():
            found.add(location, "case_description", "missing or empty (or give 'text')")
            continue
        level = record.get("urgency_level")
        if level is None:
            found.add(location, "urgency_level", "missing; give em/ne/sc or emergency/urgent/"
                      "soon/routine/self-care")
            continue
        try:
            level = normalise_urgency(level)
        except ValueError as e:
            found.add(location, "urgency_level", str(e))
            continue
        case_id = str(record.get("id") or f"line-{number}")
        cases.append(Case(case_id, "triage", level, dict(record) | {
            "text": text.strip(), "urgency_level": level}, f"{path}, {location}"))
    wanted = _subset_names(subset)
    if wanted:
        cases = [c for c in cases if c.group in wanted]
    return LoadedSuite("triage", _unique(cases, found.items), found.items, [str(path)])


# --------------------------------------------------------------------- predictions suite

def _gold_lookup(gold_path: Path | None) -> dict[str, dict[str, dict]]:
    if gold_path is None:
        return {}
    gold = _read_json(_check_file(gold_path, "gold"))
    if not isinstance(gold, dict) or not all(isinstance(v, dict) for v in gold.values()):
        raise SuiteInputError(f"gold file {gold_path} must be MIRAGE JSON {{dataset: {{id: "
                              "{{question, options, answer}}}}}}")
    return gold


def load_predictions(data_path: Path, subset: str | None = None,
                     gold_path: Path | None = None) -> LoadedSuite:
    path = _check_file(data_path, "predictions")
    if gold_path is None and (path.parent / "benchmark.json").exists():
        gold_path = path.parent / "benchmark.json"
    gold = _gold_lookup(gold_path)
    found = _Problems(path)
    cases: list[Case] = []
    for number, record in read_jsonl(path, found):
        location = f"line {number}"
        case_id = _text(record, "id", found, location)
        if case_id is None:
            continue
        raw = record.get("raw", record.get("prediction"))
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            found.add(location, "raw", "missing; give 'raw' (a string or list of strings) or "
                      "'prediction'")
            continue
        dataset = str(record.get("dataset") or "")
        reference = gold.get(dataset, {})
        question = reference.get(case_id) or reference.get(_SPLIT_PREFIX.sub("", case_id))
        answer = record.get("answer") or (question or {}).get("answer")
        if answer is None:
            where = f"dataset {dataset!r} of {gold_path}" if gold_path else "the line (no --gold)"
            found.add(location, "answer", f"no gold answer for id {case_id!r} in {where}")
            continue
        options = (question or {}).get("options") or record.get("options") or {
            k: "" for k in "ABCD"}
        model, mode = str(record.get("model") or ""), str(record.get("mode") or "")
        group = "|".join(p for p in (model, mode, dataset) if p) or "all"
        cases.append(Case("|".join(p for p in (model, mode, dataset, case_id) if p),
                          "predictions", group,
                          {"raw": raw, "answer": str(answer), "options": dict(options),
                           "dataset": dataset, "model": model, "mode": mode},
                          f"{path}, {location}"))
    wanted = _subset_names(subset)
    if wanted:
        cases = [c for c in cases if any(w in c.group.split("|") or w == c.group for w in wanted)]
    files = [str(path)] + ([str(gold_path)] if gold_path else [])
    return LoadedSuite("predictions", _unique(cases, found.items), found.items, files)


# ---------------------------------------------------------------------------- dispatch

def load_suite(name: str, data_path: Path | None = None, subset: str | None = None,
               limit: int | None = None, gold_path: Path | None = None) -> LoadedSuite:
    """Load a suite by name; ``limit`` keeps N usable cases, taken in turn from each group."""
    spec = get_suite(name)
    if limit is not None and limit <= 0:
        raise SuiteInputError(f"--limit must be > 0, got {limit}")
    path = Path(data_path) if data_path else spec.default_data
    if path is None:
        raise SuiteInputError(f"suite {spec.name!r} needs --data: {spec.data_hint}")
    if spec.name == "gp":
        loaded = load_gp(path, subset)
    elif spec.name == "mcq":
        loaded = load_mcq(path, subset)
    elif spec.name == "pubmedqa":
        loaded = load_pubmedqa(path, subset)
    elif spec.name == "triage":
        loaded = load_triage(path, subset)
    elif spec.name == "predictions":
        loaded = load_predictions(path, subset, gold_path)
    else:
        from eval.ddx_suite import load_ddx

        loaded = load_ddx(path, subset)
    for problem in loaded.problems:
        logger.info("skipped record: %s, %s, field %s", problem.path, problem.location,
                    problem.field or "-")
    if not loaded.cases:
        detail = ""
        if loaded.problems:
            first = "; ".join(str(p) for p in loaded.problems[:3])
            detail = f" ({len(loaded.problems)} records had problems: {first})"
        raise SuiteInputError(f"no usable case in {', '.join(loaded.files) or path}{detail}")
    if limit is not None and limit < len(loaded.cases):
        loaded.limited_from = len(loaded.cases)
        loaded.cases = take_in_turn(loaded.cases, limit)
    return loaded


def take_in_turn(cases: list[Case], limit: int) -> list[Case]:
    """The first ``limit`` cases taken in turn from each group (topic, dataset, level), in file
    order within a group, so that a small run touches every group instead of only the first
    file's. The result keeps the original order."""
    by_group: dict[str, list[int]] = {}
    for index, case in enumerate(cases):
        by_group.setdefault(case.group, []).append(index)
    chosen: list[int] = []
    queues = [list(reversed(indices)) for indices in by_group.values()]
    while len(chosen) < limit:
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop())
    return [cases[i] for i in sorted(chosen)]
