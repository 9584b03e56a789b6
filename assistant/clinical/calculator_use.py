"""Run a clinical calculator when the conversation already holds its inputs.

"CURB-65? 72yo, confused, urea 8.2, RR 31, BP 88/50" → CURB-65 = 5, with its source. The
extraction is deliberately narrow and literal: a number is read only right after its own label
("urea 8.2", "creatinine 130", "QT 460", "HR 72", "BP 88/50", "72yo"), and a calculator runs only
when it is named in the text (or, for eGFR, BMI and QTc, when its defining measurement is given)
and every required input was found. Otherwise nothing is computed: a guessed input would make a
confident, wrong score. Yes/no criteria count as present only when affirmed (ConText handles
"no confusion"). This module extracts and runs; the calculators themselves live in
``assistant.clinical.calculators``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

from assistant.clinical.calculators import CalculatorInputError, run_calculator
from assistant.clinical.context import find_mentions

logger = logging.getLogger(__name__)

_NUMBER = r"(\d{1,3}(?:\.\d+)?)"
# label → (field, pattern). Patterns read the number that follows the label.
_NUMERIC_PATTERNS: dict[str, re.Pattern] = {
    "urea_mmol_l": re.compile(rf"\burea\s*(?:of|=|:|is)?\s*{_NUMBER}", re.I),
    "rr_per_min": re.compile(rf"\b(?:rr|resp(?:iratory)?\s*rate)\s*(?:of|=|:|is)?\s*{_NUMBER}", re.I),
    "hr_bpm": re.compile(rf"\b(?:hr|heart\s*rate|pulse)\s*(?:of|=|:|is)?\s*{_NUMBER}", re.I),
    "spo2_percent": re.compile(rf"\b(?:sp\s*o2|sats?|o2\s*sats?)\s*(?:of|=|:|is)?\s*{_NUMBER}\s*%?", re.I),
    "creatinine_umol_l": re.compile(rf"\b(?:creat(?:inine)?|cr)\s*(?:of|=|:|is)?\s*{_NUMBER}", re.I),
    "qt_ms": re.compile(rf"\bqt\s*(?:interval)?\s*(?:of|=|:|is)?\s*{_NUMBER}\s*(?:ms)?", re.I),
    "weight_kg": re.compile(rf"\b(?:weight|weighs|wt)?\s*(?:of|=|:|is)?\s*{_NUMBER}\s*kg\b", re.I),
}
_BLOOD_PRESSURE = re.compile(r"\b(?:bp|blood\s*pressure)\s*(?:of|=|:|is)?\s*(\d{2,3})\s*/\s*(\d{2,3})",
                             re.I)
_AGE = re.compile(r"\b(\d{1,3})\s*(?:yo\b|y/o\b|yrs?\b|years?(?:\s*old)?\b|-year-old\b|[mf]\b)"
                  r"|\baged?\s*(\d{1,3})\b", re.I)
_SEX = re.compile(r"\b(?:(male|man|gentleman|he|his)|(female|woman|lady|she|her))\b|\b\d{1,3}\s*([mf])\b",
                  re.I)
_HEIGHT_CM = re.compile(r"\b(\d{3}(?:\.\d+)?)\s*cm\b|\b(1\.\d{1,2})\s*m\b", re.I)

# Calculator → names that mean "compute this", and whether its own measurement is enough.
_CALCULATOR_NAMES: dict[str, re.Pattern] = {
    "curb65": re.compile(r"\bcurb[- ]?65\b", re.I),
    "crb65": re.compile(r"\bcrb[- ]?65\b", re.I),
    "cha2ds2vasc": re.compile(r"\bcha2?ds2?[- ]?vasc\b|\bchads[- ]?vasc\b", re.I),
    "egfr": re.compile(r"\begfr\b|\bcreatinine\b", re.I),
    "qtc": re.compile(r"\bqtc\b|\bqt\s*(?:interval)?\s*\d", re.I),
    "bmi": re.compile(r"\bbmi\b|\bbody\s*mass\b|\d\s*kg\b.*\b\d{3}\s*cm\b", re.I),
}
# Yes/no inputs read with ConText, so "no confusion" is not confusion.
_CRITERIA_TERMS: dict[str, list[str]] = {
    "confusion": ["confusion", "confused", "disorientated", "disoriented", "new confusion"],
    "congestive_heart_failure": ["heart failure", "ccf", "lvsd", "reduced ejection fraction"],
    "hypertension": ["hypertension", "hypertensive", "high blood pressure", "htn"],
    "diabetes": ["diabetes", "diabetic", "t2dm", "t1dm"],
    "stroke_tia_thromboembolism": ["stroke", "tia", "transient ischaemic attack",
                                   "thromboembolism", "previous clot"],
    "vascular_disease": ["myocardial infarction", "heart attack", "peripheral arterial disease",
                         "aortic plaque", "previous mi"],
}


def _numbers(text: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, pattern in _NUMERIC_PATTERNS.items():
        match = pattern.search(text)
        if match:
            values[name] = float(match.group(1))
    bp = _BLOOD_PRESSURE.search(text)
    if bp:
        values["sbp_mmhg"], values["dbp_mmhg"] = int(bp.group(1)), int(bp.group(2))
    age = _AGE.search(text)
    if age:
        values["age_years"] = int(age.group(1) or age.group(2))
    sex = _SEX.search(text)
    if sex:
        values["sex"] = "male" if (sex.group(1) or (sex.group(3) or "").lower() == "m") else "female"
    height = _HEIGHT_CM.search(text)
    if height:
        values["height_cm"] = float(height.group(1)) if height.group(1) else float(height.group(2)) * 100
    return values


def _criteria(text: str) -> dict[str, bool]:
    affirmed = {m.concept for m in find_mentions(text, _CRITERIA_TERMS) if m.affirmed}
    return {name: name in affirmed for name in _CRITERIA_TERMS}


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
    numbers, criteria = _numbers(text), _criteria(text)
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
