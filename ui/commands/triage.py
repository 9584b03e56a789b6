"""`ruiyi triage "free text"`: urgency level, red-flag rules with sources, NEWS2, rationale.

Thin: the engine is ``assistant.clinical.triage``; this module parses flags, checks the vitals and
prints. Bad input (impossible vitals, a Fahrenheit temperature without ``--temp-unit f``)
gives a one-line message naming the flag and exit code 2.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

import time
from pathlib import Path

from ui.common import (DataDirOption, NoAuditOption, console, fail, print_json,
                       record_cli_decision, setup_logging, user_errors)

LEVEL_STYLES = {"emergency": "bold white on red", "urgent": "bold red", "soon": "bold yellow",
                "routine": "bold cyan", "self-care": "bold green"}
# Vitals field -> the flag a CLI user typed, so error messages name what they can fix.
FLAG_NAMES = {"rr_per_min": "--rr", "spo2_percent": "--spo2", "sbp_mmhg": "--sbp",
              "dbp_mmhg": "--dbp", "hr_bpm": "--hr", "temp_c": "--temp",
              "glucose_mmol_l": "--glucose", "consciousness": "--avpu",
              "spo2_scale": "--spo2-scale", "age_years": "--age", "sex": "--sex"}


def register(app: typer.Typer) -> None:
    app.command("triage")(triage_command)


@user_errors
def triage_command(
    text: str = typer.Argument("", help="What the patient, carer or nurse says (may be empty "
                                        "when vitals are given)."),
    age: float = typer.Option(None, "--age", help="Age in years (0.5 = 6 months)."),
    sex: str = typer.Option(None, "--sex", help="female or male."),
    pregnant: bool = typer.Option(False, "--pregnant", help="The patient is pregnant."),
    hr: float = typer.Option(None, "--hr", help="Heart rate, beats/min."),
    rr: float = typer.Option(None, "--rr", help="Respiratory rate, breaths/min."),
    sbp: float = typer.Option(None, "--sbp", help="Systolic blood pressure, mmHg."),
    dbp: float = typer.Option(None, "--dbp", help="Diastolic blood pressure, mmHg."),
    spo2: float = typer.Option(None, "--spo2", help="Oxygen saturation, %."),
    spo2_scale: int = typer.Option(1, "--spo2-scale",
                                   help="NEWS2 SpO2 scale: 2 only for confirmed hypercapnic "
                                        "respiratory failure."),
    on_oxygen: bool = typer.Option(False, "--on-oxygen", help="On supplemental oxygen."),
    temp: float = typer.Option(None, "--temp", help="Temperature (°C unless --temp-unit f)."),
    temp_unit: str = typer.Option("c", "--temp-unit", help="c or f."),
    avpu: str = typer.Option(None, "--avpu", help="ACVPU: A alert, C new confusion, V voice, "
                                                  "P pain, U unresponsive."),
    glucose: float = typer.Option(None, "--glucose", help="Capillary glucose, mmol/L."),
    semantic: bool = typer.Option(True, "--semantic/--no-semantic",
                                  help="Run the semantic safety net (a multilingual sentence "
                                       "embedder, about a second to load)."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    no_audit: bool = NoAuditOption,
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Triage free text (and optional vitals) to emergency / urgent / soon / routine / self-care."""
    keep_torch_out()
    from assistant.clinical.news2 import Vitals
    from assistant.clinical.triage import ENGINE_ID, PatientContext, triage

    setup_logging(verbose)
    try:
        patient = PatientContext(age_years=age, sex=sex, pregnant=True if pregnant else None)
        values = dict(rr_per_min=rr, spo2_percent=spo2, spo2_scale=spo2_scale,
                      on_oxygen=on_oxygen, sbp_mmhg=sbp, dbp_mmhg=dbp, hr_bpm=hr,
                      consciousness=avpu, glucose_mmol_l=glucose)
        if temp is not None:
            vitals = Vitals.with_temperature(temp, unit=temp_unit, **values)
        else:
            vitals = Vitals(**values)
    except ValueError as error:
        fail(_with_flags(str(error)))
        return
    if vitals.is_empty():
        vitals = None
    if not text.strip() and vitals is None:
        fail("give the symptoms as text, or vital signs (--hr, --rr, --sbp, --spo2, --temp, "
             "--avpu), or both")
    safety_net = None
    if semantic:
        from assistant.clinical.semantic_net import SemanticSafetyNet

        safety_net = SemanticSafetyNet()
    started = time.perf_counter()
    result = triage(text, patient=patient, vitals=vitals, safety_net=safety_net)
    latency_ms = (time.perf_counter() - started) * 1000
    if json_output:
        print_json(result.to_dict())
    else:
        _print_result(result)
    if not no_audit:
        record_cli_decision(
            data_dir, mode="triage", question=text,
            answer=f"{result.level}: {result.action} {result.rationale}",
            model_id=ENGINE_ID + ("" if semantic else " (semantic net off)"),
            latency_ms=latency_ms, triggered_rules=[rule.id for rule in result.rules],
            details={"level": result.level, "em_ne_sc": result.em_ne_sc,
                     "coverage": result.coverage, "confidence": result.confidence,
                     "news2_total": result.news2.total if result.news2 else None,
                     "vitals": vitals.to_dict() if vitals else None})


