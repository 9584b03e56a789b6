"""Read vital signs and test results written in free text, in English and Chinese, with units.

"T 38.9", "104°F", "HR 120", "pulse 120", "BP 85/50", "sats 88% on air", "RR 30", "GCS 12",
"BM 2.1", "glucose 25 mmol/L" or "450 mg/dL", "K+ 6.8", "INR 8.5", "ALT 3,200", "pH 7.1",
"体温39.2℃", "心率130次/分", "血压85/50", "血氧88%", "血钾6.9" become ``Measurement`` records
keyed by field name (the same names as ``Vitals`` and the triage rules' vital conditions).

Units are converted to one per field (°C, mmol/L, g/L) and each conversion or assumption is
noted: a temperature of 104 with no unit is read as °F and says so. A value outside what a
living patient can have (HR 400, sats 130%) is not used; it is reported as a problem instead.
"Troponin raised" and "肌钙蛋白升高" set ``troponin_raised`` (1.0), since units vary too much to
read a number safely. Two readings are not measurements but are read the same way:
``tablets_taken`` ("took 32 x 500 mg paracetamol", "吃了30片") and ``duration_days``, the longest
duration the text gives ("for 6 days", "6/7", "2/52", "3周", "五天"), which the rules use for
"fever for 5 days or more" and the like. A full test name may be a few words from its number
("potassium came back 7.1", "sugar on the meter said 2.1").

What it does not do: trends ("BP falling"), ranges ("HR 110-130" takes the first value), and
anything it cannot tie to a named measurement. Nothing here judges whether a value is normal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Plausible limits for a living patient, in the field's own unit; outside them a value is
# refused as impossible rather than used.
LIMITS = {
    "temp_c": (25.0, 45.0), "hr_bpm": (10, 300), "rr_per_min": (0, 120),
    "sbp_mmhg": (30, 300), "dbp_mmhg": (10, 200), "spo2_percent": (30, 100),
    "gcs": (3, 15), "glucose_mmol_l": (0.5, 120), "potassium_mmol_l": (1.0, 12.0),
    "sodium_mmol_l": (90, 200), "ph": (6.5, 8.0), "lactate_mmol_l": (0, 40),
    "ketones_mmol_l": (0, 15), "inr": (0.5, 25), "hb_g_l": (20, 250), "alt_u_l": (1, 20000),
    "platelets_10e9_l": (1, 2000), "crp_mg_l": (0, 700), "crt_s": (0, 15),
    "bicarbonate_mmol_l": (1, 60), "troponin_raised": (1, 1), "tablets_taken": (1, 1000),
    "paracetamol_g_per_day": (0.1, 100),
    "urea_mmol_l": (0.5, 80), "creatinine_umol_l": (10, 3000), "qt_ms": (200, 800),
    "weight_kg": (0.3, 400), "height_cm": (30, 250),
    "hba1c": (3, 200), "tsh_mu_l": (0, 200), "esr_mm_h": (0, 160), "calcium_mmol_l": (1.0, 5.0),
    "egfr_ml_min": (1, 150), "psa_ng_ml": (0, 10000), "ca125_u_ml": (0, 100000), "bmi": (10, 80),
    "ferritin_ug_l": (1, 10000), "mcv_fl": (50, 140), "peak_flow_percent": (10, 150),
    "duration_days": (0, 36500),
}
VITAL_FIELDS = ("rr_per_min", "spo2_percent", "sbp_mmhg", "dbp_mmhg", "hr_bpm", "temp_c",
                "glucose_mmol_l")


@dataclass(frozen=True)
class Measurement:
    """One value read from the text, in the field's unit; ``note`` says what was assumed."""

    field: str
    value: float
    start: int
    end: int
    text: str
    note: str = ""

    def to_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "start": self.start, "end": self.end,
                "text": self.text, "note": self.note}


@dataclass(frozen=True)
class MeasurementReading:
    """What the text says: the values, and the values refused as impossible."""

    values: dict[str, Measurement]
    problems: tuple[str, ...]
    on_oxygen: bool = False


_SEP = r"\s*(?:of|is|was|were|at|:|=|：|-|为|是)?\s*"
# After a full name (never after one letter such as "K" or "T"): up to four words and no digits
# or sentence break before the number, for "potassium came back 7.1" and "血钾结果是 6.9".
_GAP = r"(?:[\s:=：]+|(?:\s+[a-z'’]+){1,4}\s*[:=]?\s*|[^\d\s，。；,.;]{1,6})?\s*"
_NUM = r"(\d{1,3}(?:[.,]\d+)?)"

