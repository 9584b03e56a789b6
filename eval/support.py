"""Support judges: does this evidence text support this claim?

Used for ALCE citation precision/recall (is a sentence supported by the passages it cites) and
for rubric points (does an answer state a must-have fact). Three implementations of one
``SupportJudge`` role:

- ``LexicalEmbeddingJudge`` (the default, offline): a weighted sum of content-word recall
  (how many of the claim's content words appear in the evidence) and the best embedding
  cosine between the claim and the evidence or one of its sentences, with a threshold; every
  number in the claim must also appear in the evidence. It is a *similarity* check, not
  entailment: it cannot see negation or a changed direction ("increase" vs "reduce"), so a
  contradicting sentence that shares the words can pass. Reports name it ``lexical+embedding``.
- ``CrossEncoderNLIJudge``: any NLI cross-encoder by model id through sentence-transformers'
  ``CrossEncoder`` (entailment probability >= threshold). No NLI weights ship offline here.
- ``ChatModelJudge``: an LLM grader (any ``ChatModel``) asked a yes/no question.

Judges are called from one thread (scoring runs after generation) and cache embeddings.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\d+(?:\.\d+)?|[a-z][a-z0-9-]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_STOPWORDS = frozenset(
    "a an and are as at be been by can could do does for from had has have if in into is it "
    "its may might more most must no not of on or should so than that the their them then "
    "there these they this those to up was were what when where which while who will with "
    "within would you your".split())

SUPPORT_JUDGE_PROMPT = (
    "You check medical answers against guideline evidence.\n\n"
    "Evidence:\n{evidence}\n\n"
    "Claim: {claim}\n\n"
    "Is the claim fully supported by the evidence? Reply with one word: yes or no."
)


@dataclass(frozen=True)
class SupportVerdict:
    supported: bool
    score: float  # the judge's own scale: combined similarity, entailment probability, 1/0


class SupportJudge(Protocol):
    name: str

    def judge(self, claim: str, evidence: str) -> SupportVerdict:
        """Whether ``evidence`` supports ``claim`` (both plain text)."""
        ...


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def numbers_in(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


def word_recall(claim: str, evidence: str) -> float:
    """Share of the claim's distinct content words found in the evidence (1.0 if it has none)."""
    claim_words = set(content_words(claim))
    if not claim_words:
        return 1.0
    evidence_words = set(content_words(evidence))
    return len(claim_words & evidence_words) / len(claim_words)


