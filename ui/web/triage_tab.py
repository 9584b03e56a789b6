"""The Triage tab: a nurse's form (free text, patient details, vital signs) → urgency level.

Shows the level as a coloured badge with its action, NEWS2 with each component's score, the
rules that fired with the matched words highlighted in the nurse's text and their sources,
and the clinical calculators. All of it comes from ``assistant.clinical.triage``, ``assistant.clinical.news2``
and ``assistant.clinical.calculators``; this module turns form values into their inputs, their results
into HTML, and writes the audit row.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import gradio as gr  # module level: Gradio resolves gr.Request hints from globals

from assistant.clinical.triage import ENGINE_ID as RULES_MODEL_ID
from ui.web import rendering
from ui.web.context import WebContext, guard

logger = logging.getLogger(__name__)

TAB = "triage"
AVPU_CHOICES = ("", "A", "C", "V", "P", "U")
AVPU_LABELS = {"": "not recorded", "A": "A (alert)", "C": "C (new confusion)",
               "V": "V (responds to voice)", "P": "P (responds to pain)", "U": "U (unresponsive)"}
_NEWS2_NAMES = {"respiration_rate": "Respiration rate", "spo2_scale1": "SpO2 (scale 1)",
                "spo2_scale2": "SpO2 (scale 2)", "air_or_oxygen": "Air or oxygen",
                "systolic_bp": "Systolic BP", "pulse": "Pulse", "consciousness": "Consciousness",
                "temperature": "Temperature"}


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def build_inputs(text: str, age: Any, sex: str, pregnant: bool, hr: Any, rr: Any, sbp: Any,
                 spo2: Any, spo2_scale: Any, on_oxygen: bool, temp: Any, avpu: str):
    """Form values → (PatientContext, Vitals | None); ranges are checked by those classes."""
    from assistant.clinical.news2 import Vitals
    from assistant.clinical.triage import PatientContext

    patient = PatientContext(age_years=_number(age), sex=sex or None,
                             pregnant=True if pregnant else None)
    vitals = Vitals(hr_bpm=_number(hr), rr_per_min=_number(rr), sbp_mmhg=_number(sbp),
                    spo2_percent=_number(spo2), spo2_scale=int(spo2_scale or 1),
                    on_oxygen=bool(on_oxygen), temp_c=_number(temp),
                    consciousness=avpu or None)
    return patient, (None if vitals.is_empty() else vitals)


def news2_html(news2: dict | None) -> str:
    if not news2:
        return rendering.notice("No vital signs entered: NEWS2 not scored.", "info")
    rows = [(_NEWS2_NAMES.get(c["parameter"], c["parameter"]), c["value"], c["score"])
            for c in news2["components"]]
    applicable = "" if news2.get("applicable", True) else " (not applicable: see note)"
    head = (f"<div class='ry-news2'><strong>NEWS2 {rendering.escape_text(news2['total'])}"
            f"</strong> · {rendering.escape_text(news2['risk'])} clinical risk"
            f"{rendering.escape_text(applicable)}")
    note = f"<br><small>{rendering.escape_text(news2['note'])}</small>" if news2.get("note") else ""
    source = news2.get("source") or {}
    return (head + rendering.table(("Parameter", "Value", "Score"), rows)
            + f"<p>{rendering.escape_text(news2['response'])}</p>{note}"
            + f"<br><small>Source: {rendering.link(source.get('url', ''), source.get('publisher', '') + ' ' + source.get('code', ''))}"
            + f" — {rendering.escape_text(source.get('section', ''))}</small></div>")


def findings_html(text: str, result: dict) -> str:
    """The nurse's text with every finding highlighted by assertion, then what was read."""
    spans = [(f["span"][0], f["span"][1], f["assertion"], f["term"]) for f in result["findings"]]
    parts = [f"<div class='ry-text'><strong>Your text</strong>: "
             f"{rendering.highlight_spans(text, spans)}</div>"]
    values = result.get("vitals_from_text") or {}
    if values:
        read = ", ".join(f"{name} {value['value']:g}" + (f" ({value['note']})" if value["note"]
                                                         else "")
                         for name, value in values.items())
        parts.append(f"<div class='ry-read'><small>Read from the text: "
                     f"{rendering.escape_text(read)}</small></div>")
    return "".join(parts)


