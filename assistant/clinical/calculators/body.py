"""Body mass index with the WHO adult categories and NICE's lower ethnicity thresholds."""

from __future__ import annotations

from .base import Calculator, CalculatorResult, Citation, FieldSpec

BMI_SOURCE = Citation(
    publisher="NICE", year=2014,
    title="Obesity: identification, assessment and management (CG189), section 1.2 "
          "(BMI classification, lower thresholds for some ethnic groups)",
    url="https://www.nice.org.uk/guidance/cg189",
)


def _bmi(values: dict) -> CalculatorResult:
    height_m = values["height_cm"] / 100.0
    bmi = round(values["weight_kg"] / (height_m * height_m), 1)
    # NICE: people of South Asian, Chinese, other Asian, Middle Eastern, Black African or
    # African-Caribbean family background have overweight from 23 and obesity from 27.5.
    lower = values["lower_threshold_ethnicity"]
    overweight, obese = (23.0, 27.5) if lower else (25.0, 30.0)
    if bmi < 18.5:
        category = "underweight"
    elif bmi < overweight:
        category = "healthy_weight"
    elif bmi < obese:
        category = "overweight"
    elif lower:
        category = "obesity"
    elif bmi < 35:
        category = "obesity_class_1"
    elif bmi < 40:
        category = "obesity_class_2"
    else:
        category = "obesity_class_3"
    text = f"BMI {bmi} kg/m²: {category.replace('_', ' ')} (adults)."
    if lower:
        text += " Lower thresholds applied (overweight 23, obesity 27.5)."
    return CalculatorResult("bmi", bmi, text, BMI_SOURCE, unit="kg/m2", category=category,
                            inputs=values)


BMI = Calculator(
    name="bmi", title="Body mass index (adults)",
    fields=(
        FieldSpec("weight_kg", "float", "Weight", unit="kg", min_value=20, max_value=400),
        FieldSpec("height_cm", "float", "Height", unit="cm", min_value=100, max_value=250),
        FieldSpec("lower_threshold_ethnicity", "bool", "South Asian, Chinese, other Asian, "
                  "Middle Eastern, Black African or African-Caribbean family background",
                  required=False, default=False),
    ),
    compute=_bmi, source=BMI_SOURCE,
)
