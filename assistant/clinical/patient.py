"""Who the patient is: age, sex and pregnancy, from the form or, when it is empty, the text.

``PatientContext`` holds what the caller knows; ``patient_from_text(text)`` reads age ("6 week
old", "54yo", "aged 70", "62M", "3/12", "72岁", "出生10天", "8个月大"), sex ("man", "woman", "he",
"she", "62M", "男", "女性") and pregnancy with gestation ("28 weeks pregnant", "孕32周", "LMP 7/52
ago" is not read). ``complete_patient`` fills only what the form left empty and reports where the
form and the text disagree. Nothing here judges urgency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PatientContext:
    """What is known about the patient apart from the text. All optional."""

    age_years: float | None = None
    sex: str | None = None  # "female" | "male"
    pregnant: bool | None = None
    gestation_weeks: float | None = None
    # When no age is given but a word places the patient ("my baby", "toddler", "新生儿",
    # "老太太"): the range of ages, in years, that word stands for. Age-limited rules fire only
    # when the whole range lies inside their limits, so "baby" counts as under 5 and under 16
    # but not as under 3 months.
    age_band_years: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.age_years is not None:
            if isinstance(self.age_years, bool) or not 0 <= self.age_years <= 125:
                raise ValueError(f"age_years must be 0-125, got {self.age_years!r}")
        if self.sex is not None:
            sex = str(self.sex).strip().lower()
            sex = {"f": "female", "m": "male", "woman": "female", "man": "male"}.get(sex, sex)
            if sex not in ("female", "male"):
                raise ValueError(f"sex must be 'female' or 'male', got {self.sex!r}")
            object.__setattr__(self, "sex", sex)
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant=True contradicts sex='male'; check the patient details")
        if self.pregnant and self.age_years is not None and self.age_years < 10:
            raise ValueError(f"pregnant=True contradicts age {self.age_years:g} years; check "
                             "the patient details")

    def to_dict(self) -> dict:
        return {"age_years": self.age_years, "sex": self.sex, "pregnant": self.pregnant,
                "gestation_weeks": self.gestation_weeks,
                "age_band_years": list(self.age_band_years) if self.age_band_years else None}

    @property
    def is_child(self) -> bool:
        """Under 16 by the age, or by the whole of the age band when no age is known."""
        if self.age_years is not None:
            return self.age_years < 16
        return self.age_band_years is not None and self.age_band_years[1] <= 16


_UNIT_YEARS = {"day": 1 / 365.25, "week": 7 / 365.25, "wk": 7 / 365.25, "month": 1 / 12,
               "mth": 1 / 12, "mo": 1 / 12, "year": 1.0, "yr": 1.0, "天": 1 / 365.25,
               "周": 7 / 365.25, "个月": 1 / 12, "月": 1 / 12, "岁": 1.0}
_AGE_PATTERNS = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(day|week|wk|month|mth|mo|year|yr)s?\s*-?\s*old\b",
                re.I), None),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:yo|y/o|y\.o\.?|yrs? old|years? of age)\b", re.I), "year"),
    (re.compile(r"\baged?\s+(\d+(?:\.\d+)?)\b", re.I), "year"),
    # "I'm 30", "mum's 84", "my baby is 1": a person, then a bare number ending the clause.
    (re.compile(r"\b(?:i'?m|i am|(?:she|he|mum|mom|dad|baby|son|daughter|husband|wife|child|"
                r"boy|girl|grandma|grandad|nan)(?:'s| is))\s+(\d{1,3})(?:\s+now)?"
                r"(?=\s*(?:[,;!?]|\.(?!\d)|$|and\b|with\b|yrs?\b|years?\b))", re.I), "year"),
    # Paediatric shorthand: "6/52 M", "6/52 old" (weeks), "9/12 F", "9/12 old" (months),
    # "10/7 old" (days); a bare "3/7" is a duration, not an age.
    (re.compile(r"\b(\d{1,2})/52\s*(?:old\b|[MF]\b|boy|girl|baby|infant)"), "week"),
    (re.compile(r"\b(\d{1,2})/12\s*(?:old\b|[MF]\b|boy|girl|baby|infant)"), "month"),
    (re.compile(r"\b(\d{1,2})/7\s*(?:old\b|[MF]\b|boy|girl|baby|infant)"), "day"),
    # GP shorthand "62M", "34F": upper case, so "fell 3m" is not an age.
    (re.compile(r"(?<![/\d])\b(\d{1,3})\s?[MF]\b"), "year"),
    (re.compile(r"(?:出生|生后)\s*(\d+)\s*(天|周|个月)"), None),
    # "72岁" is an age; "8个月大", "10天大" are ages, while a bare "2天" is a duration.
    (re.compile(r"(\d+(?:\.\d+)?)\s*(岁)"), None),
    (re.compile(r"(\d+(?:\.\d+)?)\s*(个月|天|周)(?:大|龄)"), None),
    (re.compile(r"(\d+(?:\.\d+)?)\s*(月龄|周龄)"), None),
    # Chinese shorthand "女，76" / "男, 67，…": a sex, a comma, then a bare number.
    (re.compile(r"(?:男|女)(?:性)?\s*[，,、]\s*(\d{1,3})(?=\s*(?:[，,。；;、\s]|$))"), "year"),
    # "老太太80了", "我爸70多了": an older relative, then a number with 了 or 多.
    (re.compile(r"(?:老太太|老爷子|老人家?|奶奶|爷爷|外婆|外公|姥姥|姥爷|我妈|我爸|母亲|父亲)"
                r"[^，。；\d]{0,4}(\d{2,3})\s*(?:多岁|多了|了)"), "year"),
)
# Words that place the patient in an age range when no number is given (years; upper bound
# exclusive). Children's words are broad on purpose: parents say "my baby" of a toddler.
_AGE_BANDS = (
    (re.compile(r"\b(?:newborn|new-born|neonate|neonatal)\b|新生儿", re.I), (0.0, 28 / 365.25)),
    (re.compile(r"\b(?:baby|babies|infant|bub)\b|婴儿|宝宝|小宝|乳儿", re.I), (0.0, 2.0)),
    (re.compile(r"\b(?:toddler)\b|幼儿", re.I), (1.0, 4.0)),
    (re.compile(r"\b(?:my (?:little (?:boy|girl|one)|kid|child)|little (?:boy|girl)"
                r"|(?:school|pre-?school)[- ]?(?:child|boy|girl|age)|kids?|child)\b"
                r"|小孩|儿童|患儿|小朋友", re.I), (0.0, 16.0)),
    (re.compile(r"\b(?:teenager|teen|adolescent)\b|青少年", re.I), (12.0, 19.0)),
    (re.compile(r"\b(?:elderly|frail older|nursing home resident)\b|老人|老太太|老爷子|老大爷|"
                r"老奶奶|老年", re.I), (65.0, 125.0)),
)
_MALE = re.compile(r"\b(?:man|male|gentleman|boy|husband|father|dad|son|he|him|his|"
                   r"\d{1,3}\s?M)\b|男(?:性|孩|婴|童|士|患者)?(?![^，。；\s]*朋友)|先生|丈夫|儿子|老公|爸爸|父亲")
_FEMALE = re.compile(r"\b(?:woman|female|lady|girl|wife|mother|mum|mom|daughter|she|her|"
                     r"\d{1,3}\s?F)\b|女(?:性|孩|婴|童|士|患者)?|太太|妻子|女儿|老婆|妈妈|母亲|孕妇")
_PREGNANT = re.compile(r"\b(?:pregnant|pregnancy|expecting (?:a baby|twins)|gestation|"
                       r"primigravida|multigravida|g\d\s*p\d|antenatal|"
                       r"positive (?:home |urine )?(?:pregnancy )?test|"
                       r"(?:beta-?|β-?|b-?|urine |serum )?hcg (?:is |was |came back )?positive|"
                       r"(?:urine |serum )?(?:beta-?|β-?|b-?)?hcg\s*(?:\+|pos\b)|upt\s*(?:\+|pos)|"
                       r"period(?:'s| is| was)? \d+ (?:weeks?|days) late|missed (?:a |her |my )?period|"
                       r"\d+ weeks? (?:after|since) (?:her |my )?(?:last (?:menstrual )?period|lmp)|"
                       r"lmp \d+\s*(?:weeks?|/52) ago)\b|"
                       r"怀孕|妊娠|孕\s*\d+|孕妇|孕期|停经\s*\d*|验孕(?:棒)?阳性|hcg\s*阳性|早孕", re.I)
_NOT_PREGNANT = re.compile(r"\b(?:not pregnant|no chance of pregnancy|pregnancy test negative|"
                           r"negative pregnancy test|hcg negative)\b|未孕|没有怀孕|否认怀孕|"
                           r"妊娠试验阴性|没怀孕|没有怀孕|未怀孕|不可能怀孕|没有怀孕的可能|无怀孕可能|排除怀孕", re.I)
_GESTATION = re.compile(r"\b(\d{1,2})(?:\+\d)?\s*(?:weeks?|wks?|/40)\b(?:\s*(?:pregnant|"
                        r"gestation|of pregnancy))?|孕\s*(\d{1,2})\s*(?:\+\d)?\s*周", re.I)


def age_from_text(text: str) -> float | None:
    """Age in years from phrases like "6 week old", "54yo", "aged 70", "62M", "72岁"; else None."""
    for pattern, unit in _AGE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        value = float(match.group(1))
        unit_name = unit or match.group(2).lower()
        unit_name = {"月龄": "个月", "周龄": "周"}.get(unit_name, unit_name)
        years = value * _UNIT_YEARS[unit_name]
        if 0 <= years <= 125:
            return round(years, 3)
    return None


def age_band_from_text(text: str) -> tuple[float, float] | None:
    """The age range a word places the patient in ("newborn", "baby", "toddler", "child",
    "teenager", "elderly" and their Chinese words); the narrowest one named; else None.
    "my son" and 孩子 are said of adult children too, so only words said of children are
    listed, and a number always wins (``age_from_text``)."""
    bands = [band for pattern, band in _AGE_BANDS if pattern.search(text)]
    if not bands:
        return None
    return min(bands, key=lambda band: band[1] - band[0])


def sex_from_text(text: str) -> str | None:
    """"male" or "female" when the text names only one; None when it names neither or both
    (a mother describing her son names both: the pronouns decide, and may not)."""
    male = len(_MALE.findall(text))
    female = len(_FEMALE.findall(text))
    if male and not female:
        return "male"
    if female and not male:
        return "female"
    if male > 2 * female:
        return "male"
    if female > 2 * male:
        return "female"
    return None


def patient_from_text(text: str) -> PatientContext:
    """What the text alone says about the patient (fields it does not say stay None)."""
    age = age_from_text(text)
    sex = sex_from_text(text)
    pregnant = None
    gestation = None
    if _NOT_PREGNANT.search(text):
        pregnant = False
    elif _PREGNANT.search(text) and sex != "male" and (age is None or age >= 10):
        pregnant = True
        sex = "female"
        if match := _GESTATION.search(text):
            weeks = float(match.group(1) or match.group(2))
            gestation = weeks if 3 <= weeks <= 43 else None
    band = age_band_from_text(text) if age is None else None
    if pregnant:
        band = None  # "baby" in a pregnancy note is the fetus, not the patient's age
    return PatientContext(age_years=age, sex=sex, pregnant=pregnant, gestation_weeks=gestation,
                          age_band_years=band)


def complete_patient(form: PatientContext, text: str) -> tuple[PatientContext, list[str]]:
    """The form's facts, with gaps filled from the text; and the conflicts between the two
    (the form wins, and the conflict is reported)."""
    found = patient_from_text(text)
    conflicts = []
    if (form.age_years is not None and found.age_years is not None
            and abs(form.age_years - found.age_years) > max(1.0, 0.1 * form.age_years)):
        conflicts.append(f"age: the form says {form.age_years:g} years, the text "
                         f"{found.age_years:g}; the form's value is used")
    if form.sex and found.sex and form.sex != found.sex:
        conflicts.append(f"sex: the form says {form.sex}, the text reads as {found.sex}; the "
                         "form's value is used")
    sex = form.sex or found.sex
    pregnant = form.pregnant if form.pregnant is not None else found.pregnant
    age = form.age_years if form.age_years is not None else found.age_years
    if pregnant and (sex == "male" or (age is not None and age < 10)):
        pregnant = None  # text-read pregnancy that contradicts the form is dropped
    gestation = form.gestation_weeks if form.gestation_weeks is not None else (
        found.gestation_weeks if pregnant else None)
    band = None
    if age is None:
        band = None if pregnant else (form.age_band_years or found.age_band_years)
    return PatientContext(age_years=age, sex=sex, pregnant=pregnant,
                          gestation_weeks=gestation, age_band_years=band), conflicts
