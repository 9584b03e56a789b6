"""PDF files with a text layer, read with pypdf page by page.

Rejected with a reason: encrypted files that do not open with an empty password, damaged
files, and files with no text layer (scanned images need OCR first, e.g. ocrmypdf). PDFs have
no reliable headings, so each chunk's section path is its page ("page 3" or "pages 3–4").
Metadata from the document information: title, author (as publisher when no flag gives one),
subject is ignored. Junk titles that PDF writers leave ("Microsoft Word - x.docx") are dropped.
"""

from __future__ import annotations

import io
import logging
import re

from knowledge.ingest.chunking import chunk_pages
from knowledge.ingest.common import IngestError, ParsedDocument, ParseOptions, normalise_whitespace
from knowledge.ingest.tokens import count_tokens

logger = logging.getLogger(__name__)

_JUNK_TITLE = re.compile(r"^(microsoft (word|powerpoint) - |untitled|document\d*$)|\.(docx?|pdf)$",
                         re.I)


def _metadata(reader) -> dict[str, str]:
    try:
        info = reader.metadata
    except Exception as e:  # a damaged info dictionary should not cost the text
        logger.info("PDF document information unreadable: %s", type(e).__name__)
        return {}
    if not info:
        return {}
    found = {"title": str(info.title or "").strip(), "publisher": str(info.author or "").strip()}
    if _JUNK_TITLE.search(found["title"]):
        found["title"] = ""
    return {key: value for key, value in found.items() if value}


def _open(data: bytes):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, ValueError, TypeError, KeyError, OSError) as e:
        raise IngestError(f"is not a readable PDF ({e})") from e
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many PDFs are "encrypted" with an empty password
        except (DependencyError, FileNotDecryptedError, NotImplementedError) as e:
            raise IngestError(f"is an encrypted PDF that cannot be opened here ({e}); "
                              "save an unprotected copy and add that") from e
        if not opened:
            raise IngestError("is an encrypted (password-protected) PDF; save an unprotected "
                              "copy and add that")
    return reader


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    reader = _open(data)
    pages: list[str] = []
    try:
        for page in reader.pages:
            pages.append(normalise_whitespace(page.extract_text() or ""))
    except Exception as e:  # pypdf raises many types on damaged content streams
        raise IngestError(f"is a damaged PDF: page {len(pages) + 1} could not be read "
                          f"({type(e).__name__}: {e})") from e
    if not pages:
        raise IngestError("is a PDF with no pages")
    empty = [number for number, text in enumerate(pages, start=1) if not count_tokens(text)]
    if len(empty) == len(pages):
        raise IngestError(f"has no text layer in any of its {len(pages)} pages (a scanned or "
                          "image-only PDF); run OCR first (e.g. ocrmypdf) and add the result")
    warnings = []
    if empty:
        shown = ", ".join(map(str, empty[:10])) + (" …" if len(empty) > 10 else "")
        warnings.append(f"{len(empty)} of {len(pages)} pages have no text layer and were "
                        f"skipped (pages {shown})")
    return ParsedDocument("pdf", tuple(chunk_pages(pages, options.chunking)),
                          _metadata(reader), tuple(warnings))
