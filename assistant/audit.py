"""The audit store: every interaction, feedback vote and reviewer score, in a SQL database.

Default: SQLite at ``DataPaths.database_path`` in WAL mode (readers never block the writer, so
the web app's threads can log while an admin reads the Audit tab). Any SQLAlchemy URL works
(``postgresql+psycopg://...``) for a practice that runs a database server.

Every free-text field (question, answer, error, comment) passes through
``assistant.redaction.redact`` inside this module, before the row is built, so no caller can
store unredacted text by forgetting to redact. ``details`` is for ids, levels and numbers;
string values in it are redacted too. This module stores and reads rows; it does not decide
what an interaction is (the UI and CLI do) and it never logs text.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint, create_engine, event, func, select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.redaction import redact

logger = logging.getLogger(__name__)

MODES = ("consult", "triage", "search", "calculator", "ddx", "ingest", "review")
ROLES = ("gp", "nurse", "evaluator", "admin", "local")


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Interaction(Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16), index=True)
    conversation_id: Mapped[str] = mapped_column(String(64), default="")
    question: Mapped[str] = mapped_column(Text, default="")       # redacted
    answer: Mapped[str] = mapped_column(Text, default="")         # redacted
    model_id: Mapped[str] = mapped_column(String(256), default="")
    quantization: Mapped[str] = mapped_column(String(16), default="")
    manifest_hash: Mapped[str] = mapped_column(String(64), default="")
    prompt_version: Mapped[str] = mapped_column(String(64), default="")
    passage_ids: Mapped[list] = mapped_column(JSON, default=list)
    triggered_rules: Mapped[list] = mapped_column(JSON, default=list)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    abstained: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")          # redacted
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)                 # +1 thumbs up, -1 thumbs down
    comment: Mapped[str] = mapped_column(Text, default="")       # redacted


class Review(Base):
    """One reviewer's rubric scores for one case; scoring the same case again updates it."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("reviewer", "source", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    reviewer: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(512), index=True)  # "audit" or an eval run name
    case_id: Mapped[str] = mapped_column(String(256))
    question: Mapped[str] = mapped_column(Text, default="")       # redacted
    scores: Mapped[dict] = mapped_column(JSON, default=dict)      # rubric item -> integer score
    comment: Mapped[str] = mapped_column(Text, default="")        # redacted


def _enable_sqlite_wal(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - exercised via engine
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
        # the last transactions, which is acceptable for an audit trail of a local app.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _redact_details(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _redact_details(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_details(v) for v in value]
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return redact(str(value))


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _create_schema(engine: Engine) -> None:
    """Create the tables once, even when many processes open a new database at the same
    moment: ``create_all`` checks then creates, so two processes can both see "no table" and
    the second fails with "already exists". SQLite stores take an exclusive file lock around
    it; any database also retries once, when the check will see the other process's tables."""
    lock_path = None
    if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        lock_path = Path(f"{engine.url.database}.schema-lock")
    for attempt in (1, 2):
        try:
            if lock_path is None:
                Base.metadata.create_all(engine)
                return
            with open(os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600), "r+b") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    Base.metadata.create_all(engine)
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return
        except (OperationalError, ProgrammingError) as e:
            if attempt == 2 or "already exists" not in str(e).lower():
                raise


