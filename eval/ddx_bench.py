"""Measure the differential-diagnosis engine: top-1/3/10, must-not-miss recall, latency.

Two suites:

* **project** (``eval/data/ddx_vignettes.jsonl``): primary-care presentations written for Ruiyi
  with a gold diagnosis, its ICD-10-CM code, age, sex, pregnancy and a must-not-miss flag.
* **agentclinic** (``AgentClinic`` MedQA OSCE cases, read from a path given by the user; the
  data is never copied into the project): the presentation is built from the patient's
  history fields and the physical examination only (test results are left out), and the gold
  is ``Correct_Diagnosis``.

Matching a gold diagnosis to a ranked condition (documented rule, used by both suites):

1. **Code**: the gold ICD-10-CM code and one of the condition's codes share the 3-character
   category (``J18.9`` matches ``J18.1``). The project suite has codes; AgentClinic does not.
2. **Name**: the normalised gold name equals the normalised name or a synonym of the
   condition. Normalising lower-cases, strips accents, possessives ("Hirschsprung's"),
   punctuation and a leading article; a parenthesis in the gold name is tried both removed and
   on its own ("Benign paroxysmal positional vertigo (BPPV)" -> both forms).

The stricter variant also reported for the project suite replaces rule 1 by code prefix
(one code starts with the other, so ``H81.1`` does not match ``H81.2``).

A gold diagnosis counts as *in the condition base* when some condition of the base matches it
by the same rule; AgentClinic reports that share honestly, since most of its cases are
hospital or specialist diagnoses outside primary care.

Must-not-miss recall: among cases whose gold is flagged must-not-miss, the share where the gold
appears anywhere in the returned list (which keeps supported must-not-miss conditions beyond
``top_k``). Latency is wall time of ``rank()`` per case after one warm-up call.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from assistant.clinical.ddx import Differential, DifferentialEngine, normalise_name
from knowledge.conditions import Condition, ConditionBase
from knowledge.jsonl import read_jsonl_objects

logger = logging.getLogger(__name__)

DEFAULT_VIGNETTES = Path(__file__).resolve().parent / "data" / "ddx_vignettes.jsonl"
DEFAULT_AGENTCLINIC = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "agentclinic" / "agentclinic_medqa.jsonl"
TOP_K = 10
_REQUIRED = ("id", "presentation", "age_years", "sex", "pregnant", "gold_name", "gold_icd10", "must_not_miss")


@dataclass(frozen=True)
class Case:
    """One benchmark presentation with its gold diagnosis."""

    case_id: str
    presentation: str
    age_years: int | None
    sex: str | None
    pregnant: bool | None
    gold_name: str
    gold_icd10: str = ""
    must_not_miss: bool = False


@dataclass(frozen=True)
class CaseResult:
    case: Case
    gold_rank: int | None
    gold_rank_strict: int | None
    in_base: bool
    listed: tuple[str, ...]
    latency_ms: float
    message: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.case.case_id, "gold": self.case.gold_name, "gold_icd10": self.case.gold_icd10,
                "gold_rank": self.gold_rank, "in_base": self.in_base,
                "must_not_miss": self.case.must_not_miss, "top3": list(self.listed[:3]),
                "latency_ms": round(self.latency_ms, 1), "message": self.message}


@dataclass
class SuiteReport:
    suite: str
    results: list[CaseResult] = field(default_factory=list)

    def metrics(self) -> dict:
        n = len(self.results)
        if n == 0:
            return {"suite": self.suite, "n": 0}
        ranks = [r.gold_rank for r in self.results]
        strict = [r.gold_rank_strict for r in self.results]
        mnm = [r for r in self.results if r.case.must_not_miss]
        latencies = sorted(r.latency_ms for r in self.results)
        in_base = [r for r in self.results if r.in_base]
        data = {
            "suite": self.suite,
            "n": n,
            "top1": _share(ranks, 1),
            "top3": _share(ranks, 3),
            "top10": _share(ranks, 10),
            "strict_top1": _share(strict, 1),
            "strict_top3": _share(strict, 3),
            "strict_top10": _share(strict, 10),
            "must_not_miss_n": len(mnm),
            "must_not_miss_recall": (round(sum(r.gold_rank is not None for r in mnm) / len(mnm), 4)
                                     if mnm else None),
            "gold_in_base_n": len(in_base),
            "gold_not_in_base_share": round(1 - len(in_base) / n, 4),
            "top10_when_gold_in_base": (_share([r.gold_rank for r in in_base], 10) if in_base else None),
            "empty_lists": sum(1 for r in self.results if not r.listed),
            "latency_ms": {"p50": round(_percentile(latencies, 50), 1),
                           "p95": round(_percentile(latencies, 95), 1),
                           "max": round(latencies[-1], 1)},
        }
        return data

    def misses(self, k: int = 3) -> list[dict]:
        return [r.to_dict() for r in self.results if r.gold_rank is None or r.gold_rank > k]

    def to_dict(self) -> dict:
        return {"metrics": self.metrics(), "misses_top3": self.misses(3),
                "matching": MATCHING_RULE}


MATCHING_RULE = ("gold matches a condition when their ICD-10-CM codes share the 3-character category, "
                 "or the normalised gold name equals the condition's normalised name or a synonym "
                 "(lower case, no accents, possessives, punctuation or leading article; a parenthesis "
                 "is tried removed and alone). Strict variant: code prefix instead of category.")


def load_cases(path: str | Path = DEFAULT_VIGNETTES) -> list[Case]:
    """Read the project's vignette JSONL, checking every field (errors name line and field)."""
    cases = []
    for _, row in read_jsonl_objects(path, _REQUIRED):
        cases.append(Case(case_id=str(row["id"]), presentation=row["presentation"],
                          age_years=row["age_years"], sex=row["sex"], pregnant=row["pregnant"],
                          gold_name=row["gold_name"], gold_icd10=row["gold_icd10"] or "",
                          must_not_miss=bool(row["must_not_miss"])))
    return cases


