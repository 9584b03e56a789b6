"""Lexical retrieval: BM25 (bm25s) over passages, with English stopwords and a light stemmer.

What is indexed for a passage is its title and section path followed by its text (the same
passage-side text the dense index embeds). Tokens are lower-cased Unicode word runs; the
33 English stopwords of bm25s (Lucene's list) are dropped on both sides, and queries also drop
question words ("what", "how", "does" ...) that say nothing about the topic. An optional
S-stemmer (Harman 1991: plural endings only) folds "symptoms" onto "symptom" without the
over-stemming of Porter.

The index lives in memory and is rebuilt from the passages when a retriever is opened (about
a second per 16,000 passages); it is not persisted. This module scores; fusing with dense
scores is ``fusion``'s job.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from knowledge.passage import Passage

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; "_" splits words
# Words of a question's form, not its topic; dropped from queries only (passages keep them).
QUESTION_WORDS = frozenset({
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did",
    "can", "could", "should", "would", "may", "might", "i", "me", "my", "we", "our", "you",
    "your", "there", "any", "about", "get", "tell", "know",
})


def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def s_stem(word: str) -> str:
    """Harman's S-stemmer: strip plural endings of words longer than three letters."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class BM25Config:
    """BM25 parameters. Defaults were tuned on 500 MedQuAD questions disjoint from the
    reported sample (see README "Retrieval"); ``method`` is bm25s' term-frequency variant."""

    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"
    stem: bool = True
    drop_question_words: bool = True

    def __post_init__(self) -> None:
        if self.k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {self.k1}")
        if not 0 <= self.b <= 1:
            raise ValueError(f"b must be 0–1, got {self.b}")
        if self.method not in ("lucene", "robertson", "atire", "bm25l", "bm25+"):
            raise ValueError(f"method must be one of lucene, robertson, atire, bm25l, bm25+; "
                             f"got {self.method!r}")


def bm25_text(passage: Passage) -> str:
    """What is indexed: title and section path (the topic a paragraph often leaves implicit)
    then the text."""
    return f"{passage.title} {' '.join(passage.section_path)} {passage.text}"


class BM25Index:
    """BM25 scores of every passage for a query; positions match the passage list order."""

    def __init__(self, passages: Sequence[Passage], config: BM25Config = BM25Config()) -> None:
        if not passages:
            raise ValueError("cannot build a BM25 index from 0 passages")
        import bm25s

        self.config = config
        self._stopwords = _english_stopwords()
        self._query_stopwords = self._stopwords | (QUESTION_WORDS if config.drop_question_words
                                                   else frozenset())
        started = time.perf_counter()
        corpus_tokens = [self.tokenize(bm25_text(p)) or [""] for p in passages]
        # bm25s logs every build at DEBUG on its own logger; keep that out of our logs.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        self._bm25.index(corpus_tokens, show_progress=False)
        self.passage_count = len(passages)
        self.build_seconds = time.perf_counter() - started
        logger.info("built BM25 index over %d passages in %.2f s", len(passages),
                    self.build_seconds)

    def __len__(self) -> int:
        return self.passage_count

    def tokenize(self, text: str, query: bool = False) -> list[str]:
        stopwords = self._query_stopwords if query else self._stopwords
        words = [w for w in _WORD.findall(text.lower()) if w not in stopwords]
        return [s_stem(w) for w in words] if self.config.stem else words

    def coverage(self, query: str) -> float:
        """Share of the query's word characters (stopwords aside) that fall in words the
        corpus uses: 1.0 for an English question over an English corpus, near 0 for a Chinese
        question over it, where BM25 can only match stray numbers."""
        stopwords = self._query_stopwords
        words = [w for w in _WORD.findall(query.lower()) if w not in stopwords]
        total = sum(len(w) for w in words)
        if total == 0:
            return 0.0
        vocabulary = self._bm25.vocab_dict
        known = sum(len(w) for w in words
                    if (s_stem(w) if self.config.stem else w) in vocabulary)
        return known / total

    def query_token_ids(self, query: str) -> list[int]:
        """Vocabulary ids of the query's tokens; words the corpus never uses are left out."""
        return self._bm25.get_tokens_ids(self.tokenize(query, query=True))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (float32, length ``len(self)``); all zeros when no query
        word occurs in the corpus."""
        token_ids = self.query_token_ids(query)
        if not token_ids:
            return np.zeros(self.passage_count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(token_ids), dtype=np.float32)

    def search(self, query: str, top_k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, positions) of the best ``top_k`` passages with a score above zero, best
        first; ``allowed`` is an optional boolean mask of passages that may be returned."""
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0).astype(np.float32)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > top_k:
            part = np.argpartition(-scores[candidates], top_k - 1)[:top_k]
            candidates = candidates[part]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return scores[order], order