# (field, pattern). The first group is the number; a second named group ``unit`` when there is
# one. Checked in order; a stretch of text read once is not read again.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("bp", re.compile(
        r"(?:\bbp\b|\bblood pressure\b|血压|\bnibp\b)" + _SEP +
        r"(\d{2,3})\s*/\s*(\d{2,3})(?:\s*mm\s*hg)?", re.I)),
    ("bp", re.compile(r"\b(\d{2,3})\s*/\s*(\d{2,3})\s*mm\s*hg\b", re.I)),
    ("bp", re.compile(r"\b(?:bp readings?|readings?(?: average)?|averages?)\D{0,12}?(\d{2,3})\s*/\s*"
                      r"(\d{2,3})\b", re.I)),
    ("sbp_mmhg", re.compile(r"(?:\bsbp\b|\bsystolic(?: bp| blood pressure)?\b|收缩压)" + _SEP
                            + r"(\d{2,3})", re.I)),
    ("temp_c", re.compile(
        r"(?:\btemp(?:erature)?\b|\bt\b|\btmax\b|体温|发热|发烧|烧到|高烧)\s*"
        r"(?:of|is|was|:|=|：|up to|to|达|至|为)?\s*"
        r"(\d{2,3}(?:\.\d+)?)\s*(?P<unit>°\s*[cf]\b|°|º\s*[cf]?|deg(?:rees?)?\s*[cf]?\b|"
        r"[cf]\b|℃|℉|度)?", re.I)),
    ("temp_c", re.compile(r"\b(\d{2,3}(?:\.\d+)?)\s*(?P<unit>°\s*[cf]\b|℃|℉|degrees? [cf]\b|"
                          r"degrees? (?:celsius|fahrenheit)\b)", re.I)),
    ("hr_bpm", re.compile(r"(?:\bhr\b|\bheart rate\b|\bpulse(?: rate)?\b|\bp\b|\bpr\b(?=\s*\d)|"
                          r"心率|脉搏|脉率)" + _SEP + r"(\d{2,3})(?!\s*/)(?:\s*(?:bpm|/min|次))?",
                          re.I)),
    ("hr_bpm", re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per min(?:ute)?)\b", re.I)),
    ("rr_per_min", re.compile(r"(?:\brr\b|\bresp(?:iratory)? rate\b|\bresps\b|\br\b|呼吸频率|呼吸)"
                              + _SEP + r"(\d{1,3})(?!\s*[/.%])(?:\s*(?:/min|breaths|次))?",
                              re.I)),
    ("rr_per_min", re.compile(r"\b(\d{1,3})\s*breaths? (?:per|a|/)\s*min", re.I)),
    ("spo2_percent", re.compile(
        r"(?:\bsp\s*o2\b|\bsa\s*o2\b|\bo2 sats?\b|\bsats?\b|\bsaturations?\b|\bsaturating\b|"
        r"\boxygen(?: saturation| level| sats)?\b|\bpulse ox\b|血氧(?:饱和度)?|氧饱和度|指脉氧)"
        + _SEP + r"(\d{2,3})\s*%?", re.I)),
    ("spo2_percent", re.compile(r"\b(\d{2,3})\s*%\s*(?:on\s+)?(?:ra\b|room air|air\b|on \d+ ?l)",
                                re.I)),
    ("gcs", re.compile(r"(?:\bgcs\b|\bglasgow coma scale\b|格拉斯哥)" + _SEP + r"(\d{1,2})(?!\s*/\s*1[0-4])",
                       re.I)),
    ("glucose_mmol_l", re.compile(
        r"(?:\bbm\b|\bcbg\b|\bcapillary (?:blood )?glucose\b|\bblood glucose\b|\bglucose\b|"
        r"\bblood sugars?\b|\bsugars?\b|\bbg\b|\bbsl\b|血糖)" + _GAP +
        r"(\d{1,3}(?:\.\d+)?)\s*(?P<unit>mmol\s*/?\s*l|mg\s*/?\s*dl)?", re.I)),
    ("potassium_mmol_l", re.compile(r"(?:\bk\+?(?=[\s:=]*\d)" + _SEP + r"|(?:\bpotassium\b|"
                                    r"血钾|钾)" + _GAP + r")(\d{1,2}(?:\.\d+)?)", re.I)),
    ("sodium_mmol_l", re.compile(r"(?:\bna\+?(?=[\s:=]*\d)" + _SEP + r"|(?:\bsodium\b|血钠|钠)"
                                 + _GAP + r")(\d{2,3})", re.I)),
    ("ph", re.compile(r"(?:\bph\b|酸碱度)" + _SEP + r"([67]\.\d{1,3})", re.I)),
    ("lactate_mmol_l", re.compile(r"(?:\blactate\b|\blac\b|乳酸)" + _SEP + r"(\d{1,2}(?:\.\d+)?)",
                                  re.I)),
    ("ketones_mmol_l", re.compile(r"(?:\b(?:blood |capillary )?ketones?\b|血酮(?:体)?|β-?羟丁酸)"
                                  + _SEP + r"(\d{1,2}(?:\.\d+)?)(?!\s*\+)", re.I)),
    ("inr", re.compile(r"\binr" + _GAP + r"(\d{1,2}(?:\.\d+)?)", re.I)),
    ("hb_g_l", re.compile(r"(?:\bhb\b|\bhaemoglobin\b|\bhemoglobin\b|\bhgb\b|血红蛋白)" + _SEP +
                          r"(\d{1,3}(?:\.\d+)?)\s*(?P<unit>g\s*/\s*l|g\s*/\s*dl)?", re.I)),
    ("alt_u_l", re.compile(r"(?:\balt\b|\bast\b|\balanine aminotransferase\b|谷丙转氨酶|谷草转氨酶|"
                           r"转氨酶)" + _SEP + r"(\d{1,2}(?:,\d{3})+|\d{1,5})", re.I)),
    ("platelets_10e9_l", re.compile(r"(?:\bplt\b|\bplatelets?(?: count)?\b|血小板)" + _SEP +
                                    r"(\d{1,4})", re.I)),
    ("crp_mg_l", re.compile(r"(?:\bcrp\b|c反应蛋白)" + _SEP + r"(\d{1,3}(?:\.\d+)?)", re.I)),
    ("crt_s", re.compile(r"(?:\bcrt\b|\bcap(?:illary)? refill(?: time)?\b|毛细血管再充盈(?:时间)?)"
                         r"\s*(?:of|is|was|:|=|>|<|>=)?\s*(\d{1,2}(?:\.\d+)?)\s*(?:s\b|secs?\b|"
                         r"seconds?\b|秒)", re.I)),
    ("urea_mmol_l", re.compile(r"(?:\burea\b|\bbun\b|尿素氮|尿素)" + _GAP + r"(\d{1,2}(?:\.\d+)?)",
                               re.I)),
    ("creatinine_umol_l", re.compile(r"(?:\bcreat(?:inine)?\b|\bcr\b(?=\s*[:=]?\s*\d)|肌酐)" + _GAP
                                     + r"(\d{2,4})", re.I)),
    ("qt_ms", re.compile(r"\bqt(?!c)\s*(?:interval)?" + _SEP + r"(\d{3})\s*(?:ms)?", re.I)),
    ("weight_kg", re.compile(r"(?:\bweight\b|\bweighs\b|\bwt\b|体重)?" + _SEP +
                             r"(\d{1,3}(?:\.\d+)?)\s*(?:kg\b|kgs\b|公斤|千克)", re.I)),
    ("height_cm", re.compile(r"\b(\d{2,3}(?:\.\d+)?)\s*(?P<unit>cm\b|厘米)|\b(1\.\d{1,2})\s*(?P<m>m)\b"
                             r"(?!\s*(?:hrs?|mins?|g|l|mol))", re.I)),
    ("hba1c", re.compile(r"(?:\bhba1c\b|\ba1c\b|糖化血红蛋白)" + _SEP +
                         r"(\d{1,3}(?:\.\d)?)\s*(?P<unit>%|mmol\s*/\s*mol)?", re.I)),
    ("tsh_mu_l", re.compile(r"\btsh\b" + _SEP + r"(\d{1,3}(?:\.\d+)?)", re.I)),
    ("esr_mm_h", re.compile(r"\besr\b" + _SEP + r"(\d{1,3})", re.I)),
    ("calcium_mmol_l", re.compile(r"(?:\b(?:adjusted |corrected )?calcium\b|血钙)" + _SEP +
                                  r"(\d\.\d{1,2})", re.I)),
    ("egfr_ml_min", re.compile(r"\begfr\b" + _SEP + r"(\d{1,3})\b", re.I)),
    ("psa_ng_ml", re.compile(r"\bpsa\b" + _SEP + r"(\d{1,4}(?:\.\d+)?)", re.I)),
    ("ca125_u_ml", re.compile(r"\bca\s*-?\s*125\b" + _SEP + r"(\d{1,5})", re.I)),
    ("bmi", re.compile(r"\bbmi\b" + _SEP + r"(\d{2}(?:\.\d)?)", re.I)),
    ("ferritin_ug_l", re.compile(r"(?:\bferritin\b|铁蛋白)" + _SEP + r"(\d{1,4})\b", re.I)),
    ("mcv_fl", re.compile(r"\bmcv\b" + _SEP + r"(\d{2,3})\b", re.I)),
    ("peak_flow_percent", re.compile(r"\b(?:pef|pefr|peak flow)\D{0,15}?(\d{2,3})\s*%", re.I)),
    ("bicarbonate_mmol_l", re.compile(r"(?:\bhco3-?|\bbicarb(?:onate)?\b|碳酸氢根)" + _SEP +
                                      r"(\d{1,2}(?:\.\d+)?)", re.I)),
    # "est >8g paracetamol/day", "paracetamol 6 g a day", "每天吃对乙酰氨基酚6克".
    ("paracetamol_g_per_day", re.compile(
        r"(?:>\s*)?(\d{1,2}(?:\.\d)?)\s*g\s*(?:of\s+)?(?:paracetamol|acetaminophen)\s*"
        r"(?:/|per|a|each)\s*(?:day|24\s*h)|"
        r"(?:paracetamol|acetaminophen)\D{0,12}?(\d{1,2}(?:\.\d)?)\s*g\s*(?:/|per|a|each)\s*"
        r"(?:day|24\s*h)|"
        r"(?:每天|一天|每日)[^，。；\d]{0,8}(?:对乙酰氨基酚|扑热息痛)[^，。；\d]{0,4}(\d{1,2}(?:\.\d)?)\s*(?:克|g)",
        re.I)),
    ("troponin_raised", re.compile(
        r"(?:\btrop(?:onin)?(?: [it])?\b[^.;,\n]{0,20}?\b(?:raised|elevated|high|positive|up)\b|"
        r"\b(?:raised|elevated|positive|high)\b (?:hs-?)?trop(?:onin)?\b|"
        r"肌钙蛋白[^，。；\n]{0,6}?(?:升高|阳性|增高))", re.I)),
]
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                 "twelve": 12, "a few": 3, "few": 3, "a couple of": 2, "couple of": 2,
                 "several": 4, "一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                 "七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
