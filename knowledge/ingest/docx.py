"""Word documents (.docx) with python-docx: paragraphs and tables in document order, "Heading N"
and "Title" styles as headings, list styles as bullet items.

Metadata from the core properties: title; author as the publisher (only when no flag gives
one); version; identifier as url when it is a web address. Legacy
.doc files are not supported (save as .docx).
"""

from __future__ import annotations

import io
import re

from knowledge.ingest.chunking import Block, chunk_blocks, table_to_markdown
from knowledge.ingest.common import IngestError, ParsedDocument, ParseOptions

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def _style_name(paragraph) -> str:
    try:
        return paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError, AttributeError):  # a style id the document does not define
        return ""


def _blocks(document) -> list[Block]:
    from docx.table import Table

    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            table = table_to_markdown(rows)
            if table:
                blocks.append(Block("table", table))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        style = _style_name(item)
        heading = _HEADING_STYLE.match(style)
        if heading:
            blocks.append(Block("heading", text, int(heading.group(1))))
        elif style.lower() == "title":
            blocks.append(Block("heading", text, 1))
        elif style.lower().startswith("list"):
            blocks.append(Block("text", f"- {text}"))
        else:
            blocks.append(Block("text", text))
    return blocks


def _metadata(document) -> dict[str, str]:
    props = document.core_properties
    found = {
        "title": (props.title or "").strip(),
        "publisher": (props.author or "").strip(),
        # Not the modified date: templates carry theirs (python-docx's says 2013).
        "version": (props.version or "").strip(),
        "url": (props.identifier or "").strip(),
    }
    if not found["url"].startswith(("http://", "https://")):
        found["url"] = ""
    return {key: value for key, value in found.items() if value}


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx, zipfile and lxml each raise their own types
        raise IngestError(f"is not a readable .docx file ({type(e).__name__}: {e})") from e
    blocks = _blocks(document)
    metadata = _metadata(document)
    if "title" not in metadata:
        first = next((b.text for b in blocks if b.kind == "heading"), "")
        if first:
            metadata["title"] = first
    return ParsedDocument("docx", tuple(chunk_blocks(blocks, options.chunking)), metadata)
