"""Score the triage engine on labelled vignettes (``eval/data/triage_vignettes.jsonl``).

``load_vignettes(path)`` reads and checks the JSONL; ``score_vignettes(vignettes, triage_fn)``
runs ``triage_fn`` on each and returns exact five-level accuracy, em/ne/sc accuracy, the count
of emergencies under-triaged, under/over-triage per gold level, the confusion matrix and
per-vignette latency (p50/p95, after one warm-up call). Scoring is a pure function of the
predictions; the runner only times the calls. Vignette text is never logged.
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from typing import Callable, Iterable

from assistant.clinical.news2 import Vitals
from assistant.clinical.triage import EM_NE_SC, PatientContext, TriageResult, triage, warm_up
from knowledge.jsonl import read_jsonl_objects
from knowledge.redflag_rules import LEVELS, level_rank

logger = logging.getLogger(__name__)

DEFAULT_VIGNETTES = Path(__file__).parent / "data" / "triage_vignettes.jsonl"
REQUIRED_KEYS = ("id", "text", "age_years", "sex", "pregnant", "vitals", "urgency_level",
                 "em_ne_sc")


def load_vignettes(path: Path | str = DEFAULT_VIGNETTES) -> list[dict]:
    """Read and validate vignettes; raises ``ValueError`` naming the line and the problem."""
    vignettes = []
    for number, item in read_jsonl_objects(path, REQUIRED_KEYS):
        if item["urgency_level"] not in LEVELS:
            raise ValueError(f"{path}:{number}: urgency_level must be one of {LEVELS}")
        if item["em_ne_sc"] != EM_NE_SC[item["urgency_level"]]:
            raise ValueError(f"{path}:{number}: em_ne_sc {item['em_ne_sc']!r} does not match "
                             f"{item['urgency_level']!r} (expected {EM_NE_SC[item['urgency_level']]})")
        vignettes.append(item)
    return vignettes


def run_vignette(item: dict, triage_fn: Callable[..., TriageResult] = triage) -> TriageResult:
    patient = PatientContext(age_years=item.get("age_years"), sex=item.get("sex"),
                             pregnant=item.get("pregnant"))
    vitals = Vitals(**item["vitals"]) if item.get("vitals") else None
    return triage_fn(item["text"], patient=patient, vitals=vitals)


def score_predictions(gold_levels: list[str], predicted_levels: list[str],
                      latencies_ms: Iterable[float] = ()) -> dict:
    """Pure scoring of paired gold/predicted levels (same order)."""
    if len(gold_levels) != len(predicted_levels):
        raise ValueError("gold_levels and predicted_levels must have the same length")
    total = len(gold_levels)
    confusion = {gold: {pred: 0 for pred in LEVELS} for gold in LEVELS}
    per_level = {level: {"n": 0, "correct": 0, "under": 0, "over": 0} for level in LEVELS}
    exact = three_way = 0
    for gold, predicted in zip(gold_levels, predicted_levels):
        confusion[gold][predicted] += 1
        stats = per_level[gold]
        stats["n"] += 1
        if predicted == gold:
            exact += 1
            stats["correct"] += 1
        elif level_rank(predicted) > level_rank(gold):
            stats["under"] += 1  # predicted less urgent than gold
        else:
            stats["over"] += 1
        three_way += EM_NE_SC[predicted] == EM_NE_SC[gold]
    latencies = sorted(latencies_ms)
    return {
        "n": total,
        "exact_accuracy": round(exact / total, 4) if total else 0.0,
        "em_ne_sc_accuracy": round(three_way / total, 4) if total else 0.0,
        "emergency_under_triaged": per_level["emergency"]["under"],
        "under_triaged": sum(s["under"] for s in per_level.values()),
        "over_triaged": sum(s["over"] for s in per_level.values()),
        "per_level": per_level,
        "confusion": confusion,
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": round(_percentile(latencies, 95), 2) if latencies else None,
            "max": round(latencies[-1], 2) if latencies else None,
        },
    }


def score_vignettes(vignettes: list[dict],
                    triage_fn: Callable[..., TriageResult] = triage) -> dict:
    """Run and score every vignette; adds ``mistakes`` (id, gold, predicted, rules)."""
    warm_up()  # building the NLP pipeline takes seconds; do not time it
    triage_fn("warm up: chest pain")
    predicted, latencies, mistakes = [], [], []
    for item in vignettes:
        started = time.perf_counter()
        result = run_vignette(item, triage_fn)
        latencies.append((time.perf_counter() - started) * 1000)
        predicted.append(result.level)
        if result.level != item["urgency_level"]:
            mistakes.append({"id": item["id"], "gold": item["urgency_level"],
                             "predicted": result.level,
                             "rules": [rule.id for rule in result.rules][:5]})
    report = score_predictions([item["urgency_level"] for item in vignettes], predicted,
                               latencies)
    report["mistakes"] = mistakes
    logger.info("triage bench: n=%d exact=%.3f em/ne/sc=%.3f", report["n"],
                report["exact_accuracy"], report["em_ne_sc_accuracy"])
    return report


def _percentile(sorted_values: list[float], percent: float) -> float:
    if not sorted_values:
        return 0.0
    rank = (len(sorted_values) - 1) * percent / 100.0
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)
