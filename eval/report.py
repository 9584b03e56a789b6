"""Writing a run's outputs: ``metrics.json``, ``cases.jsonl`` and one self-contained
``report.html`` (plots embedded as base64 PNG, drawn with matplotlib's Agg canvas, no pyplot
state). The HTML shows the headline metrics with their intervals, skipped cases and why, the
confusion matrix, per-group scores, the latency histogram and, for the GP suite, the
abstention threshold against the top retrieval scores of in- and out-of-scope questions.

Does not compute metrics (``summary``) or run anything.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Sequence

from eval.scoring import metric_info

# The metric that per-group bars show, first one present wins.
_MAIN_METRICS = ("rubric_score", "accuracy", "triage_accuracy", "hit@5", "ddx_top3")
_MAX_GROUP_BARS = 40


def write_outputs(out_dir: Path, summary: dict, records: Sequence[dict], plots: bool = True) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False,
                                                     allow_nan=False, default=_json_default),
                                          encoding="utf-8")
    with open(out_dir / "cases.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
    (out_dir / "report.html").write_text(render_html(summary, records, plots), encoding="utf-8")


def _json_default(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# ------------------------------------------------------------------------------ plots

def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 6.0, height: float = 4.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _integer_counts(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def plot_confusion(table: dict, title: str) -> str:
    labels, matrix = table["labels"], table["matrix"]
    fig = _figure(1.2 + 0.8 * len(labels), 1.0 + 0.7 * len(labels))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center",
                    color="white" if count > peak / 2 else "black")
    return _png(fig)


def plot_groups(groups: dict, metric: str) -> str | None:
    rows = [(name, block["metrics"][metric]) for name, block in groups.items()
            if metric in block["metrics"] and block["metrics"][metric]["value"] is not None]
    if len(rows) < 1:
        return None
    rows = sorted(rows, key=lambda r: r[1]["value"])[:_MAX_GROUP_BARS]
    fig = _figure(7.0, 1.0 + 0.3 * len(rows))
    ax = fig.subplots()
    values = [r[1]["value"] for r in rows]
    lows = [v - (r[1]["ci_low"] if r[1]["ci_low"] is not None else v) for v, r in zip(values, rows)]
    highs = [(r[1]["ci_high"] if r[1]["ci_high"] is not None else v) - v for v, r in zip(values, rows)]
    ax.barh(range(len(rows)), values, xerr=[lows, highs], color="#4c78a8", ecolor="#333333",
            capsize=2)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.set_xlabel(f"{metric} (95% bootstrap interval)")
    ax.set_xlim(0, max(1.0, max(values)))
    return _png(fig)


def plot_latency(latencies: Sequence[float]) -> str | None:
    if not latencies:
        return None
    fig = _figure(6.0, 3.2)
    ax = fig.subplots()
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#72b7b2")
    ax.set_xlabel("seconds per case")
    ax.set_ylabel("cases")
    _integer_counts(ax)
    return _png(fig)


def plot_threshold(in_scope: Sequence[float], out_of_scope: Sequence[float],
                   threshold: float | None) -> str | None:
    if not in_scope and not out_of_scope:
        return None
    fig = _figure(6.5, 3.4)
    ax = fig.subplots()
    values = list(in_scope) + list(out_of_scope)
    low, high = min(values), max(values)
    bins = [low + (high - low) * i / 20 for i in range(21)] if high > low else 10
    if in_scope:
        ax.hist(in_scope, bins=bins, alpha=0.6, label=f"in scope (n={len(in_scope)})", color="#4c78a8")
    if out_of_scope:
        ax.hist(out_of_scope, bins=bins, alpha=0.6, label=f"out of scope (n={len(out_of_scope)})",
                color="#e45756")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"abstain below {threshold:.2f}")
    ax.set_xlabel("top retrieval score")
    ax.set_ylabel("questions")
    _integer_counts(ax)
    ax.legend(fontsize=8)
    return _png(fig)


# ------------------------------------------------------------------------------- html

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:0.9em}th{background:#f0f0f0}.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}.note{color:#555;font-size:0.9em}
"""


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _metrics_table(block: dict) -> str:
    rows = []
    for name, m in block.items():
        higher, definition = metric_info(name)
        arrow = "↑" if higher else "↓"
        rows.append(f"<tr><td>{html.escape(name)} {arrow}</td><td class=num>{_fmt(m['value'])}</td>"
                    f"<td class=num>[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]</td>"
                    f"<td class=num>{m['n']}</td><td>{html.escape(definition)}</td></tr>")
    return ("<table><tr><th>metric</th><th>value</th><th>95% CI</th><th>n</th><th>definition</th></tr>"
            + "".join(rows) + "</table>")


