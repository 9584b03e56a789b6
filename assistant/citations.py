"""Citation handling: parse ``[n]`` markers, map them to passages, drop the ones that point
nowhere, and attribute sentences the model left uncited.

Post-hoc attribution: a small model often forgets markers. A sentence without a marker gets
the marker of the passage that shares the most content words with it, when that overlap is
at least ``min_overlap`` of the sentence's content words; otherwise it stays uncited. This is
a lexical check, not an entailment model, and the answer records that it was used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from assistant.answer import Citation
from retrieval.types import ScoredPassage

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have if in into is it its may more "
    "most must not of on or should than that the their then there these this those to under "
    "up was were what when where which who will with within without you your".split())


@dataclass(frozen=True)
class CitedText:
    text: str
    citations: list[Citation]
    removed: int           # markers that pointed to no passage
    attributed: int        # sentences that got a marker post hoc
    uncited_sentences: int


def _numbers_in(marker_body: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", marker_body):
        if re.fullmatch(r"\d+\s*[–-]\s*\d+", part):
            low, high = (int(x) for x in re.split(r"\s*[–-]\s*", part))
            numbers.extend(range(low, high + 1) if 0 < high - low < 10 else [low, high])
        elif part.strip().isdigit():
            numbers.append(int(part))
    return numbers


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1}


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _remove_invalid_markers(text: str, passage_count: int) -> tuple[str, int]:
    removed = 0

    def keep_valid(match: re.Match) -> str:
        nonlocal removed
        numbers = _numbers_in(match.group(1))
        valid = [n for n in numbers if 1 <= n <= passage_count]
        removed += len(numbers) - len(valid)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    cleaned = _MARKER.sub(keep_valid, text)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(), removed


def _attribute(sentences: list[str], passages: Sequence[ScoredPassage],
               min_overlap: float) -> tuple[list[str], int, int]:
    passage_words = [content_words(sp.passage.text) for sp in passages]
    attributed = uncited = 0
    out = []
    for sentence in sentences:
        if _MARKER.search(sentence):
            out.append(sentence)
            continue
        words = content_words(sentence)
        best_n, best_overlap = 0, 0.0
        for n, candidates in enumerate(passage_words, 1):
            overlap = len(words & candidates) / len(words) if words else 0.0
            if overlap > best_overlap:
                best_n, best_overlap = n, overlap
        if best_n and best_overlap >= min_overlap and len(words) >= 3:
            sentence = _append_marker(sentence, best_n)
            attributed += 1
        else:
            uncited += 1
        out.append(sentence)
    return out, attributed, uncited


def _append_marker(sentence: str, n: int) -> str:
    stripped = sentence.rstrip()
    if stripped and stripped[-1] in ".!?":
        return f"{stripped[:-1]} [{n}]{stripped[-1]}"
    return f"{stripped} [{n}]"


def resolve_citations(text: str, passages: Sequence[ScoredPassage],
                      min_overlap: float = 0.5) -> CitedText:
    """Clean markers, attribute uncited sentences, and list citations in order of first use."""
    cleaned, removed = _remove_invalid_markers(text, len(passages))
    sentences, attributed, uncited = _attribute(split_sentences(cleaned), passages, min_overlap)
    final_text = " ".join(sentences)
    citations: list[Citation] = []
    seen: set[int] = set()
    for match in _MARKER.finditer(final_text):
        for n in _numbers_in(match.group(1)):
            if n in seen:
                continue
            seen.add(n)
            passage = passages[n - 1].passage
            citations.append(Citation(n=n, passage_id=passage.passage_id,
                                      guideline_id=passage.doc_id, section=passage.section,
                                      url=passage.source.url, source_label=passage.source.label()))
    return CitedText(final_text, citations, removed, attributed, uncited)
