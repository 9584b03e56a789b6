"""The registry of calculators by name, and the one entry point ``run_calculator``."""

from __future__ import annotations

from typing import Any, Mapping

from .base import Calculator, CalculatorInputError, CalculatorResult, Citation, FieldSpec
from .body import BMI
from .cardio import CHA2DS2VASC, HASBLED, ORBIT, QTC
from .mental_health import GAD7, PHQ9
from .news2_calculator import NEWS2
from .renal import EGFR
from .respiratory import CENTOR, CRB65, CURB65, FEVERPAIN
from .vte import PERC, WELLS_DVT, WELLS_PE

CALCULATORS: dict[str, Calculator] = {
    calc.name: calc
    for calc in (CURB65, CRB65, CENTOR, FEVERPAIN, WELLS_DVT, WELLS_PE, PERC, CHA2DS2VASC,
                 ORBIT, HASBLED, EGFR, QTC, PHQ9, GAD7, BMI, NEWS2)
}
# Spellings people type, mapped to registry names.
ALIASES = {
    "curb-65": "curb65", "crb-65": "crb65", "cha2ds2-vasc": "cha2ds2vasc", "chadsvasc": "cha2ds2vasc",
    "has-bled": "hasbled", "wells-dvt": "wells_dvt", "wells-pe": "wells_pe", "phq-9": "phq9",
    "gad-7": "gad7", "qt": "qtc", "ckd-epi": "egfr", "news": "news2",
}


def get_calculator(name: str) -> Calculator:
    """Look a calculator up by name (case-insensitive, common spellings accepted)."""
    key = name.strip().lower().replace(" ", "")
    key = ALIASES.get(key, key).replace("-", "_")
    if key not in CALCULATORS:
        raise CalculatorInputError(
            f"unknown calculator {name!r}; valid names: {', '.join(sorted(CALCULATORS))}")
    return CALCULATORS[key]


def run_calculator(name: str, values: Mapping[str, Any]) -> CalculatorResult:
    """Check ``values`` against the calculator's fields and compute its result."""
    return get_calculator(name).run(values)


def list_calculators() -> list[dict]:
    """Name, title, source and field specs of every calculator, for help screens and JSON."""
    return [
        {"name": calc.name, "title": calc.title, "source": calc.source.to_dict(),
         "fields": [spec.to_dict() for spec in calc.fields]}
        for calc in CALCULATORS.values()
    ]


__all__ = ["CALCULATORS", "Calculator", "CalculatorInputError", "CalculatorResult", "Citation",
           "FieldSpec", "get_calculator", "list_calculators", "run_calculator"]
