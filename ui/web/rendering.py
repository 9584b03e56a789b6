"""Safe HTML for the web app: every text that came from a model, a user or a document is
escaped before it is put into a Markdown or HTML component.

Gradio's ``gr.HTML`` inserts its value as HTML, so an ``<img onerror=...>`` in an answer or an
ingested guideline would run. Here each piece of text goes through ``escape_text`` (HTML
special characters, plus the Markdown characters that make links, images and maths) and only
markup built in this module surrounds it. Links are allowed for http(s) URLs only.

This module turns records into HTML strings; it decides nothing clinical.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlparse

# Characters that Markdown turns into links, images, emphasis-free maths or code, encoded as
# entities so the renderer shows them literally. "*", "_" and "-" stay: lists and emphasis in
# an answer are harmless and read better.
_MARKDOWN_ACTIVE = {"[": "&#91;", "]": "&#93;", "!": "&#33;", "(": "&#40;", ")": "&#41;",
                    "$": "&#36;", "`": "&#96;", "\\": "&#92;", "|": "&#124;"}
_CITATION = re.compile(r"&#91;(\d{1,2})&#93;")

LEVEL_COLOURS = {
    # Background, text. Red for emergencies down to green for routine/self-care.
    "emergency": ("#b00020", "#ffffff"),
    "urgent": ("#e65100", "#ffffff"),
    "soon": ("#f9a825", "#1a1a1a"),
    "routine": ("#2e7d32", "#ffffff"),
    "self-care": ("#1565c0", "#ffffff"),
    "high": ("#b00020", "#ffffff"),
    "medium": ("#e65100", "#ffffff"),
    "low-medium": ("#f9a825", "#1a1a1a"),
    "low": ("#2e7d32", "#ffffff"),
}
_DEFAULT_COLOUR = ("#455a64", "#ffffff")


def escape_text(text: object) -> str:
    """``text`` made inert for both HTML and Markdown renderers (newlines become ``<br>``)."""
    escaped = html.escape(str(text if text is not None else ""), quote=True)
    escaped = "".join(_MARKDOWN_ACTIVE.get(ch, ch) for ch in escaped)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def safe_url(url: object) -> str | None:
    """The URL escaped for an ``href`` when it is http(s); ``None`` otherwise (no
    ``javascript:`` or ``data:`` links)."""
    text = str(url or "").strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return html.escape(text, quote=True)


def link(url: object, label: object | None = None) -> str:
    href = safe_url(url)
    shown = escape_text(label if label is not None else url)
    if href is None:
        return shown
    return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{shown}</a>'


def answer_html(text: str) -> str:
    """The answer text escaped, with ``[n]`` markers shown as citation superscripts."""
    escaped = escape_text(text)
    return _CITATION.sub(r'<sup class="ry-cite">[\1]</sup>', escaped)


def red_flag_banner(red_flags: Sequence[Mapping]) -> str:
    """One banner per deterministic red-flag alert (shown above any model text)."""
    if not red_flags:
        return ""
    items = []
    for flag in red_flags:
        level = str(flag.get("level", "")).strip()
        items.append(
            '<div class="ry-redflag" style="border-left:6px solid #b00020;background:#fdecea;'
            'color:#1a1a1a;padding:8px 12px;margin:6px 0;border-radius:4px">'
            f'<strong>RED FLAG{": " + escape_text(level.upper()) if level else ""}</strong> — '
            f'{escape_text(flag.get("title", ""))}<br>'
            f'<span>{escape_text(flag.get("action", ""))}</span><br>'
            f'<small>Source: {escape_text(_source_text(flag.get("source", "")))}</small></div>')
    return "".join(items)


def _source_text(source: object) -> str:
    if isinstance(source, Mapping):
        parts = [source.get("publisher"), source.get("code"), source.get("title"),
                 source.get("section"), source.get("url")]
        return " · ".join(str(p) for p in parts if p)
    return str(source or "")


def source_cards(passages: Sequence[Mapping], cited: Iterable[int] = (), open_cited: bool = False,
                 heading: str = "Sources") -> str:
    """Expandable cards for passages as in ``Answer.to_dict()["passages"]``."""
    if not passages:
        return ""
    cited = set(cited)
    cards = [f'<div class="ry-sources"><strong>{escape_text(heading)}</strong>']
    for passage in passages:
        n = passage.get("n")
        mark = " ✓ cited" if n in cited else ""
        opened = " open" if (open_cited and n in cited) else ""
        version = passage.get("version") or ""
        cards.append(
            f'<details class="ry-card"{opened} style="border:1px solid #ccc;border-radius:6px;'
            'padding:6px 10px;margin:6px 0">'
            f'<summary><strong>[{escape_text(n)}]</strong> {escape_text(passage.get("source", ""))}'
            f' — {escape_text(passage.get("section", ""))}{escape_text(mark)}</summary>'
            f'<div><em>{escape_text(passage.get("source_title", ""))}</em>'
            f'{" · version " + escape_text(version) if version else ""}'
            f'{" · section " + escape_text(passage["source_section"]) if passage.get("source_section") else ""}'
            f'{" · strength " + escape_text(passage["strength"]) if passage.get("strength") else ""}'
            f'{" · score " + escape_text(passage["score"]) if passage.get("score") is not None else ""}'
            f'</div><p>{escape_text(passage.get("text", ""))}</p>'
            f'<div>{link(passage.get("url", ""))} · <code>{escape_text(passage.get("passage_id", ""))}</code></div>'
            '</details>')
    cards.append("</div>")
    return "".join(cards)


def level_badge(level: str, action: str = "", label: str | None = None) -> str:
    background, colour = LEVEL_COLOURS.get(str(level).lower(), _DEFAULT_COLOUR)
    shown = label if label is not None else str(level).upper()
    action_html = f'<span style="margin-left:10px">{escape_text(action)}</span>' if action else ""
    return (f'<div class="ry-badge" data-level="{html.escape(str(level), quote=True)}">'
            f'<span style="display:inline-block;background:{background};color:{colour};'
            'font-weight:700;font-size:1.3em;padding:6px 16px;border-radius:16px">'
            f'{escape_text(shown)}</span>{action_html}</div>')


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` escaped, with each occurrence of ``terms`` (case-insensitive) in ``<mark>``."""
    terms = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not terms:
        return escape_text(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape_text(text[last:match.start()]))
        pieces.append(f"<mark>{escape_text(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape_text(text[last:]))
    return "".join(pieces)


# Assertion -> (mark colour, label) for highlighted findings.
ASSERTION_MARKS = {"present": ("#ffe08a", "present"), "possible": ("#ffd0a0", "possible"),
                   "absent": ("#d9e8d9", "absent"), "historical": ("#e0e0e0", "past"),
                   "family": ("#e0e0e0", "family"), "hypothetical": ("#e0e0e0", "if")}


def highlight_spans(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """``text`` escaped, with each (start, end, assertion, label) span in a coloured ``<mark>``
    whose title names the concept and the assertion. Overlapping spans keep the first."""
    pieces, last = [], 0
    for start, end, assertion, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < last or not 0 <= start < end <= len(text):
            continue
        colour, word = ASSERTION_MARKS.get(assertion, ("#ffe08a", assertion))
        pieces.append(escape_text(text[last:start]))
        pieces.append(f'<mark style="background:{colour}" data-assertion="'
                      f'{html.escape(assertion, quote=True)}" title="'
                      f'{html.escape(label + " (" + word + ")", quote=True)}">'
                      f"{escape_text(text[start:end])}</mark>")
        last = end
    pieces.append(escape_text(text[last:]))
    return "".join(pieces)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain HTML table with every cell escaped."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{escape_text(h)}</th>"
                   for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 8px'>{escape_text(c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    return f"<table class='ry-table'>{thead}<tbody>{body}</tbody></table>"


def notice(text: str, kind: str = "info") -> str:
    colours = {"info": "#e3f2fd", "warning": "#fff8e1", "error": "#fdecea", "ok": "#e8f5e9"}
    return (f'<div class="ry-notice ry-{html.escape(kind)}" style="background:'
            f'{colours.get(kind, colours["info"])};color:#1a1a1a;padding:6px 10px;'
            f'border-radius:4px">{escape_text(text)}</div>')
