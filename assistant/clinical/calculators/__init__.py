"""Clinical calculators: typed, range-checked inputs; each result cites its source.

Use ``run_calculator(name, values)`` or ``get_calculator(name)``; ``list_calculators()``
describes every calculator and its fields. Each calculator lives in a small module by topic.
"""

from .base import Calculator, CalculatorInputError, CalculatorResult, Citation, FieldSpec
from .registry import CALCULATORS, get_calculator, list_calculators, run_calculator

__all__ = ["CALCULATORS", "Calculator", "CalculatorInputError", "CalculatorResult", "Citation",
           "FieldSpec", "get_calculator", "list_calculators", "run_calculator"]
