"""Run a clinical calculator when the conversation already holds its inputs.

"CURB-65? 72yo, confused, urea 8.2, RR 31, BP 88/50" → CURB-65 = 5, with its source. Inputs
come from the shared findings reader (``findings.read_findings``): numbers read next to their
own label ("urea 8.2", "creatinine 130", "QT 460", "HR 72", "BP 88/50"), age and sex from the
text, and yes/no criteria from vocabulary concepts with their assertions, so "no confusion" is
not confusion and "PMH hypertension" counts as a history of it. A calculator runs only when it
is named in the text (or, for eGFR, BMI and QTc, when its defining measurement is given) and
every required input was found. Otherwise nothing is computed: a guessed input would make a
confident, wrong score. The calculators themselves live in ``assistant.clinical.calculators``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from assistant.clinical.calculators import CalculatorInputError, run_calculator
from assistant.clinical.findings import Findings, read_findings

logger = logging.getLogger(__name__)

# Calculator → names that mean "compute this", and whether its own measurement is enough.
_CALCULATOR_NAMES: dict[str, re.Pattern] = {
    "curb65": re.compile(r"\bcurb[- ]?65\b", re.I),
    "crb65": re.compile(r"\bcrb[- ]?65\b", re.I),
    "cha2ds2vasc": re.compile(r"\bcha2?ds2?[- ]?vasc\b|\bchads[- ]?vasc\b", re.I),
    "egfr": re.compile(r"\begfr\b|\bcreatinine\b|肌酐", re.I),
    "qtc": re.compile(r"\bqtc\b|\bqt\s*(?:interval)?\s*\d", re.I),
    "bmi": re.compile(r"\bbmi\b|\bbody\s*mass\b|\d\s*kg\b.*\b\d{3}\s*cm\b", re.I),
}
# Calculator input -> vocabulary concept, and whether the patient's past counts.
_CRITERIA: dict[str, tuple[str, bool]] = {
    "confusion": ("altered-consciousness", False),
    "congestive_heart_failure": ("heart-failure", True),
    "hypertension": ("hypertension", True),
    "diabetes": ("diabetes", True),
    "stroke_tia_thromboembolism": ("stroke-tia-thromboembolism", True),
    "vascular_disease": ("vascular-disease", True),
}
_MEASURED = ("urea_mmol_l", "rr_per_min", "hr_bpm", "spo2_percent", "creatinine_umol_l", "qt_ms",
             "weight_kg", "height_cm", "sbp_mmhg", "dbp_mmhg")


def _numbers(findings: Findings) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _MEASURED:
        value = findings.observation(name)
        if value is not None:
            values[name] = int(value) if name in ("sbp_mmhg", "dbp_mmhg") else float(value)
    if findings.patient.age_years is not None:
        values["age_years"] = int(findings.patient.age_years)
    if findings.patient.sex:
        values["sex"] = findings.patient.sex
    return values


def _criteria(findings: Findings) -> dict[str, bool]:
    counted = {}
    for name, (concept, past_counts) in _CRITERIA.items():
        wanted = {"present", "possible"} | ({"historical"} if past_counts else set())
        counted[name] = any(f.concept == concept and f.assertion in wanted
                            for f in findings.concept_findings())
    return counted


def _inputs_for(calculator: str, numbers: dict[str, Any], criteria: dict[str, bool]) -> dict | None:
    """The calculator's inputs, or None when a required one is missing."""
    wanted: dict[str, tuple[str, ...]] = {
        "curb65": ("urea_mmol_l", "rr_per_min", "sbp_mmhg", "dbp_mmhg", "age_years"),
        "crb65": ("rr_per_min", "sbp_mmhg", "dbp_mmhg", "age_years"),
        "cha2ds2vasc": ("age_years", "sex"),
        "egfr": ("creatinine_umol_l", "age_years", "sex"),
        "qtc": ("qt_ms", "hr_bpm", "sex"),
        "bmi": ("weight_kg", "height_cm"),
    }[calculator]
    if any(name not in numbers for name in wanted):
        return None
    inputs = {name: numbers[name] for name in wanted}
    if calculator in ("curb65", "crb65"):
        inputs["confusion"] = criteria["confusion"]
    if calculator == "cha2ds2vasc":
        inputs.update({k: v for k, v in criteria.items() if k != "confusion"})
    return inputs


def calculations_for(text: str) -> list[dict]:
    """Every calculator the text asks for and fully supplies, as result dicts with inputs,
    score, interpretation and source. Inputs out of range are skipped (logged by name only)."""
    named = [name for name, pattern in _CALCULATOR_NAMES.items() if pattern.search(text)]
    if not named:
        return []
    findings = read_findings(text)
    numbers, criteria = _numbers(findings), _criteria(findings)
    results = []
    for name in named:
        inputs = _inputs_for(name, numbers, criteria)
        if inputs is None:
            continue
        try:
            result = run_calculator(name, inputs)
        except CalculatorInputError as e:
            logger.info("calculator %s not run: %s", name, type(e).__name__)
            continue
        results.append(result.to_dict() | {"name": name})
    return results


CalculationFinder = Callable[[str], list[dict]]
