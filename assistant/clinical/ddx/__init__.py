"""Differential diagnosis for GP presentations: ranked, coded, explained.

``DifferentialEngine(load_conditions(), retriever=None).rank(text, age_years, sex, pregnant)``
returns a ``Differential`` whose ``to_dict()`` lists conditions with ICD-10-CM codes, band,
score parts, the findings for and against with their words, next steps and passages.
``apply_llm_reorder`` lets an LLM re-order the list without dropping a supported
must-not-miss condition.
"""

from assistant.clinical.ddx.engine import (
    BAND_LIKELY,
    BAND_MUST_NOT_MISS,
    BAND_POSSIBLE,
    Differential,
    DifferentialEngine,
    RankedCondition,
    ScoreParts,
    validate_inputs,
)
from assistant.clinical.ddx.reorder import apply_llm_reorder, normalise_name

__all__ = [
    "BAND_LIKELY", "BAND_MUST_NOT_MISS", "BAND_POSSIBLE", "Differential", "DifferentialEngine",
    "RankedCondition", "ScoreParts", "apply_llm_reorder", "normalise_name", "validate_inputs",
]