class _NoTorch:
    """A meta-path finder that answers "import torch" with ModuleNotFoundError."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"{name} is not loaded by this command", name=name)
        return None


def keep_torch_out() -> None:
    """Stop torch loading in this process. spaCy's thinc imports torch whenever it is installed,
    only to offer it as a backend; the triage engine needs none of it, and loading it costs
    seconds at every ``ruiyi triage``. Only command entry points that never need torch call
    this; a process that already loaded torch is left as it is."""
    import sys

    if "torch" not in sys.modules and not any(isinstance(f, _NoTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoTorch())


def _with_flags(message: str) -> str:
    for field, flag in FLAG_NAMES.items():
        message = message.replace(f"{field} ", f"{flag} ({field}) ", 1) if message.startswith(field) else message
    return message


def _print_result(result) -> None:
    style = LEVEL_STYLES[result.level]
    badge = "" if result.coverage == "covered" else "  [bold yellow]NOT COVERED BY THE RULE BASE[/]"
    console.print(Panel(f"[{style}] {result.level.upper()} [/]  ({result.em_ne_sc}, confidence "
                        f"{result.confidence}){badge}\n{escape(result.action)}", title="Triage",
                        expand=False))
    if result.rules:
        table = Table(title="Discriminators and rules triggered", show_lines=False)
        for column in ("level", "kind", "rule", "matched", "action", "source"):
            table.add_column(column)
        for rule in result.rules:
            source = rule.source
            cite = f"{source['publisher']} {source['code']}, {source['section']}\n{source['url']}"
            matched = ", ".join(rule.matched_text) + (" (possible)" if rule.possible else "")
            table.add_row(f"[{LEVEL_STYLES[rule.level]}]{rule.level}[/]", rule.kind,
                          escape(rule.title), escape(matched), escape(rule.action), escape(cite))
        console.print(table)
    if result.findings is not None and result.findings.concept_findings():
        found = [f"{escape(f.text)} → {f.term} ({f.assertion})"
                 for f in result.findings.concept_findings()]
        console.print("[bold]Findings read:[/] " + "; ".join(found))
    if result.findings is not None and result.findings.measurements:
        read = [f"{name} {m.value:g}" + (f" ({escape(m.note)})" if m.note else "")
                for name, m in result.findings.measurements.items()]
        console.print("[bold]Values read from the text:[/] " + ", ".join(read))
    if result.news2 is not None:
        news2 = result.news2
        table = Table(title=f"NEWS2 {news2.total} ({news2.risk} risk)")
        table.add_column("parameter")
        table.add_column("value")
        table.add_column("score", justify="right")
        for component in news2.components:
            value = f"{component.value:g}" if isinstance(component.value, float) else component.value
            table.add_row(component.parameter, str(value), str(component.score))
        console.print(table)
        if news2.note:
            console.print(f"[dim]{escape(news2.note)}[/]")
    for note in result.notes:
        console.print(f"[yellow]Note:[/] {escape(note)}")
    console.print(f"[bold]Rationale:[/] {escape(result.rationale)}")
    console.print("[dim]Decision support only: clinical judgement decides.[/]")
