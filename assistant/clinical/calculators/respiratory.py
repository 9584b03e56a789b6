"""Pneumonia severity (CURB-65, CRB-65) and sore throat scores (Centor, FeverPAIN).

Thresholds and bands carry over from the cited papers and NICE; wording is the project's own.
"""

from __future__ import annotations

from .base import Calculator, CalculatorResult, Citation, FieldSpec, count_true, yes_no

CURB65_SOURCE = Citation(
    publisher="Thorax", year=2003, authors="Lim WS, van der Eerden MM, Laing R, et al.",
    title="Defining community acquired pneumonia severity on presentation to hospital: an "
          "international derivation and validation study",
    url="https://doi.org/10.1136/thorax.58.5.377",
)
CRB65_SOURCE = Citation(
    publisher="NICE", year=2014,
    title="Pneumonia in adults: diagnosis and management (CG191), recommendations 1.2 "
          "(CRB65 in primary care)",
    url="https://www.nice.org.uk/guidance/cg191",
)
CENTOR_SOURCE = Citation(
    publisher="Medical Decision Making", year=1981,
    authors="Centor RM, Witherspoon JM, Dalton HP, Brody CE, Link K",
    title="The diagnosis of strep throat in adults in the emergency room",
    url="https://doi.org/10.1177/0272989X8100100304",
)
FEVERPAIN_SOURCE = Citation(
    publisher="BMJ", year=2013, authors="Little P, Hobbs FDR, Moore M, et al.",
    title="Clinical score and rapid antigen detection test to guide antibiotic use for sore "
          "throats: randomised controlled trial of PRISM (primary care streptococcal management)",
    url="https://doi.org/10.1136/bmj.f5806",
)

_PNEUMONIA_FIELDS = (
    yes_no("confusion", "New confusion (abbreviated mental test 8 or less, or new disorientation)"),
    FieldSpec("rr_per_min", "int", "Respiratory rate", unit="/min", min_value=0, max_value=80),
    FieldSpec("sbp_mmhg", "int", "Systolic blood pressure", unit="mmHg", min_value=40,
              max_value=300),
    FieldSpec("dbp_mmhg", "int", "Diastolic blood pressure", unit="mmHg", min_value=20,
              max_value=200),
    FieldSpec("age_years", "int", "Age", unit="years", min_value=16, max_value=120),
)


def _pneumonia_points(values: dict) -> dict:
    return {
        "confusion": int(values["confusion"]),
        "respiratory_rate_30_or_more": int(values["rr_per_min"] >= 30),
        "low_blood_pressure": int(values["sbp_mmhg"] < 90 or values["dbp_mmhg"] <= 60),
        "age_65_or_more": int(values["age_years"] >= 65),
    }


def _curb65(values: dict) -> CalculatorResult:
    points = _pneumonia_points(values)
    points["urea_over_7"] = int(values["urea_mmol_l"] > 7)
    score = sum(points.values())
    if score <= 1:
        category, text = "low", ("Low severity (30-day mortality under 3%): consider treatment "
                                 "at home.")
    elif score == 2:
        category, text = "moderate", ("Moderate severity (mortality about 9%): consider a short "
                                      "hospital stay or supervised outpatient treatment.")
    else:
        category, text = "high", ("High severity (mortality about 15% at 3, 40% or more at "
                                  "4-5): manage in hospital as severe pneumonia; assess for "
                                  "critical care at 4-5.")
    return CalculatorResult("curb65", score, text, CURB65_SOURCE, category=category,
                            details=points, inputs=values)


def _crb65(values: dict) -> CalculatorResult:
    points = _pneumonia_points(values)
    score = sum(points.values())
    if score == 0:
        category, text = "low", "Low risk (mortality under 1%): consider home-based care."
    elif score <= 2:
        category, text = "intermediate", ("Intermediate risk (mortality 1-10%): consider "
                                          "hospital assessment.")
    else:
        category, text = "high", ("High risk (mortality over 10%): arrange urgent hospital "
                                  "admission.")
    return CalculatorResult("crb65", score, text, CRB65_SOURCE, category=category,
                            details=points, inputs=values)


CURB65 = Calculator(
    name="curb65", title="CURB-65 pneumonia severity (hospital, with urea)",
    fields=_PNEUMONIA_FIELDS[:1] + (
        FieldSpec("urea_mmol_l", "float", "Blood urea", unit="mmol/L", min_value=0.5,
                  max_value=80),) + _PNEUMONIA_FIELDS[1:],
    compute=_curb65, source=CURB65_SOURCE,
)
CRB65 = Calculator(
    name="crb65", title="CRB-65 pneumonia severity (primary care, no blood test)",
    fields=_PNEUMONIA_FIELDS, compute=_crb65, source=CRB65_SOURCE,
)

_CENTOR_ITEMS = ("tonsillar_exudate", "tender_anterior_nodes", "fever_history", "no_cough")


def _centor(values: dict) -> CalculatorResult:
    score = count_true(values, _CENTOR_ITEMS)
    if score >= 3:
        category, text = "higher", ("Score 3-4: about 40-60% chance of streptococcal infection; "
                                    "consider an immediate or back-up antibiotic (NICE NG84).")
    else:
        category, text = "lower", ("Score 0-2: about 3-17% chance of streptococcal infection; "
                                   "no antibiotic, self-care advice (NICE NG84).")
    return CalculatorResult("centor", score, text, CENTOR_SOURCE, category=category,
                            inputs=values)


CENTOR = Calculator(
    name="centor", title="Centor score for sore throat",
    fields=(
        yes_no("tonsillar_exudate", "Tonsillar exudate", required=False),
        yes_no("tender_anterior_nodes", "Tender anterior cervical lymph nodes or lymphadenitis",
               required=False),
        yes_no("fever_history", "History of fever (over 38 °C)", required=False),
        yes_no("no_cough", "Absence of cough", required=False),
    ),
    compute=_centor, source=CENTOR_SOURCE,
)

_FEVERPAIN_ITEMS = ("fever", "purulence", "attend_rapidly", "inflamed_tonsils",
                    "no_cough_or_coryza")


def _feverpain(values: dict) -> CalculatorResult:
    score = count_true(values, _FEVERPAIN_ITEMS)
    if score <= 1:
        category, text = "low", ("Score 0-1: about 13-18% chance of streptococcus; no antibiotic "
                                 "(NICE NG84).")
    elif score <= 3:
        category, text = "intermediate", ("Score 2-3: about 34-40% chance of streptococcus; "
                                          "consider no antibiotic or a back-up prescription "
                                          "(NICE NG84).")
    else:
        category, text = "high", ("Score 4-5: about 62-65% chance of streptococcus; consider "
                                  "an immediate or back-up antibiotic (NICE NG84).")
    return CalculatorResult("feverpain", score, text, FEVERPAIN_SOURCE, category=category,
                            inputs=values)


FEVERPAIN = Calculator(
    name="feverpain", title="FeverPAIN score for sore throat",
    fields=(
        yes_no("fever", "Fever in the past 24 hours", required=False),
        yes_no("purulence", "Pharyngeal or tonsillar exudate", required=False),
        yes_no("attend_rapidly", "Attended within 3 days of symptom onset", required=False),
        yes_no("inflamed_tonsils", "Severely inflamed tonsils", required=False),
        yes_no("no_cough_or_coryza", "No cough or coryza", required=False),
    ),
    compute=_feverpain, source=FEVERPAIN_SOURCE,
)
