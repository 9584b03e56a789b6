"""`ruiyi serve`: start the web app on this computer (or, with sign-in, on the network)."""

from __future__ import annotations

from pathlib import Path

import typer

from ui.common import (DataDirOption, EmbedderOption, IndexProgress, console, fail,
                       resolve_data_dir, setup_logging)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything "
                             "other than loopback requires sign-in (users from `ruiyi users`)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535),
    data_dir: Path = DataDirOption,
    model: str = typer.Option(None, "--model", help="A Hugging Face model id or local path "
                              "(default: the offline SmolLM2-135M-Instruct)."),
    quantization: str = typer.Option("none", "--quantization", help="none | nf4 | int8"),
    embedder: str = EmbedderOption,
    no_auth: bool = typer.Option(False, "--no-auth", help="Run without sign-in (loopback only)."),
    database_url: str = typer.Option(None, "--database-url", envvar="RUIYI_DATABASE_URL",
                                     help="SQLAlchemy URL for the audit store (default: SQLite "
                                     "ruiyi.db in the data directory)."),
    eval_dir: list[Path] = typer.Option(None, "--eval-dir", help="Folder(s) whose evaluation "
                                        "runs the Review tab may open (default: <data dir>/eval)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log timings and counts."),
) -> None:
    """Serve the Ruiyi web app (Consult, Triage, Knowledge, Review, Audit)."""
    from assistant.transformers_backend import QUANTIZATIONS
    from knowledge.paths import DataPaths
    from retrieval.embedders import EMBEDDER_CHOICES
    from ui.common import USER_ERRORS
    from ui.web.app import check_bind, launch_app
    from ui.web.auth import UserStore
    from ui.web.context import WebContext

    setup_logging(verbose)
    if quantization not in QUANTIZATIONS:
        fail(f"--quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
    if embedder not in EMBEDDER_CHOICES:
        fail(f"--embedder must be one of {', '.join(EMBEDDER_CHOICES)}, got {embedder!r}")
    paths = DataPaths(resolve_data_dir(data_dir))
    try:
        has_users = UserStore(paths.users_file).exists()
    except ValueError as e:
        fail(str(e))
    sign_in = has_users and not no_auth
    try:
        # Checked before anything loads, so a refused start is immediate.
        check_bind(host, sign_in)
    except ValueError as e:
        if no_auth or has_users:
            fail(str(e))
        fail(f"{e} (no users file at {paths.users_file})")
    try:
        ctx = WebContext.create(paths, model, quantization, use_sign_in=sign_in,
                                database_url=database_url, embedder=embedder,
                                progress=IndexProgress("Building the guideline index (first use)"),
                                eval_roots=list(eval_dir) if eval_dir else None)
    except USER_ERRORS as e:
        fail(str(e))
    if sign_in:
        console.print(f"Sign-in required (users from {paths.users_file}).")
    else:
        console.print("[yellow]No sign-in[/]: this computer only, as the local user "
                      "(gp+nurse+evaluator). Add users with `ruiyi users add` to require it.")
    console.print(f"Ruiyi at http://{host}:{port}  (Ctrl+C to stop)")
    launch_app(ctx, host, port, quiet=not verbose)
