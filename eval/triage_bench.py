"""Score the triage engine on labelled vignettes (default: the frozen bank, ``eval/data/triage_bank``).

``load_vignettes(path)`` reads and checks a JSONL file or every ``*.jsonl`` in a folder;
``score_vignettes(vignettes, triage_fn)`` runs ``triage_fn`` on each and returns exact five-level
accuracy, em/ne/sc accuracy, the count of emergencies under-triaged (and to which levels),
self-care precision and over-triage of self-care cases, under/over-triage per gold level, the
confusion matrix and per-vignette latency (p50/p95, after one warm-up call), overall and by
``style`` and ``language`` where the vignettes carry them. Scoring is a pure function of the
predictions; the runner only times the calls. Vignette text is never logged.
"""

from __future__ import annotations

import hashlib
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

DEFAULT_VIGNETTES = Path(__file__).parent / "data" / "triage_bank"
PROJECT_VIGNETTES = Path(__file__).parent / "data" / "triage_vignettes.jsonl"
REQUIRED_KEYS = ("id", "text", "age_years", "sex", "pregnant", "vitals", "urgency_level",
                 "em_ne_sc")


def load_vignettes(path: Path | str = DEFAULT_VIGNETTES) -> list[dict]:
    """Read and validate vignettes from a JSONL file or a folder of them; raises
    ``ValueError`` naming the file, the line and the problem."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise ValueError(f"{path} holds no *.jsonl vignette files")
        vignettes = [item for file in files for item in load_vignettes(file)]
        seen: set[str] = set()
        for item in vignettes:
            if item["id"] in seen:
                raise ValueError(f"{path}: vignette id {item['id']!r} appears twice")
            seen.add(item["id"])
        return vignettes
    vignettes = []
    for number, item in read_jsonl_objects(path, REQUIRED_KEYS):
        if item["urgency_level"] not in LEVELS:
            raise ValueError(f"{path}:{number}: urgency_level must be one of {LEVELS}")
        if item["em_ne_sc"] != EM_NE_SC[item["urgency_level"]]:
            raise ValueError(f"{path}:{number}: em_ne_sc {item['em_ne_sc']!r} does not match "
                             f"{item['urgency_level']!r} (expected {EM_NE_SC[item['urgency_level']]})")
        vignettes.append(item)
    return vignettes


SPLITS = ("all", "dev", "holdout")


def split_of(vignette_id: str) -> str:
    """"dev" or "holdout" by a hash of the id: half the bank may be read while improving the
    engine, the other half is only ever scored (its mistakes are not shown)."""
    return "dev" if hashlib.sha256(vignette_id.encode()).digest()[0] % 2 == 0 else "holdout"


def select_split(vignettes: list[dict], split: str) -> list[dict]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    return vignettes if split == "all" else [v for v in vignettes if split_of(v["id"]) == split]


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


def safety_figures(gold_levels: list[str], predicted_levels: list[str]) -> dict:
    """What matters most for safety: emergencies kept at emergency (and where the others went),
    emergencies sent to self-care, self-care precision, and over-triage of self-care cases."""
    pairs = list(zip(gold_levels, predicted_levels))
    emergencies = [pred for gold, pred in pairs if gold == "emergency"]
    self_care_gold = [pred for gold, pred in pairs if gold == "self-care"]
    self_care_said = [gold for gold, pred in pairs if pred == "self-care"]
    under_to = {level: sum(pred == level for pred in emergencies) for level in LEVELS[1:]}
    return {
        "emergencies": len(emergencies),
        "emergencies_at_emergency": sum(pred == "emergency" for pred in emergencies),
        "emergency_recall": round(sum(p == "emergency" for p in emergencies) / len(emergencies),
                                  4) if emergencies else None,
        "emergencies_under_triaged_to": {k: v for k, v in under_to.items() if v},
        "emergencies_to_self_care": under_to["self-care"],
        "self_care_precision": round(sum(g == "self-care" for g in self_care_said)
                                     / len(self_care_said), 4) if self_care_said else None,
        "self_care_over_triage": round(sum(p != "self-care" for p in self_care_gold)
                                       / len(self_care_gold), 4) if self_care_gold else None,
    }


def score_vignettes(vignettes: list[dict],
                    triage_fn: Callable[..., TriageResult] = triage) -> dict:
    """Run and score every vignette; adds ``safety``, ``by_style``, ``by_language``,
    ``not_covered`` and ``mistakes`` (id, gold, predicted, rules)."""
    warm_up()  # building the NLP pipeline takes seconds; do not time it
    triage_fn("warm up: chest pain")
    predicted, latencies, mistakes, not_covered, semantic = [], [], [], 0, []
    for item in vignettes:
        started = time.perf_counter()
        result = run_vignette(item, triage_fn)
        latencies.append((time.perf_counter() - started) * 1000)
        predicted.append(result.level)
        not_covered += result.coverage == "not-covered"
        # The net decided the level when one of its hits sits at the final level.
        if any(r.kind == "semantic" and r.level == result.level for r in result.rules):
            semantic.append((item["urgency_level"], result.level))
        if result.level != item["urgency_level"]:
            mistakes.append({"id": item["id"], "gold": item["urgency_level"],
                             "predicted": result.level,
                             "rules": [rule.id for rule in result.rules][:5]})
    gold = [item["urgency_level"] for item in vignettes]
    report = score_predictions(gold, predicted, latencies)
    report["safety"] = safety_figures(gold, predicted)
    report["not_covered"] = not_covered
    report["semantic_net"] = {
        "decided_level": len(semantic),
        "false_escalations": sum(level_rank(pred) < level_rank(g) for g, pred in semantic),
    }
    for key in ("style", "language"):
        values = sorted({str(item.get(key)) for item in vignettes if item.get(key)})
        report[f"by_{key}"] = {}
        for value in values:
            rows = [i for i, item in enumerate(vignettes) if str(item.get(key)) == value]
            part = score_predictions([gold[i] for i in rows], [predicted[i] for i in rows])
            report[f"by_{key}"][value] = {
                "n": part["n"], "exact_accuracy": part["exact_accuracy"],
                "em_ne_sc_accuracy": part["em_ne_sc_accuracy"],
                **safety_figures([gold[i] for i in rows], [predicted[i] for i in rows])}
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
