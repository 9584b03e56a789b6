"""Read numbers in a presentation as clinical findings: vital signs, a few blood tests, durations.

"T 38.6", "HR 112", "sats 91%", "BP 158/105", "HbA1c 62", "Hb 96", "for 3 days", "2/52" become
``Mention`` records for feature keys of the shared vocabulary (``fever``, ``tachycardia``,
``hypoxia``, ``raised-bp``, ``raised-glucose``, ``anaemia``, ``acute-onset``...). A normal
value is a negated mention ("T 36.8" counts against fever), so that a measured absence weighs
like a stated one. Thresholds are the usual adult and paediatric cut-offs (NICE NG143 for
children's heart and breathing rates, NG136 for blood pressure, NG28 for HbA1c, NG12 for PSA).

What it does not do: units it cannot recognise are skipped rather than guessed, trends ("BP
rising") and ranges are not read, and nothing here decides a diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from assistant.clinical.context import Mention, normalize_text

_SEP = r"\s*(?:of|was|were|is|are|at|reading|:|=|-)?\s*"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a few": 3, "few": 3, "a couple of": 2, "couple of": 2, "several": 4,
}
_UNIT_DAYS = {"minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1,
              "week": 7, "wk": 7, "month": 30, "year": 365, "yr": 365}
ACUTE_MAX_DAYS = 14
PERSISTENT_MIN_DAYS = 21
CHRONIC_MIN_DAYS = 90


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    judge: Callable[[re.Match[str], "ReadingContext"], list[tuple[str, bool]]]


@dataclass(frozen=True)
class ReadingContext:
    """What the thresholds depend on besides the number."""

    age_years: int | None = None
    sex: str | None = None


def read_numbers(text: str, context: ReadingContext = ReadingContext()) -> list[Mention]:
    """Return mentions for every vital sign, test value and duration recognised in ``text``."""
    lowered = normalize_text(text)
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for rule in _RULES:
        for match in rule.pattern.finditer(lowered):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue  # one reading per stretch of text ("38.5C" is not read twice)
            verdicts = rule.judge(match, context)
            if not verdicts:
                continue
            taken.append((start, end))
            for concept, present in verdicts:
                mentions.append(Mention(concept=concept, matched_text=text[start:end].strip(),
                                        start=start, end=end, negated=not present))
    mentions.extend(_read_durations(text, lowered))
    mentions.sort(key=lambda m: (m.start, m.concept))
    return mentions


# --- vital signs and tests ------------------------------------------------------------------

def _number(match: re.Match[str], group: int = 1) -> float:
    return float(match.group(group))


def _temperature(match, context):
    value = _number(match)
    if value > 45:  # Fahrenheit
        value = (value - 32) * 5 / 9
    if not 30 <= value <= 43:
        return []
    if value >= 38.0:
        return [("fever", True)]
    if value <= 37.5:
        return [("fever", False)]
    return []


def _heart_rate(match, context):
    value = _number(match)
    if not 20 <= value <= 260:
        return []
    upper = _age_limit(context.age_years, infant=160, toddler=140, child=120, adult=100)
    if value > upper:
        return [("tachycardia", True), ("bradycardia", False)]
    if context.age_years is not None and context.age_years >= 12 and value < 50:
        return [("bradycardia", True), ("tachycardia", False)]
    return [("tachycardia", False)]


def _resp_rate(match, context):
    value = _number(match)
    if not 4 <= value <= 100:
        return []
    upper = _age_limit(context.age_years, infant=50, toddler=40, child=25, adult=20)
    return [("tachypnoea", value > upper)]


def _oxygen(match, context):
    value = _number(match)
    if not 50 <= value <= 100:
        return []
    if value < 94:
        return [("hypoxia", True)]
    if value >= 95:
        return [("hypoxia", False)]
    return []


def _blood_pressure(match, context):
    systolic, diastolic = _number(match, 1), _number(match, 2)
    if not (50 <= systolic <= 260 and 20 <= diastolic <= 160 and systolic > diastolic):
        return []
    if systolic < 90:
        return [("hypotension", True), ("raised-bp", False)]
    if systolic >= 140 or diastolic >= 90:
        return [("raised-bp", True), ("hypotension", False)]
    return [("raised-bp", False), ("hypotension", False)]


def _glucose(match, context):
    value = _number(match)
    if not 0.5 <= value <= 60:
        return []
    if value >= 11.1:
        return [("raised-glucose", True), ("low-glucose", False)]
    if value < 4.0:
        return [("low-glucose", True), ("raised-glucose", False)]
    return [("raised-glucose", False), ("low-glucose", False)]


def _hba1c(match, context):
    value = _number(match)
    mmol_per_mol = value if value > 20 else (value - 2.15) * 10.929  # % -> mmol/mol (IFCC)
    if mmol_per_mol >= 48:
        return [("raised-glucose", True)]
    if mmol_per_mol < 42:
        return [("raised-glucose", False)]
    return []


def _haemoglobin(match, context):
    value = _number(match)
    grams_per_litre = value * 10 if value < 25 else value
    if not 30 <= grams_per_litre <= 220:
        return []
    if context.age_years is not None and context.age_years < 12:
        lower = 110
    elif context.sex == "male":
        lower = 130
    else:
        lower = 120
    return [("anaemia", grams_per_litre < lower)]


def _crp(match, context):
    return [("raised-esr-crp", _number(match) > 10)]


def _esr(match, context):
    value = _number(match)
    age = context.age_years if context.age_years is not None else 50
    # Age-adjusted upper limit: men age/2, women (age + 10)/2, never below 20 mm/h.
    limit = max(20.0, (age + (10 if context.sex == "female" else 0)) / 2)
    return [("raised-esr-crp", value > limit)]


def _tsh(match, context):
    value = _number(match)
    if value > 4.5:
        return [("tsh-raised", True), ("tsh-suppressed", False)]
    if value < 0.3:
        return [("tsh-suppressed", True), ("tsh-raised", False)]
    return [("tsh-raised", False), ("tsh-suppressed", False)]


def _calcium(match, context):
    value = _number(match)
    if not 1.0 <= value <= 5.0:
        return []
    return [("raised-calcium", value > 2.6)]


def _sodium(match, context):
    value = _number(match)
    if not 100 <= value <= 180:
        return []
    return [("low-sodium", value < 133)]


def _potassium(match, context):
    value = _number(match)
    if not 1.5 <= value <= 9:
        return []
    return [("high-potassium", value > 5.5)]


def _egfr(match, context):
    value = _number(match)
    if not 1 <= value <= 150:
        return []
    return [("reduced-egfr", value < 60)]


def _psa(match, context):
    value = _number(match)
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


def _ca125(match, context):
    return [("raised-ca125", _number(match) >= 35)]


def _bmi(match, context):
    value = _number(match)
    if not 10 <= value <= 80:
        return []
    if value >= 30:
        return [("obesity", True), ("low-bmi", False)]
    if value < 17.5:
        return [("low-bmi", True), ("obesity", False)]
    return [("obesity", False), ("low-bmi", False)]


def _ferritin(match, context):
    value = _number(match)
    if value < 30:
        return [("iron-deficiency-tests", True)]
    if value > 300:
        return [("raised-ferritin", True)]
    return [("iron-deficiency-tests", False)]


def _mcv(match, context):
    value = _number(match)
    if not 50 <= value <= 140:
        return []
    if value < 80:
        return [("iron-deficiency-tests", True), ("macrocytosis", False)]
    if value > 100:
        return [("macrocytosis", True), ("iron-deficiency-tests", False)]
    return [("macrocytosis", False)]


def _peak_flow_percent(match, context):
    value = _number(match)
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


_DEC = r"(\d{1,3}(?:\.\d+)?)"
_RULES: tuple[_Rule, ...] = tuple(
    _Rule(re.compile(pattern), judge)
    for pattern, judge in (
        (rf"\b(?:t|temp|temperature|fever|febrile|pyrexia|pyrexial){_SEP}(\d{{2,3}}(?:\.\d)?)\s*(?:°\s*[cf]|degrees\s*[cf]?|c\b|f\b)?", _temperature),
        (r"\b(\d{2}\.\d)\s*°?\s*c\b", _temperature),
        (r"\b(?:bp|blood pressure|readings?(?: average)?|averages?|bp readings average)\D{0,12}?(\d{2,3})\s*/\s*(\d{2,3})\b", _blood_pressure),
        (r"\b(\d{2,3})\s*/\s*(\d{2,3})\s*(?:mm\s*hg|mmhg)", _blood_pressure),
        (rf"\b(?:hr|heart rate|pulse(?: rate)?|pulse of){_SEP}(\d{{2,3}})\b(?!\s*/)", _heart_rate),
        (r"\b(\d{2,3})\s*(?:bpm|beats per minute|beats/min)", _heart_rate),
        (rf"\b(?:spo2|sp02|sao2|o2 sats?|oxygen saturations?|oxygen sats|sats|saturations?|saturating){_SEP}(\d{{2,3}})\s*%?", _oxygen),
        (rf"\b(?:rr|resp rate|respiratory rate){_SEP}(\d{{1,3}})\b", _resp_rate),
        (rf"\bhba1c{_SEP}(\d{{1,3}}(?:\.\d)?)", _hba1c),
        (rf"\b(?:capillary glucose|blood glucose|blood sugar|glucose|sugars?|bm|cbg){_SEP}(\d{{1,2}}(?:\.\d)?)\b", _glucose),
        (rf"\b(?:hb|haemoglobin|hemoglobin){_SEP}(\d{{2,3}}(?:\.\d)?)\b", _haemoglobin),
        (rf"\bcrp{_SEP}{_DEC}", _crp),
        (rf"\besr{_SEP}{_DEC}", _esr),
        (rf"\btsh{_SEP}(\d{{1,3}}(?:\.\d+)?)", _tsh),
        (rf"\b(?:adjusted |corrected )?calcium{_SEP}(\d\.\d{{1,2}})", _calcium),
        (rf"\b(?:sodium|na){_SEP}(\d{{3}})\b", _sodium),
        (rf"\bpotassium{_SEP}(\d(?:\.\d)?)\b", _potassium),
        (rf"\begfr{_SEP}(\d{{1,3}})\b", _egfr),
        (rf"\bpsa{_SEP}(\d{{1,4}}(?:\.\d+)?)", _psa),
        (rf"\bca\s*-?\s*125{_SEP}(\d{{1,5}})", _ca125),
        (rf"\bbmi{_SEP}(\d{{2}}(?:\.\d)?)", _bmi),
        (rf"\bferritin{_SEP}(\d{{1,4}})\b", _ferritin),
        (rf"\bmcv{_SEP}(\d{{2,3}})\b", _mcv),
        (r"\b(?:pef|pefr|peak flow)\D{0,15}?(\d{2,3})\s*%", _peak_flow_percent),
    )
)


# --- durations --------------------------------------------------------------------------

_NUM = r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_DURATION = re.compile(
    rf"\b(?P<prefix>for|over|past|last|x|since|about|nearly|almost|around|of)?\s*{_NUM}\s*[\s-]?\s*"
    r"(?P<unit>minute|min|hour|hr|day|week|wk|month|year|yr)s?\b"
    r"(?!\s*-?\s*old)(?!\s+ago)(?!\s+(?:pregnant|gestation|after|postpartum|post|later|before))"
)
_SHORTHAND = re.compile(r"\b(\d{1,2})\s*/\s*(7|52|12)\b(?!\s*(?:/|old|\d))")
_SHORTHAND_DAYS = {"7": 1, "52": 7, "12": 30}


# A duration right after one of these describes a habit or a risk factor ("smoker for 30 years",
# "vegan for 5 years"), not how long the illness has lasted.
_HABIT_WORDS = ("smok", "drink", "vegan", "vegetarian", "diabet", "worker", "works", "worked",
                "lived", "living", "married", "retired", "taking", "taken", "pill", "pack",
                "metformin", "insulin", "statin", "injecting", "user")


def _describes_habit(lowered: str, start: int) -> bool:
    before = lowered[max(0, start - 30):start]
    before = re.split(r"[.;,!?]", before)[-1]
    return any(word in before for word in _HABIT_WORDS)


def _read_durations(text: str, lowered: str) -> Iterable[Mention]:
    for match in _DURATION.finditer(lowered):
        if _describes_habit(lowered, match.start()):
            continue
        raw_number = match.group(2)
        prefix = match.group("prefix")
        unit = match.group("unit")
        number = _NUMBER_WORDS.get(raw_number)
        if number is None:
            number = float(raw_number)
        elif raw_number in {"a", "an", "one"} and prefix is None:
            continue  # "twice a day" is a frequency, not a duration
        if unit in {"minute", "min", "hour", "hr"} and prefix not in {"for", "over", "past", "last", "since"}:
            continue  # "lasting 20 minutes" is an episode, not the illness
        yield from _duration_mentions(text, match.start(), match.end(), number * _UNIT_DAYS[unit])
    for match in _SHORTHAND.finditer(lowered):
        if _describes_habit(lowered, match.start()):
            continue
        days = float(match.group(1)) * _SHORTHAND_DAYS[match.group(2)]
        yield from _duration_mentions(text, match.start(), match.end(), days)


def _duration_mentions(text: str, start: int, end: int, days: float) -> Iterable[Mention]:
    words = text[start:end].strip()
    if days <= ACUTE_MAX_DAYS:
        yield Mention(concept="acute-onset", matched_text=words, start=start, end=end)
    if days >= PERSISTENT_MIN_DAYS:
        yield Mention(concept="persistent-3-weeks", matched_text=words, start=start, end=end)
    if days >= CHRONIC_MIN_DAYS:
        yield Mention(concept="chronic-3-months", matched_text=words, start=start, end=end)
