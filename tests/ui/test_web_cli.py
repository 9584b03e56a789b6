"""`ruiyi users` and the refusals of `ruiyi serve` (nothing is launched here)."""

import json

from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


def _run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_users_add_list_remove(tmp_path):
    home = str(tmp_path)
    added = _run("users", "add", "gp1", "--role", "gp", "--password-stdin", "--data-dir", home,
                 input="correct horse battery\n")
    assert added.exit_code == 0, added.output
    stored = (tmp_path / "users.json").read_text()
    assert "correct horse" not in stored and '"scrypt"' in stored
    listed = _run("users", "list", "--json", "--data-dir", home)
    assert json.loads(listed.output)[0] == {"username": "gp1", "role": "gp",
                                            "created_at": json.loads(listed.output)[0]["created_at"]}
    again = _run("users", "add", "gp1", "--role", "gp", "--password-stdin", "--data-dir", home,
                 input="correct horse battery\n")
    assert again.exit_code == 2 and "already exists" in again.output
    assert _run("users", "remove", "gp1", "--data-dir", home).exit_code == 0
    missing = _run("users", "remove", "gp1", "--data-dir", home)
    assert missing.exit_code == 2 and "no user named" in missing.output


def test_users_add_checks_role_and_password(tmp_path):
    bad_role = _run("users", "add", "x1", "--role", "doctor", "--password-stdin",
                    "--data-dir", str(tmp_path), input="correct horse battery\n")
    assert bad_role.exit_code == 2 and "role must be one of" in bad_role.output
    short = _run("users", "add", "x1", "--role", "nurse", "--password-stdin",
                 "--data-dir", str(tmp_path), input="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    assert not (tmp_path / "users.json").exists()


def test_serve_refuses_the_network_without_sign_in(tmp_path):
    result = _run("serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without sign-in" in result.output
    _run("users", "add", "gp1", "--role", "gp", "--password-stdin", "--data-dir", str(tmp_path),
         input="correct horse battery\n")
    no_auth = _run("serve", "--host", "0.0.0.0", "--no-auth", "--data-dir", str(tmp_path))
    assert no_auth.exit_code == 2 and "refusing to listen" in no_auth.output


def test_serve_checks_quantization_first(tmp_path):
    result = _run("serve", "--quantization", "fp3", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "--quantization must be one of" in result.output
