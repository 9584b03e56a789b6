"""NEWS2 exposed through the calculator registry (the scoring itself is ``assistant.clinical.news2``)."""

from __future__ import annotations

from ..news2 import NEWS2_SOURCE, Vitals, score_news2
from .base import Calculator, CalculatorResult, Citation, FieldSpec

_SOURCE = Citation(publisher=NEWS2_SOURCE["publisher"], title=NEWS2_SOURCE["title"],
                   year=NEWS2_SOURCE["year"], url=NEWS2_SOURCE["url"])


def _news2(values: dict) -> CalculatorResult:
    vitals = Vitals(rr_per_min=values["rr_per_min"], spo2_percent=values["spo2_percent"],
                    spo2_scale=values["spo2_scale"], on_oxygen=values["on_oxygen"],
                    sbp_mmhg=values["sbp_mmhg"], hr_bpm=values["hr_bpm"],
                    consciousness=values["consciousness"], temp_c=values["temp_c"])
    result = score_news2(vitals)
    return CalculatorResult(
        "news2", result.total, f"NEWS2 {result.total}, {result.risk} clinical risk. "
        f"{result.response}", _SOURCE, category=result.risk,
        details={c.parameter: c.score for c in result.components}, inputs=values)


NEWS2 = Calculator(
    name="news2", title="National Early Warning Score 2 (adults, not pregnant)",
    fields=(
        FieldSpec("rr_per_min", "int", "Respiration rate", unit="/min", min_value=0, max_value=80),
        FieldSpec("spo2_percent", "int", "Oxygen saturation", unit="%", min_value=40, max_value=100),
        FieldSpec("spo2_scale", "int", "SpO2 scale: 2 only for confirmed hypercapnic "
                  "respiratory failure", min_value=1, max_value=2, required=False, default=1),
        FieldSpec("on_oxygen", "bool", "On supplemental oxygen", required=False, default=False),
        FieldSpec("sbp_mmhg", "int", "Systolic blood pressure", unit="mmHg", min_value=40,
                  max_value=300),
        FieldSpec("hr_bpm", "int", "Pulse", unit="beats/min", min_value=20, max_value=300),
        FieldSpec("consciousness", "choice", "ACVPU: alert, new confusion, voice, pain, "
                  "unresponsive", choices=("A", "C", "V", "P", "U")),
        FieldSpec("temp_c", "float", "Temperature", unit="°C", min_value=25, max_value=45),
    ),
    compute=_news2, source=_SOURCE,
)
