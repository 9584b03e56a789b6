"""The Consult tab: a GP's streaming chat with cited answers.

Per answer: red-flag banners (deterministic, shown before any model text), the answer with
citation markers, expandable source cards, and, when a presentation is described and the
differential engine is installed, a ranked differential. Regenerate, export the consultation
as a Markdown note, thumbs up/down with a comment. Every answer is written to the audit store
(redacted there).

The conversation lives in a per-browser ``gr.State`` (``session``: conversation id and turns);
the chat display is rebuilt from it on every update, so the handlers never parse the
Chatbot's own value. Handlers take the ``WebContext`` first and are tested directly.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from assistant.redaction import redact
from retrieval.query import QueryError
from ui.web import rendering
from ui.web.context import DISCLAIMER, ShownError, WebContext, guard, log_failure

logger = logging.getLogger(__name__)

TAB = "consult"
SEXES = ("", "female", "male")
# How many user turns of the conversation the differential reads (the presentation is often
# spread over a few messages: "58M chest pain" then "sweaty, started at rest").
DDX_USER_TURNS = 3
DDX_SHOWN = 5  # rows shown open; the engine keeps supported must-not-miss conditions below


def new_session() -> dict:
    return {"conversation_id": uuid.uuid4().hex, "turns": []}


def history_messages(session: dict) -> list[dict]:
    """The conversation so far as chat messages for ``Assistant.stream``."""
    messages: list[dict] = []
    for turn in session.get("turns", []):
        messages.append({"role": "user", "content": turn["question"]})
        answer = turn.get("answer") or {}
        if answer.get("answer") and not answer.get("abstained"):
            messages.append({"role": "assistant", "content": answer["answer"]})
    return messages


def render_answer(answer: dict, text: str | None = None, streaming: bool = False) -> str:
    """HTML for one assistant message: banners, answer, source cards, model line."""
    text = answer.get("answer", "") if text is None else text
    cited = {c.get("n") for c in answer.get("citations", [])}
    heading = "Nearest passages (no answer given)" if answer.get("abstained") else "Sources"
    parts = [rendering.red_flag_banner(answer.get("red_flags", []))]
    body = rendering.answer_html(text) if text else "<em>Searching the guidelines…</em>"
    parts.append(f'<div class="ry-answer">{body}{" ▌" if streaming else ""}</div>')
    if answer.get("error"):
        parts.append(rendering.notice(f"Model error: {answer['error']}", "error"))
    parts.append(rendering.source_cards(answer.get("passages", []), cited, heading=heading))
    return "".join(parts)


def chat_messages(session: dict, live: tuple[dict, str] | None = None) -> list[dict]:
    """The Chatbot value for the session; ``live`` = (answer dict, partial text) of the turn
    being streamed, shown after the finished turns."""
    messages: list[dict] = []
    for turn in session.get("turns", []):
        messages.append({"role": "user", "content": rendering.escape_text(turn["question"])})
        messages.append({"role": "assistant", "content": render_answer(turn["answer"])})
    if live is not None:
        answer, partial = live
        messages.append({"role": "user", "content": rendering.escape_text(answer["question"])})
        messages.append({"role": "assistant",
                         "content": render_answer(answer, partial, streaming=True)})
    return messages


BAND_COLOURS = {"likely": "#1565c0", "must not miss": "#b00020", "possible": "#455a64"}


def _contributions(items: list[dict]) -> str:
    """Findings as "label (the words)" pieces, escaped."""
    pieces = []
    for item in items:
        words = ", ".join(item.get("words", []))
        pieces.append(rendering.escape_text(item.get("label", item.get("feature", "")))
                      + (f" <small>(“{rendering.escape_text(words)}”)</small>" if words else ""))
    return "; ".join(pieces)


_STEP_LABELS = {"question": "Ask", "examination": "Examine", "test": "Tests"}


def _next_steps(steps: dict | list) -> str:
    """{"question": [...], "examination": [...], "test": [...]} as one line of text."""
    if not isinstance(steps, dict):
        return "; ".join(str(s) for s in steps)
    parts = []
    for key, values in steps.items():
        values = values if isinstance(values, list) else [values]
        if values:
            parts.append(f"{_STEP_LABELS.get(key, key.capitalize())}: {'; '.join(map(str, values))}")
    return ". ".join(parts)


def _ddx_row(condition: dict) -> str:
    band = str(condition.get("band", ""))
    colour = BAND_COLOURS.get(band, "#455a64")
    source = condition.get("source") or {}
    label = " ".join(str(source.get(k, "")) for k in ("publisher", "title") if source.get(k))
    return ("<tr>"
            f"<td>{rendering.escape_text(condition.get('rank', ''))}</td>"
            f"<td><strong>{rendering.escape_text(condition.get('name', ''))}</strong><br>"
            f"<span style='color:{colour};font-weight:600'>{rendering.escape_text(band)}</span></td>"
            f"<td>{rendering.escape_text(', '.join(condition.get('icd10', [])))}</td>"
            f"<td>{rendering.escape_text(condition.get('score', ''))}</td>"
            f"<td>{_contributions(condition.get('for', []))}</td>"
            f"<td>{_contributions(condition.get('against', []))}</td>"
            f"<td><small>{rendering.escape_text(_next_steps(condition.get('next_steps') or {}))}"
            f"</small></td><td><small>{rendering.link(source.get('url', ''), label)}</small></td>"
            "</tr>")


def _ddx_table(conditions: list[dict]) -> str:
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in (
        "#", "Condition", "ICD-10-CM", "Score", "Findings for", "Against", "Next steps", "Source"))
    return (f"<table class='ry-table'><thead><tr>{head}</tr></thead><tbody>"
            f"{''.join(_ddx_row(c) for c in conditions)}</tbody></table>")


def ddx_html(conditions: list[dict], message: str = "") -> str:
    """The ranked differential (``Differential.to_dict()["conditions"]``) as an escaped table:
    the first ``DDX_SHOWN`` rows open, the must-not-miss conditions kept below them folded."""
    if not conditions:
        return rendering.notice(message, "info") if message else ""
    shown, rest = conditions[:DDX_SHOWN], conditions[DDX_SHOWN:]
    html = ("<div class='ry-ddx'><strong>Differential diagnosis</strong> <small>(ranked from "
            "the findings described; decision support, not a diagnosis)</small>"
            + _ddx_table(shown))
    if rest:
        names = ", ".join(str(c.get("name", "")) for c in rest)
        html += (f"<details><summary>Also consider ({len(rest)}, must not miss): "
                 f"{rendering.escape_text(names)}</summary>{_ddx_table(rest)}</details>")
    return html + "</div>"


def differential(ctx: WebContext, session: dict, question: str, age: Any, sex: str,
                 pregnant: bool) -> tuple[list[dict], str]:
    """Ranked conditions for the presentation in the last few user turns, and the engine's
    message when it gives none ([] and "" when the engine is not installed)."""
    engine = ctx.ddx_engine()
    if engine is None:
        return [], ""
    earlier = [t["question"] for t in session.get("turns", [])][-(DDX_USER_TURNS - 1):]
    text = " ".join(earlier + [question])
    age_years = int(age) if age not in (None, "") else None
    try:
        # An unticked box means "not stated", not "not pregnant".
        result = engine.rank(text, age_years, sex or None, True if pregnant else None,
                             top_k=DDX_SHOWN)
    except ValueError as e:
        return [], f"No differential: {e}"
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    return list(data.get("conditions", [])), ""


def status_line(answer: dict, ctx: WebContext, latency_ms: float) -> str:
    timings = answer.get("timings_ms", {})
    first = timings.get("first_token")
    parts = [f"Model: {answer.get('model', '')}", f"quantization {ctx.quantization}",
             f"total {latency_ms:.0f} ms"]
    if first is not None:
        parts.insert(2, f"first token {first:.0f} ms")
    if ctx.manifest_hash:
        parts.append(f"index {ctx.manifest_hash}")
    if answer.get("prompt_version"):
        parts.append(f"prompt {answer['prompt_version']}")
    return "<small>" + rendering.escape_text(" · ".join(parts)) + "</small>"


def _flag_ids(red_flags: list[dict]) -> list[str]:
    return [str(f.get("rule_id") or f.get("id") or f.get("title") or "") for f in red_flags]


def submit(ctx: WebContext, question: str, session: dict | None, age: Any = None, sex: str = "",
           pregnant: bool = False, request: Any = None, regenerated: bool = False
           ) -> Iterator[tuple[list[dict], dict, str, str]]:
    """Stream one answer. Yields (chat messages, session, differential HTML, status HTML)."""
    identity = ctx.require(request, TAB)
    session = session if session and "turns" in session else new_session()
    question = (question or "").strip()
    started = time.perf_counter()
    history = history_messages(session)
    answer_dict: dict | None = None
    pieces: list[str] = []
    try:
        for event in ctx.assistant.stream(question, history):
            if event.kind == "token":
                pieces.append(event.text)
                yield chat_messages(session, (answer_dict, "".join(pieces))), session, "", ""
                continue
            answer_dict = event.answer.to_dict()
            if event.kind == "evidence":
                yield chat_messages(session, (answer_dict, "")), session, "", ""
    except QueryError:
        raise  # the tab shows the message (it names the problem, not the text)
    except Exception as e:
        # Unexpected: log the type only (the message could quote the question).
        log_failure(logger, "consult", e)
        ctx.audit.record_interaction(
            username=identity.username, role=identity.role, mode="consult", question=question,
            error=f"{type(e).__name__}", conversation_id=session["conversation_id"],
            latency_ms=(time.perf_counter() - started) * 1000,
            model_id=getattr(ctx.assistant.chat_model, "model_id", ""))
        raise ShownError(f"the assistant failed ({type(e).__name__}); the error is in the "
                         "server log and the audit record") from e
    assert answer_dict is not None
    latency_ms = (time.perf_counter() - started) * 1000
    turn = {"question": question, "answer": answer_dict, "interaction_id": None, "ddx": []}
    # Show the finished answer before the differential is worked out.
    yield (chat_messages({**session, "turns": session["turns"] + [turn]}), session,
           "<small>Working out the differential…</small>" if ctx.ddx_engine() else "",
           status_line(answer_dict, ctx, latency_ms))
    ddx_started = time.perf_counter()
    conditions, ddx_message = differential(ctx, session, question, age, sex, pregnant)
    ddx_ms = (time.perf_counter() - ddx_started) * 1000
    interaction_id = ctx.audit.record_interaction(
        username=identity.username, role=identity.role, mode="consult", question=question,
        answer=answer_dict["answer"], model_id=answer_dict.get("model", ""),
        quantization=ctx.quantization, manifest_hash=ctx.manifest_hash,
        prompt_version=answer_dict.get("prompt_version", ""),
        passage_ids=[p["passage_id"] for p in answer_dict.get("passages", [])],
        triggered_rules=_flag_ids(answer_dict.get("red_flags", [])), latency_ms=latency_ms,
        abstained=answer_dict.get("abstained", False), error=answer_dict.get("error"),
        conversation_id=session["conversation_id"],
        details={"timings_ms": {**answer_dict.get("timings_ms", {}), "ddx": round(ddx_ms, 1)},
                 "citations": [c["passage_id"] for c in answer_dict.get("citations", [])],
                 "ddx": [str(c.get("id") or c.get("name", "")) for c in conditions],
                 "abstention_reason": answer_dict.get("abstention_reason"),
                 "regenerated": regenerated, "turn": len(session["turns"]) + 1})
    session = {**session, "turns": session["turns"] + [
        {**turn, "interaction_id": interaction_id, "ddx": conditions}]}
    yield (chat_messages(session), session, ddx_html(conditions, ddx_message),
           status_line(answer_dict, ctx, latency_ms))


def regenerate(ctx: WebContext, session: dict | None, age: Any = None, sex: str = "",
               pregnant: bool = False, request: Any = None):
    """Answer the last question again (the earlier answer stays in the audit log)."""
    ctx.require(request, TAB)
    if not session or not session.get("turns"):
        raise ValueError("nothing to regenerate yet: ask a question first")
    last = session["turns"][-1]
    trimmed = {**session, "turns": session["turns"][:-1]}
    yield from submit(ctx, last["question"], trimmed, age, sex, pregnant, request,
                      regenerated=True)


def feedback(ctx: WebContext, rating: int, comment: str, session: dict | None,
             request: Any = None) -> str:
    identity = ctx.require(request, TAB)
    if not session or not session.get("turns"):
        return rendering.notice("Ask a question first, then rate the answer.", "warning")
    interaction_id = session["turns"][-1]["interaction_id"]
    ctx.audit.record_feedback(interaction_id=interaction_id, username=identity.username,
                              rating=rating, comment=comment or "")
    word = "👍 helpful" if rating > 0 else "👎 not helpful"
    return rendering.notice(f"Thank you: recorded {word} for the last answer.", "ok")


def note_markdown(session: dict, username: str, redact_identifiers: bool = True) -> str:
    """The consultation as a Markdown note: questions, answers, red flags, sources."""
    clean = redact if redact_identifiers else (lambda text: text)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Ruiyi consultation note", "", f"- Date: {now}", f"- Clinician: {username}",
             f"- Identifiers redacted: {'yes' if redact_identifiers else 'no'}", "",
             f"> {DISCLAIMER}", ""]
    for number, turn in enumerate(session.get("turns", []), 1):
        answer = turn["answer"]
        lines += [f"## {number}. Question", "", clean(turn["question"]), ""]
        for flag in answer.get("red_flags", []):
            lines.append(f"**RED FLAG ({flag.get('level', '')})**: {flag.get('title', '')}. "
                         f"{flag.get('action', '')} (source: "
                         f"{rendering._source_text(flag.get('source', ''))})")
        lines += ["", "### Answer", "", clean(answer.get("answer", "")), ""]
        if turn.get("ddx"):
            lines += ["### Differential (ranked, not a diagnosis)", ""]
            lines += [f"{i}. {c.get('name', '')} ({', '.join(c.get('icd10', []))}; "
                      f"{c.get('band', '')})" for i, c in enumerate(turn["ddx"], 1)]
            lines.append("")
        lines += ["### Sources", ""]
        for passage in answer.get("passages", []):
            lines.append(f"[{passage['n']}] {passage.get('source', '')}: "
                         f"{passage.get('source_title', '')}, {passage.get('section', '')}. "
                         f"{passage.get('url', '')} (passage {passage.get('passage_id', '')})")
        lines.append("")
    return "\n".join(lines)


def export_note(ctx: WebContext, session: dict | None, redact_identifiers: bool = True,
                request: Any = None) -> str:
    """Write the note to a private temporary folder and return its path for download."""
    identity = ctx.require(request, TAB)
    if not session or not session.get("turns"):
        raise ValueError("nothing to export yet: ask a question first")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ctx.export_path(f"ruiyi-consultation-{stamp}-{uuid.uuid4().hex[:6]}.md")
    path.write_text(note_markdown(session, identity.username, redact_identifiers),
                    encoding="utf-8")
    path.chmod(0o600)
    return str(path)


# ----------------------------------------------------------------------------- layout

def build(ctx: WebContext):
    """The Consult tab's components and events (call inside ``gr.Blocks``)."""
    with gr.Tab("Consult", id="consult", elem_id="tab-consult") as tab:
        session = gr.State(new_session())
        gr.HTML(rendering.notice(DISCLAIMER, "warning"))
        chatbot = gr.Chatbot(label="Consultation", height=520, elem_id="consult-chat",
                             buttons=["copy", "copy_all"], latex_delimiters=[],
                             feedback_options=None, sanitize_html=True, render_markdown=True)
        with gr.Row():
            question = gr.Textbox(placeholder="Ask about a patient, e.g. 'clinic BP 152/96 in a "
                                  "54yo, how do I confirm?'", show_label=False, scale=6,
                                  elem_id="consult-question", max_lines=6)
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="consult-send")
        with gr.Accordion("Patient details for the differential (optional)", open=False):
            with gr.Row():
                age = gr.Number(label="Age (years)", precision=0, minimum=0, maximum=120,
                                elem_id="consult-age")
                sex = gr.Dropdown(list(SEXES), value="", label="Sex", elem_id="consult-sex")
                pregnant = gr.Checkbox(label="Pregnant", elem_id="consult-pregnant")
        ddx_panel = gr.HTML(elem_id="consult-ddx")
        status = gr.HTML(elem_id="consult-status")
        with gr.Row():
            regen = gr.Button("↻ Regenerate", size="sm", elem_id="consult-regenerate")
            clear = gr.Button("New consultation", size="sm", elem_id="consult-clear")
            redact_box = gr.Checkbox(value=True, label="Redact identifiers in the note",
                                     elem_id="consult-redact")
            export = gr.Button("Export note (.md)", size="sm", elem_id="consult-export")
        note_file = gr.File(label="Consultation note", visible=False, elem_id="consult-note")
        with gr.Row():
            comment = gr.Textbox(placeholder="Optional comment on the last answer",
                                 show_label=False, scale=5, elem_id="consult-comment")
            up = gr.Button("👍", size="sm", scale=0, elem_id="consult-up")
            down = gr.Button("👎", size="sm", scale=0, elem_id="consult-down")
        feedback_status = gr.HTML(elem_id="consult-feedback-status")

        outputs = [chatbot, session, ddx_panel, status]

        @guard
        def on_submit(text, state, age_value, sex_value, pregnant_value, request: gr.Request):
            yield from submit(ctx, text, state, age_value, sex_value, pregnant_value, request)

        @guard
        def on_regenerate(state, age_value, sex_value, pregnant_value, request: gr.Request):
            yield from regenerate(ctx, state, age_value, sex_value, pregnant_value, request)

        def on_clear():
            return [], new_session(), "", "", gr.File(value=None, visible=False)

        @guard
        def on_export(state, redact_value, request: gr.Request):
            return gr.File(value=export_note(ctx, state, redact_value, request), visible=True)

        @guard
        def on_up(text, state, request: gr.Request):
            return feedback(ctx, 1, text, state, request), ""

        @guard
        def on_down(text, state, request: gr.Request):
            return feedback(ctx, -1, text, state, request), ""

        inputs = [question, session, age, sex, pregnant]
        # Generation is serialised by the model's lock; the limit lets retrieval and audit
        # writes of other users overlap with it.
        clicked = send.click(on_submit, inputs, outputs, api_name="consult", concurrency_limit=4,
                             concurrency_id="answer")
        clicked.then(lambda: "", None, question, api_name=False)
        entered = question.submit(on_submit, inputs, outputs, api_name=False,
                                  concurrency_limit=4, concurrency_id="answer")
        entered.then(lambda: "", None, question, api_name=False)
        regenerated = regen.click(on_regenerate, [session, age, sex, pregnant], outputs,
                                  api_name="consult_regenerate", concurrency_limit=4,
                                  concurrency_id="answer")
        # A new consultation stops an answer still streaming, so it cannot reappear.
        clear.click(on_clear, None, outputs + [note_file], api_name=False,
                    cancels=[clicked, entered, regenerated])
        export.click(on_export, [session, redact_box], note_file, api_name="consult_export")
        up.click(on_up, [comment, session], [feedback_status, comment],
                 api_name="consult_feedback_up")
        down.click(on_down, [comment, session], [feedback_status, comment],
                   api_name="consult_feedback_down")
    return tab
