"""The deterministic aids shown beside a GP chat answer: a differential-diagnosis panel when
the question describes a presentation, and calculator results when it supplies their inputs.

Both run without the LLM. The panel appears only when at least two present symptoms or signs
are recognised — a question like "amox dose CAP adult" describes no patient and gets none.
"""

from __future__ import annotations

import logging

from assistant.clinical.calculator_use import calculations_for
from assistant.clinical.ddx import DifferentialEngine

logger = logging.getLogger(__name__)

MIN_PRESENT_FINDINGS = 2


class DifferentialPanel:
    """Builds the panel for a chat turn; the engine (and its NLP pipeline) is built once."""

    def __init__(self, engine: DifferentialEngine | None = None, top_k: int = 10) -> None:
        self._engine = engine
        self.top_k = top_k

    @property
    def engine(self) -> DifferentialEngine:
        if self._engine is None:
            self._engine = DifferentialEngine()
        return self._engine

    def __call__(self, text: str) -> dict | None:
        try:
            # Age, sex and pregnancy come from the text through the shared reader, inside rank.
            differential = self.engine.rank(text, top_k=self.top_k)
        except ValueError as e:  # contradictory facts read from free text: no panel, say why
            logger.info("no differential panel: %s", type(e).__name__)
            return None
        data = differential.to_dict()
        present = [f for f in data["features_found"]
                   if f["present"] and f["kind"] in ("symptom", "sign")]
        if len(present) < MIN_PRESENT_FINDINGS or not data["conditions"]:
            return None
        return data


def find_calculations(text: str) -> list[dict]:
    return calculations_for(text)