_UNIT_DAYS = {"minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1,
              "week": 7, "wk": 7, "month": 30, "year": 365, "yr": 365, "小时": 1 / 24, "天": 1,
              "日": 1, "周": 7, "星期": 7, "个月": 30, "月": 30, "年": 365}
_NUM_WORDS = (r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|an?|one|two|three|four|"
              r"five|six|seven|eight|nine|ten|eleven|twelve)")
_DURATION = re.compile(
    rf"\b(?P<prefix>for|over|past|last|x|since|about|nearly|almost|around|of)?\s*{_NUM_WORDS}"
    r"\s*[\s-]?\s*(?P<unit>minute|min|hour|hr|day|week|wk|month|year|yr)s?\b"
    r"(?!\s*-?\s*old)(?!\s+(?:pregnant|gestation|after|postpartum|post|later|before))", re.I)
# Not an age ("宝宝8个月", "孩子3岁" is read by patient.py) and not a long-past event
# ("2年前接种过"): a number of months or years followed by 前 with no 开始/出现/起 after it.
_DURATION_ZH = re.compile(r"(?<!孕)(?<!宝宝)(?<!孩子)(?<!婴儿)(?<!儿子)(?<!女儿)"
                          r"(\d+(?:\.\d)?|[一两二三四五六七八九十半]{1,2})\s*(?:个)?"
                          r"(小时|天|日|周|星期|个月|月|年)(?!大|龄)"
                          r"(?!前(?!\s*(?:开始|出现|起|发病)))")
