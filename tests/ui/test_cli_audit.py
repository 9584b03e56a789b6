"""Every decision the CLI supports is recorded in the audit store, redacted, as the web app
records its own; ``--no-audit`` turns it off for scripted benchmarks."""

import json
import os

import pytest
from typer.testing import CliRunner

from assistant.audit import AuditStore
from knowledge.paths import DataPaths
from ui.cli import app

runner = CliRunner()
NAMED = "Mr John Smith 07700 900123, 58M, crushing chest pain and sweaty"


def _rows(home):
    store = AuditStore.at_path(DataPaths(home).database_path)
    try:
        return store.recent_interactions(limit=50)
    finally:
        store.close()


@pytest.mark.parametrize("argv, mode", [
    (["triage", NAMED, "--no-semantic"], "triage"),
    (["calc", "centor", "--no-cough", "yes", "--fever-history", "yes"], "calculator"),
    (["ddx", NAMED], "ddx"),
])
def test_each_command_writes_one_redacted_audit_row(tmp_path, argv, mode):
    home = tmp_path / "home"
    result = runner.invoke(app, [*argv, "--data-dir", str(home), "--json"])
    assert result.exit_code == 0, result.output
    rows = _rows(home)
    assert len(rows) == 1
    row = rows[0]
    assert row["mode"] == mode and row["role"] == "local" and row["details"]["client"] == "cli"
    assert "John Smith" not in json.dumps(row) and "07700" not in json.dumps(row)
    assert os.stat(DataPaths(home).database_path).st_mode & 0o777 == 0o600
    if mode == "triage":
        assert row["details"]["level"] == json.loads(result.stdout)["level"] == "emergency"
        assert row["triggered_rules"]


def test_no_audit_writes_nothing(tmp_path):
    home = tmp_path / "home"
    result = runner.invoke(app, ["triage", "sore throat", "--no-semantic", "--no-audit",
                                 "--data-dir", str(home)])
    assert result.exit_code == 0, result.output
    assert not DataPaths(home).database_path.exists()


def test_an_unwritable_audit_store_is_reported_and_exits_1(tmp_path):
    home = tmp_path / "home"
    DataPaths(home).ensure()
    DataPaths(home).database_path.mkdir()  # a folder where the database file should be
    result = runner.invoke(app, ["triage", "sore throat", "--no-semantic", "--json",
                                 "--data-dir", str(home)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["level"]  # the decision was still shown
    assert "audit row could not be written" in result.stderr and "Traceback" not in result.output
