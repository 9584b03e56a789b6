"""Questionnaire totals: PHQ-9 (depression) and GAD-7 (anxiety). Items score 0-3 each.

A PHQ-9 item 9 answer above 0 (thoughts of being better off dead or of self-harm) is flagged
for a same-day risk assessment whatever the total.
"""

from __future__ import annotations

from .base import Calculator, CalculatorResult, Citation, FieldSpec

PHQ9_SOURCE = Citation(
    publisher="Journal of General Internal Medicine", year=2001,
    authors="Kroenke K, Spitzer RL, Williams JBW",
    title="The PHQ-9: validity of a brief depression severity measure",
    url="https://doi.org/10.1046/j.1525-1497.2001.016009606.x",
)
GAD7_SOURCE = Citation(
    publisher="Archives of Internal Medicine", year=2006,
    authors="Spitzer RL, Kroenke K, Williams JBW, Löwe B",
    title="A brief measure for assessing generalized anxiety disorder: the GAD-7",
    url="https://doi.org/10.1001/archinte.166.10.1092",
)

_ANSWER_HELP = "0 not at all, 1 several days, 2 more than half the days, 3 nearly every day"


def _items(prefix: str, count: int) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f"{prefix}{n}", "int", f"Item {n} ({_ANSWER_HELP})", min_value=0,
                           max_value=3) for n in range(1, count + 1))


def _phq9(values: dict) -> CalculatorResult:
    score = sum(values[f"item{n}"] for n in range(1, 10))
    for limit, category in ((20, "severe"), (15, "moderately_severe"), (10, "moderate"),
                            (5, "mild"), (0, "minimal")):
        if score >= limit:
            break
    text = f"PHQ-9 {score}/27: {category.replace('_', ' ')} depressive symptoms."
    if values["item9"] > 0:
        text += (" Item 9 is positive: assess suicide risk the same day, whatever the total.")
    return CalculatorResult("phq9", score, text, PHQ9_SOURCE, category=category,
                            details={"item9_positive": values["item9"] > 0}, inputs=values)


def _gad7(values: dict) -> CalculatorResult:
    score = sum(values[f"item{n}"] for n in range(1, 8))
    for limit, category in ((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal")):
        if score >= limit:
            break
    text = f"GAD-7 {score}/21: {category} anxiety symptoms."
    if score >= 10:
        text += " 10 or more warrants further assessment for an anxiety disorder."
    return CalculatorResult("gad7", score, text, GAD7_SOURCE, category=category, inputs=values)


PHQ9 = Calculator(name="phq9", title="PHQ-9 depression severity", fields=_items("item", 9),
                  compute=_phq9, source=PHQ9_SOURCE)
GAD7 = Calculator(name="gad7", title="GAD-7 anxiety severity", fields=_items("item", 7),
                  compute=_gad7, source=GAD7_SOURCE)
