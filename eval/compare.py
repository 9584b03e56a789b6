"""Comparing two run directories: per-metric deltas (B − A) with paired bootstrap intervals
over the case ids both runs scored, and which changes are significant (interval excludes 0).

Reads each run's ``cases.jsonl`` (and ``metrics.json`` for labels); does not rerun anything.
Pairing matters: resampling the same cases in both runs removes the between-question
variance, so a real 2-point gain on a few hundred shared questions shows up.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from eval.bootstrap import (DEFAULT_RESAMPLES, DEFAULT_SEED, metric_seed, paired_ratio_delta,
                            paired_statistic_delta, percentile_statistic)
from eval.scoring import metric_info
from eval.suites import SuiteInputError
from eval.summary import PERCENTILE_METRICS


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    value_a: float
    value_b: float
    delta: float
    ci_low: float
    ci_high: float
    n: int
    higher_is_better: bool

    @property
    def significant(self) -> bool:
        return not math.isnan(self.ci_low) and (self.ci_low > 0 or self.ci_high < 0)

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "no significant change"
        better = (self.delta > 0) == self.higher_is_better
        return "better" if better else "worse"

    def to_dict(self) -> dict:
        def clean(x: float):
            return None if math.isnan(x) else round(x, 4)
        return {"metric": self.metric, "a": clean(self.value_a), "b": clean(self.value_b),
                "delta": clean(self.delta), "ci_low": clean(self.ci_low),
                "ci_high": clean(self.ci_high), "n": self.n, "significant": self.significant,
                "verdict": self.verdict}


def load_run(run_dir: Path) -> tuple[dict, dict[str, dict]]:
    """(metrics.json, scored case records by id) of a run directory."""
    run_dir = Path(run_dir)
    cases_path = run_dir / "cases.jsonl"
    if not cases_path.exists():
        raise SuiteInputError(f"{run_dir} is not a finished run: {cases_path} is missing "
                              "(run `ruiyi eval run ... --out DIR` first)")
    metrics_path = run_dir / "metrics.json"
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    except json.JSONDecodeError as e:
        raise SuiteInputError(f"{metrics_path} is not valid JSON (line {e.lineno})") from e
    records: dict[str, dict] = {}
    for number, line in enumerate(cases_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            case_id, status = record["case_id"], record["status"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise SuiteInputError(f"{cases_path}, line {number}: unreadable case record ({e})") from e
        if status == "scored":
            records[case_id] = record
    return metrics, records


def compare_records(records_a: dict[str, dict], records_b: dict[str, dict], *,
                    seed: int = DEFAULT_SEED, n_resamples: int = DEFAULT_RESAMPLES,
                    group: str | None = None) -> tuple[list[MetricDelta], int]:
    """Deltas for every metric both runs have, over their shared case ids (optionally one group)."""
    shared = sorted(set(records_a) & set(records_b))
    if group is not None:
        shared = [c for c in shared if records_a[c].get("group") == group]
    names = sorted({n for c in shared for n in records_a[c]["scores"]} &
                   {n for c in shared for n in records_b[c]["scores"]})
    deltas = []
    for name in names:
        pairs_a = [records_a[c]["scores"].get(name, [0.0, 0.0]) for c in shared]
        pairs_b = [records_b[c]["scores"].get(name, [0.0, 0.0]) for c in shared]
        interval = paired_ratio_delta([p[0] for p in pairs_a], [p[1] for p in pairs_a],
                                      [p[0] for p in pairs_b], [p[1] for p in pairs_b],
                                      n_resamples=n_resamples, seed=metric_seed(seed, name))
        if interval.n == 0:
            continue
        value_a = _ratio(pairs_a)
        value_b = _ratio(pairs_b)
        deltas.append(MetricDelta(name, value_a, value_b, interval.value, interval.low,
                                  interval.high, interval.n, metric_info(name)[0]))
    for name, (measure, q) in PERCENTILE_METRICS.items():
        values_a = [records_a[c]["measures"].get(measure, math.nan) for c in shared]
        values_b = [records_b[c]["measures"].get(measure, math.nan) for c in shared]
        interval = paired_statistic_delta(values_a, values_b, percentile_statistic(q),
                                          n_resamples=n_resamples, seed=metric_seed(seed, name))
        if interval.n:
            keep = [(a, b) for a, b in zip(values_a, values_b) if not (math.isnan(a) or math.isnan(b))]
            stat = percentile_statistic(q)
            value_a = float(stat(np.array([[a for a, _ in keep]]))[0])
            value_b = float(stat(np.array([[b for _, b in keep]]))[0])
            deltas.append(MetricDelta(name, value_a, value_b, interval.value, interval.low,
                                      interval.high, interval.n, False))
    return deltas, len(shared)


def _ratio(pairs: Sequence[Sequence[float]]) -> float:
    den = sum(p[1] for p in pairs)
    return sum(p[0] for p in pairs) / den if den else math.nan


def compare_runs(dir_a: Path, dir_b: Path, *, seed: int = DEFAULT_SEED,
                 n_resamples: int = DEFAULT_RESAMPLES, by_group: bool = False) -> dict:
    metrics_a, records_a = load_run(dir_a)
    metrics_b, records_b = load_run(dir_b)
    suite_a, suite_b = metrics_a.get("suite"), metrics_b.get("suite")
    if suite_a and suite_b and suite_a != suite_b:
        raise SuiteInputError(f"cannot compare suite {suite_a!r} ({dir_a}) with suite "
                              f"{suite_b!r} ({dir_b})")
    deltas, shared = compare_records(records_a, records_b, seed=seed, n_resamples=n_resamples)
    if shared == 0:
        raise SuiteInputError(f"{dir_a} and {dir_b} share no scored case id; compare runs of "
                              "the same suite and data")
    result = {
        "a": str(dir_a), "b": str(dir_b), "suite": suite_a or suite_b,
        "model_a": metrics_a.get("run", {}).get("settings", {}).get("model"),
        "model_b": metrics_b.get("run", {}).get("settings", {}).get("model"),
        "shared_cases": shared, "only_a": len(set(records_a) - set(records_b)),
        "only_b": len(set(records_b) - set(records_a)),
        "bootstrap": {"resamples": n_resamples, "seed": seed, "paired": True, "confidence": 0.95},
        "metrics": [d.to_dict() for d in deltas],
    }
    if by_group:
        groups = sorted({records_a[c]["group"] for c in set(records_a) & set(records_b)})
        result["groups"] = {}
        for group in groups:
            group_deltas, n = compare_records(records_a, records_b, seed=seed,
                                              n_resamples=n_resamples, group=group)
            result["groups"][group] = {"shared_cases": n,
                                       "metrics": [d.to_dict() for d in group_deltas]}
    return result


def format_comparison(result: dict) -> str:
    """A plain-text table of the comparison for the terminal."""
    lines = [f"A: {result['a']} (model {result['model_a']})",
             f"B: {result['b']} (model {result['model_b']})",
             f"suite {result['suite']}: {result['shared_cases']} shared cases "
             f"(only in A: {result['only_a']}, only in B: {result['only_b']}); "
             "delta = B - A, 95% paired bootstrap interval; * = significant",
             ""]
    header = f"{'metric':<26}{'A':>10}{'B':>10}{'delta':>10}  {'95% CI':<21}{'n':>6}  verdict"
    lines += [header, "-" * len(header)]

    def fmt(x) -> str:
        return "–" if x is None else f"{x:.4f}"

    def table(rows: list[dict]) -> None:
        for m in rows:
            mark = "*" if m["significant"] else " "
            interval = f"[{fmt(m['ci_low'])}, {fmt(m['ci_high'])}]"
            lines.append(f"{m['metric']:<26}{fmt(m['a']):>10}{fmt(m['b']):>10}"
                         f"{fmt(m['delta']):>10}{mark} {interval:<21}{m['n']:>6}  {m['verdict']}")

    table(result["metrics"])
    for group, block in result.get("groups", {}).items():
        lines += ["", f"group {group} ({block['shared_cases']} shared cases)"]
        table(block["metrics"])
    return "\n".join(lines)
