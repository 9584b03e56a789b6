"""Atrial fibrillation stroke and bleeding risk (CHA2DS2-VASc, ORBIT, HAS-BLED) and QTc.

Weights and cut-offs as in the cited papers and NICE NG196; wording is the project's own.
"""

from __future__ import annotations

import math

from .base import Calculator, CalculatorResult, Citation, FieldSpec, yes_no

NG196 = "https://www.nice.org.uk/guidance/ng196"
CHADSVASC_SOURCE = Citation(
    publisher="Chest", year=2010, authors="Lip GYH, Nieuwlaat R, Pisters R, Lane DA, Crijns HJGM",
    title="Refining clinical risk stratification for predicting stroke and thromboembolism in "
          "atrial fibrillation using a novel risk factor-based approach: the Euro Heart Survey "
          "on atrial fibrillation",
    url="https://doi.org/10.1378/chest.09-1584",
)
ORBIT_SOURCE = Citation(
    publisher="European Heart Journal", year=2015, authors="O'Brien EC, Simon DN, Thomas LE, et al.",
    title="The ORBIT bleeding score: a simple bedside score to assess bleeding risk in atrial "
          "fibrillation (recommended by NICE NG196)",
    url=NG196,
)
HASBLED_SOURCE = Citation(
    publisher="Chest", year=2010,
    authors="Pisters R, Lane DA, Nieuwlaat R, de Vos CB, Crijns HJGM, Lip GYH",
    title="A novel user-friendly score (HAS-BLED) to assess 1-year risk of major bleeding in "
          "patients with atrial fibrillation: the Euro Heart Survey",
    url="https://doi.org/10.1378/chest.10-0134",
)
QTC_SOURCE = Citation(
    publisher="Circulation (AHA/ACCF/HRS)", year=2009, authors="Rautaharju PM, Surawicz B, Gettes LS",
    title="Recommendations for the standardization and interpretation of the electrocardiogram, "
          "part IV: the ST segment, T and U waves, and the QT interval (Bazett 1920 and "
          "Fridericia 1920 corrections)",
    url="https://doi.org/10.1161/CIRCULATIONAHA.108.191096",
)


def _chadsvasc(values: dict) -> CalculatorResult:
    age = values["age_years"]
    points = {
        "congestive_heart_failure": int(values["congestive_heart_failure"]),
        "hypertension": int(values["hypertension"]),
        "age": 2 if age >= 75 else 1 if age >= 65 else 0,
        "diabetes": int(values["diabetes"]),
        "stroke_tia_thromboembolism": 2 * int(values["stroke_tia_thromboembolism"]),
        "vascular_disease": int(values["vascular_disease"]),
        "sex_female": int(values["sex"] == "female"),
    }
    score = sum(points.values())
    male_equivalent = score - points["sex_female"]
    if male_equivalent >= 2:
        category, text = "high", ("Offer anticoagulation (score 2 or more), taking bleeding "
                                  "risk into account (NICE NG196).")
    elif male_equivalent == 1:
        category, text = "intermediate", ("Consider anticoagulation (score 1 from a risk "
                                          "factor other than sex), taking bleeding risk into "
                                          "account (NICE NG196).")
    else:
        category, text = "low", ("Low risk: anticoagulation not recommended for stroke "
                                 "prevention (female sex alone does not count; NICE NG196).")
    return CalculatorResult("cha2ds2vasc", score, text, CHADSVASC_SOURCE, category=category,
                            details=points, inputs=values)


CHA2DS2VASC = Calculator(
    name="cha2ds2vasc", title="CHA2DS2-VASc stroke risk in atrial fibrillation",
    fields=(
        FieldSpec("age_years", "int", "Age", unit="years", min_value=18, max_value=120),
        FieldSpec("sex", "choice", "Sex", choices=("female", "male")),
        yes_no("congestive_heart_failure", "Congestive heart failure or LV dysfunction",
               required=False),
        yes_no("hypertension", "Hypertension", required=False),
        yes_no("diabetes", "Diabetes mellitus", required=False),
        yes_no("stroke_tia_thromboembolism", "Previous stroke, TIA or thromboembolism",
               required=False),
        yes_no("vascular_disease", "Vascular disease (previous MI, peripheral arterial disease "
               "or aortic plaque)", required=False),
    ),
    compute=_chadsvasc, source=CHADSVASC_SOURCE,
)


def _orbit(values: dict) -> CalculatorResult:
    low_hb = values["haemoglobin_g_l"] < (130 if values["sex"] == "male" else 120)
    points = {
        "low_haemoglobin": 2 * int(low_hb),
        "age_over_74": int(values["age_years"] > 74),
        "bleeding_history": 2 * int(values["bleeding_history"]),
        "egfr_under_60": int(values["egfr_ml_min"] < 60),
        "antiplatelet": int(values["antiplatelet"]),
    }
    score = sum(points.values())
    if score <= 2:
        category, text = "low", "Low bleeding risk (0-2)."
    elif score == 3:
        category, text = "medium", "Medium bleeding risk (3): review modifiable bleeding risks."
    else:
        category, text = "high", ("High bleeding risk (4-7): address modifiable risks and "
                                  "monitor closely; bleeding risk alone is not a reason to "
                                  "withhold anticoagulation (NICE NG196).")
    return CalculatorResult("orbit", score, text, ORBIT_SOURCE, category=category,
                            details=points, inputs=values)


