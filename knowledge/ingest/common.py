"""What every format parser shares: the parsed-document record, parse options, the error type,
and strict text decoding.

Decoding decision (documented in the README): text is read as UTF-8 (a UTF-8 or UTF-16 byte
order mark is honoured). Anything else is rejected with the offset of the first bad byte,
because guessing a legacy code page can silently turn "µg" into "Âµg" in a dose; the user
can name the encoding explicitly (``--encoding cp1252``). HTML may also declare its charset.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Mapping

from knowledge.ingest.chunking import Chunk, ChunkingConfig

# Document-level metadata keys a parser may fill and a user may set with flags.
METADATA_KEYS = ("id", "title", "source_title", "publisher", "code", "version", "url", "topic",
                 "region")


class IngestError(ValueError):
    """A file that cannot be ingested; the message says why and what to do about it."""


@dataclass(frozen=True)
class ParseOptions:
    chunking: ChunkingConfig = ChunkingConfig()
    encoding: str | None = None  # None: UTF-8 (BOM honoured); else decode with this codec
    # (passage field, record field) pairs overriding the JSONL defaults, e.g. ("text", "answer").
    jsonl_fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError as e:
                raise ValueError(f"encoding {self.encoding!r} is unknown; use a Python codec "
                                 "name such as utf-8, cp1252 or latin-1") from e


@dataclass(frozen=True)
class ParsedDocument:
    """What a format parser found: chunks plus whatever metadata the file itself carries."""

    file_format: str
    chunks: tuple[Chunk, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)  # keys from METADATA_KEYS
    warnings: tuple[str, ...] = ()


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text by the rule in the module docstring; raises ``IngestError``."""
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as e:
            raise IngestError(f"cannot be decoded as {encoding} (byte {e.start}: {e.reason})") from e
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as e:
                raise IngestError(f"starts with a {codec} byte order mark but is not valid "
                                  f"{codec} (byte {e.start})") from e
    if b"\x00" in data[:65536]:
        raise IngestError("looks like a binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IngestError(
            f"is not UTF-8 text (first bad byte at offset {e.start}); re-save it as UTF-8, or "
            "name its encoding with --encoding (e.g. --encoding cp1252)") from e


_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces within lines and strip each line; keep line breaks."""
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()
