"""The users file: scrypt hashes with per-user salt, roles, tab visibility, lockout."""

import json
import stat

import pytest

from ui.web import auth
from ui.web.auth import UserStore, tabs_for_role


def test_passwords_are_hashed_with_a_salt_per_user(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("gp1", "gp", "correct horse battery")
    store.add("gp2", "gp", "correct horse battery")
    data = json.loads((tmp_path / "users.json").read_text())
    first, second = data["users"]["gp1"], data["users"]["gp2"]
    assert "correct horse" not in (tmp_path / "users.json").read_text()
    assert first["kdf"] == "scrypt" and first["salt"] != second["salt"]
    assert first["hash"] != second["hash"]
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600


def test_authenticate_checks_name_and_password(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("nurse1", "nurse", "correct horse battery")
    assert store.authenticate("nurse1", "correct horse battery")
    assert not store.authenticate("nurse1", "wrong password!")
    assert not store.authenticate("nobody", "correct horse battery")
    assert store.get("nurse1").role == "nurse"


def test_repeated_failures_lock_the_name_for_a_while(tmp_path, monkeypatch):
    store = UserStore(tmp_path / "users.json")
    store.add("gp1", "gp", "correct horse battery")
    for _ in range(auth.MAX_FAILED_SIGN_INS):
        assert not store.authenticate("gp1", "guess guess")
    assert not store.authenticate("gp1", "correct horse battery")  # locked out
    clock = auth.time.monotonic() + auth.LOCKOUT_SECONDS + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock)
    assert store.authenticate("gp1", "correct horse battery")


@pytest.mark.parametrize("name, role, password, message", [
    ("bad name", "gp", "correct horse battery", "username must be"),
    ("gp1", "doctor", "correct horse battery", "role must be one of"),
    ("gp1", "gp", "short", "at least 8 characters"),
])
def test_bad_input_is_refused(tmp_path, name, role, password, message):
    with pytest.raises(ValueError, match=message):
        UserStore(tmp_path / "users.json").add(name, role, password)


def test_add_existing_remove_and_list(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("ev1", "evaluator", "correct horse battery")
    with pytest.raises(ValueError, match="already exists"):
        store.add("ev1", "admin", "correct horse battery")
    store.add("ev1", "admin", "another good one", replace=True)
    assert [(u.username, u.role) for u in store.list()] == [("ev1", "admin")]
    store.remove("ev1")
    assert store.list() == [] and not store.exists()
    with pytest.raises(ValueError, match="no user named"):
        store.remove("ev1")


def test_roles_decide_tabs():
    assert tabs_for_role("gp") == ("consult", "knowledge")
    assert tabs_for_role("nurse") == ("triage",)
    assert tabs_for_role("evaluator") == ("knowledge", "review")
    assert tabs_for_role("admin") == ("consult", "triage", "knowledge", "review", "audit")
    assert tabs_for_role(auth.LOCAL_ROLE) == ("consult", "triage", "knowledge", "review")
    with pytest.raises(ValueError):
        tabs_for_role("gp+root")


def test_unreadable_users_file_refuses_sign_in(tmp_path):
    path = tmp_path / "users.json"
    path.write_text("{not json")
    store = UserStore(path)
    assert not store.authenticate("gp1", "correct horse battery")
    with pytest.raises(ValueError, match="unreadable"):
        store.list()