ORBIT = Calculator(
    name="orbit", title="ORBIT bleeding risk in atrial fibrillation",
    fields=(
        FieldSpec("age_years", "int", "Age", unit="years", min_value=18, max_value=120),
        FieldSpec("sex", "choice", "Sex", choices=("female", "male")),
        FieldSpec("haemoglobin_g_l", "float", "Haemoglobin", unit="g/L", min_value=30,
                  max_value=250),
        FieldSpec("egfr_ml_min", "float", "eGFR", unit="mL/min/1.73m2", min_value=1,
                  max_value=200),
        yes_no("bleeding_history", "Any history of GI bleeding, intracranial bleeding or "
               "haemorrhagic stroke", required=False),
        yes_no("antiplatelet", "Taking an antiplatelet drug", required=False),
    ),
    compute=_orbit, source=ORBIT_SOURCE,
)

_HASBLED_ITEMS = (
    ("uncontrolled_hypertension", "Uncontrolled hypertension (systolic over 160 mmHg)"),
    ("abnormal_renal_function", "Dialysis, transplant, or creatinine 200 µmol/L or more"),
    ("abnormal_liver_function", "Cirrhosis, or bilirubin over 2x and AST/ALT over 3x normal"),
    ("stroke", "Previous stroke"),
    ("bleeding", "Previous major bleeding or predisposition to bleeding"),
    ("labile_inr", "Labile INR (time in therapeutic range under 60%)"),
    ("elderly", "Age over 65"),
    ("drugs", "Antiplatelet drugs or NSAIDs"),
    ("alcohol", "Alcohol 8 or more drinks a week"),
)


def _hasbled(values: dict) -> CalculatorResult:
    points = {name: int(values[name]) for name, _ in _HASBLED_ITEMS}
    score = sum(points.values())
    if score >= 3:
        category, text = "high", ("High bleeding risk (3 or more): correct modifiable risks and "
                                  "review more often.")
    else:
        category, text = "low", "Lower bleeding risk (0-2)."
    return CalculatorResult("hasbled", score, text, HASBLED_SOURCE, category=category,
                            details=points, inputs=values)


HASBLED = Calculator(
    name="hasbled", title="HAS-BLED bleeding risk in atrial fibrillation",
    fields=tuple(yes_no(name, help_text, required=False) for name, help_text in _HASBLED_ITEMS),
    compute=_hasbled, source=HASBLED_SOURCE,
)


def qtc_bazett_ms(qt_ms: float, hr_bpm: float) -> float:
    """Bazett: QT divided by the square root of the RR interval in seconds."""
    return qt_ms / math.sqrt(60.0 / hr_bpm)


def qtc_fridericia_ms(qt_ms: float, hr_bpm: float) -> float:
    """Fridericia: QT divided by the cube root of the RR interval in seconds."""
    return qt_ms / (60.0 / hr_bpm) ** (1.0 / 3.0)


def _qtc(values: dict) -> CalculatorResult:
    bazett = round(qtc_bazett_ms(values["qt_ms"], values["hr_bpm"]), 1)
    fridericia = round(qtc_fridericia_ms(values["qt_ms"], values["hr_bpm"]), 1)
    method = values["method"]
    score = bazett if method == "bazett" else fridericia
    limit = 460 if values["sex"] == "female" else 450
    if score >= 500:
        category, text = "markedly_prolonged", ("QTc 500 ms or more: markedly prolonged, high "
                                                "risk of torsades; review QT-prolonging drugs "
                                                "and electrolytes urgently.")
    elif score >= limit:
        category, text = "prolonged", (f"QTc {limit} ms or more: prolonged for "
                                       f"{values['sex']} adults.")
    else:
        category, text = "normal", f"QTc under {limit} ms: within normal limits."
    if values["hr_bpm"] > 100 or values["hr_bpm"] < 50:
        text += " Bazett over-corrects at high and under-corrects at low heart rates; prefer Fridericia."
    return CalculatorResult("qtc", score, text, QTC_SOURCE, unit="ms", category=category,
                            details={"bazett_ms": bazett, "fridericia_ms": fridericia,
                                     "rr_s": round(60.0 / values["hr_bpm"], 3)},
                            inputs=values)


QTC = Calculator(
    name="qtc", title="Corrected QT interval (Bazett and Fridericia)",
    fields=(
        FieldSpec("qt_ms", "float", "Measured QT interval", unit="ms", min_value=200,
                  max_value=800),
        FieldSpec("hr_bpm", "float", "Heart rate", unit="beats/min", min_value=20, max_value=250),
        FieldSpec("sex", "choice", "Sex (sets the upper normal limit)", choices=("female", "male")),
        FieldSpec("method", "choice", "Which correction gives the headline score",
                  choices=("fridericia", "bazett"), required=False, default="fridericia"),
    ),
    compute=_qtc, source=QTC_SOURCE,
)
