"""Section-aware, token-bounded chunking of documents into passage-sized pieces.

Input is a list of blocks (headings, text, tables) that the format parsers produce, or
Markdown text. Every chunk carries the heading path above it, so a passage retrieved alone
still says where it comes from. Tables are never split (a half table is misleading: a dose row
without its header). Text within a section is cut by langchain's
``RecursiveCharacterTextSplitter`` at paragraph, line, sentence, then word boundaries, measuring
length in tokens (``tokens.count_tokens``), with overlap between the pieces of a long
paragraph. langchain types stay inside this module.

This module does not assign passage ids, resolve metadata or deduplicate (see ``batch``).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from knowledge.ingest.tokens import count_tokens

# MiniLM reads 256 word pieces; ~1.3 pieces per English word leaves room for the section path.
DEFAULT_MAX_TOKENS = 180
DEFAULT_OVERLAP_TOKENS = 30

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
# Paragraph, line, sentence (Latin and CJK), clause, word, character.
_SEPARATORS = ["\n\n", "\n", "。", ". ", "? ", "! ", "；", "; ", "，", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkingConfig:
    max_tokens: int = DEFAULT_MAX_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS

    def __post_init__(self) -> None:
        if not 10 <= self.max_tokens <= 2000:
            raise ValueError(f"max_tokens must be 10–2000, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise ValueError(f"overlap_tokens must be 0 to under half of max_tokens "
                             f"({self.max_tokens}), got {self.overlap_tokens}")


@dataclass(frozen=True)
class Block:
    """One structural piece of a document: ``kind`` is heading, text or table."""

    kind: str
    text: str
    level: int = 0  # heading level 1–6


@dataclass(frozen=True)
class Chunk:
    """A passage-to-be: text, its heading path, and anything the file says about it."""

    text: str
    section_path: tuple[str, ...] = ()
    passage_id: str = ""         # explicit id from the file; "" → derived from content
    source_section: str = ""
    strength: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)  # per-chunk metadata (JSONL)
    is_table: bool = False


@functools.lru_cache(maxsize=8)
def _splitter(config: ChunkingConfig):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=_SEPARATORS, keep_separator="end", chunk_size=config.max_tokens,
        chunk_overlap=config.overlap_tokens, length_function=count_tokens)


def split_text(text: str, config: ChunkingConfig = ChunkingConfig()) -> list[str]:
    """Token-bounded pieces of ``text``; a piece with no tokens (punctuation only) is dropped."""
    if count_tokens(text) <= config.max_tokens:
        pieces = [text.strip()]  # the common case, without the splitter's overhead
    else:
        pieces = _splitter(config).split_text(text)
    return [piece for piece in pieces if count_tokens(piece)]


def table_to_markdown(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cell texts as a Markdown table (first row is the header)."""
    cleaned = [[" ".join(cell.split()).replace("|", "/") for cell in row] for row in rows if row]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    width = max(len(row) for row in cleaned)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in cleaned]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)


def markdown_blocks(text: str) -> list[Block]:
    """Headings, paragraphs and tables of Markdown text (no front matter); code fences are
    kept as text, HTML comments dropped."""
    blocks: list[Block] = []
    lines: list[str] = []
    kind = "text"
    in_code = False

    def flush() -> None:
        nonlocal lines
        body = "\n".join(lines).strip()
        if body:
            blocks.append(Block(kind, body))
        lines = []

    for raw in text.splitlines():
        line = raw.rstrip()
        if _FENCE.match(line):
            in_code = not in_code
            lines.append(line)
            continue
        if in_code:
            lines.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block("heading", heading.group(2), len(heading.group(1))))
            continue
        if _COMMENT.match(line):
            continue
        is_row = line.lstrip().startswith("|")
        if not line.strip() or (is_row != (kind == "table") and lines):
            flush()  # a blank line, or a switch between table rows and prose, ends a block
        if line.strip():
            kind = "table" if is_row else "text"
            lines.append(line)
    flush()
    return blocks


def chunk_blocks(blocks: Sequence[Block], config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    """Chunks under their heading paths; consecutive text blocks of a section are split
    together so that short paragraphs share a chunk."""
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    run: list[str] = []

    def path() -> tuple[str, ...]:
        return tuple(text for _, text in headings)

    def flush() -> None:
        if run:
            chunks.extend(Chunk(piece, path()) for piece in split_text("\n\n".join(run), config))
            run.clear()

    for block in blocks:
        if block.kind == "heading":
            flush()
            title = " ".join(block.text.split())
            if title:
                headings = [h for h in headings if h[0] < block.level] + [(block.level, title)]
        elif block.kind == "table":
            flush()
            chunks.append(Chunk(block.text.strip(), path(), is_table=True))
        elif block.text.strip():
            run.append(block.text.strip())
    flush()
    return chunks


def chunk_markdown(text: str, config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    return chunk_blocks(markdown_blocks(text), config)


def chunk_pages(pages: Sequence[str], config: ChunkingConfig = ChunkingConfig()) -> list[Chunk]:
    """Chunks of paged text (PDF) with ``("page N",)`` or ``("pages N–M",)`` as section path;
    text flows across page breaks, so a paragraph split by a page stays one chunk."""
    starts: list[int] = []
    numbers: list[int] = []
    parts: list[str] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        page = page.strip()
        if not page:
            continue
        starts.append(offset)
        numbers.append(number)
        parts.append(page)
        offset += len(page) + 2
    full = "\n\n".join(parts)
    chunks: list[Chunk] = []
    search_from = 0
    for piece in split_text(full, config):
        at = full.find(piece, search_from)
        if at < 0:  # the splitter normally returns substrings; fall back to the last position
            at = search_from
        end = at + max(len(piece), 1) - 1
        first = numbers[max(bisect.bisect_right(starts, at) - 1, 0)]
        last = numbers[max(bisect.bisect_right(starts, end) - 1, 0)]
        label = f"page {first}" if first == last else f"pages {first}–{last}"
        chunks.append(Chunk(piece, (label,)))
        search_from = at + 1
    return chunks