_SHORTHAND = re.compile(r"\b(\d{1,2})\s*/\s*(7|52|12)\b(?!\s*(?:/|old|\d|[mf]\b|boy|girl|baby))")
_SHORTHAND_DAYS = {"7": 1, "52": 7, "12": 30}
# A duration right after one of these describes a habit or a risk factor ("smoker for 30
# years", "vegan for 5 years"), not how long the illness has lasted.
_HABIT_WORDS = ("smok", "drink", "vegan", "vegetarian", "diabet", "worker", "works", "worked",
                "lived", "living", "married", "retired", "taking", "taken", "pill", "pack",
                "metformin", "insulin", "statin", "injecting", "user", "pmh", "history of",
                "known", "病史", "糖尿病", "高血压")
# Chronic-disease shorthand before a duration ("DM 20年", "HTN for 10 years"): whole words only.
_CHRONIC_SHORTHAND = re.compile(r"\b(?:t1dm|t2dm|dm|htn|copd|ckd|ihd)\b")
# A "weeks" right before one of these is the gestation, not how long the illness has lasted.
_GESTATION_AFTER = re.compile(r"\s*(?:'|’)?\s*(?:gestation|pregnant|of pregnancy|pregnancy|"
                              r"(?:'|’)?s?\s*gestation|\+\d)", re.I)


