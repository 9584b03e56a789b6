"""Parse Ruiyi's guideline Markdown format into passages.

The format (one guideline summary per file)::

    ---
    id: hypertension                # document id, unique slug
    title: Hypertension in adults   # what the file covers
    topic: hypertension
    publisher: NICE
    code: NG136
    source_title: "Hypertension in adults: diagnosis and management"
    version: "2019-08, updated 2023-11"
    url: https://www.nice.org.uk/guidance/ng136
    region: UK
    reviewed: 2026-11-26
    ---

    # Hypertension in adults

    ## Recognition and diagnosis

    <!-- id: htn-confirm-abpm; section: 1.2.3; strength: strong -->
    Paragraph in the project's own words ...

Headings give the section path carried by every passage. Each paragraph (block separated by a
blank line) is one passage; a Markdown table is kept whole as one passage. The optional HTML
comment right before a paragraph gives its stable ``id``, the ``section`` of the source
guideline and the ``strength`` of recommendation. Paragraphs without an id get one derived
from their content. This module parses; it does not lint (see ``lint``) or store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.passage import Passage, Source, derived_passage_id

REQUIRED_FRONT_MATTER = ("id", "title", "publisher", "source_title", "url")

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ANNOTATION = re.compile(r"^<!--\s*(.*?)\s*-->$")


class GuidelineFormatError(ValueError):
    """A guideline file that does not follow the format; the message names file and fix."""


@dataclass(frozen=True)
class GuidelineDocument:
    """A parsed file: its front matter and its passages."""

    doc_id: str
    metadata: dict
    passages: tuple[Passage, ...]


def parse_front_matter(text: str, origin: str) -> tuple[dict, str]:
    """Split YAML front matter from the body; raise a clear error when it is missing."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise GuidelineFormatError(
            f"{origin}: no YAML front matter; start the file with '---', the metadata "
            f"({', '.join(REQUIRED_FRONT_MATTER)}), and '---'"
        )
    try:
        metadata = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as e:
        raise GuidelineFormatError(f"{origin}: front matter is not valid YAML: {e}") from e
    if not isinstance(metadata, dict):
        raise GuidelineFormatError(f"{origin}: front matter must be a mapping of key: value")
    return {k: ("" if v is None else v) for k, v in metadata.items()}, text[match.end():]


def _parse_annotation(comment: str) -> dict[str, str]:
    fields = {}
    for part in comment.split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            fields[key.strip().lower()] = value.strip()
    return fields


def _blocks(body: str):
    """Yield ('heading', level, text) or ('para', annotation, text) in order."""
    paragraph: list[str] = []
    annotation: dict[str, str] = {}
    in_table = False

    def flush():
        nonlocal paragraph, annotation
        if paragraph:
            text = "\n".join(paragraph).strip()
            if text:
                yield ("para", annotation, text)
            annotation = {}
        paragraph = []

    for raw_line in body.splitlines():
        line = raw_line.rstrip()
        heading = _HEADING.match(line)
        is_table_row = line.lstrip().startswith("|")
        if heading and not in_table:
            yield from flush()
            yield ("heading", len(heading.group(1)), heading.group(2))
            continue
        comment = _ANNOTATION.match(line.strip())
        if comment:
            yield from flush()
            annotation = _parse_annotation(comment.group(1))
            continue
        if not line.strip():
            # A blank line ends a paragraph; a table ends at its first blank line too.
            in_table = False
            yield from flush()
            continue
        if is_table_row:
            in_table = True
        paragraph.append(line)
    yield from flush()


def parse_guideline(text: str, origin: str = "<text>") -> GuidelineDocument:
    """Parse one guideline file's text into a document with passages."""
    metadata, body = parse_front_matter(text, origin)
    missing = [key for key in REQUIRED_FRONT_MATTER if not str(metadata.get(key, "")).strip()]
    if missing:
        raise GuidelineFormatError(f"{origin}: front matter lacks {', '.join(missing)}")
    doc_id = str(metadata["id"]).strip()
    source = Source(
        publisher=str(metadata.get("publisher", "")),
        code=str(metadata.get("code", "")),
        title=str(metadata.get("source_title", "")),
        version=str(metadata.get("version", "")),
        url=str(metadata.get("url", "")),
    )
    headings: list[tuple[int, str]] = []
    passages: list[Passage] = []
    for kind, first, text_ in _blocks(body):
        if kind == "heading":
            level = first
            headings = [h for h in headings if h[0] < level] + [(level, text_)]
            continue
        annotation: dict[str, str] = first
        section_path = tuple(h[1] for h in headings) or (str(metadata["title"]),)
        passage_id = annotation.get("id") or derived_passage_id(doc_id, section_path, text_)
        passages.append(
            Passage(
                passage_id=passage_id,
                doc_id=doc_id,
                title=str(metadata["title"]),
                section_path=section_path,
                text=text_,
                source=source,
                source_section=annotation.get("section", ""),
                strength=annotation.get("strength", ""),
                topic=str(metadata.get("topic", "")),
                region=str(metadata.get("region", "")),
            )
        )
    return GuidelineDocument(doc_id=doc_id, metadata=metadata, passages=tuple(passages))


def load_guideline_file(path: Path) -> GuidelineDocument:
    """Read and parse one Markdown guideline file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GuidelineFormatError(f"{path}: not UTF-8 text ({e.reason})") from e
    return parse_guideline(text, origin=str(path))
