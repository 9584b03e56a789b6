"""A semantic safety net for triage: catch alarm features written in words no rule lists.

Each discriminator rule may carry ``examples`` (a few sentences in English and Chinese that
describe it). ``SemanticSafetyNet.check(text)`` splits the text into clauses, embeds them with a
sentence embedder (by default the bundled multilingual Universal Sentence Encoder, numpy only,
so no torch is loaded) and returns every discriminator whose example is at least
``threshold`` similar to a clause. Triage escalates to that discriminator's level with a
"possible" flag and shows the clause.

Clauses that carry a negation cue ("no", "not", "denies", "without", 无, 没有, 否认, 未) are
skipped: "no chest pain" is close in meaning to "chest pain", and the net must not turn an
absent finding into a present one. The threshold (default 0.62) was set by hand before the
frozen banks were first scored and has not been tuned on them or calibrated on anything else;
how often it escalates beyond the gold level is reported by ``ruiyi bench triage``
(``semantic_net.false_escalations``).

What it does not do: lower a level, decide a level on its own when a rule fired at a more
urgent level, or read anything but the discriminators' examples.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from knowledge.redflag_rules import RedFlagRule, load_rules

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.62
_CLAUSE_SPLIT = re.compile(r"[.;!?\n。；！？，,]+|\bbut\b|\band then\b|但是|不过")
# Chinese cues with the look-aheads that keep findings: "无力" and "没力气" are weakness, "叫不醒"
# and "受不了" are findings, so a bare "不" is no cue here.
_NEGATION = re.compile(r"\b(?:no|not|never|denies|denied|without|nil|negative for)\b|n't|"
                       r"没有(?!力)|否认|未见|未诉|不伴|并无|无(?![力法])|没(?![力劲])|未(?![来能])",
                       re.I)
_MIN_CLAUSE_CHARS = 6


@dataclass(frozen=True)
class SemanticHit:
    rule: RedFlagRule
    clause: str
    example: str
    similarity: float
    start: int
    end: int


class SemanticSafetyNet:
    """Compare clauses with the discriminators' example sentences (see the module docstring).

    ``embedder`` is any ``retrieval.types.Embedder`` (L2-normalised rows); None means the
    multilingual Universal Sentence Encoder, loaded on first use."""

    def __init__(self, embedder=None, threshold: float = DEFAULT_THRESHOLD,
                 rules: Sequence[RedFlagRule] | None = None) -> None:
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self._embedder = embedder
        self._rules = tuple(rules) if rules is not None else None
        self._examples: list[tuple[RedFlagRule, str]] = []
        self._matrix: np.ndarray | None = None

    def load(self) -> "SemanticSafetyNet":
        if self._matrix is not None:
            return self
        if self._embedder is None:
            from retrieval.multilingual import UniversalSentenceEncoderEmbedder

            self._embedder = UniversalSentenceEncoderEmbedder(threads=1)
        rules = self._rules if self._rules is not None else load_rules()
        self._examples = [(rule, example) for rule in rules if rule.kind == "discriminator"
                          for example in rule.examples]
        if not self._examples:
            raise ValueError("no discriminator has examples: nothing for the safety net to "
                             "compare with")
        self._matrix = self._embedder.embed([example for _, example in self._examples])
        logger.info("semantic safety net ready: %d examples", len(self._examples))
        return self

    def check(self, text: str) -> list[SemanticHit]:
        """Discriminators whose examples match a clause of ``text``, best first, one per rule."""
        self.load()
        clauses = list(_clauses(text))
        if not clauses:
            return []
        vectors = self._embedder.embed([clause for clause, _, _ in clauses])
        similarity = vectors @ self._matrix.T
        best: dict[str, SemanticHit] = {}
        for row, (clause, start, end) in enumerate(clauses):
            for column in np.flatnonzero(similarity[row] >= self.threshold):
                rule, example = self._examples[column]
                score = float(similarity[row, column])
                if rule.id not in best or score > best[rule.id].similarity:
                    best[rule.id] = SemanticHit(rule, clause, example, round(score, 3),
                                                start, end)
        return sorted(best.values(), key=lambda hit: -hit.similarity)


def _clauses(text: str):
    """(clause, start, end) for each clause long enough and free of negation cues."""
    position = 0
    for match in list(_CLAUSE_SPLIT.finditer(text)) + [None]:
        end = match.start() if match else len(text)
        raw = text[position:end]
        clause = raw.strip()
        if len(clause) >= _MIN_CLAUSE_CHARS and not _NEGATION.search(clause):
            offset = position + raw.index(clause)
            yield clause, offset, offset + len(clause)
        position = match.end() if match else len(text)