def _image(b64: str | None, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">' if b64 else ""


def _main_metric(summary: dict) -> str | None:
    return next((m for m in _MAIN_METRICS if m in summary["metrics"]), None)


def _attention(records: Sequence[dict], main: str | None, limit: int = 30) -> list[dict]:
    bad = [r for r in records if r["status"] != "scored"]
    if main:
        bad += [r for r in records if r["status"] == "scored" and main in r["scores"]
                and r["scores"][main][0] < r["scores"][main][1]]
    return bad[:limit]


def render_html(summary: dict, records: Sequence[dict], plots: bool = True) -> str:
    run = summary.get("run", {})
    settings = run.get("settings", {})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Ruiyi eval: "
             f"{html.escape(summary['suite'])}</title><style>{_STYLE}</style></head><body>",
             f"<h1>Ruiyi evaluation — suite <code>{html.escape(summary['suite'])}</code></h1>"]
    info = {"model": settings.get("model"), "quantization": settings.get("quantization"),
            "retrieval": settings.get("retrieval"), "data": settings.get("data"),
            "subset": settings.get("subset"), "support judge": run.get("judge"),
            "cases": summary["cases"], "scored": summary["scored"],
            "limited from": run.get("limited_from"), "run now / from cache":
            f"{run.get('executed_now', 0)} / {run.get('from_cache', 0)}",
            "finished (UTC)": run.get("finished_utc")}
    parts.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                                     for k, v in info.items() if v not in (None, "")) + "</table>")
    parts.append("<p class=note>How to read: each metric is a value over the scored cases with a "
                 "95% percentile-bootstrap interval (cases resampled, seed "
                 f"{summary['bootstrap']['seed']}); ↑ higher is better, ↓ lower is better. Two runs "
                 "differ reliably only where <code>ruiyi eval compare</code> marks it (paired "
                 "interval excluding zero). Support decisions (citations, rubric) come from the "
                 "judge named above; <code>lexical+embedding</code> is a similarity check, not "
                 "entailment.</p>")
    parts.append("<h2>Headline metrics</h2>" + _metrics_table(summary["metrics"]))

    skipped = summary["skipped"]
    parts.append(f"<h2>Skipped: {skipped['count']}</h2><p>{skipped['input_problems']} input records "
                 f"unusable, {skipped['failed_cases']} cases failed.</p>")
    if skipped["failed_reasons"]:
        parts.append("<table><tr><th>failure</th><th>cases</th></tr>" + "".join(
            f"<tr><td>{html.escape(k)}</td><td class=num>{v}</td></tr>"
            for k, v in skipped["failed_reasons"].items()) + "</table>")
    if skipped["input_problem_examples"]:
        parts.append("<table><tr><th>file</th><th>where</th><th>field</th><th>problem</th></tr>" + "".join(
            f"<tr><td>{html.escape(p['path'])}</td><td>{html.escape(p['location'])}</td>"
            f"<td>{html.escape(p['field'])}</td><td>{html.escape(p['message'])}</td></tr>"
            for p in skipped["input_problem_examples"]) + "</table>")
    extraction = summary.get("extraction")
    if extraction:
        parts.append(f"<h2>Answer extraction</h2><p>{extraction['unparsed']} outputs could not be "
                     f"parsed (counted wrong). Rules used: "
                     f"{html.escape(json.dumps(extraction['rules']))}</p>")

    scored = [r for r in records if r["status"] == "scored"]
    if plots:
        for name, table in summary.get("tables", {}).items():
            parts.append(f"<h2>Confusion matrix: {html.escape(name)}</h2>"
                         + _image(plot_confusion(table, name), name))
        main = _main_metric(summary)
        if main and summary["groups"]:
            parts.append(f"<h2>Per-group {html.escape(main)}</h2>"
                         + _image(plot_groups(summary["groups"], main), "per group"))
        latencies = [r["measures"]["latency_s"] for r in scored if "latency_s" in r["measures"]]
        if latencies:
            parts.append("<h2>Latency</h2>" + _image(plot_latency(latencies), "latency"))
        tops = [(r["measures"]["top_score"], r["measures"]["in_scope"]) for r in scored
                if r["measures"].get("top_score") is not None]
        if tops:
            threshold = run.get("abstention_threshold")
            parts.append("<h2>Abstention threshold vs top retrieval score</h2>" + _image(
                plot_threshold([s for s, i in tops if i], [s for s, i in tops if not i], threshold),
                "abstention threshold"))

    if summary["groups"]:
        parts.append("<h2>Per group</h2><table><tr><th>group</th><th>cases</th><th>metric</th>"
                     "<th>value</th><th>95% CI</th></tr>")
        for name, block in summary["groups"].items():
            for metric, m in block["metrics"].items():
                if "." in metric:
                    continue
                parts.append(f"<tr><td>{html.escape(name)}</td><td class=num>{block['cases']}</td>"
                             f"<td>{html.escape(metric)}</td><td class=num>{_fmt(m['value'])}</td>"
                             f"<td class=num>[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]</td></tr>")
        parts.append("</table>")

    attention = _attention(records, _main_metric(summary))
    if attention:
        parts.append("<h2>Cases to look at (first 30 failed or below full marks)</h2><table>"
                     "<tr><th>case</th><th>status</th><th>detail</th></tr>")
        for r in attention:
            detail = r["reason"] or json.dumps(r["detail"], ensure_ascii=False)[:300]
            parts.append(f"<tr><td>{html.escape(r['case_id'])}</td><td>{html.escape(r['status'])}</td>"
                         f"<td>{html.escape(detail)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
