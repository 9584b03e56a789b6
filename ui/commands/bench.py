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
    data: Path = typer.Option(None, "--data", help="Vignettes JSONL (default: the bundled "
                                                   "eval/data/triage_vignettes.jsonl)."),
    json_output: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Score the triage engine on labelled vignettes."""
    from eval.triage_bench import DEFAULT_VIGNETTES, load_vignettes, score_vignettes
    from knowledge.redflag_rules import LEVELS

    setup_logging(verbose)
    path = data or DEFAULT_VIGNETTES
    if not Path(path).is_file():
        raise FileNotFoundError(f"--data {path} does not exist")
    report = score_vignettes(load_vignettes(path))
    if json_output:
        print_json(report)
        return
    console.print(f"[bold]Triage bench[/] on {report['n']} vignettes ({path})")
    console.print(f"exact five-level accuracy {report['exact_accuracy']:.3f}   "
                  f"em/ne/sc accuracy {report['em_ne_sc_accuracy']:.3f}")
    console.print(f"emergencies under-triaged: [bold]{report['emergency_under_triaged']}[/]   "
                  f"under-triaged {report['under_triaged']}   over-triaged "
                  f"{report['over_triaged']}")
    latency = report["latency_ms"]
    console.print(f"latency per vignette: p50 {latency['p50']} ms, p95 {latency['p95']} ms")
    table = Table(title="Confusion (rows gold, columns predicted)")
    table.add_column("gold")
    for level in LEVELS:
        table.add_column(level, justify="right")
    for gold in LEVELS:
        table.add_row(gold, *(str(report["confusion"][gold][pred]) for pred in LEVELS))
    console.print(table)
    for mistake in report["mistakes"]:
        console.print(f"  {mistake['id']}: gold {mistake['gold']}, got {mistake['predicted']} "
                      f"({', '.join(mistake['rules'][:3]) or 'no rule'})")


from ui.commands import bench_retrieval  # noqa: E402  (`bench retrieval` and `bench ann`)
bench_retrieval.register_bench(bench_app)
from ui.commands import bench_abstention  # noqa: E402  (`bench abstention`)
bench_abstention.register_bench(bench_app)
