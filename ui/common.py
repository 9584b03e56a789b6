"""What every command shares: the data-directory option, progress bars, and turning expected
errors into a clear message with exit code 2 instead of a traceback."""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path
from typing import Callable

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.chat import ChatModelError
from retrieval.errors import EmbedderError, IndexUnusableError
from retrieval.query import QueryError

console = Console()
error_console = Console(stderr=True)

# Errors whose message already tells the user what to do: shown as they are, exit code 2.
USER_ERRORS = (QueryError, IndexUnusableError, ChatModelError, EmbedderError, ValueError,
               FileNotFoundError, PermissionError)


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ruiyi"


DataDirOption = typer.Option(
    None, "--data-dir", envvar="RUIYI_HOME",
    help="Where Ruiyi keeps its index, model cache and database "
         "(default: $RUIYI_HOME or ~/.local/share/ruiyi).")

EmbedderOption = typer.Option(
    "minilm", "--embedder", envvar="RUIYI_EMBEDDER",
    help="Retrieval embedder: minilm (default), minilm-onnx (int8, faster index builds) or use "
         "(multilingual: questions in Chinese). Changing it rebuilds the index once.")


IndexEmbedderOption = typer.Option(
    None, "--embedder", envvar="RUIYI_EMBEDDER",
    help="Retrieval embedder: minilm, minilm-onnx or use (default: the one the index was built "
         "with; MiniLM for a new index). Naming another one rebuilds the index with it.")


def check_embedder_name(name: str | None) -> str | None:
    """Refuse an unknown ``--embedder`` before anything loads."""
    from retrieval.embedders import EMBEDDER_CHOICES

    if name is not None and name not in EMBEDDER_CHOICES:
        raise ValueError(f"--embedder must be one of {', '.join(EMBEDDER_CHOICES)}, got {name!r}")
    return name


NoAuditOption = typer.Option(
    False, "--no-audit", help="Write no audit row (for scripted benchmarks; every other run "
                              "records the decision in the data directory's audit store).")

CLI_ROLE = "local"  # the audit role of a command-line user (the web app records signed-in roles)


def record_cli_decision(data_dir: Path | None, *, mode: str, question: str, answer: str,
                        model_id: str, latency_ms: float, triggered_rules=(), passage_ids=(),
                        abstained: bool = False, error: str | None = None,
                        details: dict | None = None) -> None:
    """Write the audit row of one CLI decision, as the web app does for its own: text is
    redacted by ``assistant.audit`` before it is stored. A store that cannot be written is
    reported on stderr and the command exits 1 after its output, so no decision goes
    unrecorded without anyone knowing."""
    import getpass

    from assistant.audit import AuditStore
    from knowledge.paths import DataPaths

    try:
        store = AuditStore.at_path(DataPaths(resolve_data_dir(data_dir)).ensure().database_path)
        try:
            store.record_interaction(
                username=getpass.getuser(), role=CLI_ROLE, mode=mode, question=question,
                answer=answer, model_id=model_id, latency_ms=latency_ms,
                triggered_rules=list(triggered_rules), passage_ids=list(passage_ids),
                abstained=abstained, error=error, details={"client": "cli", **(details or {})})
        finally:
            store.close()
    except Exception as e:  # noqa: BLE001 - any storage failure is reported the same way
        error_console.print(f"[bold red]Error:[/] the audit row could not be written "
                            f"({type(e).__name__}); check that the data directory is writable, "
                            "or pass --no-audit", highlight=False)
        raise typer.Exit(1) from None


def resolve_data_dir(data_dir: Path | None) -> Path:
    return Path(data_dir) if data_dir else default_data_dir()


def fail(message: str, code: int = 2) -> None:
    error_console.print(f"[bold red]Error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def user_errors(func: Callable) -> Callable:
    """Decorator: expected errors become a one-line message and exit code 2."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as e:
            fail(str(e))
    return wrapper


def setup_logging(verbose: bool = False) -> None:
    # Logs carry ids, counts and timings only (never question or answer text).
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class IndexProgress:
    """A rich progress bar usable as ``retrieval.index.ProgressCallback``."""

    def __init__(self, description: str = "Embedding passages", enabled: bool = True) -> None:
        self.description = description
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=error_console, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=total)
        self._progress.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def print_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
