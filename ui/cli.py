"""The ``ruiyi`` command line: a thin shell over the packages.

Each command group lives in ``ui/commands/<group>.py`` and exposes ``register(app)``.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

# Command groups in the order `ruiyi --help` lists them. A group whose module is not written
# yet is skipped (find_spec), but an import error inside a written module is never hidden.
COMMAND_MODULES = ("ask", "kb", "serve", "triage", "calc", "ddx", "eval", "bench", "users")

app = typer.Typer(
    name="ruiyi",
    help="Ruiyi (睿医): clinical decision support for general practice. "
    "Supports, and does not replace, clinical judgement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_command_groups() -> None:
    for name in COMMAND_MODULES:
        module_name = f"ui.commands.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(app)


_register_command_groups()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
