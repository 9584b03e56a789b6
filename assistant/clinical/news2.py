"""NEWS2, the National Early Warning Score 2 (Royal College of Physicians, 2017).

``Vitals`` holds one set of observations with range checks at the boundary; ``score_news2``
scores each parameter exactly as the RCP chart does (including SpO2 scale 2 for patients with
hypercapnic respiratory failure, new confusion as part of ACVPU, and 2 points for supplemental
oxygen), adds them up, applies the single-parameter-3 trigger and returns the clinical risk band
with its response.

What it does not do: decide triage (``assistant.clinical.triage`` maps the risk band to a level), or
score children or pregnant women, for whom NEWS2 is not validated (the caller is told so).
Missing parameters are allowed: the total then covers only what was measured and the result
says it is incomplete (a lower bound on the real score).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

Consciousness = Literal["A", "C", "V", "P", "U"]
CONSCIOUSNESS_LEVELS = ("A", "C", "V", "P", "U")

NEWS2_SOURCE = {
    "publisher": "Royal College of Physicians",
    "code": "NEWS2",
    "title": "National Early Warning Score (NEWS) 2: Standardising the assessment of acute-illness "
             "severity in the NHS",
    "year": 2017,
    "section": "Chart 1 (scoring), Chart 2 (thresholds and triggers), Chart 3 (clinical response)",
    "url": "https://www.rcp.ac.uk/improving-care/resources/national-early-warning-score-news-2/",
}

# Plausible physiological ranges: outside them the number is a typing error, not a patient.
VITAL_RANGES = {
    "rr_per_min": (0, 80),
    "spo2_percent": (40, 100),
    "sbp_mmhg": (40, 300),
    "dbp_mmhg": (20, 200),
    "hr_bpm": (20, 300),
    "temp_c": (25.0, 45.0),
    "glucose_mmol_l": (0.5, 60.0),
}

RESPONSES = {
    "low": "Aggregate 0-4: assessment by a competent registered nurse or equivalent; in the "
           "community, routine care with monitoring as clinically indicated.",
    "low-medium": "A score of 3 in one parameter: urgent review by a clinician skilled in "
                  "treating acutely ill patients to decide on escalation.",
    "medium": "Aggregate 5-6 (key threshold): urgent response, urgent review by a clinician "
              "competent in acute illness; in the community, urgent assessment and consider "
              "hospital admission.",
    "high": "Aggregate 7 or more: emergency response, emergency assessment by a critical-care "
            "competent team; in the community, call an ambulance (999) for emergency admission.",
}


@dataclass(frozen=True)
class Vitals:
    """One set of observations. Every field is optional; ranges are checked on creation.

    ``spo2_scale`` is 1 (default) or 2 (confirmed hypercapnic respiratory failure, target
    88-92%, decided by a clinician). ``consciousness`` is ACVPU: A alert, C new confusion,
    V voice, P pain, U unresponsive.
    """

    rr_per_min: float | None = None
    spo2_percent: float | None = None
    spo2_scale: int = 1
    on_oxygen: bool = False
    sbp_mmhg: float | None = None
    dbp_mmhg: float | None = None
    hr_bpm: float | None = None
    consciousness: str | None = None
    temp_c: float | None = None
    glucose_mmol_l: float | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in VITAL_RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if name == "temp_c" and 90 <= value <= 113:
                raise ValueError(
                    f"temp_c must be {low}-{high} °C, got {value}: this looks like Fahrenheit; "
                    "give the unit (CLI: --temp-unit f) or convert to °C"
                )
            if not low <= value <= high:
                raise ValueError(f"{name} must be {low}-{high}, got {value}")
        if self.spo2_scale not in (1, 2):
            raise ValueError(f"spo2_scale must be 1 or 2, got {self.spo2_scale!r}")
        if self.consciousness is not None:
            level = str(self.consciousness).strip().upper()
            if level not in CONSCIOUSNESS_LEVELS:  # one letter: "CV" is refused, not read as C
                raise ValueError(
                    f"consciousness must be one of A, C, V, P, U (ACVPU), got {self.consciousness!r}"
                )
            object.__setattr__(self, "consciousness", level)
        if (self.sbp_mmhg is not None and self.dbp_mmhg is not None
                and self.dbp_mmhg >= self.sbp_mmhg):
            raise ValueError(
                f"dbp_mmhg ({self.dbp_mmhg}) must be lower than sbp_mmhg ({self.sbp_mmhg}); "
                "check the two numbers are not swapped"
            )

    @classmethod
    def with_temperature(cls, temp: float, unit: str = "c", **values) -> "Vitals":
        """Build vitals from a temperature in °C or °F (``unit`` "c" or "f")."""
        unit = unit.lower()
        if unit not in ("c", "f"):
            raise ValueError(f"temperature unit must be 'c' or 'f', got {unit!r}")
        temp_c = (temp - 32.0) * 5.0 / 9.0 if unit == "f" else temp
        return cls(temp_c=round(temp_c, 1), **values)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in VITAL_RANGES) and \
            self.consciousness is None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class News2Component:
    parameter: str
    value: object
    score: int


@dataclass(frozen=True)
class News2Result:
    total: int
    components: tuple[News2Component, ...]
    risk: str  # "low" | "low-medium" | "medium" | "high"
    response: str
    any_single_three: bool
    complete: bool
    missing: tuple[str, ...] = field(default=())
    applicable: bool = True
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "components": [asdict(c) for c in self.components],
            "risk": self.risk,
            "response": self.response,
            "any_single_three": self.any_single_three,
            "complete": self.complete,
            "missing": list(self.missing),
            "applicable": self.applicable,
            "note": self.note,
            "source": dict(NEWS2_SOURCE),
        }


def score_respiration(rr_per_min: float) -> int:
    if rr_per_min <= 8:
        return 3
    if rr_per_min <= 11:
        return 1
    if rr_per_min <= 20:
        return 0
    if rr_per_min <= 24:
        return 2
    return 3


def score_spo2_scale1(spo2_percent: float) -> int:
    if spo2_percent <= 91:
        return 3
    if spo2_percent <= 93:
        return 2
    if spo2_percent <= 95:
        return 1
    return 0


def score_spo2_scale2(spo2_percent: float, on_oxygen: bool) -> int:
    """Scale 2: 88-92% scores 0; above 92% scores only while on oxygen (over-oxygenation)."""
    if spo2_percent <= 83:
        return 3
    if spo2_percent <= 85:
        return 2
    if spo2_percent <= 87:
        return 1
    if spo2_percent <= 92 or not on_oxygen:
        return 0
    if spo2_percent <= 94:
        return 1
    if spo2_percent <= 96:
        return 2
    return 3


def score_systolic(sbp_mmhg: float) -> int:
    if sbp_mmhg <= 90:
        return 3
    if sbp_mmhg <= 100:
        return 2
    if sbp_mmhg <= 110:
        return 1
    if sbp_mmhg <= 219:
        return 0
    return 3


def score_pulse(hr_bpm: float) -> int:
    if hr_bpm <= 40:
        return 3
    if hr_bpm <= 50:
        return 1
    if hr_bpm <= 90:
        return 0
    if hr_bpm <= 110:
        return 1
    if hr_bpm <= 130:
        return 2
    return 3


def score_consciousness(level: str) -> int:
    return 0 if level == "A" else 3


def score_temperature(temp_c: float) -> int:
    # The chart is in 0.1 °C steps; round first so 38.04 counts as 38.0.
    temp_c = round(temp_c, 1)
    if temp_c <= 35.0:
        return 3
    if temp_c <= 36.0:
        return 1
    if temp_c <= 38.0:
        return 0
    if temp_c <= 39.0:
        return 1
    return 2


def risk_band(total: int, any_single_three: bool) -> str:
    """RCP clinical risk: high >= 7, medium 5-6, low-medium any single 3, otherwise low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if any_single_three:
        return "low-medium"
    return "low"


