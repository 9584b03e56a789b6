"""Choosing the abstention threshold from data.

The assistant abstains when its best passage's similarity to the question is below a
threshold. ``calibrate_threshold`` picks that threshold from the best-passage scores of
in-scope questions (the GP suite) and plainly out-of-scope ones (non-medical, veterinary,
prompt injections): the highest threshold that still answers at least ``min_answered`` of the
in-scope questions, so that a missed answer is rarer than a wrong one. Scores at exactly the
threshold are answered. This module computes; the command that gathers scores is
``ruiyi bench abstention``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# The threshold in use for each retrieval embedder (``--embedder``): cosine scales differ
# between models, so each has its own, from ``ruiyi bench abstention --embedder NAME``
# (README "Abstention and scope" gives the runs).
ABSTAIN_BELOW_BY_EMBEDDER = {"minilm": 0.30, "minilm-onnx": 0.30, "use": 0.24}


def threshold_for(embedder_name: str | None) -> float:
    """The abstention threshold calibrated for an embedder name (MiniLM's when unnamed)."""
    name = embedder_name or "minilm"
    if name not in ABSTAIN_BELOW_BY_EMBEDDER:
        raise ValueError(f"no abstention threshold calibrated for embedder {name!r}; "
                         f"known: {', '.join(ABSTAIN_BELOW_BY_EMBEDDER)}")
    return ABSTAIN_BELOW_BY_EMBEDDER[name]


@dataclass(frozen=True)
class Calibration:
    threshold: float
    in_scope_answered: float       # share of in-scope questions at or above the threshold
    out_of_scope_abstained: float  # share of out-of-scope questions below it
    in_scope_count: int
    out_of_scope_count: int


def rates_at(threshold: float, in_scope: Sequence[float], out_of_scope: Sequence[float]
             ) -> tuple[float, float]:
    answered = sum(s >= threshold for s in in_scope) / len(in_scope)
    abstained = sum(s < threshold for s in out_of_scope) / len(out_of_scope)
    return answered, abstained


def calibrate_threshold(in_scope: Sequence[float], out_of_scope: Sequence[float],
                        min_answered: float = 0.97) -> Calibration:
    if not in_scope or not out_of_scope:
        raise ValueError("calibration needs at least one in-scope and one out-of-scope score, "
                         f"got {len(in_scope)} and {len(out_of_scope)}")
    if not 0 < min_answered <= 1:
        raise ValueError(f"min_answered must be in (0, 1], got {min_answered}")
    # Candidate thresholds are the in-scope scores themselves: raising the threshold past one
    # of them is the only thing that changes which in-scope questions are answered.
    best = min(in_scope)
    for candidate in sorted(set(in_scope)):
        answered, _ = rates_at(candidate, in_scope, out_of_scope)
        if answered >= min_answered:
            best = candidate
    answered, abstained = rates_at(best, in_scope, out_of_scope)
    return Calibration(round(best, 4), answered, abstained, len(in_scope), len(out_of_scope))
