"""The Audit tab (admins): recent interactions from the audit store, filterable by mode and
user, with feedback votes and a JSON-lines export.

The rows are already redacted (``assistant.audit`` redacts before writing); they are shown as
plain table cells, never as HTML.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from assistant.audit import MODES
from ui.web import rendering
from ui.web.context import WebContext, guard

TAB = "audit"
COLUMN_WIDTHS = ("50px", "170px", "90px", "70px", "80px", "320px", "320px", "200px", "90px",
                 "140px", "120px", "220px", "180px", "90px", "80px", "140px")
COLUMNS = ("id", "time", "user", "role", "mode", "question", "answer", "model", "quantization",
           "index", "prompt", "passages", "rules", "latency ms", "abstained", "error")
ANSWER_PREVIEW_CHARS = 240


def rows(ctx: WebContext, limit: Any = 100, mode: str = "", username: str = "",
         request: Any = None) -> list[list]:
    ctx.require(request, TAB)
    records = ctx.audit.recent_interactions(limit=int(limit or 100), mode=mode or None,
                                            username=(username or "").strip() or None)
    table = []
    for r in records:
        answer = r["answer"]
        if len(answer) > ANSWER_PREVIEW_CHARS:
            answer = answer[:ANSWER_PREVIEW_CHARS] + "…"
        table.append([r["id"], r["created_at"], r["username"], r["role"], r["mode"],
                      r["question"], answer, r["model_id"], r["quantization"],
                      r["manifest_hash"], r["prompt_version"], ", ".join(r["passage_ids"]),
                      ", ".join(r["triggered_rules"]), r["latency_ms"],
                      "yes" if r["abstained"] else "", r["error"]])
    return table


def summary(ctx: WebContext, request: Any = None) -> str:
    ctx.require(request, TAB)
    counts = [(mode, ctx.audit.count_interactions(mode)) for mode in MODES]
    votes = ctx.audit.feedback()
    up = sum(1 for v in votes if v["rating"] > 0)
    return (rendering.table(("Mode", "Interactions"), [c for c in counts if c[1]]
                            + [("all", ctx.audit.count_interactions())])
            + f"<p>Feedback: {up} 👍, {len(votes) - up} 👎 · journal mode "
            f"{rendering.escape_text(ctx.audit.journal_mode())}</p>")


def export_jsonl(ctx: WebContext, request: Any = None) -> str:
    ctx.require(request, TAB)
    path = ctx.export_path(f"ruiyi-audit-{datetime.now():%Y%m%d-%H%M%S}.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for record in ctx.audit.recent_interactions(limit=10_000):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    path.chmod(0o600)
    return str(path)


def build(ctx: WebContext):
    with gr.Tab("Audit", id="audit", elem_id="tab-audit") as tab:
        gr.Markdown("Every interaction, with identifiers redacted before it was stored.")
        with gr.Row():
            mode = gr.Dropdown(["", *MODES], value="", label="Mode", elem_id="audit-mode")
            user = gr.Textbox(label="User", elem_id="audit-user")
            limit = gr.Slider(10, 1000, value=100, step=10, label="Rows", elem_id="audit-limit")
            refresh = gr.Button("Refresh", variant="primary", elem_id="audit-refresh")
        counts = gr.HTML(elem_id="audit-summary")
        table = gr.Dataframe(headers=list(COLUMNS), datatype="str", interactive=False,
                             wrap=True, elem_id="audit-table", max_height=600,
                             column_widths=list(COLUMN_WIDTHS))
        export = gr.Button("Export JSON lines", size="sm", elem_id="audit-export")
        export_file = gr.File(label="Audit export", visible=False, elem_id="audit-file")

        @guard
        def on_refresh(mode_value, user_value, limit_value, request: gr.Request):
            return rows(ctx, limit_value, mode_value, user_value, request), summary(ctx, request)

        @guard
        def on_export(request: gr.Request):
            return gr.File(value=export_jsonl(ctx, request), visible=True)

        refresh.click(on_refresh, [mode, user, limit], [table, counts], api_name="audit_rows")
        tab.select(on_refresh, [mode, user, limit], [table, counts], api_name=False)
        export.click(on_export, None, export_file, api_name="audit_export")
    return tab