class AuditStore:
    """Read and write audit rows. Thread-safe: each call uses its own session."""

    def __init__(self, url: str) -> None:
        if not url or "://" not in url:
            raise ValueError(f"url must be a SQLAlchemy URL such as sqlite:///ruiyi.db, got {url!r}")
        self.url = url
        is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if is_sqlite:
            # Gradio runs handlers in worker threads; each checks out its own connection.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        self.engine = create_engine(url, **kwargs)
        if is_sqlite:
            _enable_sqlite_wal(self.engine)
        _create_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def at_path(cls, database_path: Path) -> "AuditStore":
        """The SQLite store at ``database_path``, created readable by its owner only (0600;
        SQLite gives the -wal and -shm files the database file's mode)."""
        database_path = Path(database_path)
        database_path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(database_path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(database_path, 0o600)  # an older store created 0644 is tightened too
        return cls(f"sqlite:///{database_path}")

    def journal_mode(self) -> str:
        """``wal`` for the default SQLite store (for checks and the admin page)."""
        if not self.url.startswith("sqlite"):
            return "n/a"
        with self.engine.connect() as connection:
            return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()

    def close(self) -> None:
        self.engine.dispose()

    # --- writing -------------------------------------------------------------------------

    def record_interaction(self, *, username: str, role: str, mode: str, question: str = "",
                           answer: str = "", model_id: str = "", quantization: str = "",
                           manifest_hash: str = "", prompt_version: str = "",
                           passage_ids: Iterable[str] = (), triggered_rules: Iterable[str] = (),
                           latency_ms: float = 0.0, abstained: bool = False,
                           error: str | None = None, conversation_id: str = "",
                           details: dict | None = None) -> int:
        """Store one interaction (text redacted here) and return its id."""
        _check_choice("mode", mode, MODES)
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {latency_ms}")
        row = Interaction(
            username=username, role=role, mode=mode, conversation_id=conversation_id[:64],
            question=redact(question), answer=redact(answer), model_id=model_id,
            quantization=quantization, manifest_hash=manifest_hash,
            prompt_version=prompt_version, passage_ids=[str(p) for p in passage_ids],
            triggered_rules=[redact(str(r)) for r in triggered_rules],
            latency_ms=round(float(latency_ms), 1), abstained=bool(abstained),
            error=redact(error or ""), details=_redact_details(details or {}))
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            row_id = row.id
        logger.info("audit: %s interaction %d by %s (%.0f ms)", mode, row_id, username, latency_ms)
        return row_id

    def record_feedback(self, *, interaction_id: int, username: str, rating: int,
                        comment: str = "") -> int:
        if rating not in (-1, 1):
            raise ValueError(f"rating must be 1 (thumbs up) or -1 (thumbs down), got {rating}")
        with self._sessions.begin() as session:
            if session.get(Interaction, interaction_id) is None:
                raise ValueError(f"interaction_id {interaction_id} does not exist")
            row = Feedback(interaction_id=interaction_id, username=username, rating=rating,
                           comment=redact(comment))
            session.add(row)
            session.flush()
            return row.id

    def save_review(self, *, reviewer: str, source: str, case_id: str, scores: dict[str, int],
                    comment: str = "", question: str = "") -> int:
        """Insert or update this reviewer's scores for a case; returns the row id."""
        if not case_id:
            raise ValueError("case_id must be non-empty")
        clean = {}
        for item, score in scores.items():
            if not isinstance(score, int) or isinstance(score, bool):
                raise ValueError(f"score for {item!r} must be an integer, got {score!r}")
            clean[str(item)] = score
        with self._sessions.begin() as session:
            row = session.scalars(select(Review).where(
                Review.reviewer == reviewer, Review.source == source,
                Review.case_id == case_id)).one_or_none()
            if row is None:
                row = Review(reviewer=reviewer, source=source, case_id=case_id)
                session.add(row)
            row.scores = clean
            row.comment = redact(comment)
            row.question = redact(question)
            row.updated_at = _now()
            session.flush()
            return row.id

    # --- reading -------------------------------------------------------------------------

    def count_interactions(self, mode: str | None = None) -> int:
        with self._sessions() as session:
            query = select(func.count(Interaction.id))
            if mode:
                query = query.where(Interaction.mode == mode)
            return int(session.scalar(query) or 0)

    def recent_interactions(self, limit: int = 100, mode: str | None = None,
                            username: str | None = None) -> list[dict]:
        if not 1 <= limit <= 10_000:
            raise ValueError(f"limit must be 1–10000, got {limit}")
        with self._sessions() as session:
            query = select(Interaction).order_by(Interaction.id.desc()).limit(limit)
            if mode:
                query = query.where(Interaction.mode == mode)
            if username:
                query = query.where(Interaction.username == username)
            return [interaction_to_dict(row) for row in session.scalars(query)]

    def get_interaction(self, interaction_id: int) -> dict | None:
        with self._sessions() as session:
            row = session.get(Interaction, interaction_id)
            return interaction_to_dict(row) if row else None

    def feedback(self, interaction_id: int | None = None) -> list[dict]:
        with self._sessions() as session:
            query = select(Feedback).order_by(Feedback.id)
            if interaction_id is not None:
                query = query.where(Feedback.interaction_id == interaction_id)
            return [{"id": f.id, "created_at": _iso(f.created_at),
                     "interaction_id": f.interaction_id, "username": f.username,
                     "rating": f.rating, "comment": f.comment} for f in session.scalars(query)]

    def reviews(self, source: str | None = None) -> list[dict]:
        with self._sessions() as session:
            query = select(Review).order_by(Review.id)
            if source:
                query = query.where(Review.source == source)
            return [{"id": r.id, "created_at": _iso(r.created_at),
                     "updated_at": _iso(r.updated_at), "reviewer": r.reviewer,
                     "source": r.source, "case_id": r.case_id, "question": r.question,
                     "scores": dict(r.scores or {}), "comment": r.comment}
                    for r in session.scalars(query)]


def interaction_to_dict(row: Interaction) -> dict:
    return {
        "id": row.id, "created_at": _iso(row.created_at), "username": row.username,
        "role": row.role, "mode": row.mode, "conversation_id": row.conversation_id,
        "question": row.question, "answer": row.answer, "model_id": row.model_id,
        "quantization": row.quantization, "manifest_hash": row.manifest_hash,
        "prompt_version": row.prompt_version, "passage_ids": list(row.passage_ids or []),
        "triggered_rules": list(row.triggered_rules or []), "latency_ms": row.latency_ms,
        "abstained": row.abstained, "error": row.error, "details": dict(row.details or {}),
    }


def open_audit_store(database: Path | str) -> AuditStore:
    """A store from a file path (SQLite) or a SQLAlchemy URL."""
    text = str(database)
    return AuditStore(text) if "://" in text else AuditStore.at_path(Path(text))


def dumps_row(row: dict) -> str:
    """One audit row as a JSON line (for exports)."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True)
