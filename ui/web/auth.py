"""Users, passwords and roles for the web app, kept in ``DataPaths.users_file`` (JSON).

Passwords are stored as scrypt hashes (``hashlib.scrypt``, n=2**14, r=8, p=1) with a
random 16-byte salt per user; only the hash and its parameters are written, and the file is
created with mode 0600. Roles decide which tabs a user sees (``TABS_BY_ROLE``); each handler
checks the role again on the server, so hiding a tab is not the only barrier.

This module does not talk to Gradio: ``ui.web.app`` passes ``UserStore.authenticate`` as
Gradio's ``auth=`` callable and looks the role up from ``gr.Request.username``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROLES = ("gp", "nurse", "evaluator", "admin")
TABS = ("consult", "triage", "knowledge", "review", "audit")
TABS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "gp": ("consult", "knowledge"),
    "nurse": ("triage",),
    "evaluator": ("review", "knowledge"),
    "admin": TABS,
}
# Without a users file on loopback the app runs as this one local user (no sign-in), who may do
# the clinical and review work but not read other people's audit rows.
LOCAL_USERNAME = "local"
LOCAL_ROLE = "gp+nurse+evaluator"

USERS_FORMAT = 1
MIN_PASSWORD_CHARS = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# After this many failed sign-ins for one name, refuse further tries for LOCKOUT_SECONDS.
MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 60.0


def tabs_for_role(role: str) -> tuple[str, ...]:
    """The tabs a role may use; a combined role such as ``gp+nurse`` gets the union."""
    tabs: set[str] = set()
    for part in role.split("+"):
        if part not in TABS_BY_ROLE:
            raise ValueError(f"role must be one of {', '.join(ROLES)} (or a '+' combination), "
                             f"got {role!r}")
        tabs.update(TABS_BY_ROLE[part])
    return tuple(tab for tab in TABS if tab in tabs)


def check_username(username: str) -> str:
    if not _USERNAME.match(username or ""):
        raise ValueError(f"username must be 1–64 letters, digits, '.', '_' or '-' and start with "
                         f"a letter or digit, got {username!r}")
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def hash_password(password: str, salt: bytes | None = None) -> dict:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"password must be at least {MIN_PASSWORD_CHARS} characters, "
                         f"got {len(password)}")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return {"kdf": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


def verify_password(password: str, record: dict) -> bool:
    if record.get("kdf") != "scrypt":
        return False
    try:
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(record["salt"]),
                                n=int(record["n"]), r=int(record["r"]), p=int(record["p"]),
                                dklen=32)
    except (KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), str(record.get("hash", "")))


@dataclass(frozen=True)
class User:
    username: str
    role: str
    created_at: str = ""


class UserStore:
    """The users file of a data directory. Reads it on every call, so users added with
    ``ruiyi users add`` while the server runs can sign in without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}

    def exists(self) -> bool:
        return self.path.is_file() and bool(self._load().get("users"))

    def _load(self) -> dict:
        if not self.path.is_file():
            return {"format": USERS_FORMAT, "users": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(f"users file {self.path} is unreadable ({e}); fix or remove it and "
                             "add users again with `ruiyi users add`") from e
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise ValueError(f"users file {self.path} has no 'users' object; fix or remove it")
        return data

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a 0600 temporary file and rename it, so a crash never leaves a torn file and
        # the hashes are never readable by other local users.
        handle, name = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def list(self) -> list[User]:
        users = self._load()["users"]
        return [User(name, record.get("role", ""), record.get("created_at", ""))
                for name, record in sorted(users.items())]

    def get(self, username: str) -> User | None:
        record = self._load()["users"].get(username)
        if record is None:
            return None
        return User(username, record.get("role", ""), record.get("created_at", ""))

    def add(self, username: str, role: str, password: str, replace: bool = False) -> User:
        check_username(username)
        check_role(role)
        record = hash_password(password)
        with self._lock:
            data = self._load()
            if username in data["users"] and not replace:
                raise ValueError(f"user {username!r} already exists; remove it first or use "
                                 "--replace")
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            data["users"][username] = {"role": role, "created_at": created, **record}
            data["format"] = USERS_FORMAT
            self._save(data)
        logger.info("user %s added with role %s", username, role)
        return User(username, role, created)

    def remove(self, username: str) -> None:
        with self._lock:
            data = self._load()
            if username not in data["users"]:
                known = ", ".join(sorted(data["users"])) or "none"
                raise ValueError(f"no user named {username!r}; users: {known}")
            del data["users"][username]
            self._save(data)
        logger.info("user %s removed", username)

    def authenticate(self, username: str, password: str) -> bool:
        """Gradio's ``auth=`` callable: True when the name and password match."""
        now = time.monotonic()
        failures, since = self._failures.get(username, (0, now))
        if failures >= MAX_FAILED_SIGN_INS and now - since < LOCKOUT_SECONDS:
            logger.warning("sign-in refused for %r: too many failures", username)
            return False
        try:
            record = self._load()["users"].get(username)
        except ValueError:
            logger.error("users file unreadable; refusing sign-in")
            return False
        ok = record is not None and verify_password(password, record)
        if ok:
            self._failures.pop(username, None)
        else:
            # The window restarts when an old run of failures has expired.
            if now - since >= LOCKOUT_SECONDS:
                failures, since = 0, now
            self._failures[username] = (failures + 1, since)
            logger.info("failed sign-in for %r", username)
        return ok