def rules_html(text: str, rules: list[dict], result: dict | None = None) -> str:
    head = findings_html(text, result) if result is not None else ""
    if not rules:
        return head + rendering.notice("No discriminator or triage rule matched the text.", "info")
    parts = [head, "<ul class='ry-rules'>"]
    for rule in rules:
        source = rule.get("source") or {}
        label = " ".join(str(source.get(k, "")) for k in ("publisher", "code") if source.get(k))
        section = f", section {source['section']}" if source.get("section") else ""
        possible = " (possible — acted on for safety)" if rule.get("possible") else ""
        kind = {"discriminator": "discriminator", "semantic": "matched by meaning"}.get(
            rule.get("kind", "rule"), "rule")
        parts.append(
            f"<li data-kind='{rendering.escape_text(rule.get('kind', 'rule'))}'><strong>"
            f"{rendering.escape_text(rule['title'])}</strong> — "
            f"{rendering.escape_text(rule['level'])} ({rendering.escape_text(kind)})"
            f"{rendering.escape_text(possible)}<br>"
            f"Matched: {', '.join('<mark>' + rendering.escape_text(m) + '</mark>' for m in rule.get('matched_text', []))}"
            f"<br>{rendering.escape_text(rule.get('action', ''))}<br>"
            f"<small>Source: {rendering.link(source.get('url', ''), label or source.get('title', ''))}"
            f"{rendering.escape_text(section)} · rule <code>{rendering.escape_text(rule['id'])}</code>"
            f"</small></li>")
    parts.append("</ul>")
    return "".join(parts)


@functools.lru_cache(maxsize=1)
def _safety_net():
    """The semantic safety net, built on first use and shared by every request."""
    from assistant.clinical.semantic_net import SemanticSafetyNet

    return SemanticSafetyNet().load()


def run_triage(ctx: WebContext, text: str, age: Any = None, sex: str = "", pregnant: bool = False,
               hr: Any = None, rr: Any = None, sbp: Any = None, spo2: Any = None,
               spo2_scale: Any = 1, on_oxygen: bool = False, temp: Any = None, avpu: str = "",
               request: Any = None) -> tuple[str, str, str, str]:
    """Returns (badge HTML, NEWS2 HTML, rules HTML, rationale HTML)."""
    from assistant.clinical.triage import triage

    identity = ctx.require(request, TAB)
    text = text or ""
    if not text.strip() and all(v in (None, "") for v in (hr, rr, sbp, spo2, temp, avpu)):
        raise ValueError("enter the presenting complaint or at least one vital sign")
    started = time.perf_counter()
    patient, vitals = build_inputs(text, age, sex, pregnant, hr, rr, sbp, spo2, spo2_scale,
                                   on_oxygen, temp, avpu)
    result = triage(text, patient, vitals, safety_net=_safety_net()).to_dict()
    latency_ms = (time.perf_counter() - started) * 1000
    news2 = result.get("news2")
    fired = result["discriminators"] + result["rules"]
    ctx.audit.record_interaction(
        username=identity.username, role=identity.role, mode="triage", question=text,
        answer=f"{result['level']}: {result['action']} {result['rationale']}",
        model_id=RULES_MODEL_ID, triggered_rules=[r["id"] for r in fired],
        latency_ms=latency_ms,
        details={"level": result["level"], "em_ne_sc": result["em_ne_sc"],
                 "news2_total": news2["total"] if news2 else None,
                 "news2_risk": news2["risk"] if news2 else None,
                 "vitals": vitals.to_dict() if vitals else None,
                 "patient": result["patient"], "coverage": result["coverage"],
                 "confidence": result["confidence"]})
    badge = rendering.level_badge(result["level"], result["action"])
    if result["coverage"] == "not-covered":
        badge += rendering.notice("Not covered by the rule base: routine by default. Use "
                                  "clinical judgement.", "warning")
    notes = "".join(rendering.notice(note, "warning") for note in result["notes"])
    rationale = (f"<p class='ry-rationale'>{rendering.escape_text(result['rationale'])} "
                 f"<small>(confidence {rendering.escape_text(result['confidence'])})</small>"
                 f"</p>{notes}")
    return badge, news2_html(news2), rules_html(text, fired, result), rationale


def calculator_fields(name: str) -> list[dict]:
    from assistant.clinical.calculators import get_calculator

    return [spec.to_dict() for spec in get_calculator(name).fields]


def run_calculator_form(ctx: WebContext, name: str, values: dict, request: Any = None) -> str:
    """Run one calculator; blank optional fields are left out. Returns result HTML."""
    from assistant.clinical.calculators import get_calculator

    identity = ctx.require(request, TAB)
    calculator = get_calculator(name)
    clean = {}
    for spec in calculator.fields:
        value = values.get(spec.name)
        if value is None or value == "":
            if spec.required and spec.default is None and spec.kind != "bool":
                raise ValueError(f"{spec.name} is required: {spec.help} ({spec.accepted()})")
            continue
        clean[spec.name] = value
    started = time.perf_counter()
    result = calculator.run(clean).to_dict()
    ctx.audit.record_interaction(
        username=identity.username, role=identity.role, mode="calculator",
        question=f"calculator {calculator.name}", answer=f"{result['score']} {result['category']}",
        model_id="calculator:" + calculator.name, latency_ms=(time.perf_counter() - started) * 1000,
        details={"calculator": calculator.name, "score": result["score"],
                 "category": result["category"], "inputs": result["inputs"]})
    source = result["source"]
    source_label = f"{source.get('title', '')} ({source.get('publisher', '')}, {source.get('year', '')})"
    unit = f" {result['unit']}" if result.get("unit") else ""
    category = f" — {result['category']}" if result.get("category") else ""
    return (f"<div class='ry-calc'><strong>{rendering.escape_text(calculator.title)}: "
            f"{rendering.escape_text(result['score'])}{rendering.escape_text(unit)}"
            f"{rendering.escape_text(category)}</strong><p>"
            f"{rendering.escape_text(result['interpretation'])}</p><small>Source: "
            f"{rendering.link(source.get('url', ''), source_label)}"
            f"</small></div>")


