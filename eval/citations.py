"""ALCE citation recall and precision for one answer (Gao et al. 2023, "Enabling Large
Language Models to Generate Text with Citations"), with a pluggable support judge.

For each sentence of the answer, with its ``[n]`` markers removed:
- *recall*: the sentence counts as supported when the judge finds the concatenation of the
  passages it cites supports it (a sentence with no citation, or one citing a passage that
  does not exist, is unsupported). Citation recall = supported sentences / sentences.
- *precision*: each citation of a supported sentence is precise unless it is *irrelevant*:
  it does not support the sentence alone **and** the remaining citations still do without it.
  Citations of an unsupported sentence are imprecise. Precision = precise / citations.
As in ALCE, an answer with no citations scores 0 on both. Does not decide abstention or
retrieval quality; the judge decides what "supports" means (see ``support``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from eval.support import SupportJudge, content_words

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])+)\s*")


@dataclass(frozen=True)
class SentenceCitations:
    text: str                 # the sentence without its markers
    cited: tuple[int, ...]    # passage numbers, in order of first mention
    supported: bool
    precise: int              # how many of its citations are precise


@dataclass(frozen=True)
class CitationScores:
    recall: float
    precision: float
    n_sentences: int
    n_citations: int
    sentences: list[SentenceCitations] = field(default_factory=list)


def split_cited_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences with the passage numbers they cite; markers that open a sentence belong to
    the sentence before it ("... 135/85 mmHg. [2] Offer ..." cites [2] for the first)."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text.strip()) if p and p.strip()]
    sentences: list[list] = []
    for piece in pieces:
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1][0] += " " + leading.group(1).strip()
            piece = piece[leading.end():]
        if piece:
            sentences.append([piece])
    result = []
    for (sentence,) in sentences:
        numbers: list[int] = []
        for body in _MARKER.findall(sentence):
            numbers.extend(int(n) for n in re.split(r"\s*[,;]\s*", body) if n.strip())
        bare = re.sub(r"\s{2,}", " ", _MARKER.sub("", sentence)).strip()
        if content_words(bare):  # skip pieces that are only markers or punctuation
            result.append((bare, tuple(dict.fromkeys(numbers))))
    return result


def score_citations(answer_text: str, passages: Mapping[int, str],
                    judge: SupportJudge) -> CitationScores:
    """ALCE recall/precision of ``answer_text`` whose ``[n]`` markers index ``passages``."""
    sentences = split_cited_sentences(answer_text)
    if not sentences:
        return CitationScores(0.0, 0.0, 0, 0, [])

    def supports(sentence: str, numbers: tuple[int, ...]) -> bool:
        evidence = "\n".join(passages[n] for n in numbers)
        return judge.judge(sentence, evidence).supported

    details = []
    supported_count = precise_total = citation_total = 0
    for sentence, cited in sentences:
        citation_total += len(cited)
        valid = bool(cited) and all(n in passages for n in cited)
        joint = valid and supports(sentence, cited)
        precise = 0
        if joint and len(cited) > 1:
            for n in cited:
                alone = supports(sentence, (n,))
                others = tuple(m for m in cited if m != n)
                if alone or not supports(sentence, others):
                    precise += 1
        elif joint:
            precise = 1
        supported_count += joint
        precise_total += precise
        details.append(SentenceCitations(sentence, cited, joint, precise))
    recall = supported_count / len(sentences)
    precision = precise_total / citation_total if citation_total else 0.0
    return CitationScores(recall, precision, len(sentences), citation_total, details)
