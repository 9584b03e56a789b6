"""eGFR by the CKD-EPI 2021 creatinine equation (race-free), with KDIGO G categories.

eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age x 1.012 (if female),
with Scr in mg/dL, k = 0.7 (female) or 0.9 (male), a = -0.241 (female) or -0.302 (male).
Creatinine is entered in µmol/L (UK units) and divided by 88.4.
"""

from __future__ import annotations

from .base import Calculator, CalculatorResult, Citation, FieldSpec

EGFR_SOURCE = Citation(
    publisher="New England Journal of Medicine", year=2021,
    authors="Inker LA, Eneanya ND, Coresh J, et al.",
    title="New creatinine- and cystatin C-based equations to estimate GFR without race",
    url="https://doi.org/10.1056/NEJMoa2102953",
)
UMOL_PER_MG_DL = 88.4


def ckd_epi_2021(creatinine_umol_l: float, age_years: float, sex: str) -> float:
    """eGFR in mL/min/1.73 m² (unrounded)."""
    scr_mg_dl = creatinine_umol_l / UMOL_PER_MG_DL
    female = sex == "female"
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr_mg_dl / kappa
    egfr = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938 ** age_years
    return egfr * 1.012 if female else egfr


def g_category(egfr: float) -> str:
    for limit, name in ((90, "G1"), (60, "G2"), (45, "G3a"), (30, "G3b"), (15, "G4")):
        if egfr >= limit:
            return name
    return "G5"


_MEANING = {
    "G1": "normal or high (CKD only with other markers of kidney damage)",
    "G2": "mildly decreased (CKD only with other markers of kidney damage)",
    "G3a": "mildly to moderately decreased",
    "G3b": "moderately to severely decreased",
    "G4": "severely decreased",
    "G5": "kidney failure",
}


def _egfr(values: dict) -> CalculatorResult:
    egfr = round(ckd_epi_2021(values["creatinine_umol_l"], values["age_years"], values["sex"]))
    category = g_category(egfr)
    text = (f"eGFR {egfr} mL/min/1.73m²: KDIGO {category}, {_MEANING[category]}. "
            "Confirm a new low value with a repeat test within 2 weeks.")
    return CalculatorResult("egfr", egfr, text, EGFR_SOURCE, unit="mL/min/1.73m2",
                            category=category,
                            details={"creatinine_mg_dl": round(values["creatinine_umol_l"]
                                                               / UMOL_PER_MG_DL, 3)},
                            inputs=values)


EGFR = Calculator(
    name="egfr", title="eGFR, CKD-EPI 2021 creatinine equation (race-free)",
    fields=(
        FieldSpec("creatinine_umol_l", "float", "Serum creatinine", unit="µmol/L",
                  min_value=10, max_value=2500),
        FieldSpec("age_years", "int", "Age", unit="years", min_value=18, max_value=120),
        FieldSpec("sex", "choice", "Sex", choices=("female", "male")),
    ),
    compute=_egfr, source=EGFR_SOURCE,
)
