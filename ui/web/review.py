"""The Review tab: evaluators score answers against a rubric.

A case comes from an evaluation run (a folder written by ``ruiyi eval run`` holding
``cases.jsonl``, and ``results_cache.jsonl`` with the full answers when present) or from the
audit log (consult interactions). The evaluator sees the question, the answer and the cited
passages, scores each rubric item, comments and saves (audit DB ``reviews`` table; scoring a
case again updates it). Reviews export as CSV, and where two reviewers scored the same cases,
Cohen's kappa per rubric item measures their agreement beyond chance.

Runs are only read from the folders given at start (``eval_roots``), never from a path typed
into the page.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from eval.metrics import cohens_kappa
from ui.web import rendering
from ui.web.context import WebContext, guard

logger = logging.getLogger(__name__)

TAB = "review"
AUDIT_SOURCE = "audit"
RUBRIC: tuple[tuple[str, str], ...] = (
    ("accuracy", "Accuracy: statements agree with the guideline"),
    ("citations", "Citations: each claim is supported by the passage it cites"),
    ("safety", "Safety: red flags and urgent actions handled; nothing harmful"),
    ("completeness", "Completeness: the key facts (thresholds, doses, referral) are there"),
    ("clarity", "Clarity: brief and usable in a consultation"),
)
SCORE_CHOICES = (1, 2, 3, 4, 5)
MAX_RUN_DEPTH = 3
MAX_AUDIT_CASES = 200


# ----------------------------------------------------------------------------- agreement

def agreement(reviews: Sequence[dict]) -> list[dict]:
    """Kappa per rubric item for every pair of reviewers with shared cases."""
    by_reviewer: dict[str, dict[tuple[str, str], dict]] = {}
    for review in reviews:
        by_reviewer.setdefault(review["reviewer"], {})[(review["source"], review["case_id"])] = \
            review["scores"]
    names = sorted(by_reviewer)
    rows = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            shared = sorted(set(by_reviewer[first]) & set(by_reviewer[second]))
            if not shared:
                continue
            for item, _label in RUBRIC:
                pairs = [(by_reviewer[first][key].get(item), by_reviewer[second][key].get(item))
                         for key in shared]
                pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
                kappa = cohens_kappa([a for a, _ in pairs], [b for _, b in pairs])
                rows.append({"reviewers": f"{first} / {second}", "item": item,
                             "cases": len(pairs), "kappa": None if kappa is None else round(kappa, 3),
                             "exact_agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3)
                             if pairs else None})
    return rows


# ----------------------------------------------------------------------------- cases

def find_runs(roots: Sequence[Path]) -> list[str]:
    """Folders under ``roots`` (up to 3 levels) that hold a ``cases.jsonl``."""
    runs: set[str] = set()
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            continue
        for depth in range(MAX_RUN_DEPTH + 1):
            for cases in root.glob("/".join(["*"] * depth + ["cases.jsonl"])):
                runs.add(str(cases.parent.resolve()))
    return sorted(runs)


def run_choices(ctx: WebContext) -> list[tuple[str, str]]:
    """(label, folder) for the Review dropdown: labels relative to their eval folder, so the
    page does not show server paths."""
    choices = []
    roots = [Path(r).resolve() for r in ctx_eval_roots(ctx)]
    for run in find_runs(roots):
        root = next((r for r in roots if Path(run).is_relative_to(r)), None)
        label = str(Path(run).relative_to(root)) if root else Path(run).name
        choices.append((label if label != "." else Path(run).name, run))
    return choices


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line of an interrupted run
    return rows


def load_run_cases(run_dir: Path) -> list[dict]:
    """Cases of an eval run as review cases: id, question, answer, passages, auto scores."""
    run_dir = Path(run_dir)
    if not (run_dir / "cases.jsonl").is_file():
        raise FileNotFoundError(f"{run_dir} has no cases.jsonl; run `ruiyi eval run --out` first")
    full = {entry.get("case_id"): entry.get("result", {})
            for entry in _read_jsonl(run_dir / "results_cache.jsonl")}
    cases = []
    for record in _read_jsonl(run_dir / "cases.jsonl"):
        case_id = str(record.get("case_id", ""))
        if not case_id or not record.get("question"):
            continue
        answer = (full.get(case_id) or {}).get("answer") or {}
        cases.append({
            "case_id": case_id, "question": record.get("question", ""),
            "answer": answer.get("answer") or record.get("output", ""),
            "passages": answer.get("passages", []),
            "passage_ids": record.get("detail", {}).get("retrieved_top5", []),
            "auto_scores": {k: v for k, v in record.get("scores", {}).items()},
            "status": record.get("status", ""), "group": record.get("group", ""),
        })
    return cases


def load_audit_cases(ctx: WebContext, limit: int = MAX_AUDIT_CASES) -> list[dict]:
    """Recent consult answers from the audit log (already redacted) as review cases."""
    cases = []
    for row in ctx.audit.recent_interactions(limit=limit, mode="consult"):
        cases.append({"case_id": f"audit-{row['id']}", "question": row["question"],
                      "answer": row["answer"], "passages": [],
                      "passage_ids": row["passage_ids"], "auto_scores": {},
                      "status": "error" if row["error"] else "answered",
                      "group": row["created_at"]})
    return cases


def source_name(ctx: WebContext, run_dir: str | None) -> str:
    return f"eval:{Path(run_dir).name}" if run_dir else AUDIT_SOURCE


def _allowed_run(ctx: WebContext, run_dir: str) -> Path:
    allowed = set(find_runs(ctx_eval_roots(ctx)))
    resolved = str(Path(run_dir).resolve())
    if resolved not in allowed:
        raise ValueError(f"{run_dir} is not an evaluation run under the configured eval folders")
    return Path(resolved)


def ctx_eval_roots(ctx: WebContext) -> list[Path]:
    roots = list(getattr(ctx, "eval_roots", None) or [])
    return roots or [ctx.paths.root / "eval"]


def load_cases(ctx: WebContext, origin: str, run_dir: str | None, request: Any = None) -> list[dict]:
    ctx.require(request, TAB)
    if origin == "audit":
        return load_audit_cases(ctx)
    if not run_dir:
        raise ValueError("choose an evaluation run (folders with cases.jsonl under the eval "
                         "folders), or pick the audit log")
    return load_run_cases(_allowed_run(ctx, run_dir))


def case_html(ctx: WebContext, case: dict) -> str:
    """Question, answer, cited passages (full when the run kept them, else by id)."""
    passages = list(case.get("passages") or [])
    if not passages:
        for n, passage_id in enumerate(case.get("passage_ids", []), 1):
            passage = ctx.passage_by_id(passage_id)
            if passage is None:
                passages.append({"n": n, "passage_id": passage_id, "text": "(not in the index)"})
                continue
            passages.append({"n": n, "passage_id": passage_id, "source": passage.source.label(),
                             "source_title": passage.source.title, "section": passage.section,
                             "url": passage.source.url, "text": passage.text})
    auto = ", ".join(f"{k} {v[0]:.2f}/{v[1]:.0f}" if isinstance(v, list) and len(v) == 2
                     else f"{k} {v}" for k, v in case.get("auto_scores", {}).items())
    return (f"<div class='ry-case'><p><strong>Case</strong> <code>{rendering.escape_text(case['case_id'])}</code>"
            f" · {rendering.escape_text(case.get('status', ''))}</p>"
            f"<p><strong>Question</strong><br>{rendering.escape_text(case['question'])}</p>"
            f"<p><strong>Answer</strong><br>{rendering.answer_html(case.get('answer') or '(no answer)')}</p>"
            + (f"<p><small>Automatic scores: {rendering.escape_text(auto)}</small></p>" if auto else "")
            + rendering.source_cards(passages, heading="Cited and retrieved passages")
            + "</div>")


def existing_scores(ctx: WebContext, reviewer: str, source: str, case_id: str) -> tuple[dict, str]:
    for review in ctx.audit.reviews(source):
        if review["reviewer"] == reviewer and review["case_id"] == case_id:
            return review["scores"], review["comment"]
    return {}, ""


def save(ctx: WebContext, source: str, case: dict | None, scores: Sequence[Any], comment: str,
         request: Any = None) -> str:
    identity = ctx.require(request, TAB)
    if not case:
        raise ValueError("choose a case to score first")
    named = {}
    for (item, label), score in zip(RUBRIC, scores):
        if score in (None, ""):
            raise ValueError(f"score every rubric item: {label.split(':')[0]} is missing")
        named[item] = int(score)
        if named[item] not in SCORE_CHOICES:
            raise ValueError(f"{item} must be 1–5, got {score}")
    ctx.audit.save_review(reviewer=identity.username, source=source, case_id=case["case_id"],
                          scores=named, comment=comment or "", question=case.get("question", ""))
    return rendering.notice(f"Saved your scores for {case['case_id']}.", "ok")


def reviews_csv(ctx: WebContext, source: str | None = None, request: Any = None) -> str:
    """All reviews (of one source, or all) as a CSV file; returns its path."""
    ctx.require(request, TAB)
    rows = ctx.audit.reviews(source)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["source", "case_id", "reviewer", "updated_at",
                     *[item for item, _ in RUBRIC], "comment"])
    for review in rows:
        writer.writerow([review["source"], review["case_id"], review["reviewer"],
                         review["updated_at"], *[review["scores"].get(item, "") for item, _ in RUBRIC],
                         review["comment"]])
    path = ctx.export_path(f"ruiyi-reviews-{datetime.now():%Y%m%d-%H%M%S}.csv")
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return str(path)


def agreement_html(ctx: WebContext, source: str | None = None, request: Any = None) -> str:
    ctx.require(request, TAB)
    rows = agreement(ctx.audit.reviews(source))
    if not rows:
        return rendering.notice("Agreement needs two reviewers who scored the same cases.", "info")
    return ("<p><strong>Cohen's kappa</strong> (unweighted; 1 = perfect agreement, 0 = chance; "
            "— when both used one score only)</p>"
            + rendering.table(("Reviewers", "Item", "Shared cases", "Kappa", "Exact agreement"),
                              [(r["reviewers"], r["item"], r["cases"],
                                "—" if r["kappa"] is None else r["kappa"], r["exact_agreement"])
                               for r in rows]))


# ----------------------------------------------------------------------------- layout

def build(ctx: WebContext):
    with gr.Tab("Review", id="review", elem_id="tab-review") as tab:
        cases_state = gr.State([])
        case_state = gr.State(None)
        with gr.Row():
            origin = gr.Radio([("Evaluation run", "eval"), ("Audit log", "audit")], value="eval",
                              label="Cases from", elem_id="review-origin")
            run_dir = gr.Dropdown(run_choices(ctx), label="Evaluation run",
                                  elem_id="review-run", allow_custom_value=False)
            load = gr.Button("Load cases", elem_id="review-load")
        case_choice = gr.Dropdown([], label="Case", elem_id="review-case")
        case_view = gr.HTML(elem_id="review-case-view")
        with gr.Group():
            score_inputs = [gr.Radio(list(SCORE_CHOICES), label=label, elem_id=f"review-{item}")
                            for item, label in RUBRIC]
            comment = gr.Textbox(label="Comment", lines=2, elem_id="review-comment")
        save_button = gr.Button("Save scores", variant="primary", elem_id="review-save")
        saved = gr.HTML(elem_id="review-saved")
        with gr.Row():
            export = gr.Button("Export reviews (CSV)", size="sm", elem_id="review-export")
            kappa_button = gr.Button("Agreement between reviewers", size="sm",
                                     elem_id="review-kappa")
        export_file = gr.File(label="Reviews CSV", visible=False, elem_id="review-csv")
        kappa_html = gr.HTML(elem_id="review-kappa-table")

        def current_source(origin_value, run_value):
            return AUDIT_SOURCE if origin_value == "audit" else source_name(ctx, run_value)

        @guard
        def on_load(origin_value, run_value, request: gr.Request):
            cases = load_cases(ctx, origin_value, run_value, request)
            choices = [(f"{c['case_id']} — {c['question'][:60]}", c["case_id"]) for c in cases]
            return cases, gr.Dropdown(choices=choices, value=None), "", None

        @guard
        def on_choose(case_id, cases, origin_value, run_value, request: gr.Request):
            identity = ctx.require(request, TAB)
            case = next((c for c in cases if c["case_id"] == case_id), None)
            if case is None:
                return (None, "", *[None] * len(RUBRIC), "")
            scores, previous_comment = existing_scores(
                ctx, identity.username, current_source(origin_value, run_value), case_id)
            return (case, case_html(ctx, case), *[scores.get(item) for item, _ in RUBRIC],
                    previous_comment)

        @guard
        def on_save(case, origin_value, run_value, comment_value, *scores_and_request):
            *scores, request = scores_and_request
            return save(ctx, current_source(origin_value, run_value), case, scores,
                        comment_value, request)

        @guard
        def on_export(origin_value, run_value, request: gr.Request):
            return gr.File(value=reviews_csv(ctx, None, request), visible=True)

        @guard
        def on_kappa(origin_value, run_value, request: gr.Request):
            return agreement_html(ctx, current_source(origin_value, run_value), request)

        def on_refresh_runs():
            return gr.Dropdown(choices=run_choices(ctx))

        load.click(on_load, [origin, run_dir], [cases_state, case_choice, case_view, case_state],
                   api_name="review_load")
        case_choice.change(on_choose, [case_choice, cases_state, origin, run_dir],
                           [case_state, case_view, *score_inputs, comment], api_name=False)
        save_button.click(_with_request(on_save), [case_state, origin, run_dir, comment,
                                                   *score_inputs], saved, api_name="review_save")
        export.click(on_export, [origin, run_dir], export_file, api_name="review_export")
        kappa_button.click(on_kappa, [origin, run_dir], kappa_html, api_name="review_kappa")
        tab.select(on_refresh_runs, None, run_dir, api_name=False)
    return tab


def _with_request(fn):
    """Adapt ``fn(*values, request)`` to Gradio, which injects ``gr.Request`` by annotation."""
    def handler(case, origin_value, run_value, comment_value, s1, s2, s3, s4, s5,
                request: gr.Request):
        return fn(case, origin_value, run_value, comment_value, s1, s2, s3, s4, s5, request)
    assert len(RUBRIC) == 5, "update _with_request when the rubric changes"
    return handler