def load_agentclinic(path: str | Path = DEFAULT_AGENTCLINIC) -> list[Case]:
    """Build cases from AgentClinic OSCE records: history and examination only, no tests."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"AgentClinic file not found: {path} (pass --agentclinic PATH)")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        osce = json.loads(line).get("OSCE_Examination", {})
        actor = osce.get("Patient_Actor", {})
        demographics = str(actor.get("Demographics", ""))
        parts = [_flatten(actor.get(key)) for key in ("History", "Symptoms", "Past_Medical_History",
                                                       "Social_History", "Review_of_Systems")]
        parts.append(_flatten(osce.get("Physical_Examination_Findings")))
        # Each part ends with one full stop, so that sentence-level negation ("No significant
        # history.") never runs into the next part (".." is not read as a sentence end).
        presentation = " ".join(p.rstrip(" .;") + "." for p in parts if p.strip(" .;"))[:9_500]
        age, sex, pregnant = parse_demographics(demographics)
        cases.append(Case(case_id=f"agentclinic-{number:03d}", presentation=presentation,
                          age_years=age, sex=sex, pregnant=pregnant,
                          gold_name=str(osce.get("Correct_Diagnosis", "")).strip()))
    return cases


def parse_demographics(text: str) -> tuple[int | None, str | None, bool | None]:
    """Age in whole years (0 for newborns and infants), sex and pregnancy from a phrase such as
    '35-year-old female' or '32-year-old woman, gravida 2, para 1, at 38 weeks' gestation'."""
    lowered = text.lower()
    age = None
    years = re.search(r"(\d{1,3})[\s-]*(?:year|yr)", lowered)
    if years:
        age = min(int(years.group(1)), 120)
    elif re.search(r"newborn|neonate|\d+[\s-]*(?:day|week|month)s?[\s-]*old|infant|\bg\b", lowered):
        age = 0
        months = re.search(r"(\d{1,2})[\s-]*months?[\s-]*old", lowered)
        if months and int(months.group(1)) >= 12:
            age = int(months.group(1)) // 12
    sex = None
    if re.search(r"\b(female|woman|girl|lady|mother)\b", lowered):
        sex = "female"
    elif re.search(r"\b(male|man|boy|gentleman)\b", lowered):
        sex = "male"
    pregnant = None
    if sex == "female" and (age is None or age >= 10) and re.search(r"gestation|pregnan|gravida", lowered):
        pregnant = True
    return age, sex, pregnant


def gold_matches(case: Case, condition: Condition, strict: bool = False) -> bool:
    """The documented matching rule (see the module docstring)."""
    if case.gold_icd10:
        gold = case.gold_icd10.upper()
        for code in condition.icd10:
            if strict:
                a, b = gold.replace(".", ""), code.replace(".", "")
                if a.startswith(b) or b.startswith(a):
                    return True
            elif gold.split(".")[0] == code.split(".")[0]:
                return True
    names = {normalise_name(n) for n in condition.names}
    return any(form in names for form in _name_forms(case.gold_name))


def in_base(case: Case, base: ConditionBase | Iterable[Condition]) -> bool:
    return any(gold_matches(case, condition) for condition in base)


def run_suite(engine: DifferentialEngine, cases: Sequence[Case], suite: str) -> SuiteReport:
    """Rank every case and record where the gold landed."""
    report = SuiteReport(suite=suite)
    if cases:  # warm-up: build the ConText pipeline and compile the phrase table once
        engine.rank(cases[0].presentation, cases[0].age_years, cases[0].sex, cases[0].pregnant)
    for case in cases:
        started = time.perf_counter()
        try:
            differential = engine.rank(case.presentation, case.age_years, case.sex, case.pregnant,
                                       top_k=TOP_K)
        except ValueError as error:
            logger.warning("case %s rejected: %s", case.case_id, error)
            report.results.append(CaseResult(case, None, None, in_base(case, engine.base), (),
                                             (time.perf_counter() - started) * 1000, str(error)))
            continue
        elapsed = (time.perf_counter() - started) * 1000
        report.results.append(CaseResult(
            case=case,
            gold_rank=_gold_rank(differential, case, strict=False),
            gold_rank_strict=_gold_rank(differential, case, strict=True),
            in_base=in_base(case, engine.base),
            listed=tuple(differential.names()),
            latency_ms=elapsed,
            message=differential.message,
        ))
    return report


def _gold_rank(differential: Differential, case: Case, strict: bool) -> int | None:
    for item in differential.conditions:
        if gold_matches(case, item.condition, strict=strict):
            return item.rank
    return None


def _name_forms(name: str) -> set[str]:
    forms = {normalise_name(name)}
    inside = re.findall(r"\(([^)]*)\)", name)
    without = re.sub(r"\([^)]*\)", " ", name)
    forms.add(normalise_name(without))
    forms.update(normalise_name(part) for part in inside)
    return {f for f in forms if f}


def _flatten(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_flatten(v) for v in value if _flatten(v))
    if isinstance(value, dict):
        pieces = []
        for key, inner in value.items():
            text = _flatten(inner)
            if text:
                pieces.append(f"{key.replace('_', ' ')}: {text}")
        return "; ".join(pieces)
    return str(value)


def _share(ranks: Sequence[int | None], k: int) -> float:
    return round(sum(1 for r in ranks if r is not None and r <= k) / len(ranks), 4)


def _percentile(sorted_values: Sequence[float], percent: float) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(percent) - 1]
