"""`ruiyi users`: add, list and remove the web app's users (hashed passwords, roles)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ui.common import DataDirOption, console, fail, print_json, resolve_data_dir, user_errors

users_app = typer.Typer(help="Web app users: roles gp, nurse, evaluator, admin.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


def _store(data_dir: Path | None):
    from knowledge.paths import DataPaths
    from ui.web.auth import UserStore

    return UserStore(DataPaths(resolve_data_dir(data_dir)).users_file)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        # The first line of stdin, without its newline (so `echo pw | ruiyi users add` works).
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        fail("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
@user_errors
def add(name: str = typer.Argument(..., help="Sign-in name (letters, digits, . _ -)."),
        role: str = typer.Option(..., "--role", help="gp | nurse | evaluator | admin"),
        password_stdin: bool = typer.Option(False, "--password-stdin",
                                            help="Read the password from the first line of stdin."),
        replace: bool = typer.Option(False, "--replace", help="Replace an existing user "
                                     "(new password and role)."),
        data_dir: Path = DataDirOption) -> None:
    """Add a user; the password is asked for (or read from stdin) and stored hashed."""
    from ui.web.auth import check_role, check_username

    check_username(name)
    check_role(role)
    store = _store(data_dir)
    if store.get(name) is not None and not replace:
        fail(f"user {name!r} already exists; use --replace to change it")
    user = store.add(name, role, _read_password(password_stdin), replace=replace)
    console.print(f"User {user.username} ({user.role}) saved to {store.path}")


@users_app.command("list")
@user_errors
def list_users(json_output: bool = typer.Option(False, "--json", help="Print JSON."),
               data_dir: Path = DataDirOption) -> None:
    """List users and their roles (never passwords or hashes)."""
    users = _store(data_dir).list()
    if json_output:
        print_json([{"username": u.username, "role": u.role, "created_at": u.created_at}
                    for u in users])
        return
    if not users:
        console.print("No users: `ruiyi serve` runs without sign-in on this computer only.")
    for user in users:
        console.print(f"{user.username}\t{user.role}\t{user.created_at}", highlight=False)


@users_app.command("remove")
@user_errors
def remove(name: str = typer.Argument(..., help="The user to remove."),
           data_dir: Path = DataDirOption) -> None:
    """Remove a user (they can no longer sign in)."""
    store = _store(data_dir)
    store.remove(name)
    console.print(f"User {name} removed.")