# ----------------------------------------------------------------------------- layout

def build(ctx: WebContext):
    from assistant.clinical.calculators import list_calculators

    with gr.Tab("Triage", id="triage", elem_id="tab-triage") as tab:
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="Presenting complaint (free text)", lines=4,
                                  elem_id="triage-text",
                                  placeholder="e.g. 58-year-old man, central crushing chest pain "
                                  "for 30 minutes, sweaty")
                with gr.Row():
                    age = gr.Number(label="Age (years)", minimum=0, maximum=125,
                                    elem_id="triage-age")
                    sex = gr.Dropdown(["", "female", "male"], value="", label="Sex",
                                      elem_id="triage-sex")
                    pregnant = gr.Checkbox(label="Pregnant", elem_id="triage-pregnant")
            with gr.Column(scale=2):
                with gr.Row():
                    hr = gr.Number(label="HR (beats/min)", elem_id="triage-hr")
                    rr = gr.Number(label="RR (breaths/min)", elem_id="triage-rr")
                    sbp = gr.Number(label="Systolic BP (mmHg)", elem_id="triage-sbp")
                with gr.Row():
                    spo2 = gr.Number(label="SpO2 (%)", elem_id="triage-spo2")
                    spo2_scale = gr.Radio([1, 2], value=1, label="SpO2 scale",
                                          info="Scale 2 only for confirmed hypercapnic "
                                          "respiratory failure", elem_id="triage-scale")
                    on_oxygen = gr.Checkbox(label="On oxygen", elem_id="triage-oxygen")
                with gr.Row():
                    temp = gr.Number(label="Temperature (°C)", elem_id="triage-temp")
                    avpu = gr.Dropdown([(AVPU_LABELS[c], c) for c in AVPU_CHOICES], value="",
                                       label="ACVPU", elem_id="triage-avpu")
        run = gr.Button("Triage", variant="primary", elem_id="triage-run")
        badge = gr.HTML(elem_id="triage-badge")
        rationale = gr.HTML(elem_id="triage-rationale")
        with gr.Row():
            news2 = gr.HTML(elem_id="triage-news2")
            rules = gr.HTML(elem_id="triage-rules")

        @guard
        def on_triage(text_value, age_value, sex_value, pregnant_value, hr_value, rr_value,
                      sbp_value, spo2_value, scale_value, oxygen_value, temp_value, avpu_value,
                      request: gr.Request):
            return run_triage(ctx, text_value, age_value, sex_value, pregnant_value, hr_value,
                              rr_value, sbp_value, spo2_value, scale_value, oxygen_value,
                              temp_value, avpu_value, request)

        run.click(on_triage, [text, age, sex, pregnant, hr, rr, sbp, spo2, spo2_scale,
                              on_oxygen, temp, avpu], [badge, news2, rules, rationale],
                  api_name="triage", concurrency_limit=8)

        with gr.Accordion("Clinical calculators", open=False, elem_id="triage-calculators"):
            calculators = list_calculators()
            choice = gr.Dropdown([(c["title"], c["name"]) for c in calculators],
                                 value=calculators[0]["name"] if calculators else None,
                                 label="Calculator", elem_id="calc-choice")
            calc_out = gr.HTML(elem_id="calc-result")

            @gr.render(inputs=choice)
            def calculator_form(name):
                if not name:
                    return
                specs = calculator_fields(name)
                inputs = []
                with gr.Row():
                    for spec in specs:
                        label = spec["name"] + (f" ({spec['unit']})" if spec["unit"] else "")
                        if spec["kind"] == "bool":
                            component = gr.Checkbox(label=label, info=spec["help"],
                                                    value=bool(spec["default"]))
                        elif spec["kind"] == "choice":
                            component = gr.Dropdown(spec["choices"], label=label,
                                                    info=spec["help"], value=spec["default"])
                        else:
                            component = gr.Number(label=label, info=spec["help"],
                                                  minimum=spec["min"], maximum=spec["max"],
                                                  value=spec["default"])
                        inputs.append(component)
                button = gr.Button("Calculate", variant="secondary", elem_id="calc-run")

                # A dict of component -> value keeps the request parameter explicit.
                @guard
                def on_calculate(values: dict, request: gr.Request):
                    named = {spec["name"]: values[component]
                             for spec, component in zip(specs, inputs)}
                    return run_calculator_form(ctx, name, named, request)

                button.click(on_calculate, set(inputs), calc_out, api_name=False)
    return tab