def score_news2(vitals: Vitals, age_years: float | None = None,
                pregnant: bool | None = None) -> News2Result:
    """Score ``vitals`` with NEWS2. Children (< 16) and pregnancy get ``applicable=False``."""
    components: list[News2Component] = []
    missing: list[str] = []

    def add(parameter: str, value, scorer) -> None:
        if value is None:
            missing.append(parameter)
            return
        components.append(News2Component(parameter, value, scorer(value)))

    add("respiration_rate", vitals.rr_per_min, score_respiration)
    if vitals.spo2_percent is None:
        missing.append(f"spo2_scale{vitals.spo2_scale}")
    elif vitals.spo2_scale == 2:
        components.append(News2Component(
            "spo2_scale2", vitals.spo2_percent,
            score_spo2_scale2(vitals.spo2_percent, vitals.on_oxygen)))
    else:
        components.append(News2Component(
            "spo2_scale1", vitals.spo2_percent, score_spo2_scale1(vitals.spo2_percent)))
    components.append(News2Component("air_or_oxygen", "oxygen" if vitals.on_oxygen else "air",
                                     2 if vitals.on_oxygen else 0))
    add("systolic_bp", vitals.sbp_mmhg, score_systolic)
    add("pulse", vitals.hr_bpm, score_pulse)
    add("consciousness", vitals.consciousness, score_consciousness)
    add("temperature", vitals.temp_c, score_temperature)

    total = sum(c.score for c in components)
    any_three = any(c.score == 3 for c in components)
    band = risk_band(total, any_three)
    applicable, note = True, ""
    if age_years is not None and age_years < 16:
        applicable, note = False, "NEWS2 is not validated under 16 years; use paediatric criteria."
    elif pregnant:
        applicable, note = False, "NEWS2 is not validated in pregnancy; use an obstetric early warning score."
    if missing and not note:
        note = "Incomplete: the total covers measured parameters only (" + ", ".join(missing) + ")."
    return News2Result(
        total=total,
        components=tuple(components),
        risk=band,
        response=RESPONSES[band],
        any_single_three=any_three,
        complete=not missing,
        missing=tuple(missing),
        applicable=applicable,
        note=note,
    )
