"""The assistant: question → red-flag check → retrieve → prompt → generate → cited answer.

Order matters for safety: the deterministic red-flag check runs first and its alerts travel
with the answer whatever the model does; below the abstention threshold no model text is
produced at all; if the model fails, the retrieved evidence is still returned with the error.
This module composes the pieces; it does not load models or indexes (see ``factory``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from assistant.abstention import threshold_for
from assistant.answer import ABSTENTION_MESSAGE, Answer
from assistant.chat import ChatModel, ChatModelError
from assistant.citations import resolve_citations
from assistant.followup import retrieval_query
from assistant.prompts import PROMPT_VERSION, build_messages
from assistant.scope import check_scope
from retrieval.query import check_query
from retrieval.types import Retriever

logger = logging.getLogger(__name__)

RedFlagChecker = Callable[[str], list[dict]]
CalculationFinder = Callable[[str], list[dict]]
DifferentialBuilder = Callable[[str], "dict | None"]

# Cosine similarity of the best passage below which the assistant abstains: MiniLM's,
# calibrated by `ruiyi bench abstention` (README "Abstention and scope"); other embedders
# have their own in ``assistant.abstention.ABSTAIN_BELOW_BY_EMBEDDER``.
DEFAULT_ABSTAIN_BELOW = threshold_for("minilm")


@dataclass(frozen=True)
class AssistantConfig:
    top_k: int = 4
    abstain_below: float = DEFAULT_ABSTAIN_BELOW
    max_new_tokens: int = 200
    attribution_min_overlap: float = 0.5
    # Retrieval filters (publisher, code, topic, region, doc_id → value or values); unknown
    # fields are refused by the retriever with the list of valid ones.
    filters: dict | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.top_k <= 20:
            raise ValueError(f"top_k must be 1–20, got {self.top_k}")
        if not -1.0 <= self.abstain_below <= 1.0:
            raise ValueError(f"abstain_below must be a cosine in [-1, 1], got {self.abstain_below}")
        if self.max_new_tokens <= 0:
            raise ValueError(f"max_new_tokens must be > 0, got {self.max_new_tokens}")


@dataclass
class StreamEvent:
    """``evidence`` (passages and red flags known, before any model text), ``token`` (a piece
    of model text), ``done`` (the final answer)."""

    kind: str
    answer: Answer
    text: str = ""


def _abstained(answer: Answer, reason: str, text: str, started: float) -> StreamEvent:
    answer.abstained = True
    answer.abstention_reason = reason
    answer.text = text
    answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
    return StreamEvent("done", answer)


class Assistant:
    def __init__(self, chat_model: ChatModel, retriever: Retriever,
                 config: AssistantConfig = AssistantConfig(),
                 red_flag_checker: RedFlagChecker | None = None,
                 calculation_finder: CalculationFinder | None = None,
                 differential_builder: DifferentialBuilder | None = None) -> None:
        self.chat_model = chat_model
        self.retriever = retriever
        self.config = config
        self.red_flag_checker = red_flag_checker
        self.calculation_finder = calculation_finder
        self.differential_builder = differential_builder

    def answer(self, question: str, history: Sequence[dict] = ()) -> Answer:
        final = None
        for event in self.stream(question, history):
            final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, history: Sequence[dict] = ()) -> Iterator[StreamEvent]:
        """Yield evidence first, then model text as it comes, then the finished answer.

        Raises ``retrieval.query.QueryError`` for an unusable question (before any work)."""
        question = check_query(question)
        timings: dict[str, float] = {}
        started = time.perf_counter()

        red_flags = self.red_flag_checker(question) if self.red_flag_checker else []
        timings["red_flags"] = (time.perf_counter() - started) * 1000

        answer = Answer(question=question, text="", abstained=False, citations=[],
                        passages=[], model_id=self.chat_model.model_id, timings_ms=timings,
                        red_flags=red_flags, prompt_version=PROMPT_VERSION)
        scope = check_scope(question)
        if scope.in_scope:
            # Deterministic aids, like the red flags, do not depend on the model or retrieval.
            t = time.perf_counter()
            if self.calculation_finder:
                answer.calculations = self.calculation_finder(question)
            if self.differential_builder:
                answer.differential = self.differential_builder(question)
            timings["clinical_aids"] = (time.perf_counter() - t) * 1000
        else:
            # No passages either: a dog's dose next to human dosing passages would mislead.
            yield _abstained(answer, scope.kind, f"{scope.reason} {ABSTENTION_MESSAGE}",
                             started)
            return

        t = time.perf_counter()
        answer.passages = self.retriever.search(retrieval_query(question, history),
                                                self.config.top_k, self.config.filters)
        timings["retrieval"] = (time.perf_counter() - t) * 1000
        passages = answer.passages
        best = max((sp.evidence_score for sp in passages), default=float("-inf"))
        if not passages and getattr(passages, "reason", ""):
            # e.g. the filters match no passage: say so rather than "no evidence found".
            yield _abstained(answer, "no-passages", f"{ABSTENTION_MESSAGE} ({passages.reason})",
                             started)
            return
        if best < self.config.abstain_below:
            logger.info("abstained: best score %.3f < %.3f", best, self.config.abstain_below)
            yield _abstained(answer, "low-similarity", ABSTENTION_MESSAGE, started)
            return
        yield StreamEvent("evidence", answer)

        messages = build_messages(question, passages, history)
        pieces: list[str] = []
        t = time.perf_counter()
        try:
            # Weights load lazily, once per process: time the load apart, and leave it out of
            # first_token so that it means question-to-first-token in a running app.
            load = getattr(self.chat_model, "load", None)
            if load is not None:
                load()
                timings["model_load"] = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
            for piece in self.chat_model.stream(messages, self.config.max_new_tokens):
                if not pieces:
                    timings["first_token"] = ((time.perf_counter() - started) * 1000
                                              - timings.get("model_load", 0.0))
                pieces.append(piece)
                yield StreamEvent("token", answer, piece)
        except ChatModelError as e:
            logger.error("generation failed for model %s: %s", self.chat_model.model_id, e)
            answer.error = str(e)
            answer.text = ("The language model failed, so no written answer is available. "
                           f"The retrieved guideline passages are shown below. ({e})")
            timings["total"] = (time.perf_counter() - started) * 1000
            yield StreamEvent("done", answer)
            return
        timings["generation"] = (time.perf_counter() - t) * 1000

        cited = resolve_citations("".join(pieces), passages, self.config.attribution_min_overlap)
        answer.text = cited.text
        answer.citations = cited.citations
        answer.removed_citations = cited.removed
        answer.attributed_sentences = cited.attributed
        answer.uncited_sentences = cited.uncited_sentences
        timings["total"] = (time.perf_counter() - started) * 1000
        logger.info("answered: %d passages, %d citations (%d removed, %d attributed), %.0f ms",
                    len(passages), len(cited.citations), cited.removed, cited.attributed,
                    timings["total"])
        yield StreamEvent("done", answer)
