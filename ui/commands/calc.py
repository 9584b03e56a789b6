"""`ruiyi calc NAME --field value ...` and `ruiyi calc list`: the clinical calculators.

Fields are passed as ``--field value`` pairs (``--field=value`` works too; a bare ``--flag``
means yes). Thin: checking and computing live in ``assistant.clinical.calculators``; unknown names or
fields and out-of-range values give a message with the valid choices and exit code 2.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

import time
from pathlib import Path

from ui.common import (DataDirOption, NoAuditOption, console, fail, print_json,
                       record_cli_decision, user_errors)


def register(app: typer.Typer) -> None:
    app.command("calc", context_settings={"allow_extra_args": True,
                                          "ignore_unknown_options": True})(calc_command)


def parse_field_args(args: list[str]) -> dict[str, str]:
    """['--age-years', '70', '--confusion'] -> {'age_years': '70', 'confusion': 'yes'}."""
    values: dict[str, str] = {}
    index = 0
    while index < len(args):
        token = args[index]
        if not token.startswith("--") or len(token) == 2:
            raise ValueError(f"expected --field value, got {token!r}")
        name, _, inline = token[2:].partition("=")
        name = name.replace("-", "_")
        if name in values:
            # Last-wins would silently score a value the clinician may not have meant.
            raise ValueError(f"--{name.replace('_', '-')} is given twice; give each field once")
        if inline:
            values[name] = inline
            index += 1
        elif index + 1 < len(args) and not _is_flag(args[index + 1]):
            values[name] = args[index + 1]
            index += 2
        else:
            values[name] = "yes"
            index += 1
    return values


def _is_flag(token: str) -> bool:
    # "-5" is a (bad) value, not a flag; "--x" is a flag.
    return token.startswith("--")


@user_errors
def calc_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Calculator name, or 'list' to show all."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    no_audit: bool = NoAuditOption,
    data_dir: Path = DataDirOption,
) -> None:
    """Run a clinical calculator: ruiyi calc curb65 --confusion no --urea-mmol-l 8 ..."""
    from assistant.clinical.calculators import get_calculator, list_calculators

    if name == "list":
        _print_list(list_calculators(), json_output)
        return
    calculator = get_calculator(name)
    if "--help-fields" in ctx.args:
        _print_list([c for c in list_calculators() if c["name"] == calculator.name], json_output)
        return
    values = parse_field_args(list(ctx.args))
    if not values:
        fields = ", ".join(f"--{f['name'].replace('_', '-')}"
                           for c in list_calculators() if c["name"] == calculator.name
                           for f in c["fields"])
        raise ValueError(f"no fields given for {calculator.name}; give {fields} "
                         f"(see `ruiyi calc {calculator.name} --help-fields`)")
    started = time.perf_counter()
    result = calculator.run(values)
    if not no_audit:
        record_cli_decision(
            data_dir, mode="calculator", question=f"calculator {calculator.name}",
            answer=f"{result.score:g} {result.category}", model_id="calculator:" + calculator.name,
            latency_ms=(time.perf_counter() - started) * 1000,
            details={"calculator": calculator.name, "score": result.score,
                     "category": result.category, "inputs": dict(values)})
    if json_output:
        print_json(result.to_dict())
        return
    unit = f" {result.unit}" if result.unit else ""
    console.print(f"[bold]{escape(calculator.title)}[/]: [bold cyan]{result.score:g}{unit}[/]"
                  + (f"  ({result.category.replace('_', ' ')})" if result.category else ""))
    console.print(escape(result.interpretation))
    if result.details:
        console.print("[dim]" + escape(", ".join(f"{k}={v}" for k, v in result.details.items()))
                      + "[/]")
    console.print(f"[dim]Source: {escape(result.source.label())}[/]")


def _print_list(calculators: list[dict], json_output: bool) -> None:
    if json_output:
        print_json(calculators)
        return
    for calc in calculators:
        table = Table(title=f"{calc['name']}: {calc['title']}", title_justify="left")
        for column in ("field", "type", "accepted", "required", "help"):
            table.add_column(column)
        for field in calc["fields"]:
            if field["kind"] == "bool":
                accepted = "yes/no"
            elif field["kind"] == "choice":
                accepted = "|".join(field["choices"])
            else:
                accepted = f"{field['min']:g}-{field['max']:g} {field['unit']}".strip()
            table.add_row("--" + field["name"].replace("_", "-"), field["kind"], accepted,
                          "yes" if field["required"] else "no", escape(field["help"]))
        console.print(table)
        console.print(f"[dim]Source: {escape(calc['source']['title'])} "
                      f"({calc['source']['publisher']}, {calc['source']['year']}) "
                      f"{calc['source']['url']}[/]")
