"""Ingest many files and folders in one go, with one result per file, and commit the batch.

``prepare_batch`` reads, parses, chunks and deduplicates without writing anything; each file
ends as added, replaced (same document id as a stored one, new content), unchanged, duplicate
(every passage already in the knowledge base), skipped (an unsupported file met while walking
a folder) or rejected (with the reason), and the rest of the batch goes on.
``commit_batch`` then builds the new index *before* writing the documents and publishes it
after, so a failure while embedding leaves the store and the live index exactly as they were.
``remove_documents`` does the same for removal. Index building is passed in as callables
because ``knowledge`` imports nothing of ``retrieval``.

Metadata precedence: a JSONL record's own fields, then flags (``IngestOptions.metadata``), then
what the file says (front matter, HTML meta, PDF/DOCX properties), then fallbacks (title: the
file name; url: the file's ``file://`` address). Document ids: the front-matter ``id``, else
the file name (its path below the folder when found by walking one), as a lowercase ASCII
slug (a short hash is added when non-Latin characters had to be dropped, so 高血压.txt and
糖尿病.txt stay apart).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence, TypeVar

from knowledge.ingest import docx, html, jsonl, markdown, pdf, text
from knowledge.ingest.common import IngestError, ParsedDocument, ParseOptions
from knowledge.ingest.dedup import DEFAULT_NEAR_THRESHOLD, DuplicateFinder, DuplicateMatch
from knowledge.ingest.documents import (DocumentNotFoundError, DocumentRecord, DocumentStore,
                                        StoredDocument)
from knowledge.passage import Passage, Source, derived_passage_id

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".md": "markdown",
           ".markdown": "markdown", ".txt": "text", ".text": "text", ".docx": "docx",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}
_PARSERS = {"pdf": pdf.parse, "html": html.parse, "markdown": markdown.parse, "text": text.parse,
            "docx": docx.parse, "jsonl": jsonl.parse}
_HINTS = {".doc": "legacy Word .doc is not supported; save it as .docx",
          ".odt": "save it as .docx", ".rtf": "save it as .docx or plain text",
          ".json": "use JSON Lines (.jsonl): one passage object per line"}
FLAG_KEYS = ("title", "publisher", "url", "version", "code", "topic", "region")
STATUSES = ("added", "replaced", "unchanged", "duplicate", "skipped", "rejected")

ProgressCallback = Callable[[int, int], None]  # (files done, files total)
IndexT = TypeVar("IndexT")


@dataclass(frozen=True)
class IngestOptions:
    metadata: Mapping[str, str] = field(default_factory=dict)  # from flags; see FLAG_KEYS
    parse: ParseOptions = ParseOptions()
    max_file_bytes: int = MAX_FILE_BYTES
    near_duplicate_threshold: float = DEFAULT_NEAR_THRESHOLD
    # A file may replace a stored document of the same id that came from another file only
    # when asked: "guide.html" then "guide.md" share an id, and the first must not vanish.
    replace: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.metadata) - set(FLAG_KEYS))
        if unknown:
            raise ValueError(f"unknown metadata {unknown}; valid keys: {', '.join(FLAG_KEYS)}")
        url = self.metadata.get("url") or ""
        if url and not re.match(r"^https?://\S+$", url):
            raise ValueError(f"--url must be a web address starting with https://, got {url!r}")
        if self.max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be > 0, got {self.max_file_bytes}")


@dataclass
class FileResult:
    path: str
    status: str
    doc_id: str = ""
    file_format: str = ""
    passages: int = 0
    duplicates: list[DuplicateMatch] = field(default_factory=list)
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["duplicates"] = [d.to_dict() for d in self.duplicates]
        return data


@dataclass
class IngestBatch:
    results: list[FileResult]
    documents: list[StoredDocument]
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> dict:
        """Counts, skipped files with reasons, and skipped duplicate passages."""
        return {
            "files": len(self.results),
            "documents_added": self.count("added"),
            "documents_replaced": self.count("replaced"),
            "documents_unchanged": self.count("unchanged"),
            "passages_added": sum(len(d.passages) for d in self.documents),
            "duplicates_skipped": sum(len(r.duplicates) for r in self.results),
            "files_rejected": self.count("rejected"),
            "skipped": [{"file": r.path, "status": r.status, "reason": r.message}
                        for r in self.results if r.status not in ("added", "replaced")],
            "duplicate_passages": [{"file": r.path, **d.to_dict()}
                                   for r in self.results for d in r.duplicates],
            "warnings": [{"file": r.path, "warning": w} for r in self.results for w in r.warnings],
            "seconds": round(self.seconds, 3),
        }


def document_id(name: str) -> str:
    """A lowercase ASCII slug of ``name`` (see the module docstring)."""
    decomposed = unicodedata.normalize("NFKD", name)
    lost = any(ord(c) > 127 and c.isalnum() and not unicodedata.combining(c) for c in decomposed)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:60].strip("-")
    if lost or not slug:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else f"doc-{digest}"
    return slug


def discover(paths: Sequence[Path | str]) -> Iterator[tuple[Path, str, str, str]]:
    """(file, status, message, name): status "" for a file to read, else skipped/rejected;
    ``name`` is what the document id is made from: the file name without its extension, or,
    inside a folder, its path below that folder (``guides/asthma``), so that equal file names
    in different subfolders stay apart and re-adding the folder gives the same ids.

    Folders are walked recursively in sorted order; hidden files and folders are ignored and
    symbolic links to folders are not followed (no cycles)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = []
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                found.extend(Path(folder) / f for f in sorted(files) if not f.startswith("."))
            if not found:
                yield path, "rejected", "is a folder with no files", path.name
            for file in found:
                name = str(file.relative_to(path).with_suffix(""))
                if file.suffix.lower() in FORMATS:
                    yield file, "", "", name
                else:
                    yield file, "skipped", _unsupported(file), name
        elif path.is_file():
            if path.suffix.lower() in FORMATS:
                yield path, "", "", path.stem
            else:
                yield path, "rejected", _unsupported(path), path.stem
        elif path.exists():
            yield path, "rejected", "is not a regular file or folder", path.name
        else:
            yield path, "rejected", "does not exist", path.name


