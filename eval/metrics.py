"""Pure scoring functions: each takes plain values for one case (or a list of cases) and
returns numbers. No models, files or randomness here (confidence intervals: ``bootstrap``;
support decisions: ``support``; ALCE citation scoring: ``citations``).

Retrieval metrics use binary relevance against the gold passage ids. Triage levels are ordered
from most to least urgent, so "under-triage" means the prediction was *less* urgent than gold.
Agreement between two reviewers (the web app's Review tab) is Cohen's kappa.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

import numpy as np

# The ranking metrics live with retrieval (its benchmark uses them too); re-exported here so
# that eval's scoring reads from one place.
from knowledge.redflag_rules import EM_NE_SC, LEVELS
from eval.retrieval_metrics import hit_at_k, ndcg_at_k, reciprocal_rank  # noqa: F401

# Most urgent first. The five-level scale of assistant.clinical.triage and the three-level scale of
# symptom-checker vignettes (emergent / non-emergent / self-care, Semigran et al. 2015).
FIVE_LEVELS = LEVELS
THREE_LEVELS = ("em", "ne", "sc")


def rubric_score(met: Sequence[bool], points: Sequence[float]) -> float:
    """HealthBench-style rubric score for one answer.

    Each criterion carries points: positive for a must-have fact, negative for a must-not
    statement. Score = (sum of points of the criteria met) / (sum of the positive points),
    clipped to [0, 1], so stating a must-not costs as much as missing a must-have.
    """
    if len(met) != len(points):
        raise ValueError(f"met and points must have the same length, got {len(met)} and {len(points)}")
    possible = sum(p for p in points if p > 0)
    if possible <= 0:
        raise ValueError("rubric needs at least one criterion with positive points")
    earned = sum(p for m, p in zip(met, points) if m)
    return min(1.0, max(0.0, earned / possible))


def precision_recall(predicted: Sequence[bool], actual: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of a yes/no decision (e.g. abstained vs out of scope).

    An empty denominator gives NaN rather than a flattering 1.0 or an unfair 0.0.
    """
    if len(predicted) != len(actual):
        raise ValueError(f"predicted and actual must have the same length, got "
                         f"{len(predicted)} and {len(actual)}")
    true_pos = sum(1 for p, a in zip(predicted, actual) if p and a)
    pred_pos = sum(1 for p in predicted if p)
    real_pos = sum(1 for a in actual if a)
    precision = true_pos / pred_pos if pred_pos else math.nan
    recall = true_pos / real_pos if real_pos else math.nan
    return precision, recall


def normalise_urgency(level: str) -> str:
    """Map a gold or predicted urgency to its canonical spelling (five levels or em/ne/sc).

    Accepts the spellings seen in vignette sets ("Emergent", "non-emergent", "self care").
    """
    value = str(level).strip().lower().replace("_", "-").replace(" ", "-")
    aliases = {"emergent": "em", "emergency-care": "em", "non-emergent": "ne",
               "nonemergent": "ne", "non-emergency": "ne", "self-care": "self-care",
               "selfcare": "self-care", "sc": "sc", "em": "em", "ne": "ne"}
    value = aliases.get(value, value)
    if value in FIVE_LEVELS or value in THREE_LEVELS:
        return value
    raise ValueError(f"urgency level must be one of {', '.join(FIVE_LEVELS + THREE_LEVELS)}, "
                     f"got {level!r}")


def to_three_levels(level: str) -> str:
    level = normalise_urgency(level)
    return EM_NE_SC.get(level, level)


def triage_outcome(gold: str, predicted: str) -> str:
    """``correct``, ``under`` (predicted less urgent than gold) or ``over`` (more urgent).

    Both levels must be on the same scale; compare five-level against em/ne/sc by mapping
    with ``to_three_levels`` first.
    """
    gold, predicted = normalise_urgency(gold), normalise_urgency(predicted)
    scale = FIVE_LEVELS if gold in FIVE_LEVELS else THREE_LEVELS
    if predicted not in scale:
        raise ValueError(f"gold {gold!r} and predicted {predicted!r} are on different scales; "
                         "map both with to_three_levels")
    gold_rank, predicted_rank = scale.index(gold), scale.index(predicted)
    if predicted_rank == gold_rank:
        return "correct"
    return "under" if predicted_rank > gold_rank else "over"


def confusion_matrix(gold: Sequence[str], predicted: Sequence[str],
                     labels: Sequence[str]) -> list[list[int]]:
    """Counts with rows = gold label and columns = predicted label, in ``labels`` order.

    A label outside ``labels`` (e.g. an unparsed prediction) needs its own entry in
    ``labels``; otherwise it is an error rather than a silently dropped case.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"gold and predicted must have the same length, got {len(gold)} and {len(predicted)}")
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted):
        for value in (g, p):
            if value not in index:
                raise ValueError(f"label {value!r} is not in labels {list(labels)}")
        matrix[index[g]][index[p]] += 1
    return matrix


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation (numpy's default); NaN if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be 0–100, got {q}")
    if len(values) == 0:
        return math.nan
    return float(np.percentile(np.asarray(values, dtype=float), q))


def tokens_per_second(output_tokens: Sequence[float], generate_seconds: Sequence[float]) -> float:
    """Total tokens over total generation time (not the mean of per-case rates, which
    over-weights short answers)."""
    seconds = float(sum(generate_seconds))
    return float(sum(output_tokens)) / seconds if seconds > 0 else math.nan


def cohens_kappa(first: Sequence[Any], second: Sequence[Any]) -> float | None:
    """Cohen's kappa for two raters' labels of the same items (unweighted).

    kappa = (p_observed - p_expected) / (1 - p_expected). ``None`` when there are no items or
    agreement by chance is certain (both raters used one and the same label)."""
    if len(first) != len(second):
        raise ValueError(f"both raters need the same number of labels, got {len(first)} and "
                         f"{len(second)}")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[label] * counts_b[label] for label in counts_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)
