"""JSONL files: one passage per line, each a JSON object with its own metadata.

Schema (first non-empty field of each list wins; ``--jsonl-field FIELD=KEY`` replaces a list):

===============  =======================================  ===================================
passage field    record keys read by default              notes
===============  =======================================  ===================================
text             text, content, answer, passage           required
id               id, passage_id                           explicit passage id (else derived)
title            title, focus                             passage title (else the document's)
section          section, section_path, heading, question string, or list of strings (a path)
publisher        publisher
source_title     source_title
code             code
version          version, date
url              url, source_url
topic, region    topic, region
strength         strength
source_section   source_section
===============  =======================================  ===================================

Record fields win over flags, flags over defaults. A record longer than the chunk size is
split (its pieces keep its metadata; an explicit id gets ``-2``, ``-3``… on later pieces) so
that every passage fits the embedder. Unreadable lines are skipped with a warning naming the
line; a file with no usable line is rejected.
"""

from __future__ import annotations

import json

from knowledge.ingest.chunking import Chunk, split_text
from knowledge.ingest.common import (IngestError, ParsedDocument, ParseOptions, decode_text,
                                     normalise_whitespace)

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "answer", "passage"),
    "id": ("id", "passage_id"),
    "title": ("title", "focus"),
    "section": ("section", "section_path", "heading", "question"),
    "publisher": ("publisher",),
    "source_title": ("source_title",),
    "code": ("code",),
    "version": ("version", "date"),
    "url": ("url", "source_url"),
    "topic": ("topic",),
    "region": ("region",),
    "strength": ("strength",),
    "source_section": ("source_section",),
}
_CHUNK_FIELDS = ("id", "section", "text", "strength", "source_section")
MAX_WARNED_LINES = 5


def field_map(overrides: tuple[tuple[str, str], ...] = ()) -> dict[str, tuple[str, ...]]:
    """The record keys read for each passage field, with ``overrides`` applied."""
    fields = dict(DEFAULT_FIELDS)
    for target, key in overrides:
        if target not in DEFAULT_FIELDS:
            raise ValueError(f"--jsonl-field {target}={key}: {target!r} is not a passage field; "
                             f"valid fields: {', '.join(DEFAULT_FIELDS)}")
        if not key.strip():
            raise ValueError(f"--jsonl-field {target}=: give the record key to read")
        fields[target] = (key.strip(),)
    return fields


def _value(record: dict, keys: tuple[str, ...], field: str):
    for key in keys:
        value = record.get(key)
        if value is None or value == "" or value == []:
            continue
        if field == "section" and isinstance(value, list):
            if not all(isinstance(v, (str, int, float)) for v in value):
                raise ValueError(f"{key!r} must be a string or a list of strings")
            return tuple(" ".join(str(v).split()) for v in value if str(v).strip())
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return " ".join(str(value).split()) if field != "text" else str(value)
        raise ValueError(f"{key!r} must be a string, got {type(value).__name__}")
    return None


def _record_chunks(record: dict, fields: dict, options: ParseOptions) -> list[Chunk]:
    values = {field: _value(record, keys, field) for field, keys in fields.items()}
    text = normalise_whitespace(values["text"] or "")
    if not text:
        raise ValueError(f"no text (looked for {', '.join(map(repr, fields['text']))}; "
                         "name the key with --jsonl-field text=KEY)")
    section = values["section"] or ()
    if isinstance(section, str):
        section = (section,)
    metadata = {k: v for k, v in values.items() if k not in _CHUNK_FIELDS and v}
    explicit_id = values["id"] or ""
    pieces = split_text(text, options.chunking)
    return [Chunk(piece, tuple(section),
                  passage_id=(explicit_id if n == 1 else f"{explicit_id}-{n}") if explicit_id else "",
                  source_section=values["source_section"] or "",
                  strength=values["strength"] or "", metadata=metadata,
                  is_table=piece.lstrip().startswith("|"))
            for n, piece in enumerate(pieces, start=1)]


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    fields = field_map(options.jsonl_fields)
    text = decode_text(data, options.encoding).lstrip("\ufeff")
    chunks: list[Chunk] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"a JSON object is needed, got {type(record).__name__}")
            chunks.extend(_record_chunks(record, fields, options))
        except ValueError as e:  # json.JSONDecodeError is a ValueError
            problems.append(f"line {number}: {e}")
    if not chunks:
        shown = "; ".join(problems[:MAX_WARNED_LINES]) or "the file has no records"
        raise IngestError(f"has no usable JSONL record ({shown})")
    warnings = []
    if problems:
        more = f" (and {len(problems) - MAX_WARNED_LINES} more)" if len(problems) > MAX_WARNED_LINES else ""
        warnings.append(f"skipped {len(problems)} unusable line(s): "
                        + "; ".join(problems[:MAX_WARNED_LINES]) + more)
    return ParsedDocument("jsonl", tuple(chunks), {}, tuple(warnings))
