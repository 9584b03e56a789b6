"""`ruiyi ask`: one question, a cited answer, the sources and timings."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.panel import Panel

from ui.common import (DataDirOption, EmbedderOption, IndexProgress, NoAuditOption, console,
                       print_json, record_cli_decision, resolve_data_dir, setup_logging,
                       user_errors)

DISCLAIMER = "Ruiyi supports, and does not replace, clinical judgement."
FILTER_EXAMPLES = {"publisher": "NICE", "topic": "asthma", "region": "UK"}


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)


@user_errors
def ask(
    question: str = typer.Argument(..., help="The clinical question, in quotes."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    model: str = typer.Option(None, "--model", help="A Hugging Face model id or local path "
                              "(default: the offline SmolLM2-135M-Instruct)."),
    quantization: str = typer.Option("none", "--quantization", help="none | nf4 | int8"),
    top_k: int = typer.Option(4, "--top-k", help="How many passages to retrieve."),
    publisher: list[str] = typer.Option(None, "--publisher", help="Only passages from this "
                                        "publisher (e.g. NICE); repeat for several."),
    topic: list[str] = typer.Option(None, "--topic", help="Only passages on this topic "
                                    "(e.g. asthma); repeat for several."),
    region: list[str] = typer.Option(None, "--region", help="Only passages for this region "
                                     "(e.g. UK); repeat for several."),
    embedder: str = EmbedderOption,
    no_audit: bool = NoAuditOption,
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log timings and counts."),
) -> None:
    """Answer a GP question from the guideline passages, with numbered citations."""
    from assistant.abstention import threshold_for
    from assistant.core import AssistantConfig
    from assistant.factory import build_assistant
    from retrieval.embedders import EMBEDDER_CHOICES
    from retrieval.hybrid import normalise_filters, require_words
    from retrieval.query import check_query

    setup_logging(verbose)
    require_words(check_query(question))  # fail fast, before any model or index loads
    if embedder not in EMBEDDER_CHOICES:
        raise ValueError(f"--embedder must be one of {', '.join(EMBEDDER_CHOICES)}, "
                         f"got {embedder!r}")
    filters = {name: values for name, values in
               (("publisher", publisher), ("topic", topic), ("region", region)) if values}
    for name, values in filters.items():
        if not all(value.strip() for value in values):
            raise ValueError(f"--{name} needs a value, e.g. --{name} {FILTER_EXAMPLES[name]}")
    normalise_filters(filters)  # checked before any model or index loads
    if model and model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().exists():
        raise FileNotFoundError(f"--model {model}: no such file or folder; give a local model "
                                "folder or a Hugging Face id (or leave --model out for SmolLM2)")
    progress = IndexProgress("Building the guideline index (first use)", enabled=not json_output)
    assistant = build_assistant(resolve_data_dir(data_dir), model, quantization,
                                AssistantConfig(top_k=top_k, filters=filters or None,
                                                abstain_below=threshold_for(embedder)),
                                progress=progress, embedder=embedder)
    answer = assistant.answer(question)
    if json_output:
        print_json(answer.to_dict())
    else:
        print_answer(answer)
    if not no_audit:
        record_cli_decision(
            data_dir, mode="consult", question=question, answer=answer.text,
            model_id=answer.model_id, latency_ms=answer.timings_ms.get("total", 0.0),
            passage_ids=[scored.passage.passage_id for scored in answer.passages],
            triggered_rules=[flag.get("id", "") for flag in answer.red_flags],
            abstained=answer.abstained, error=answer.error,
            details={"citations": [c.passage_id for c in answer.citations],
                     "prompt_version": answer.prompt_version,
                     "abstention_reason": answer.abstention_reason})
    if answer.error:
        # The passages and red flags were still printed; the exit code says the model failed.
        raise typer.Exit(1)


def source_line(source: dict) -> str:
    parts = [source.get("publisher", ""), source.get("code", ""), source.get("title", ""),
             source.get("version", ""), source.get("section", ""), source.get("url", "")]
    return " · ".join(part for part in parts if part)


def print_answer(answer) -> None:
    for flag in answer.red_flags:
        console.print(Panel(f"[bold]{escape(flag['title'])}[/] — {escape(flag['action'])}\n"
                            f"Matched: {escape(', '.join(flag.get('matched_text', [])))}"
                            f"{' (possible)' if flag.get('possible') else ''}\n"
                            f"[dim]Source: {escape(source_line(flag['source']))}[/]",
                            title=f"RED FLAG: {escape(flag['level'].upper())}",
                            border_style="red"))
    for calc in answer.calculations:
        inputs = ", ".join(f"{k} {v}" for k, v in calc["inputs"].items())
        console.print(f"[bold]{escape(calc['name'].upper())} = {calc['score']:g}[/] — "
                      f"{escape(calc['interpretation'])}\n  [dim]inputs: {escape(inputs)}; source: "
                      f"{escape(calc['source']['title'])} ({calc['source']['year']}) "
                      f"{escape(calc['source']['url'])}[/]", highlight=False)
    style = "yellow" if answer.abstained or answer.error else "green"
    console.print(Panel(escape(answer.text), title="Answer", border_style=style))
    heading = "Nearest passages" if answer.abstained else "Sources"
    console.print(f"[bold]{heading}[/]")
    cited = {c.n for c in answer.citations}
    for n, scored in enumerate(answer.passages, 1):
        passage = scored.passage
        mark = "*" if n in cited else " "
        console.print(f" {mark}[{n}] {escape(passage.source.label())} — {escape(passage.section)} "
                      f"(score {scored.score:.2f})\n      {escape(passage.source.url)}",
                      highlight=False)
    if answer.differential:
        console.print("[bold]Differential diagnosis[/] (from the findings described; "
                      "decision support, not a diagnosis)")
        for n, condition in enumerate(answer.differential["conditions"][:10], 1):
            findings = ", ".join(f["label"] for f in condition["for"][:4])
            codes = ", ".join(condition["icd10"])
            console.print(f" {n:>2}. {escape(condition['name'])} ({escape(codes)}) "
                          f"— {escape(condition['band'])}, score {condition['score']:.2f}; "
                          f"for: {escape(findings)}", highlight=False)
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
    console.print(f"[dim]Model: {escape(answer.model_id)} · {timings}[/]", highlight=False)
    console.print(f"[dim]{DISCLAIMER}[/]")
