"""`ruiyi ddx "presentation"` (a ranked, coded, explained differential) and `ruiyi ddx-bench`.

Thin: the engine is ``assistant.clinical.ddx``, scoring of the benchmarks ``eval.ddx_bench``. Invalid
input (empty text, over 10,000 characters, age outside 0-120, pregnant and male) gives a
one-line message naming the field and exit code 2; a presentation with no recognisable
findings prints why no differential is given (exit code 0).
"""

from __future__ import annotations

import time

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ui.common import (DataDirOption, IndexProgress, NoAuditOption, console, print_json,
                       record_cli_decision, resolve_data_dir,
                       setup_logging, user_errors)

BAND_STYLES = {"likely": "bold green", "must not miss": "bold red", "possible": "cyan"}
DISCLAIMER = ("Decision support for clinicians: check every item against the history, "
              "examination and guideline; Ruiyi does not replace clinical judgement.")


def register(app: typer.Typer) -> None:
    app.command("ddx")(ddx_command)
    app.command("ddx-bench")(ddx_bench_command)


@user_errors
def ddx_command(
    presentation: str = typer.Argument(..., help="The presentation in clinical or everyday "
                                                 "words, in quotes."),
    age: int = typer.Option(None, "--age", help="Age in whole years (0 for infants)."),
    sex: str = typer.Option(None, "--sex", help="female or male."),
    pregnant: bool = typer.Option(None, "--pregnant/--not-pregnant",
                                  help="Pregnancy status, when known."),
    top_k: int = typer.Option(10, "--top-k", help="How many conditions to list (supported "
                                                  "must-not-miss conditions are always added)."),
    retrieval: bool = typer.Option(False, "--retrieval", help="Add guideline retrieval to the "
                                   "scores (loads the embedder and index; slower)."),
    json_output: bool = typer.Option(False, "--json", help="Print the differential as JSON."),
    no_audit: bool = NoAuditOption,
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log timings and counts."),
) -> None:
    """Rank the differential diagnosis for a GP presentation, with codes and reasons."""
    from assistant.clinical.ddx import DifferentialEngine, validate_inputs
    from knowledge.conditions import load_conditions

    setup_logging(verbose)
    validate_inputs(presentation, age, sex, pregnant)  # fail fast, before anything loads
    retriever = None
    if retrieval:
        from assistant.factory import build_retriever

        retriever = build_retriever(resolve_data_dir(data_dir), progress=IndexProgress(
            "Building the guideline index (first use)", enabled=not json_output))
    engine = DifferentialEngine(load_conditions(), retriever=retriever)
    started = time.perf_counter()
    differential = engine.rank(presentation, age_years=age, sex=sex, pregnant=pregnant,
                               top_k=top_k)
    latency_ms = (time.perf_counter() - started) * 1000
    if json_output:
        print_json(differential.to_dict())
    else:
        print_differential(differential)
    if not no_audit:
        ranked = [item.condition.condition_id for item in differential.conditions]
        record_cli_decision(
            data_dir, mode="ddx", question=presentation,
            answer="; ".join(item.name for item in differential.conditions[:10]),
            model_id="differential engine (knowledge/conditions)", latency_ms=latency_ms,
            details={"conditions": ranked[:20], "age_years": age, "sex": sex,
                     "pregnant": pregnant, "retrieval": retrieval})


