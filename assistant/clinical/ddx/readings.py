"""Read numbers in a presentation as clinical findings: vital signs, blood tests, durations.

"T 38.6", "HR 112", "sats 91%", "BP 158/105", "HbA1c 62", "Hb 96", "for 3 days", "2/52" become
``Mention`` records for feature keys of the shared vocabulary (``fever``, ``tachycardia``,
``hypoxia``, ``raised-bp``, ``raised-glucose``, ``anaemia``, ``acute-onset``...). The numbers
themselves come from the shared reader (``assistant.clinical.measurements``); this module only
judges them. A normal value is a negated mention ("T 36.8" counts against fever), so that a
measured absence weighs like a stated one. Thresholds are the usual adult and paediatric
cut-offs (NICE NG143 for children's heart and breathing rates, NG136 for blood pressure, NG28
for HbA1c, NG12 for PSA).

What it does not do: trends ("BP rising") and ranges, and nothing here decides a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from assistant.clinical.context import Mention
from assistant.clinical.measurements import Measurement, read_durations, read_measurements

ACUTE_MAX_DAYS = 14
PERSISTENT_MIN_DAYS = 21
CHRONIC_MIN_DAYS = 90


@dataclass(frozen=True)
class ReadingContext:
    """What the thresholds depend on besides the number."""

    age_years: int | None = None
    sex: str | None = None


def read_numbers(text: str, context: ReadingContext = ReadingContext()) -> list[Mention]:
    """Return mentions for every vital sign, test value and duration recognised in ``text``."""
    reading = read_measurements(text)
    mentions: list[Mention] = []
    blood_pressure_done = False
    for field, measurement in reading.values.items():
        if field in ("sbp_mmhg", "dbp_mmhg"):
            if blood_pressure_done or "sbp_mmhg" not in reading.values \
                    or "dbp_mmhg" not in reading.values:
                continue
            blood_pressure_done = True
            verdicts = _blood_pressure(reading.values["sbp_mmhg"].value,
                                       reading.values["dbp_mmhg"].value)
        elif field in _JUDGES:
            verdicts = _JUDGES[field](measurement.value, context)
        else:
            continue
        mentions.extend(_mentions(measurement, verdicts))
    for duration in read_durations(text):
        mentions.extend(_duration_mentions(duration))
    mentions.sort(key=lambda m: (m.start, m.concept))
    return mentions


def _mentions(measurement: Measurement, verdicts: list[tuple[str, bool]]) -> list[Mention]:
    return [Mention(concept=concept, matched_text=measurement.text, start=measurement.start,
                    end=measurement.end, negated=not present) for concept, present in verdicts]


# --- vital signs and tests ------------------------------------------------------------------

def _temperature(value, context):
    if not 30 <= value <= 43:
        return []
    if value >= 38.0:
        return [("fever", True)]
    if value <= 37.5:
        return [("fever", False)]
    return []


def _heart_rate(value, context):
    if not 20 <= value <= 260:
        return []
    upper = _age_limit(context.age_years, infant=160, toddler=140, child=120, adult=100)
    if value > upper:
        return [("tachycardia", True), ("bradycardia", False)]
    if context.age_years is not None and context.age_years >= 12 and value < 50:
        return [("bradycardia", True), ("tachycardia", False)]
    return [("tachycardia", False)]


def _resp_rate(value, context):
    if not 4 <= value <= 100:
        return []
    upper = _age_limit(context.age_years, infant=50, toddler=40, child=25, adult=20)
    return [("tachypnoea", value > upper)]


def _oxygen(value, context):
    if not 50 <= value <= 100:
        return []
    if value < 94:
        return [("hypoxia", True)]
    if value >= 95:
        return [("hypoxia", False)]
    return []


def _blood_pressure(systolic: float, diastolic: float) -> list[tuple[str, bool]]:
    if not (50 <= systolic <= 260 and 20 <= diastolic <= 160 and systolic > diastolic):
        return []
    if systolic < 90:
        return [("hypotension", True), ("raised-bp", False)]
    if systolic >= 140 or diastolic >= 90:
        return [("raised-bp", True), ("hypotension", False)]
    return [("raised-bp", False), ("hypotension", False)]


def _glucose(value, context):
    if not 0.5 <= value <= 60:
        return []
    if value >= 11.1:
        return [("raised-glucose", True), ("low-glucose", False)]
    if value < 4.0:
        return [("low-glucose", True), ("raised-glucose", False)]
    return [("raised-glucose", False), ("low-glucose", False)]


def _hba1c(mmol_per_mol, context):  # the reader gives IFCC mmol/mol
    if mmol_per_mol >= 48:
        return [("raised-glucose", True)]
    if mmol_per_mol < 42:
        return [("raised-glucose", False)]
    return []


def _haemoglobin(grams_per_litre, context):  # the reader gives g/L
    if not 30 <= grams_per_litre <= 220:
        return []
    if context.age_years is not None and context.age_years < 12:
        lower = 110
    elif context.sex == "male":
        lower = 130
    else:
        lower = 120
    return [("anaemia", grams_per_litre < lower)]


def _crp(value, context):
    return [("raised-esr-crp", value > 10)]


def _esr(value, context):
    age = context.age_years if context.age_years is not None else 50
    # Age-adjusted upper limit: men age/2, women (age + 10)/2, never below 20 mm/h.
    limit = max(20.0, (age + (10 if context.sex == "female" else 0)) / 2)
    return [("raised-esr-crp", value > limit)]


def _tsh(value, context):
    if value > 4.5:
        return [("tsh-raised", True), ("tsh-suppressed", False)]
    if value < 0.3:
        return [("tsh-suppressed", True), ("tsh-raised", False)]
    return [("tsh-raised", False), ("tsh-suppressed", False)]


def _calcium(value, context):
    if not 1.0 <= value <= 5.0:
        return []
    return [("raised-calcium", value > 2.6)]


def _sodium(value, context):
    if not 100 <= value <= 180:
        return []
    return [("low-sodium", value < 133)]


def _potassium(value, context):
    if not 1.5 <= value <= 9:
        return []
    return [("high-potassium", value > 5.5)]


def _egfr(value, context):
    if not 1 <= value <= 150:
        return []
    return [("reduced-egfr", value < 60)]


def _psa(value, context):
    age = context.age_years
    # Age-specific PSA thresholds (ng/ml) used for referral in NICE NG12.
    if age is None or age < 50:
        limit = 2.5
    elif age < 60:
        limit = 3.5
    elif age < 70:
        limit = 4.5
    else:
        limit = 6.5
    return [("raised-psa", value > limit)]


def _ca125(value, context):
    return [("raised-ca125", value >= 35)]


def _bmi(value, context):
    if not 10 <= value <= 80:
        return []
    if value >= 30:
        return [("obesity", True), ("low-bmi", False)]
    if value < 17.5:
        return [("low-bmi", True), ("obesity", False)]
    return [("obesity", False), ("low-bmi", False)]


def _ferritin(value, context):
    if value < 30:
        return [("iron-deficiency-tests", True)]
    if value > 300:
        return [("raised-ferritin", True)]
    return [("iron-deficiency-tests", False)]


def _mcv(value, context):
    if not 50 <= value <= 140:
        return []
    if value < 80:
        return [("iron-deficiency-tests", True), ("macrocytosis", False)]
    if value > 100:
        return [("macrocytosis", True), ("iron-deficiency-tests", False)]
    return [("macrocytosis", False)]


def _peak_flow_percent(value, context):
    if not 10 <= value <= 150:
        return []
    if value < 75:
        return [("reduced-peak-flow", True)]
    if value >= 80:
        return [("reduced-peak-flow", False)]
    return []


def _age_limit(age_years: int | None, infant: int, toddler: int, child: int, adult: int) -> int:
    if age_years is None or age_years >= 12:
        return adult
    if age_years < 1:
        return infant
    if age_years < 5:
        return toddler
    return child


# Reader field -> judge of its value.
_JUDGES: dict[str, Callable[[float, ReadingContext], list[tuple[str, bool]]]] = {
    "temp_c": _temperature, "hr_bpm": _heart_rate, "rr_per_min": _resp_rate,
    "spo2_percent": _oxygen, "glucose_mmol_l": _glucose, "hba1c": _hba1c,
    "hb_g_l": _haemoglobin, "crp_mg_l": _crp, "esr_mm_h": _esr, "tsh_mu_l": _tsh,
    "calcium_mmol_l": _calcium, "sodium_mmol_l": _sodium, "potassium_mmol_l": _potassium,
    "egfr_ml_min": _egfr, "psa_ng_ml": _psa, "ca125_u_ml": _ca125, "bmi": _bmi,
    "ferritin_ug_l": _ferritin, "mcv_fl": _mcv, "peak_flow_percent": _peak_flow_percent,
}


def _duration_mentions(duration) -> Iterable[Mention]:
    start, end, days, words = duration.start, duration.end, duration.days, duration.text
    if days <= ACUTE_MAX_DAYS:
        yield Mention(concept="acute-onset", matched_text=words, start=start, end=end)
    if days >= PERSISTENT_MIN_DAYS:
        yield Mention(concept="persistent-3-weeks", matched_text=words, start=start, end=end)
    if days >= CHRONIC_MIN_DAYS:
        yield Mention(concept="chronic-3-months", matched_text=words, start=start, end=end)
