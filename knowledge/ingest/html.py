"""HTML pages: readable text by structure (headings, paragraphs, list items, tables) with
beautifulsoup4; page furniture (scripts, styles, navigation, headers, footers, forms) is dropped.

Metadata comes from the page: title from ``og:title``, ``<title>`` or the first ``<h1>``;
publisher from ``citation_publisher``/``DC.publisher``/``publisher``/``og:site_name``/
``author`` meta tags; url from ``<link rel="canonical">`` or ``og:url``; version from a
modified/date meta tag. Text is decoded as UTF-8, else with a charset the page declares in a
``<meta>`` tag, else rejected (see ``common``).
"""

from __future__ import annotations

import codecs
import re

from knowledge.ingest.chunking import Block, chunk_blocks, table_to_markdown
from knowledge.ingest.common import IngestError, ParsedDocument, ParseOptions, decode_text

_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg",
         "iframe", "template", "button")
_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "blockquote",
               "dt", "dd", "figcaption", "caption")
_META_NAMES = {
    "publisher": ("citation_publisher", "dc.publisher", "dcterms.publisher", "publisher",
                  "og:site_name", "author"),
    "version": ("dcterms.modified", "last-modified", "article:modified_time", "dc.date",
                "dcterms.date", "date", "citation_date"),
}


def _decode(data: bytes, options: ParseOptions) -> str:
    try:
        return decode_text(data, options.encoding)
    except IngestError:
        declared = _DECLARED_CHARSET.search(data[:4096])
        if options.encoding or not declared:
            raise
        charset = declared.group(1).decode("ascii")
        try:
            codecs.lookup(charset)
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError) as e:
            raise IngestError(f"declares charset {charset!r} but cannot be decoded with it "
                              f"({e}); re-save it as UTF-8") from e


def _meta(soup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"name": re.compile(f"^{re.escape(name)}$", re.I)}) or \
            soup.find("meta", attrs={"property": re.compile(f"^{re.escape(name)}$", re.I)})
        if tag and tag.get("content", "").strip():
            return " ".join(tag["content"].split())
    return ""


def _metadata(soup) -> dict[str, str]:
    found = {}
    title_tag = soup.find("title")
    h1 = soup.find("h1")
    found["title"] = (_meta(soup, "og:title", "citation_title", "dc.title")
                      or (title_tag.get_text(" ", strip=True) if title_tag else "")
                      or (h1.get_text(" ", strip=True) if h1 else ""))
    for key, names in _META_NAMES.items():
        found[key] = _meta(soup, *names)
    canonical = soup.find("link", rel=lambda value: value and "canonical" in value)
    found["url"] = (canonical.get("href", "").strip() if canonical else "") or _meta(soup, "og:url")
    if not found["url"].startswith(("http://", "https://")):
        found["url"] = ""
    return {key: value for key, value in found.items() if value}


def _blocks(root) -> list[Block]:
    blocks: list[Block] = []
    for element in root.find_all(_BLOCK_TAGS):
        # Text inside an element that is itself handled (a <p> in an <li>, cells of a
        # table) is taken with that element, once.
        if element.find_parent(_BLOCK_TAGS):
            continue
        name = element.name
        if name == "table":
            rows = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                    for row in element.find_all("tr")]
            table = table_to_markdown(rows)
            if table:
                blocks.append(Block("table", table))
            continue
        text = element.get_text(" ", strip=True) if name != "pre" else element.get_text()
        text = " ".join(text.split()) if name != "pre" else text.strip()
        if not text:
            continue
        if name[0] == "h" and name[1:].isdigit():
            blocks.append(Block("heading", text, int(name[1])))
        else:
            blocks.append(Block("text", f"- {text}" if name == "li" else text))
    return blocks


def parse(data: bytes, options: ParseOptions) -> ParsedDocument:
    from bs4 import BeautifulSoup

    text = _decode(data, options)
    soup = BeautifulSoup(text, "lxml")
    metadata = _metadata(soup)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = _blocks(root)
    if not any(block.kind != "heading" for block in blocks):
        # No block elements (text straight in <div>s or <body>): keep the text by lines.
        plain = root.get_text("\n", strip=True)
        blocks = [Block("text", line) for line in plain.split("\n") if line.strip()]
    return ParsedDocument("html", tuple(chunk_blocks(blocks, options.chunking)), metadata)
