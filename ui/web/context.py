"""What every tab of the web app shares: the one assistant, the audit store, the users and
the data directory, plus who is asking (``identity``) and whether they may (``require``).

Built once at app start (``WebContext.create``) and passed to each tab's ``build``; the
handlers take it as their first argument so that tests can call them with fakes. Holds no
Gradio objects; ``guard`` (used by the tabs) turns ``PermissionDenied`` and the other
user-facing errors into ``gr.Error`` messages.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.audit import AuditStore
from assistant.core import Assistant
from knowledge.paths import DataPaths
from retrieval.knowledge_index import KnowledgeIndex
from ui.web.auth import LOCAL_ROLE, LOCAL_USERNAME, UserStore, tabs_for_role

logger = logging.getLogger(__name__)

DISCLAIMER = "Ruiyi supports, and does not replace, clinical judgement."


class PermissionDenied(RuntimeError):
    """The signed-in user's role does not include the tab they called."""


class ShownError(RuntimeError):
    """A failure whose message is safe and useful to show in the page."""


@dataclass(frozen=True)
class Identity:
    username: str
    role: str

    @property
    def tabs(self) -> tuple[str, ...]:
        return tabs_for_role(self.role)


@dataclass
class WebContext:
    paths: DataPaths
    assistant: Assistant
    audit: AuditStore
    users: UserStore | None = None      # None: no sign-in, everyone is the local user
    quantization: str = "none"
    eval_roots: list[Path] = field(default_factory=list)  # where Review looks for eval runs
    export_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ruiyi-export-")))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ddx_engine: Any = field(default=None, repr=False)

    @property
    def sign_in_required(self) -> bool:
        return self.users is not None

    # --- who is asking -----------------------------------------------------------------

    def identity(self, request: Any) -> Identity:
        """The user behind a Gradio request (``request.username`` is set by ``auth=``)."""
        if self.users is None:
            return Identity(LOCAL_USERNAME, LOCAL_ROLE)
        username = getattr(request, "username", None)
        if not username:
            raise PermissionDenied("not signed in; reload the page and sign in")
        user = self.users.get(username)
        if user is None:
            raise PermissionDenied(f"user {username!r} no longer exists; ask an admin")
        return Identity(user.username, user.role)

    def require(self, request: Any, tab: str) -> Identity:
        identity = self.identity(request)
        if tab not in identity.tabs:
            logger.warning("user %s (%s) refused the %s tab", identity.username, identity.role, tab)
            raise PermissionDenied(f"your role ({identity.role}) cannot use the {tab} tab")
        return identity

    def export_path(self, name: str, max_age_s: float = 3600.0) -> Path:
        """A path in the private export folder (0700) for a download; exports older than
        ``max_age_s`` are deleted first, since they may hold patient text."""
        import time

        folder = Path(self.export_dir)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        cutoff = time.time() - max_age_s
        for old in folder.iterdir():
            try:
                if old.is_file() and old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:
                pass  # another thread removed it first
        return folder / Path(name).name

    # --- the shared assistant ----------------------------------------------------------

    @property
    def retriever(self):
        return self.assistant.retriever

    @property
    def knowledge(self) -> KnowledgeIndex | None:
        """The knowledge-index service behind the assistant (None when a test or a caller
        gave it another retriever: uploads are then refused)."""
        retriever = self.assistant.retriever
        return retriever if isinstance(retriever, KnowledgeIndex) else None

    @property
    def manifest(self):
        return self.knowledge.manifest if self.knowledge is not None else None

    @property
    def manifest_hash(self) -> str:
        manifest = self.manifest
        return manifest.manifest_hash if manifest is not None else ""

    def passages(self) -> list:
        return list(self.knowledge.passages) if self.knowledge is not None else []

    def passage_by_id(self, passage_id: str):
        for passage in self.passages():
            if passage.passage_id == passage_id:
                return passage
        return None

    def ddx_engine(self):
        """The differential-diagnosis engine, built on first use over the assistant's
        retriever (the knowledge-index service, which stays the same object across uploads); None when ``assistant.clinical.ddx`` is not installed."""
        if self._ddx_engine is None:
            try:
                from assistant.clinical.ddx import DifferentialEngine
            except ImportError:
                return None
            with self._lock:
                if self._ddx_engine is None:
                    self._ddx_engine = DifferentialEngine(retriever=self.assistant.retriever)
        return self._ddx_engine

    @classmethod
    def create(cls, data_dir: Path | DataPaths, model_id: str | None = None,
               quantization: str = "none", use_sign_in: bool = True, assistant=None,
               database_url: str | None = None, progress=None,
               eval_roots: list[Path] | None = None,
               embedder: str | None = None) -> "WebContext":
        """Load the assistant once (the model itself loads lazily on the first question)."""
        from assistant.factory import build_assistant

        paths = data_dir if isinstance(data_dir, DataPaths) else DataPaths(Path(data_dir))
        paths.ensure()
        assistant = assistant or build_assistant(paths, model_id, quantization, progress=progress,
                                                with_differential=False, embedder=embedder)
        audit = AuditStore(database_url) if database_url else AuditStore.at_path(paths.database_path)
        users = UserStore(paths.users_file)
        return cls(paths=paths, assistant=assistant, audit=audit,
                   users=users if (use_sign_in and users.exists()) else None,
                   quantization=quantization,
                   eval_roots=list(eval_roots or [paths.root / "eval"]))


def log_failure(log: logging.Logger, what: str, error: BaseException) -> None:
    """Log an unexpected failure by type and code location only: exception messages and
    tracebacks with locals could quote the patient text that caused them."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    log.error("%s failed: %s at %s", what, type(error).__name__, where)


# Errors whose message is meant for the user: shown in the page as a Gradio error toast.
USER_FACING_ERRORS: tuple[type[BaseException], ...] = (PermissionDenied, ShownError, ValueError,
                                                       FileNotFoundError)


def guard(fn):
    """Wrap a Gradio handler so user-facing errors show as a message instead of a generic
    "Error". Keeps the signature (Gradio reads it to inject ``gr.Request``)."""
    import functools
    import inspect

    import gradio as gr

    from retrieval.query import QueryError

    expected = USER_FACING_ERRORS + (QueryError,)
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except expected as e:
                raise gr.Error(str(e)) from e
        return generator_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except expected as e:
            raise gr.Error(str(e)) from e
    return wrapper
