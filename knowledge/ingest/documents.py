"""The user document store: ``<data dir>/documents/<doc_id>.jsonl`` plus a catalog.

Each document's passages are one JSON object per line (``Passage.to_dict``), the format
``knowledge.base.KnowledgeBase`` reads; the files are the truth. ``catalog.json`` beside them
describes each document (source file, format, checksum, when it was added, warnings); a
document missing from the catalog is still listed, with what its passages tell.

Writes are atomic per file: a document is written to a temporary sibling, fsynced and renamed
over the target, then the directory is fsynced; the catalog is replaced the same way after
the documents. A crash therefore leaves every document either in its old or its new version.
One writer at a time: ``lock()`` takes an exclusive, non-blocking lock file.

This module stores and reads; it does not parse files (``batch`` and the format modules) or
touch the index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from knowledge.passage import Passage

logger = logging.getLogger(__name__)

CATALOG_FILE = "catalog.json"
LOCK_FILE = ".lock"
_TMP_MARK = ".tmp-"


class DocumentNotFoundError(ValueError):
    """No stored document has this id; the message says how to list them."""


class StoreBusyError(RuntimeError):
    """Another process is changing the same knowledge base."""


@dataclass(frozen=True)
class DocumentRecord:
    """What the catalog knows about one stored document."""

    doc_id: str
    title: str
    file_format: str = ""
    source_file: str = ""
    source_sha256: str = ""
    publisher: str = ""
    url: str = ""
    version: str = ""
    added_at: str = ""
    passage_count: int = 0
    duplicates_skipped: int = 0
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "DocumentRecord":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["warnings"] = tuple(known.get("warnings", ()))
        return cls(**known)


@dataclass(frozen=True)
class StoredDocument:
    record: DocumentRecord
    passages: tuple[Passage, ...]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Above this many documents, one filesystem-wide sync replaces an fsync per file (10,000
# small files: one sync instead of 10,000 fsyncs).
SYNC_ONCE_ABOVE = 64


def _write_synced(path: Path, text: str, sync: bool = True) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())


class DocumentStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_of(self, doc_id: str) -> Path:
        return self.directory / f"{doc_id}.jsonl"

    def doc_ids(self) -> list[str]:
        """Stored document ids in the order ``KnowledgeBase`` reads them (by file name)."""
        if not self.directory.is_dir():
            return []
        return [p.name[:-len(".jsonl")] for p in sorted(self.directory.glob("*.jsonl"))]

    def __contains__(self, doc_id: str) -> bool:
        return self.path_of(doc_id).is_file()

    def passages(self, doc_id: str) -> list[Passage]:
        path = self.path_of(doc_id)
        if not path.is_file():
            raise DocumentNotFoundError(f"no stored document {doc_id!r}; see `ruiyi kb list`")
        with open(path, encoding="utf-8") as handle:
            return [Passage.from_dict(json.loads(line)) for line in handle if line.strip()]

    def all_passages(self) -> dict[str, list[Passage]]:
        return {doc_id: self.passages(doc_id) for doc_id in self.doc_ids()}

    def _catalog(self) -> dict[str, dict]:
        path = self.directory / CATALOG_FILE
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError) as e:
            # The catalog only describes; the documents themselves are intact.
            logger.warning("document catalog %s unreadable (%s); listing from the files", path, e)
            return {}

    def record(self, doc_id: str) -> DocumentRecord:
        entry = self._catalog().get(doc_id)
        if entry and doc_id in self:
            return DocumentRecord.from_dict(entry)
        passages = self.passages(doc_id)  # raises DocumentNotFoundError
        first = passages[0] if passages else None
        return DocumentRecord(
            doc_id=doc_id, title=first.title if first else doc_id,
            publisher=first.source.publisher if first else "",
            url=first.source.url if first else "", version=first.source.version if first else "",
            passage_count=len(passages))

    def records(self) -> list[DocumentRecord]:
        catalog = self._catalog()
        return [DocumentRecord.from_dict(catalog[d]) if d in catalog else self.record(d)
                for d in self.doc_ids()]

    def _clean_temporaries(self) -> None:
        for leftover in self.directory.glob(f".*{_TMP_MARK}*"):
            leftover.unlink(missing_ok=True)

    def _write_catalog(self, catalog: dict[str, dict]) -> None:
        target = self.directory / CATALOG_FILE
        tmp = self.directory / f".{CATALOG_FILE}{_TMP_MARK}{os.getpid()}"
        _write_synced(tmp, json.dumps(catalog, ensure_ascii=False, indent=1, sort_keys=True))
        os.replace(tmp, target)

    def write(self, documents: Sequence[StoredDocument]) -> None:
        """Add or replace ``documents``; each file appears whole or not at all."""
        if not documents:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clean_temporaries()
        staged: list[tuple[Path, Path]] = []
        sync_each = len(documents) <= SYNC_ONCE_ABOVE
        try:
            for document in documents:
                target = self.path_of(document.record.doc_id)
                tmp = self.directory / f".{target.name}{_TMP_MARK}{os.getpid()}"
                staged.append((tmp, target))
                _write_synced(tmp, "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n"
                                           for p in document.passages), sync=sync_each)
            if not sync_each:
                os.sync()
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        # Everything is on disk before the first rename, so a failed write above leaves the
        # store exactly as it was.
        for tmp, target in staged:
            os.replace(tmp, target)
        catalog = self._catalog()
        catalog.update({d.record.doc_id: d.record.to_dict() for d in documents})
        self._write_catalog(catalog)
        _fsync_dir(self.directory)
        logger.info("stored %d documents in %s", len(documents), self.directory)

    def delete(self, doc_ids: Sequence[str]) -> None:
        missing = [d for d in doc_ids if d not in self]
        if missing:
            raise DocumentNotFoundError(f"no stored document {', '.join(map(repr, missing))}; "
                                        "see `ruiyi kb list`")
        for doc_id in doc_ids:
            self.path_of(doc_id).unlink()
        catalog = self._catalog()
        for doc_id in doc_ids:
            catalog.pop(doc_id, None)
        self._write_catalog(catalog)
        _fsync_dir(self.directory)
        logger.info("removed %d documents from %s", len(doc_ids), self.directory)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's exclusive lock; raise ``StoreBusyError`` when another process does."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / LOCK_FILE, "w") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise StoreBusyError(
                    f"another `ruiyi kb` command is changing {self.directory.parent}; "
                    "try again when it has finished") from e
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
