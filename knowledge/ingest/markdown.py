"""Markdown files: Ruiyi's guideline format, or any Markdown with or without front matter.

A file whose YAML front matter has every key of ``markdown_format.REQUIRED_FRONT_MATTER`` is
read by the guideline parser: one passage per paragraph, explicit ids kept. Any other
Markdown is chunked by headings (``chunking``); front matter, when present, supplies metadata
(title, publisher, url, version, code, topic, region, id) and flags fill the rest.
"""

from __future__ import annotations

import re

from knowledge.ingest.chunking import Chunk, chunk_markdown
from knowledge.ingest.common import (METADATA_KEYS, IngestError, ParsedDocument, ParseOptions,
                                     decode_text)
from knowledge.markdown_format import (REQUIRED_FRONT_MATTER, GuidelineFormatError,
                                       parse_front_matter, parse_guideline)
from knowledge.passage import derived_passage_id

_ORIGIN = "<file>"
_FRONT_MATTER_START = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)
_UNCLOSED_FRONT_MATTER = re.compile(r"\A---[ \t]*\n[A-Za-z_][\w-]*[ \t]*:")


def _format_error(e: GuidelineFormatError) -> IngestError:
    return IngestError(str(e).removeprefix(f"{_ORIGIN}: "))


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    text = decode_text(data, options.encoding).replace("\r\n", "\n").lstrip("\ufeff")
    metadata: dict = {}
    body = text
    if _UNCLOSED_FRONT_MATTER.match(text) and not _FRONT_MATTER_START.match(text):
        # "---" then "title: ..." is front matter whose closing line is missing: reading it as
        # text would put the metadata into a passage and lose the title and source.
        raise IngestError("the front matter opened with '---' on line 1 is never closed; "
                          "add a line with '---' after the last key")
    if _FRONT_MATTER_START.match(text):  # a leading '---' rule without a closing one is text
        try:
            metadata, body = parse_front_matter(text, _ORIGIN)
        except GuidelineFormatError as e:
            raise _format_error(e) from e
        if all(str(metadata.get(key, "")).strip() for key in REQUIRED_FRONT_MATTER):
            return _parse_guideline_format(text, metadata)
    chunks = chunk_markdown(body, options.chunking)
    found = {key: str(metadata[key]).strip() for key in METADATA_KEYS if metadata.get(key)}
    if "title" not in found:
        first_heading = next((c.section_path[0] for c in chunks if c.section_path), "")
        if first_heading:
            found["title"] = first_heading
    return ParsedDocument("markdown", tuple(chunks), found)


def _parse_guideline_format(text: str, metadata: dict) -> ParsedDocument:
    try:
        document = parse_guideline(text, _ORIGIN)
    except GuidelineFormatError as e:
        raise _format_error(e) from e
    chunks = []
    for passage in document.passages:
        derived = derived_passage_id(document.doc_id, passage.section_path, passage.text)
        chunks.append(Chunk(
            passage.text, passage.section_path,
            # Only an id written in the file is kept; others are derived again from the
            # final document id, which may differ once slugified.
            passage_id="" if passage.passage_id == derived else passage.passage_id,
            source_section=passage.source_section, strength=passage.strength,
            is_table=passage.text.lstrip().startswith("|")))
    found = {key: str(metadata[key]).strip() for key in METADATA_KEYS if metadata.get(key)}
    return ParsedDocument("markdown", tuple(chunks), found)
