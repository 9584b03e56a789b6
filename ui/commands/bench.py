"""`ruiyi bench ...`: benchmarks that measure this installation. ``bench triage`` scores the
triage engine on the labelled vignettes (accuracy, under-triage, confusion, latency).

Each benchmark is one command on the ``bench`` sub-app; scoring lives in ``eval``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ui.common import console, print_json, setup_logging, user_errors

bench_app = typer.Typer(help="Benchmarks: triage, retrieval, approximate search, abstention.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("triage")
@user_errors
def bench_triage(
    data: Path = typer.Option(None, "--data", help="Vignettes: a JSONL file or a folder of them "
                                                   "(default: the frozen bank "
                                                   "eval/data/triage_bank)."),
    split: str = typer.Option("all", "--split", help="all, dev (half of the bank, by a hash of "
                                                     "the id) or holdout (the other half; its "
                                                     "mistakes are never listed)."),
    semantic: bool = typer.Option(True, "--semantic/--no-semantic",
                                  help="Run the semantic safety net (multilingual embedder)."),
    json_output: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Score the triage engine on labelled vignettes, by style and language."""
    from functools import partial

    from assistant.clinical.triage import triage
    from eval.triage_bench import (DEFAULT_VIGNETTES, load_vignettes, score_vignettes,
                                   select_split)
    from knowledge.redflag_rules import LEVELS

    setup_logging(verbose)
    path = data or DEFAULT_VIGNETTES
    if not Path(path).exists():
        raise FileNotFoundError(f"--data {path} does not exist")
    triage_fn = triage
    if semantic:
        from assistant.clinical.semantic_net import SemanticSafetyNet

        triage_fn = partial(triage, safety_net=SemanticSafetyNet().load())
    report = score_vignettes(select_split(load_vignettes(path), split), triage_fn)
    report["semantic_net"]["enabled"] = semantic
    report["split"] = split
    if split == "holdout":
        report["mistakes"] = []  # scored, never read: the held-out half stays unseen
    if json_output:
        print_json(report)
        return
    console.print(f"[bold]Triage bench[/] on {report['n']} vignettes ({path}, split {split}); "
                  f"semantic safety net {'on' if semantic else 'off'}")
    table = Table(title="By style and language")
    for column in ("slice", "n", "exact", "em/ne/sc", "em@em", "em→sc", "sc prec", "sc over"):
        table.add_column(column, justify="right" if column != "slice" else "left")

    def row(name: str, part: dict, safety: dict) -> None:
        def fmt(value):
            return "-" if value is None else f"{value:.3f}"
        table.add_row(name, str(part["n"]), fmt(part["exact_accuracy"]),
                      fmt(part["em_ne_sc_accuracy"]),
                      f"{safety['emergencies_at_emergency']}/{safety['emergencies']}",
                      str(safety["emergencies_to_self_care"]), fmt(safety["self_care_precision"]),
                      fmt(safety["self_care_over_triage"]))

    row("all", report, report["safety"])
    for key in ("by_style", "by_language"):
        for value, part in report[key].items():
            row(f"{key[3:]}={value}", part, part)
    console.print(table)
    safety = report["safety"]
    console.print(f"emergencies under-triaged: [bold]{report['emergency_under_triaged']}[/] "
                  f"(to {safety['emergencies_under_triaged_to'] or 'none'}); not covered by the "
                  f"rule base: {report['not_covered']}; semantic net decided "
                  f"{report['semantic_net']['decided_level']} levels, "
                  f"{report['semantic_net']['false_escalations']} of them over-triaged")
    latency = report["latency_ms"]
    console.print(f"latency per vignette: p50 {latency['p50']} ms, p95 {latency['p95']} ms")
    confusion = Table(title="Confusion (rows gold, columns predicted)")
    confusion.add_column("gold")
    for level in LEVELS:
        confusion.add_column(level, justify="right")
    for gold in LEVELS:
        confusion.add_row(gold, *(str(report["confusion"][gold][pred]) for pred in LEVELS))
    console.print(confusion)
    if verbose:
        for mistake in report["mistakes"]:
            console.print(f"  {mistake['id']}: gold {mistake['gold']}, got "
                          f"{mistake['predicted']} ({', '.join(mistake['rules'][:3]) or 'no rule'})")


from ui.commands import bench_retrieval  # noqa: E402  (`bench retrieval` and `bench ann`)
bench_retrieval.register_bench(bench_app)
from ui.commands import bench_abstention  # noqa: E402  (`bench abstention`)
bench_abstention.register_bench(bench_app)


@bench_app.command("redaction")
@user_errors
def bench_redaction(
    notes: int = typer.Option(200, "--notes", help="How many synthetic notes to generate."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the generator."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Recall of identifier redaction on synthetic notes with planted identifiers (names,
    phones, NHS numbers, dates of birth, e-mails, postcodes, addresses), and how many clinical
    words (eponyms, medicines, values) it removed by mistake."""
    from assistant.redaction import redact
    from eval.redaction_bench import KINDS, score_redaction, synthetic_notes

    if notes <= 0:
        raise ValueError(f"--notes must be > 0, got {notes}")
    report = score_redaction(synthetic_notes(notes, seed), redact).to_dict()
    if json_output:
        print_json(report)
        return
    table = Table(title=f"Redaction recall on {notes} synthetic notes")
    for column in ("identifier", "planted", "redacted", "recall"):
        table.add_column(column)
    for kind in KINDS:
        row = report["by_kind"][kind]
        if row["planted"]:
            table.add_row(kind, str(row["planted"]), str(row["found"]), f"{row['recall']:.3f}")
    console.print(table)
    console.print(f"All identifiers: recall {report['recall']:.3f}; clinical words removed by "
                  f"mistake: {report['clinical_words_lost']} of {report['clinical_words']}.",
                  markup=False)


@bench_app.command("robustness")
@user_errors
def bench_robustness(
    workdir: Path = typer.Option(None, "--workdir", help="Where the tries keep their data "
                                 "directories and files (default: a new temporary folder)."),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Throw hundreds of bad inputs and faults at the CLI (triage, ddx, calc, ask, kb) and
    count clean refusals, crashes, unsafe results and lost data per class. Exits 1 on any
    crash, unsafe result or data loss."""
    import tempfile

    from ui.common import IndexProgress
    from ui.robustness import VERDICTS, robustness_cases, run_cases

    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="ruiyi-robustness-"))
    cases = robustness_cases(folder)
    report = run_cases(cases, IndexProgress("Trying bad inputs", enabled=not json_output))
    data = report.to_dict()
    if json_output:
        print_json(data)
    else:
        table = Table(title=f"Robustness: {data['tried']} tries")
        table.add_column("class")
        table.add_column("tried", justify="right")
        for verdict in VERDICTS:
            table.add_column(verdict, justify="right")
        for row in data["classes"]:
            table.add_row(row["class"], str(row["tried"]), *(str(row[v]) for v in VERDICTS))
        console.print(table)
        for failure in data["failures"]:
            console.print(f"[red]{failure['verdict']}[/]: {failure['class']}: "
                          f"{failure['detail']}", markup=True, highlight=False)
    if report.failures:
        raise typer.Exit(1)