def _unsupported(path: Path) -> str:
    suffix = path.suffix.lower() or "(none)"
    hint = _HINTS.get(suffix, f"supported: {', '.join(sorted(FORMATS))}")
    return f"has an unsupported file type {suffix}; {hint}"


def _size(n_bytes: int) -> str:
    if n_bytes >= 2**20:
        return f"{n_bytes / 2**20:.1f} MB"
    return f"{n_bytes / 1024:.1f} kB" if n_bytes >= 1024 else f"{n_bytes} bytes"


def _read(path: Path, options: IngestOptions) -> tuple[bytes, str]:
    """The file's bytes and format, refusing empty and oversized files before reading them."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError("is empty")
    limit = options.max_file_bytes
    if size > limit:
        raise IngestError(f"is {_size(size)}, above the {_size(limit)} limit; split it into "
                          "smaller files or raise --max-file-mb")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)  # never more than the limit, even if the file grew
    if len(data) > limit:
        raise IngestError(f"grew above the {_size(limit)} limit while being read")
    return data, FORMATS[path.suffix.lower()]


def _metadata(parsed: ParsedDocument, options: IngestOptions, path: Path) -> dict[str, str]:
    metadata = {"title": path.stem, "url": path.absolute().as_uri()}
    metadata.update({k: str(v) for k, v in parsed.metadata.items() if v})
    metadata.update({k: v for k, v in options.metadata.items() if v})
    return metadata


def _passages(doc_id: str, parsed: ParsedDocument, metadata: Mapping[str, str]) -> list[Passage]:
    passages = []
    for chunk in parsed.chunks:
        meta = {**metadata, **{k: v for k, v in chunk.metadata.items() if v}}
        title = meta["title"]
        section_path = chunk.section_path
        if not section_path or section_path[0] != title:
            section_path = (title, *section_path)
        source = Source(publisher=meta.get("publisher", ""), code=meta.get("code", ""),
                        title=meta.get("source_title") or title,
                        version=meta.get("version", ""), url=meta.get("url", ""))
        passages.append(Passage(
            passage_id=chunk.passage_id or derived_passage_id(doc_id, section_path, chunk.text),
            doc_id=doc_id, title=title, section_path=section_path, text=chunk.text,
            source=source, source_section=chunk.source_section, strength=chunk.strength,
            topic=meta.get("topic", ""), region=meta.get("region", "")))
    return passages


@dataclass
class _Candidate:
    result: FileResult
    passages: list[Passage]
    metadata: dict
    sha256: str


def _parse_file(path: Path, name: str, options: IngestOptions, bundled_doc_ids: set[str],
                taken: dict[str, str]) -> tuple[FileResult, _Candidate | None]:
    result = FileResult(str(path), "rejected")
    try:
        data, file_format = _read(path, options)
        result.file_format = file_format
        parsed = _PARSERS[file_format](data, options.parse)
    except IngestError as e:
        result.message = f"{path} {e}"
        return result, None
    except OSError as e:
        result.message = f"{path} cannot be read ({e.strerror or e})"
        return result, None
    except Exception as e:  # a library failing on odd input must not stop the batch
        logger.info("parser failed on a file: %s", type(e).__name__)
        result.message = f"{path} could not be parsed ({type(e).__name__}: {e})"
        return result, None
    result.warnings.extend(parsed.warnings)
    if not parsed.chunks:
        result.message = f"{path} contains no text"
        return result, None
    metadata = _metadata(parsed, options, path)
    doc_id = document_id(str(parsed.metadata.get("id") or name))
    result.doc_id = doc_id
    if doc_id in bundled_doc_ids:
        result.message = (f"{path}: document id {doc_id!r} belongs to the bundled corpus; "
                          "rename the file or set another id in its front matter")
        return result, None
    if doc_id in taken:
        result.message = (f"{path}: document id {doc_id!r} is already used by {taken[doc_id]} "
                          "in this batch; rename one of the files")
        return result, None
    passages = _passages(doc_id, parsed, metadata)
    # Explicit ids must be unique; equal derived ids mean equal text, which dedup skips.
    explicit = Counter(chunk.passage_id for chunk in parsed.chunks if chunk.passage_id)
    repeated = sorted(i for i, n in explicit.items() if n > 1)[:5]
    if repeated:
        result.message = f"{path}: passage ids used twice in the file: {', '.join(repeated)}"
        return result, None
    if any(not p.source.publisher for p in passages):
        result.warnings.append("no publisher in the file or flags; citations will not name one "
                               "(use --publisher)")
    taken[doc_id] = str(path)
    return result, _Candidate(result, passages, metadata, hashlib.sha256(data).hexdigest())


def prepare_batch(paths: Sequence[Path | str], store: DocumentStore,
                  bundled: Sequence[Passage], options: IngestOptions = IngestOptions(),
                  progress: ProgressCallback | None = None) -> IngestBatch:
    """Read and check every file under ``paths`` against ``bundled`` and ``store``; write nothing."""
    started = time.perf_counter()
    files = list(discover(paths))
    bundled_doc_ids = {p.doc_id for p in bundled}
    taken: dict[str, str] = {}
    results: list[FileResult] = []
    candidates: list[_Candidate] = []
    for done, (path, status, message, name) in enumerate(files, start=1):
        if status:
            results.append(FileResult(str(path), status, message=f"{path} {message}"))
        else:
            result, candidate = _parse_file(path, name, options, bundled_doc_ids, taken)
            results.append(result)
            if candidate:
                candidates.append(candidate)
        if progress:
            progress(done, len(files))

    stored = store.all_passages() if candidates else {}
    if stored and not options.replace:
        candidates = [c for c in candidates if not _clashes_with_other_file(c, store, stored)]
    replaced = {c.result.doc_id for c in candidates if c.result.doc_id in stored}
    finder = DuplicateFinder(options.near_duplicate_threshold)
    known_ids: dict[str, str] = {}
    for passage in [*bundled, *(p for d, ps in stored.items() if d not in replaced for p in ps)]:
        finder.add(passage.passage_id, passage.text)
        known_ids[passage.passage_id] = passage.doc_id
    documents = [_dedup_one(c, finder, known_ids, stored) for c in candidates]
    batch = IngestBatch(results, [d for d in documents if d is not None],
                        time.perf_counter() - started)
    logger.info("prepared %d files: %d documents, %d passages, %d rejected in %.1f s",
                len(files), len(batch.documents), sum(len(d.passages) for d in batch.documents),
                batch.count("rejected"), batch.seconds)
    return batch


def _clashes_with_other_file(candidate: _Candidate, store: DocumentStore,
                             stored: Mapping[str, list[Passage]]) -> bool:
    """Reject (and say so) a file whose document id belongs to a document stored from
    another file; the same file again, with new content, is an update and passes."""
    result = candidate.result
    if result.doc_id not in stored:
        return False
    previous = store.record(result.doc_id).source_file
    if previous == str(Path(result.path).absolute()):
        return False
    result.status = "rejected"
    result.message = (f"{result.path}: document id {result.doc_id!r} is already used by "
                      f"{Path(previous).name or 'another file'}; rename this file, give it its "
                      "own id in front matter, or pass --replace to replace that document")
    return True


def _dedup_one(candidate: _Candidate, finder: DuplicateFinder, known_ids: dict[str, str],
               stored: Mapping[str, list[Passage]]) -> StoredDocument | None:
    result = candidate.result
    clashes = [p.passage_id for p in candidate.passages if p.passage_id in known_ids]
    if clashes:
        result.status = "rejected"
        result.message = (f"{result.path}: passage id {clashes[0]!r} is already used by "
                          f"document {known_ids[clashes[0]]!r}; give the passages other ids")
        return None
    kept = []
    for passage in candidate.passages:
        match = finder.check(passage.passage_id, passage.text)
        if match:
            result.duplicates.append(match)
        else:
            kept.append(passage)
    if not kept:
        result.status = "duplicate"
        result.message = (f"{result.path}: all {len(candidate.passages)} passages repeat "
                          f"passages already in the knowledge base (e.g. "
                          f"{result.duplicates[0].duplicate_of!r}); nothing to add")
        return None
    known_ids.update({p.passage_id: p.doc_id for p in kept})
    doc_id = result.doc_id
    result.passages = len(kept)
    if doc_id in stored and stored[doc_id] == kept:
        result.status, result.message = "unchanged", f"{result.path}: already stored, unchanged"
        return None
    result.status = "replaced" if doc_id in stored else "added"
    meta = candidate.metadata
    record = DocumentRecord(
        doc_id=doc_id, title=meta["title"], file_format=result.file_format,
        source_file=str(Path(result.path).absolute()), source_sha256=candidate.sha256,
        publisher=meta.get("publisher", ""), url=meta.get("url", ""),
        version=meta.get("version", ""),
        added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        passage_count=len(kept), duplicates_skipped=len(result.duplicates),
        warnings=tuple(result.warnings))
    return StoredDocument(record, tuple(kept))


def passages_after(store: DocumentStore, bundled: Sequence[Passage],
                   add: Sequence[StoredDocument] = (), remove: Sequence[str] = ()) -> list[Passage]:
    """Every passage of the knowledge base once ``add`` is written and ``remove`` deleted, in
    the order ``KnowledgeBase.passages`` will read them (so the index's corpus hash matches)."""
    by_doc: dict[str, Sequence[Passage]] = {
        doc_id: store.passages(doc_id) for doc_id in store.doc_ids() if doc_id not in remove}
    by_doc.update({d.record.doc_id: d.passages for d in add})
    ordered = sorted(by_doc, key=lambda doc_id: f"{doc_id}.jsonl")
    return [*bundled, *(p for doc_id in ordered for p in by_doc[doc_id])]


def commit_batch(batch: IngestBatch, store: DocumentStore, bundled: Sequence[Passage],
                 build_index: Callable[[list[Passage]], IndexT],
                 publish_index: Callable[[IndexT], None]) -> IndexT | None:
    """Build the index for the knowledge base with the batch, then store the documents, then
    publish the index. Returns the index, or None when there was nothing to store."""
    if not batch.documents:
        return None
    index = build_index(passages_after(store, bundled, add=batch.documents))
    store.write(batch.documents)
    publish_index(index)
    return index


def remove_documents(doc_ids: Sequence[str], store: DocumentStore, bundled: Sequence[Passage],
                     build_index: Callable[[list[Passage]], IndexT],
                     publish_index: Callable[[IndexT], None]) -> IndexT:
    """Remove stored documents and publish the index without them (same order as commit)."""
    bundled_ids = {p.doc_id for p in bundled}
    for doc_id in doc_ids:
        if doc_id in bundled_ids:
            raise ValueError(f"{doc_id!r} is part of the bundled corpus and cannot be removed")
        if doc_id not in store:
            raise DocumentNotFoundError(f"no stored document {doc_id!r}; see `ruiyi kb list`")
    index = build_index(passages_after(store, bundled, remove=doc_ids))
    store.delete(doc_ids)
    publish_index(index)
    return index
