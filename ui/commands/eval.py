"""`ruiyi eval run SUITE ... --out DIR` and `ruiyi eval compare DIR_A DIR_B`.

Thin: loads the suite, builds what it runs against (assistant, chat model, triage engine),
hands over to ``eval.runner`` and prints the headline numbers. Bad input ends with a message
naming the file, line and field, and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ui.common import (DataDirOption, IndexProgress, console, error_console, fail, print_json,
                       resolve_data_dir, setup_logging, user_errors)

eval_app = typer.Typer(name="eval", no_args_is_help=True, add_completion=False,
                       help="Evaluate Ruiyi: run a suite into a folder, compare two runs.")

_SHOWN_PROBLEMS = 10


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


def _suite_help() -> str:
    from eval.suites import SUITES

    return "Suite: " + "; ".join(f"{s.name} ({s.description})" for s in SUITES.values())


def _build_backend(spec, model: str | None, quantization: str, retrieval: bool, top_k: int,
                   max_new_tokens: int, data_dir: Path | None, quiet: bool):
    from eval.execute import EvalBackend

    backend = EvalBackend(retrieval=retrieval, top_k=top_k, max_new_tokens=max_new_tokens)
    paths = resolve_data_dir(data_dir)
    progress = IndexProgress("Building the guideline index (first use)", enabled=not quiet)
    if spec.needs == "assistant":
        from assistant.core import AssistantConfig
        from assistant.factory import build_assistant

        backend.assistant = build_assistant(paths, model, quantization,
                                            AssistantConfig(top_k=min(top_k, 20),
                                                            max_new_tokens=max_new_tokens),
                                            progress=progress)
        backend.chat_model = backend.assistant.chat_model
        backend.retriever = backend.assistant.retriever
    elif spec.needs == "chat_model":
        from assistant.factory import build_chat_model, build_retriever

        backend.chat_model = build_chat_model(paths, model, quantization)
        if retrieval and spec.name == "mcq":
            backend.retriever = build_retriever(paths, progress=progress)
    elif spec.needs == "triage":
        from eval.triage_suite import default_triage_fn

        backend.triage_fn = default_triage_fn()
    if backend.chat_model is not None and hasattr(backend.chat_model, "load"):
        # Fail once, clearly, on a model that cannot load, rather than once per case.
        backend.chat_model.load()
    if spec.needs == "ddx":
        from eval.ddx_suite import default_ddx_fn

        backend.ddx_fn = default_ddx_fn()
    return backend


def _print_problems(loaded) -> None:
    if not loaded.problems:
        return
    error_console.print(f"[yellow]Skipped {len(loaded.problems)} unusable input record(s):[/]")
    for problem in loaded.problems[:_SHOWN_PROBLEMS]:
        error_console.print(f"  {escape(str(problem))}", highlight=False)
    if len(loaded.problems) > _SHOWN_PROBLEMS:
        error_console.print(f"  ... and {len(loaded.problems) - _SHOWN_PROBLEMS} more "
                            "(all listed in metrics.json under skipped)")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _print_summary(summary: dict, out: Path) -> None:
    table = Table(title=f"suite {summary['suite']}: {summary['scored']} of {summary['cases']} "
                        "cases scored")
    for column in ("metric", "value", "95% CI", "n"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, m in summary["metrics"].items():
        if "." in name:  # per-level metrics are in the report
            continue
        table.add_row(name, _fmt(m["value"]), f"[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]",
                      str(m["n"]))
    console.print(table)
    if len(summary["groups"]) > 1 and summary["suite"] == "predictions":
        groups = Table(title="per group")
        for column in ("group", "cases", "accuracy", "95% CI", "unparsed"):
            groups.add_column(column, justify="left" if column == "group" else "right",
                              overflow="fold")
        unparsed = summary.get("extraction", {}).get("unparsed_by_group", {})
        for name, block in summary["groups"].items():
            acc = block["metrics"].get("accuracy")
            if acc:
                groups.add_row(name, str(block["cases"]), f"{100 * acc['value']:.2f}",
                               f"[{100 * acc['ci_low']:.2f}, {100 * acc['ci_high']:.2f}]",
                               str(unparsed.get(name, 0)))
        console.print(groups)
    extraction = summary.get("extraction")
    if extraction:
        console.print(f"Unparsed outputs (counted wrong): {extraction['unparsed']}")
    skipped = summary["skipped"]
    if skipped["count"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in skipped["failed_reasons"].items())
        console.print(f"[yellow]Skipped {skipped['count']} case(s): {skipped['input_problems']} "
                      f"unusable input record(s), {skipped['failed_cases']} failed"
                      f"{' (' + escape(reasons) + ')' if reasons else ''}[/]")
    console.print(f"Wrote {out / 'metrics.json'}, {out / 'cases.jsonl'}, {out / 'report.html'}")


@eval_app.command("run")
@user_errors
def run(
    suite: str = typer.Argument(..., help="gp | mcq | pubmedqa | triage | predictions | ddx"),
    out: Path = typer.Option(..., "--out", help="Folder for metrics.json, cases.jsonl, "
                             "report.html and the resumable cache."),
    data: Path = typer.Option(None, "--data", help="Suite data file or folder (gp and triage "
                              "default to the bundled suites)."),
    gold: Path = typer.Option(None, "--gold", help="predictions: MIRAGE benchmark.json with the "
                              "gold answers (default: benchmark.json beside --data)."),
    model: str = typer.Option(None, "--model", help="Hugging Face model id or local path "
                              "(default: the offline SmolLM2-135M-Instruct)."),
    quantization: str = typer.Option("none", "--quantization", help="none | nf4 | int8"),
    retrieval: str = typer.Option("on", "--retrieval", help="on | off (mcq: guideline passages "
                                  "in the prompt; pubmedqa: the abstract's contexts)."),
    limit: int = typer.Option(None, "--limit", help="Only the first N cases."),
    subset: str = typer.Option(None, "--subset", help="mcq: medqa, medmcqa, mmlu, pubmedqa "
                               "(comma-separated); pubmedqa: test | all; gp: a topic or "
                               "in_scope / out_of_scope; triage: a gold level; predictions: a "
                               "model, mode or dataset."),
    workers: int = typer.Option(1, "--workers", help="Cases run in parallel (thread pool)."),
    judge: str = typer.Option("lexical", "--judge", help="Support judge for citations and rubric: "
                              "lexical | nli:<cross-encoder id> | llm (the model under test)."),
    top_k: int = typer.Option(4, "--top-k", help="Passages given to the model."),
    max_new_tokens: int = typer.Option(512, "--max-new-tokens", help="Generation budget per case."),
    seed: int = typer.Option(20240601, "--seed", help="Bootstrap seed."),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples."),
    fresh: bool = typer.Option(False, "--fresh", help="Discard cached results in --out first."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Hide the progress bar."),
    json_output: bool = typer.Option(False, "--json", help="Print metrics.json instead of tables."),
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log counts and timings."),
) -> None:
    """Run a suite (or score a predictions file) and write metrics, cases and an HTML report."""
    from assistant.transformers_backend import QUANTIZATIONS
    from eval.loaders import load_suite
    from eval.runner import RunSettings, discard_run, run_suite
    from eval.scoring import ScoringContext
    from eval.suites import get_suite

    setup_logging(verbose)
    spec = get_suite(suite)
    if quantization not in QUANTIZATIONS:
        fail(f"--quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
    if retrieval not in ("on", "off"):
        fail(f"--retrieval must be on or off, got {retrieval!r}")
    if spec.name == "gp" and retrieval == "off":
        fail("the gp suite measures retrieval-grounded answers; --retrieval off does not apply")
    if workers < 1:
        fail(f"--workers must be >= 1, got {workers}")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file; give a folder")

    loaded = load_suite(spec.name, data, subset, limit, gold)
    _print_problems(loaded)
    quiet = no_progress or json_output
    backend = _build_backend(spec, model, quantization, retrieval == "on", top_k,
                             max_new_tokens, data_dir, quiet)
    judge_obj = None
    if spec.name == "gp":
        from eval.support import build_support_judge
        from retrieval.embedders import load_default_embedder

        judge_obj = build_support_judge(judge, embedder=load_default_embedder() if judge == "lexical" else None,
                                        chat_model=backend.chat_model)
    count_tokens = getattr(backend.chat_model, "count_tokens", None)
    model_label = getattr(backend.chat_model, "model_id", None) or model or (
        "rules" if spec.needs in ("triage", "ddx") else "none")
    settings = RunSettings(suite=spec.name, data=", ".join(loaded.files), model=model_label,
                           quantization=quantization, retrieval=retrieval == "on", top_k=top_k,
                           max_new_tokens=max_new_tokens, subset=subset,
                           judge=getattr(judge_obj, "name", "none"))
    run_info = {}
    if backend.assistant is not None:
        run_info["abstention_threshold"] = backend.assistant.config.abstain_below
        from assistant.prompts import PROMPT_VERSION

        run_info["prompt_version"] = PROMPT_VERSION
    if fresh:
        discard_run(out)
    outcome = run_suite(loaded, backend, settings, out,
                        ScoringContext(judge=judge_obj, count_tokens=count_tokens),
                        workers=workers, progress=not quiet, seed=seed, n_resamples=resamples,
                        run_info=run_info)
    if json_output:
        print_json(outcome.summary)
    else:
        _print_summary(outcome.summary, out)
    if outcome.summary["scored"] == 0:
        fail("no case could be scored; see the reasons above and in metrics.json", code=1)


@eval_app.command("compare")
@user_errors
def compare(
    dir_a: Path = typer.Argument(..., help="The baseline run folder."),
    dir_b: Path = typer.Argument(..., help="The new run folder."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    groups: bool = typer.Option(False, "--groups", help="Also compare per group (topic, dataset)."),
    seed: int = typer.Option(20240601, "--seed", help="Bootstrap seed."),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples."),
) -> None:
    """Deltas B − A per metric with paired 95% bootstrap intervals; * marks significant ones."""
    from eval.compare import compare_runs, format_comparison

    for folder in (dir_a, dir_b):
        if not folder.is_dir():
            fail(f"{folder} is not a run folder (expected the --out of `ruiyi eval run`)")
    result = compare_runs(dir_a, dir_b, seed=seed, n_resamples=resamples, by_group=groups)
    if json_output:
        print_json(result)
    else:
        typer.echo(format_comparison(result))
