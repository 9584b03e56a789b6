"""The evaluation suites: what each one is, where its data comes from, and the records a
loaded suite is made of.

A suite is data plus a way to run and score a case. The formats (what users can bring) are
documented in the README section "Evaluation" and in each loader of ``loaders``. This module
holds the registry and the records; parsing is in ``loaders``, running in ``execute``,
scoring in ``scoring``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

BUNDLED_DATA_DIR = Path(__file__).parent / "data"


class SuiteInputError(ValueError):
    """The suite's input cannot be used at all (missing or empty file, unknown suite,
    nothing loadable). The message names the file and says what to fix."""


@dataclass(frozen=True)
class InputProblem:
    """One record that could not be used, with where it is and why."""

    path: str
    location: str   # "line 12" for JSONL, "medqa/0001" for a JSON benchmark record
    field: str      # the field at fault ("" when the whole record is unreadable)
    message: str

    def __str__(self) -> str:
        where = f"{self.path}, {self.location}"
        what = f"field {self.field!r}: " if self.field else ""
        return f"{where}: {what}{self.message}"

    def to_dict(self) -> dict:
        return {"path": self.path, "location": self.location, "field": self.field,
                "message": self.message}


@dataclass(frozen=True)
class Case:
    """One question (or prediction, or vignette) of a suite.

    ``group`` is what per-group scores are broken down by (topic, dataset, or
    model|mode|dataset for predictions). ``data`` holds the suite-specific fields.
    """

    case_id: str
    suite: str
    group: str
    data: Mapping[str, Any]
    source: str = ""   # "file, line n" for messages


@dataclass
class LoadedSuite:
    suite: str
    cases: list[Case]
    problems: list[InputProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    limited_from: int | None = None  # how many cases there were before --limit


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    description: str
    needs: str                 # "assistant", "chat_model", "triage" or "nothing"
    default_data: Path | None  # bundled data, or None when the user must pass --data
    data_hint: str             # what --data should point to


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec for spec in (
        SuiteSpec("gp", "The project's GP question suite: retrieval, answer rubric, "
                  "citations, abstention on out-of-scope questions.", "assistant",
                  BUNDLED_DATA_DIR / "gp_suite",
                  "a folder of GP-suite JSONL files or one such file"),
        SuiteSpec("mcq", "MIRAGE-format multiple choice (MedQA, MedMCQA, MMLU-Med, PubMedQA*).",
                  "chat_model", None,
                  "a MIRAGE benchmark.json, e.g. ../shared/benchmarks/mirage/benchmark.json, "
                  "or a JSONL of {id, question, options, answer}"),
        SuiteSpec("pubmedqa", "PubMedQA PQA-L yes/no/maybe (test split by default).",
                  "chat_model", None,
                  "ori_pqal.json (with test_ground_truth.json beside it), e.g. "
                  "../shared/benchmarks/pubmedqa/ori_pqal.json, or a JSONL of {id, question, answer}"),
        SuiteSpec("triage", "Urgency vignettes: triage accuracy, under-/over-triage per level.",
                  "triage", BUNDLED_DATA_DIR / "triage_vignettes.jsonl",
                  "a JSONL of {id, case_description|text, urgency_level}"),
        SuiteSpec("predictions", "Score an existing predictions file (no model runs).",
                  "nothing", None,
                  "a predictions JSONL such as ../shared/benchmarks/mirage/predictions.jsonl "
                  "(gold from benchmark.json beside it or --gold)"),
        SuiteSpec("ddx", "Differential diagnosis vignettes, scored by eval/ddx_bench.py.",
                  "ddx", BUNDLED_DATA_DIR / "ddx_vignettes.jsonl",
                  "a JSONL of differential-diagnosis vignettes (see eval/ddx_bench.py)"),
    )
}


def get_suite(name: str) -> SuiteSpec:
    """The suite called ``name``; an unknown name lists the valid ones."""
    spec = SUITES.get(str(name).strip().lower())
    if spec is None:
        raise SuiteInputError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}")
    return spec
