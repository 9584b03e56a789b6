"""Plain text files: decoded strictly (see ``common.decode_text``) and chunked like Markdown
without front matter, so blank lines separate paragraphs and ``# `` lines, if any, are
headings. The title comes from flags or the file name."""

from __future__ import annotations

from knowledge.ingest.chunking import chunk_markdown
from knowledge.ingest.common import ParsedDocument, ParseOptions, decode_text, normalise_whitespace


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    text = normalise_whitespace(decode_text(data, options.encoding))
    return ParsedDocument("text", tuple(chunk_markdown(text, options.chunking)))
