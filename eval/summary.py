"""From per-case records to the numbers of ``metrics.json``: every headline metric with its
seeded 95% bootstrap interval, the same per group (topic, dataset, model|mode|dataset),
confusion tables, and the count of skipped cases by reason.

A case record (one line of ``cases.jsonl``) is ``{case_id, group, status, reason, scores:
{metric: [num, den]}, measures: {...}, detail: {...}}``; ``status`` is ``scored`` or
``error``. Does not read or write files.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from eval.bootstrap import (DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_ratio, bootstrap_statistic,
                            metric_seed, percentile_statistic)
from eval.metrics import FIVE_LEVELS, THREE_LEVELS, confusion_matrix

PERCENTILE_METRICS = {"latency_p50_s": ("latency_s", 50.0), "latency_p95_s": ("latency_s", 95.0)}


def metric_names(records: Iterable[dict]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.get("scores", {})))
    return sorted(names)


def metric_block(records: Sequence[dict], *, seed: int = DEFAULT_SEED,
                 n_resamples: int = DEFAULT_RESAMPLES, confidence: float = 0.95) -> dict:
    """{metric: {value, ci_low, ci_high, n}} for the scored records given."""
    block: dict[str, dict] = {}
    for name in metric_names(records):
        pairs = [r["scores"][name] for r in records if name in r.get("scores", {})]
        interval = bootstrap_ratio([p[0] for p in pairs], [p[1] for p in pairs],
                                   n_resamples=n_resamples, seed=metric_seed(seed, name),
                                   confidence=confidence)
        if interval.n:
            block[name] = interval.to_dict()
    for name, (measure, q) in PERCENTILE_METRICS.items():
        values = [r["measures"][measure] for r in records
                  if r.get("measures", {}).get(measure) is not None]
        if values:
            block[name] = bootstrap_statistic(values, percentile_statistic(q),
                                              n_resamples=n_resamples,
                                              seed=metric_seed(seed, name),
                                              confidence=confidence).to_dict()
    return block


def confusion_tables(suite: str, records: Sequence[dict]) -> dict:
    """Gold (rows) × predicted (columns) count tables for the suites that have labels."""
    tables: dict[str, dict] = {}
    details = [r["detail"] for r in records]
    if suite == "triage":
        pairs = [(d["gold_3"], d["predicted_3"]) for d in details if "predicted_3" in d]
        if pairs:
            tables["urgency_em_ne_sc"] = _table(pairs, THREE_LEVELS)
        five = [(d["gold"], d["predicted_level"]) for d in details
                if "predicted_level" in d and d["gold"] in FIVE_LEVELS]
        if five:
            tables["urgency_five_levels"] = _table(five, FIVE_LEVELS)
    elif suite in ("mcq", "pubmedqa", "predictions"):
        pairs = [(d["gold"], d["predicted"] or "unparsed") for d in details if "gold" in d]
        labels = sorted({g for g, _ in pairs} | {p for _, p in pairs if p != "unparsed"})
        if pairs:
            tables["answer_letter"] = _table(pairs, labels + ["unparsed"])
    return tables


def _table(pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> dict:
    return {"labels": list(labels), "rows": "gold", "columns": "predicted",
            "matrix": confusion_matrix([g for g, _ in pairs], [p for _, p in pairs], labels)}


def skipped_summary(records: Sequence[dict], problems: Sequence[dict]) -> dict:
    """How many cases were not scored and why: bad input records and failed cases."""
    errors = [r for r in records if r["status"] != "scored"]
    reasons = Counter(_reason_kind(r.get("reason", "")) for r in errors)
    fields = Counter(f"{p['field'] or 'record'}: {p['message'].split(';')[0][:60]}" for p in problems)
    return {
        "count": len(errors) + len(problems),
        "input_problems": len(problems),
        "failed_cases": len(errors),
        "failed_reasons": dict(reasons.most_common()),
        "input_problem_kinds": dict(fields.most_common(20)),
        "input_problem_examples": list(problems[:20]),
        "failed_examples": [{"case_id": r["case_id"], "reason": r.get("reason", "")}
                            for r in errors[:20]],
    }


def _reason_kind(reason: str) -> str:
    # "ChatModelError: model 'x' failed ... (details)" → group by the part before details.
    return reason.split(":", 1)[0][:80] if reason else "unknown"


def extraction_summary(records: Sequence[dict]) -> dict | None:
    """For choice suites: how answers were found, and how many could not be parsed."""
    rules = Counter(r["detail"]["rule"] for r in records if "rule" in r.get("detail", {}))
    if not rules:
        return None
    unparsed_rules = ("empty", "ambiguous", "unparsed")
    by_group: dict[str, int] = {}
    for r in records:
        if r.get("detail", {}).get("rule") in unparsed_rules:
            by_group[r["group"]] = by_group.get(r["group"], 0) + 1
    return {"unparsed": sum(rules[k] for k in unparsed_rules), "rules": dict(rules.most_common()),
            "unparsed_by_group": dict(sorted(by_group.items()))}


def summarise(suite: str, records: Sequence[dict], problems: Sequence[dict] = (), *,
              seed: int = DEFAULT_SEED, n_resamples: int = DEFAULT_RESAMPLES,
              confidence: float = 0.95) -> dict:
    scored = [r for r in records if r["status"] == "scored"]
    groups: dict[str, list[dict]] = {}
    for record in scored:
        groups.setdefault(record["group"], []).append(record)
    options = dict(seed=seed, n_resamples=n_resamples, confidence=confidence)
    summary = {
        "suite": suite,
        "cases": len(records),
        "scored": len(scored),
        "bootstrap": {"resamples": n_resamples, "seed": seed, "confidence": confidence,
                      "method": "percentile, cases resampled with replacement"},
        "metrics": metric_block(scored, **options),
        "groups": {name: {"cases": len(items), "metrics": metric_block(items, **options)}
                   for name, items in sorted(groups.items())},
        "tables": confusion_tables(suite, scored),
        "skipped": skipped_summary(records, problems),
    }
    extraction = extraction_summary(scored)
    if extraction:
        summary["extraction"] = extraction
    return summary
