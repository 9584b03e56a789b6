"""The records an answer is made of: ``Citation`` and ``Answer``.

Composition (retrieve, prompt, generate, check citations) lives in ``assistant.core``; this
module only holds the records and their JSON form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from retrieval.types import ScoredPassage

ABSTENTION_MESSAGE = (
    "No guideline evidence found for this question in Ruiyi's knowledge base, so no answer is "
    "given. The nearest passages are shown below; check them and use clinical judgement."
)


@dataclass(frozen=True)
class Citation:
    """A ``[n]`` marker in the answer text mapped to the passage it points to."""

    n: int
    passage_id: str
    guideline_id: str
    section: str
    url: str
    source_label: str = ""


@dataclass
class Answer:
    """What the assistant returns for one question.

    ``text`` never contains LLM output when ``abstained`` is true. ``error`` is set (and
    ``text`` explains) when the model failed; the retrieved ``passages`` are still there.
    ``red_flags`` holds deterministic safety alerts shown above any LLM text.
    """

    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    passages: list[ScoredPassage]
    model_id: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    removed_citations: int = 0
    attributed_sentences: int = 0   # sentences given a marker post hoc (see citations.py)
    uncited_sentences: int = 0
    error: str | None = None
    red_flags: list[dict] = field(default_factory=list)
    prompt_version: str = ""
    abstention_reason: str = ""   # why, when abstained: "low-similarity", "veterinary", ...
    calculations: list[dict] = field(default_factory=list)  # calculators the question supplied
    differential: dict | None = None  # ddx panel when the question describes a presentation

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "removed_citations": self.removed_citations,
            "attributed_sentences": self.attributed_sentences,
            "uncited_sentences": self.uncited_sentences,
            "passages": [
                {
                    "n": i,
                    "passage_id": sp.passage.passage_id,
                    "guideline_id": sp.passage.doc_id,
                    "title": sp.passage.title,
                    "section": sp.passage.section,
                    "source": sp.passage.source.label(),
                    "source_title": sp.passage.source.title,
                    "source_section": sp.passage.source_section,
                    "strength": sp.passage.strength,
                    "url": sp.passage.source.url,
                    "score": round(float(sp.score), 4),
                    "text": sp.passage.text,
                }
                for i, sp in enumerate(self.passages, 1)
            ],
            "model": self.model_id,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "error": self.error,
            "red_flags": self.red_flags,
            "prompt_version": self.prompt_version,
            "abstention_reason": self.abstention_reason,
            "calculations": self.calculations,
            "differential": self.differential,
        }
