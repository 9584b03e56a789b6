"""Adapting a triage vignette record to ``assistant.clinical.triage.triage`` inputs.

A vignette gives the text (``case_description`` or ``text``), optionally ``age_years`` (or
``age``), ``sex``, ``pregnant`` and vital signs either under ``vitals: {...}`` or as top-level
fields with ``assistant.clinical.news2.Vitals`` names (``rr_per_min``, ``spo2_percent``, ``hr_bpm``,
``sbp_mmhg``, ``temp_c``, ...). A value out of range fails that case with the field named
(the run goes on). Scoring lives in ``scoring``; this module only builds inputs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

from eval.suites import SuiteInputError


def triage_inputs(record: Mapping[str, Any]):
    """(text, PatientContext, Vitals | None) for one vignette record."""
    from assistant.clinical.news2 import Vitals
    from assistant.clinical.triage import PatientContext

    age = record.get("age_years", record.get("age"))
    if isinstance(age, str):
        try:
            age = float(age)
        except ValueError:
            raise ValueError(f"age_years must be a number, got {age!r}") from None
    patient = PatientContext(age_years=age, sex=record.get("sex") or None,
                             pregnant=record.get("pregnant"))
    names = {f.name for f in dataclasses.fields(Vitals)}
    nested = record.get("vitals") or {}
    if not isinstance(nested, Mapping):
        raise ValueError(f"vitals must be an object of {', '.join(sorted(names))}, got {nested!r:.40}")
    unknown = sorted(set(nested) - names)
    if unknown:
        raise ValueError(f"vitals has unknown field(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(sorted(names))}")
    values = {k: v for k, v in record.items() if k in names and v is not None}
    values.update({k: v for k, v in nested.items() if v is not None})
    vitals = Vitals(**values) if values else None
    return record["text"], patient, vitals


def default_triage_fn() -> Callable[[Mapping[str, Any]], Any]:
    """The deterministic triage engine as a function of a vignette record."""
    from assistant.clinical.triage import triage, warm_up
    from knowledge.redflag_rules import load_rules

    try:
        load_rules()  # a broken rules file fails the run once, not every case
    except Exception as e:  # RuleError and YAML errors name the file
        raise SuiteInputError(f"the triage engine could not load its red-flag rules: {e}") from e
    warm_up()  # builds the clinical-NLP pipeline once, outside the per-case latency

    def run(record: Mapping[str, Any]):
        text, patient, vitals = triage_inputs(record)
        return triage(text, patient, vitals)

    return run