class LexicalEmbeddingJudge:
    """Content-word recall and embedding cosine, combined with a threshold (not NLI).

    score = overlap_weight * word_recall + (1 - overlap_weight) * max cosine, where the cosine
    is taken between the claim and the whole evidence and each of its sentences. Supported
    when score >= threshold and every number in the claim appears in the evidence.
    Defaults were set so that a faithful paraphrase of a guideline sentence passes and a
    sentence about another drug, dose or condition fails; see tests/eval/test_support_judge.py.
    """

    name = "lexical+embedding"

    def __init__(self, embedder, threshold: float = 0.5, overlap_weight: float = 0.5) -> None:
        if not 0 <= overlap_weight <= 1:
            raise ValueError(f"overlap_weight must be 0–1, got {overlap_weight}")
        if not -1 <= threshold <= 1:
            raise ValueError(f"threshold must be -1–1, got {threshold}")
        self.embedder = embedder
        self.threshold = threshold
        self.overlap_weight = overlap_weight
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing)):
                self._cache[text] = np.asarray(vector, dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def judge(self, claim: str, evidence: str) -> SupportVerdict:
        if not claim.strip() or not evidence.strip():
            return SupportVerdict(False, 0.0)
        pieces = [evidence] + [s for s in _SENTENCE_END.split(evidence) if s.strip()]
        vectors = self._vectors([claim] + pieces)
        cosine = float(np.max(vectors[1:] @ vectors[0]))
        score = self.overlap_weight * word_recall(claim, evidence) + (1 - self.overlap_weight) * cosine
        numbers_ok = numbers_in(claim) <= numbers_in(evidence)
        return SupportVerdict(bool(score >= self.threshold and numbers_ok), round(score, 4))


class CrossEncoderNLIJudge:
    """An NLI cross-encoder (premise = evidence, hypothesis = claim) by model id or path."""

    name = "nli"

    def __init__(self, model_id: str, threshold: float = 0.5, device: str = "cpu") -> None:
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.model_id = model_id
        self.name = f"nli:{model_id}"
        self.threshold = threshold
        self.device = device
        self._model = None
        self._entail_index: int | None = None

    def load(self) -> "CrossEncoderNLIJudge":
        if self._model is not None:
            return self
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(self.model_id, device=self.device)
        except Exception as e:  # many library error types; name the model either way
            raise ValueError(f"could not load NLI cross-encoder {self.model_id!r}: {e}") from e
        labels = getattr(self._model.model.config, "id2label", {}) or {}
        entail = [int(i) for i, label in labels.items() if "entail" in str(label).lower()]
        if len(entail) != 1:
            raise ValueError(f"model {self.model_id!r} is not an NLI model: its labels "
                             f"{dict(labels)} have no single 'entailment' label")
        self._entail_index = entail[0]
        return self

    def judge(self, claim: str, evidence: str) -> SupportVerdict:
        self.load()
        logits = np.asarray(self._model.predict([(evidence, claim)], show_progress_bar=False),
                            dtype=float).reshape(1, -1)[0]
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        entail = float(probabilities[self._entail_index])
        return SupportVerdict(entail >= self.threshold, round(entail, 4))


class ChatModelJudge:
    """An LLM grader: the claim and evidence in ``SUPPORT_JUDGE_PROMPT``, a yes/no reply.

    A reply that is neither yes nor no counts as *not supported* and is counted in
    ``unparsed`` so that a grader that ignores the format is visible.
    """

    def __init__(self, chat_model, max_new_tokens: int = 8) -> None:
        self.chat_model = chat_model
        self.max_new_tokens = max_new_tokens
        self.name = f"llm:{getattr(chat_model, 'model_id', 'chat-model')}"
        self.unparsed = 0

    def judge(self, claim: str, evidence: str) -> SupportVerdict:
        prompt = SUPPORT_JUDGE_PROMPT.format(evidence=evidence, claim=claim)
        reply = self.chat_model.generate([{"role": "user", "content": prompt}], self.max_new_tokens)
        word = re.match(r"\W*(yes|no)\b", reply.strip().lower())
        if word is None:
            self.unparsed += 1
            return SupportVerdict(False, 0.0)
        return SupportVerdict(word.group(1) == "yes", 1.0 if word.group(1) == "yes" else 0.0)


JUDGE_CHOICES = "lexical | nli:<cross-encoder model id> | llm"


def build_support_judge(spec: str = "lexical", embedder=None, chat_model=None,
                        threshold: float | None = None) -> SupportJudge:
    """A judge from a CLI spec: ``lexical`` (needs ``embedder``), ``nli:<model id>``, or
    ``llm`` (needs ``chat_model``)."""
    spec = (spec or "lexical").strip()
    if spec == "lexical":
        if embedder is None:
            raise ValueError("the lexical judge needs an embedder")
        return LexicalEmbeddingJudge(embedder, **({"threshold": threshold} if threshold is not None else {}))
    if spec.startswith("nli:") and len(spec) > 4:
        return CrossEncoderNLIJudge(spec[4:], **({"threshold": threshold} if threshold is not None else {}))
    if spec == "llm":
        if chat_model is None:
            raise ValueError("the llm judge needs a chat model")
        return ChatModelJudge(chat_model)
    raise ValueError(f"judge must be one of {JUDGE_CHOICES}, got {spec!r}")
