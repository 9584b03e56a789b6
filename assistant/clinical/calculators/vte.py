"""Venous thromboembolism scores: two-level Wells DVT, two-level Wells PE, and PERC.

Weights and cut-offs as in the cited papers and NICE NG158; wording is the project's own.
"""

from __future__ import annotations

from .base import Calculator, CalculatorResult, Citation, FieldSpec, yes_no

NG158 = "https://www.nice.org.uk/guidance/ng158"
WELLS_DVT_SOURCE = Citation(
    publisher="New England Journal of Medicine", year=2003,
    authors="Wells PS, Anderson DR, Rodger M, et al.",
    title="Evaluation of D-dimer in the diagnosis of suspected deep-vein thrombosis "
          "(two-level DVT Wells score, as adopted by NICE NG158)",
    url="https://doi.org/10.1056/NEJMoa023153",
)
WELLS_PE_SOURCE = Citation(
    publisher="Thrombosis and Haemostasis", year=2000,
    authors="Wells PS, Anderson DR, Rodger M, et al.",
    title="Derivation of a simple clinical model to categorize patients' probability of "
          "pulmonary embolism (two-level PE Wells score, as adopted by NICE NG158)",
    url=NG158,
)
PERC_SOURCE = Citation(
    publisher="Journal of Thrombosis and Haemostasis", year=2004,
    authors="Kline JA, Mitchell AM, Kabrhel C, Richman PB, Courtney DM",
    title="Clinical criteria to prevent unnecessary diagnostic testing in emergency "
          "department patients with suspected pulmonary embolism",
    url="https://doi.org/10.1111/j.1538-7836.2004.00790.x",
)

_DVT_ITEMS = (
    ("active_cancer", 1, "Active cancer (treatment ongoing, within 6 months, or palliative)"),
    ("paralysis_or_plaster", 1, "Paralysis, paresis or recent plaster immobilisation of the leg"),
    ("bedridden_or_surgery", 1, "Bedridden 3 days or more, or major surgery within 12 weeks"),
    ("deep_vein_tenderness", 1, "Localised tenderness along the deep venous system"),
    ("entire_leg_swollen", 1, "Entire leg swollen"),
    ("calf_swelling_3cm", 1, "Calf swelling at least 3 cm more than the other side "
                             "(10 cm below tibial tuberosity)"),
    ("pitting_oedema", 1, "Pitting oedema confined to the symptomatic leg"),
    ("collateral_veins", 1, "Collateral superficial veins (not varicose)"),
    ("previous_dvt", 1, "Previously documented DVT"),
    ("alternative_as_likely", -2, "An alternative diagnosis at least as likely as DVT"),
)


def _wells_dvt(values: dict) -> CalculatorResult:
    points = {name: weight for name, weight, _ in _DVT_ITEMS if values[name]}
    score = sum(points.values())
    if score >= 2:
        category, text = "likely", ("DVT likely (2 or more): proximal leg vein ultrasound "
                                    "within 4 hours, or D-dimer and interim anticoagulation "
                                    "if the scan cannot be done in 4 hours (NICE NG158).")
    else:
        category, text = "unlikely", ("DVT unlikely (1 or less): D-dimer test; if positive, "
                                      "proximal leg vein ultrasound (NICE NG158).")
    return CalculatorResult("wells_dvt", score, text, WELLS_DVT_SOURCE, category=category,
                            details=points, inputs=values)


WELLS_DVT = Calculator(
    name="wells_dvt", title="Two-level Wells score for deep vein thrombosis",
    fields=tuple(yes_no(name, help_text, required=False) for name, _, help_text in _DVT_ITEMS),
    compute=_wells_dvt, source=WELLS_DVT_SOURCE,
)

_PE_ITEMS = (
    ("dvt_signs", 3.0, "Clinical signs and symptoms of DVT (leg swelling, pain on palpation "
                       "of deep veins)"),
    ("pe_most_likely", 3.0, "An alternative diagnosis is less likely than PE"),
    ("hr_over_100", 1.5, "Heart rate over 100 beats/min"),
    ("immobilisation_or_surgery", 1.5, "Immobilisation 3 days or more, or surgery in the "
                                       "previous 4 weeks"),
    ("previous_vte", 1.5, "Previous DVT or PE"),
    ("haemoptysis", 1.0, "Haemoptysis"),
    ("malignancy", 1.0, "Malignancy (on treatment, treated in the last 6 months, or palliative)"),
)


def _wells_pe(values: dict) -> CalculatorResult:
    points = {name: weight for name, weight, _ in _PE_ITEMS if values[name]}
    score = sum(points.values())
    if score > 4:
        category, text = "likely", ("PE likely (more than 4): CT pulmonary angiogram now, or "
                                    "interim anticoagulation if it cannot be done at once "
                                    "(NICE NG158).")
    else:
        category, text = "unlikely", ("PE unlikely (4 or less): D-dimer; if positive, CT "
                                      "pulmonary angiogram (NICE NG158).")
    return CalculatorResult("wells_pe", score, text, WELLS_PE_SOURCE, category=category,
                            details=points, inputs=values)


WELLS_PE = Calculator(
    name="wells_pe", title="Two-level Wells score for pulmonary embolism",
    fields=tuple(yes_no(name, help_text, required=False) for name, _, help_text in _PE_ITEMS),
    compute=_wells_pe, source=WELLS_PE_SOURCE,
)


def _perc(values: dict) -> CalculatorResult:
    criteria = {
        "age_50_or_more": values["age_years"] >= 50,
        "hr_100_or_more": values["hr_bpm"] >= 100,
        "spo2_under_95": values["spo2_percent"] < 95,
        "unilateral_leg_swelling": values["unilateral_leg_swelling"],
        "haemoptysis": values["haemoptysis"],
        "recent_surgery_or_trauma": values["recent_surgery_or_trauma"],
        "previous_vte": values["previous_vte"],
        "hormone_use": values["hormone_use"],
    }
    positive = [name for name, hit in criteria.items() if hit]
    score = len(positive)
    if score == 0:
        category, text = "negative", ("PERC negative: where clinical suspicion of PE is already "
                                      "low (under 15%), PE can be ruled out without further "
                                      "tests (NICE NG158). Not for use when suspicion is higher.")
    else:
        category, text = "positive", ("PERC positive (" + ", ".join(positive) + "): PE cannot "
                                      "be ruled out by PERC; use the two-level Wells score.")
    return CalculatorResult("perc", score, text, PERC_SOURCE, category=category,
                            details={k: int(v) for k, v in criteria.items()}, inputs=values)


PERC = Calculator(
    name="perc", title="Pulmonary embolism rule-out criteria (PERC)",
    fields=(
        FieldSpec("age_years", "int", "Age", unit="years", min_value=16, max_value=120),
        FieldSpec("hr_bpm", "int", "Heart rate", unit="beats/min", min_value=20, max_value=300),
        FieldSpec("spo2_percent", "int", "Oxygen saturation on room air", unit="%",
                  min_value=40, max_value=100),
        yes_no("unilateral_leg_swelling", "Unilateral leg swelling", required=False),
        yes_no("haemoptysis", "Haemoptysis", required=False),
        yes_no("recent_surgery_or_trauma", "Surgery or trauma needing general anaesthesia in "
               "the past 4 weeks", required=False),
        yes_no("previous_vte", "Previous DVT or PE", required=False),
        yes_no("hormone_use", "Oral contraceptive, hormone replacement or other oestrogen use",
               required=False),
    ),
    compute=_perc, source=PERC_SOURCE,
)