@dataclass(frozen=True)
class Duration:
    """How long something has lasted, in days, where the text says so."""

    days: float
    start: int
    end: int
    text: str


def read_durations(text: str) -> list[Duration]:
    """Durations of the illness in ``text`` ("for 3 days", "2/52", "三天"), not of habits
    ("smoker for 30 years"), frequencies ("twice a day") or episodes ("lasting 20 minutes")."""
    lowered = text.lower()
    found = []
    for match in _DURATION.finditer(lowered):
        if _describes_habit(lowered, match.start()) or _GESTATION_AFTER.match(lowered, match.end()):
            continue
        raw, prefix, unit = match.group(2), match.group("prefix"), match.group("unit")
        number = _NUMBER_WORDS.get(raw)
        if number is None:
            number = float(raw)
        elif raw in {"a", "an", "one"} and prefix is None:
            continue  # "twice a day" is a frequency, not a duration
        if unit in {"minute", "min", "hour", "hr"} and prefix not in {"for", "over", "past",
                                                                       "last", "since"}:
            continue  # "lasting 20 minutes" is an episode, not the illness
        found.append(Duration(number * _UNIT_DAYS[unit], match.start(), match.end(),
                              text[match.start():match.end()].strip()))
    for match in _SHORTHAND.finditer(lowered):
        if not _describes_habit(lowered, match.start()):
            found.append(Duration(float(match.group(1)) * _SHORTHAND_DAYS[match.group(2)],
                                  match.start(), match.end(), match.group(0).strip()))
    for match in _DURATION_ZH.finditer(text):
        if _describes_habit(lowered, match.start()):
            continue
        raw = match.group(1)
        number = _NUMBER_WORDS.get(raw)
        if number is None:
            try:
                number = float(raw)
            except ValueError:
                continue
        found.append(Duration(number * _UNIT_DAYS[match.group(2)], match.start(), match.end(),
                              match.group(0)))
    return sorted(found, key=lambda d: d.start)


def _describes_habit(lowered: str, start: int) -> bool:
    before = re.split(r"[.;,!?]", lowered[max(0, start - 30):start])[-1]
    return any(word in before for word in _HABIT_WORDS) or bool(_CHRONIC_SHORTHAND.search(before))


_TABLETS = re.compile(
    r"(?:\btook|\btaken|\bswallowed|\bingested|\bdowned|\bhad|吃了|服了|吞了|服用了|吃下)\s*"
    r"(?:about|around|approx(?:imately)?|~|maybe|over|nearly|at least|up to|大约|约|大概|)\s*"
    r"(\d{1,4})\s*(?:x\s*)?(?:\d+\s*mg\s*)?(?:of\s+(?:my|his|her|their|the|mum's|dad's)\s+)?"
    r"(?:[a-z-]+\s+){0,2}?(?:tablets?|tabs?|pills?|capsules?|caps\b|paracetamol|co-codamol|"
    r"ibuprofen|aspirin|sertraline|片|粒|颗)", re.I)
_ON_OXYGEN = re.compile(r"\bon (?:\d+(?:\.\d+)?\s*l(?:/min)?|oxygen|o2|nrb|non-rebreather|"
                        r"high[- ]flow)\b|吸氧", re.I)
_ON_AIR = re.compile(r"\b(?:on )?(?:room )?air\b|\bra\b|未吸氧", re.I)