def print_differential(differential) -> None:
    found = [f for f in differential.findings if f.present and not f.historical]
    absent = [f for f in differential.findings if not f.present]
    if found:
        console.print("[bold]Found:[/] " + escape(", ".join(f.label for f in found)))
    if absent:
        console.print("[bold]Stated absent:[/] " + escape(", ".join(f.label for f in absent)))
    if differential.message:
        console.print(f"[bold yellow]{escape(differential.message)}[/]")
        return
    table = Table(title="Differential diagnosis", show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Condition, ICD-10-CM", ratio=3)
    table.add_column("Band", ratio=2)
    table.add_column("Score (feature, prior, retrieval = total)", ratio=2)
    table.add_column("For: feature \"words\"", ratio=4)
    table.add_column("Against", ratio=3)
    table.add_column("Next steps", ratio=4)
    for item in differential.conditions:
        data = item.to_dict()
        parts = data["score_parts"]
        retrieval = "n/a" if parts["retrieval"] is None else f"{parts['retrieval']:+.2f}"
        band_style = BAND_STYLES.get(item.band, "")
        table.add_row(
            str(item.rank),
            escape(f"{item.name}\n{', '.join(item.condition.icd10)}"),
            f"[{band_style}]{item.band}[/]" if band_style else item.band,
            f"{parts['feature']:+.1f}, {parts['prior']:+.1f}, {retrieval} = {parts['total']:.1f}",
            escape(_evidence_text(data["for"])),
            escape(_evidence_text(data["against"])),
            escape(_next_steps_text(data["next_steps"])),
        )
    console.print(table)
    for note in differential.notes:
        console.print(f"[dim]{escape(note)}[/]")
    console.print(f"[dim]{DISCLAIMER}[/]")


def _evidence_text(items: list[dict], limit: int = 4) -> str:
    lines = []
    for item in items[:limit]:
        words = f' "{item["words"][0]}"' if item["words"] else ""
        lines.append(f"{item['label']} {item['weight']:+.1f}{words}")
    if len(items) > limit:
        lines.append(f"... {len(items) - limit} more")
    return "\n".join(lines) or "-"


def _next_steps_text(steps: dict) -> str:
    lines = []
    for key, label in (("question", "Ask"), ("examination", "Examine"), ("test", "Test")):
        if steps.get(key):
            lines.append(f"{label}: {steps[key][0]}")
    return "\n".join(lines)


@user_errors
def ddx_bench_command(
    suite: str = typer.Option("project", "--suite", help="project (bundled vignettes) or "
                                                         "agentclinic."),
    data: Path = typer.Option(None, "--data", help="Vignette JSONL for the project suite "
                                                   "(default: eval/data/ddx_vignettes.jsonl)."),
    agentclinic: Path = typer.Option(None, "--agentclinic", help="AgentClinic MedQA JSONL "
                                     "(default: ../shared/benchmarks/agentclinic/"
                                     "agentclinic_medqa.jsonl); implies --suite agentclinic."),
    json_output: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Score the differential on vignettes: top-1/3/10, must-not-miss recall, latency."""
    from assistant.clinical.ddx import DifferentialEngine
    from eval.ddx_bench import (DEFAULT_AGENTCLINIC, DEFAULT_VIGNETTES, load_agentclinic,
                                load_cases, run_suite)
    from knowledge.conditions import load_conditions

    setup_logging(verbose)
    if agentclinic is not None:
        suite = "agentclinic"
    if suite not in {"project", "agentclinic"}:
        raise ValueError(f"--suite must be 'project' or 'agentclinic', got {suite!r}")
    if suite == "project":
        path = data or DEFAULT_VIGNETTES
        cases = load_cases(path)
    else:
        path = agentclinic or DEFAULT_AGENTCLINIC
        cases = load_agentclinic(path)
    report = run_suite(DifferentialEngine(load_conditions()), cases, suite)
    if json_output:
        print_json(report.to_dict())
        return
    metrics = report.metrics()
    console.print(f"[bold]Differential bench[/] ({suite}) on {metrics['n']} cases ({escape(str(path))})")
    table = Table(show_header=True)
    for column in ("top-1", "top-3", "top-10", "must-not-miss recall", "gold not in base",
                   "latency p50 / p95 ms"):
        table.add_column(column, justify="right")
    recall = metrics["must_not_miss_recall"]
    table.add_row(f"{metrics['top1']:.3f}", f"{metrics['top3']:.3f}", f"{metrics['top10']:.3f}",
                  "n/a" if recall is None else f"{recall:.3f} (n={metrics['must_not_miss_n']})",
                  f"{metrics['gold_not_in_base_share']:.3f}",
                  f"{metrics['latency_ms']['p50']:.0f} / {metrics['latency_ms']['p95']:.0f}")
    console.print(table)
    if metrics.get("top10_when_gold_in_base") is not None and metrics["gold_not_in_base_share"] > 0:
        console.print(f"top-10 when the gold is in the condition base: "
                      f"{metrics['top10_when_gold_in_base']:.3f} (n={metrics['gold_in_base_n']})")
    console.print(f"[dim]Matching: {escape(report.to_dict()['matching'])}[/]")