def read_measurements(text: str) -> MeasurementReading:
    """Every measurement the text names; see the module docstring."""
    values: dict[str, Measurement] = {}
    problems: list[str] = []
    taken: list[tuple[int, int]] = []
    for field, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            read = _interpret(field, match)
            if read is None:
                continue
            taken.append((start, end))
            for name, value, note in read:
                low, high = LIMITS[name]
                if not low <= value <= high:
                    problems.append(f"{match.group(0).strip()!r}: {name} {value:g} is not a "
                                    f"possible value ({low:g}-{high:g}); it was ignored, check "
                                    f"the text")
                    continue
                if name not in values:  # the first mention of a field is the one used
                    values[name] = Measurement(name, value, start, end, match.group(0).strip(),
                                               note)
    if match := _TABLETS.search(text):
        values.setdefault("tablets_taken", Measurement("tablets_taken", float(match.group(1)),
                                                       match.start(), match.end(),
                                                       match.group(0).strip()))
    if duration := _longest_duration(text):
        values.setdefault("duration_days", duration)
    on_oxygen = bool(_ON_OXYGEN.search(text)) and not _ON_AIR.search(text)
    return MeasurementReading(values, tuple(problems), on_oxygen)


def _longest_duration(text: str) -> Measurement | None:
    durations = [d for d in read_durations(text) if 0 < d.days <= LIMITS["duration_days"][1]]
    if not durations:
        return None
    longest = max(durations, key=lambda d: d.days)
    return Measurement("duration_days", round(longest.days, 2), longest.start, longest.end,
                       longest.text)


def _number(raw: str) -> float:
    return float(raw.replace(",", "")) if raw.count(",") and len(raw.split(",")[-1]) == 3 \
        else float(raw.replace(",", "."))


def _interpret(field: str, match: re.Match[str]) -> list[tuple[str, float, str]] | None:
    """(field, value, note) triples for one match, in the field's unit; None to skip it."""
    if field == "bp":
        systolic, diastolic = float(match.group(1)), float(match.group(2))
        if diastolic >= systolic:
            return None  # "12/10" is a date or a score, not a blood pressure
        return [("sbp_mmhg", systolic, ""), ("dbp_mmhg", diastolic, "")]
    if field == "troponin_raised":
        return [(field, 1.0, "raised (no value read)")]
    if field == "paracetamol_g_per_day":
        grams = next(g for g in match.groups() if g)
        return [(field, float(grams), "")]
    if field == "height_cm":
        metres = match.groupdict().get("m")
        return [(field, float(match.group(3)) * 100, "m converted to cm")] if metres else \
            [(field, float(match.group(1)), "")]
    value = _number(match.group(1))
    unit = (match.groupdict().get("unit") or "").lower().replace(" ", "")
    if field == "temp_c":
        return _temperature(value, unit)
    if field == "glucose_mmol_l":
        if unit.startswith("mg") or (not unit and value > 40):
            note = "mg/dL converted to mmol/L" if unit else "no unit; read as mg/dL"
            return [(field, round(value / 18.0, 1), note)]
        return [(field, value, "")]
    if field == "hb_g_l":
        if unit.endswith("dl") or (not unit and value < 25):
            note = "g/dL converted to g/L" if unit else "no unit; read as g/dL"
            return [(field, value * 10, note)]
        return [(field, value, "")]
    if field == "hba1c":
        if unit == "%" or (not unit and value <= 20):  # DCCT % -> IFCC mmol/mol
            return [(field, round((value - 2.15) * 10.929, 1), "% converted to mmol/mol")]
        return [(field, value, "")]
    return [(field, value, "")]


def _temperature(value: float, unit: str) -> list[tuple[str, float, str]] | None:
    fahrenheit = "f" in unit or "℉" in unit
    celsius = "c" in unit or "℃" in unit or unit == "度"
    if not (fahrenheit or celsius):
        if 90 <= value <= 113:
            fahrenheit = True
            note = f"{value:g} with no unit read as °F ({(value - 32) * 5 / 9:.1f} °C)"
            return [("temp_c", round((value - 32) * 5 / 9, 1), note)]
        if not 30 <= value <= 45:
            return None  # "t 2" is not a temperature
    if fahrenheit:
        return [("temp_c", round((value - 32) * 5 / 9, 1), f"{value:g} °F converted to °C")]
    return [("temp_c", value, "")]
