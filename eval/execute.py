"""Running one case against the system under test, producing a JSON-able result.

This is the expensive, cached step (``runner`` stores each result so a rerun skips it);
turning results into scores is the cheap ``scoring`` step, so a change of metric never needs
the model again. A failure raises ``CaseError`` with a reason safe to log (no question text).
Thread-safety: cases may run on several threads; backends that are not thread-safe serialise
themselves (the transformers backend holds a lock).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from eval.mcq import build_mcq_messages
from eval.suites import Case


class CaseError(RuntimeError):
    """A case could not be run; the message says why (and is written to cases.jsonl)."""


@dataclass
class EvalBackend:
    """What the suites run against. Only the parts a suite needs must be set:
    gp → ``assistant``; mcq/pubmedqa → ``chat_model`` (and ``retriever`` with retrieval on
    for mcq); triage → ``triage_fn``; predictions → nothing."""

    assistant: Any = None
    chat_model: Any = None
    retriever: Any = None
    triage_fn: Callable[..., Any] | None = None
    ddx_fn: Callable[..., Any] | None = None
    retrieval: bool = True
    top_k: int = 5
    retrieval_eval_k: int = 10
    max_new_tokens: int = 512


def execute_case(case: Case, backend: EvalBackend) -> dict:
    """Run ``case`` and return its raw result (no scores)."""
    runner = _EXECUTORS.get(case.suite)
    if runner is None:
        raise CaseError(f"suite {case.suite!r} has nothing to execute")
    try:
        return runner(case, backend)
    except CaseError:
        raise
    except Exception as e:  # a backend may fail in many ways; keep the run going
        raise CaseError(f"{type(e).__name__}: {e}") from e


def _execute_gp(case: Case, backend: EvalBackend) -> dict:
    assistant = backend.assistant
    if assistant is None:
        raise CaseError("the gp suite needs an assistant")
    question = case.data["question"]
    # Retrieval metrics need a deeper list than the answer uses (nDCG@10), so search once
    # more with the assistant's own retriever (not counted in the latency).
    ranked = assistant.retriever.search(question, top_k=backend.retrieval_eval_k)
    started = time.perf_counter()
    answer = assistant.answer(question)
    latency_s = time.perf_counter() - started
    if answer.error:
        raise CaseError(f"model error: {answer.error}")
    return {
        "answer": answer.to_dict(),
        "retrieved": [{"passage_id": sp.passage.passage_id, "score": round(float(sp.score), 4)}
                      for sp in ranked],
        "latency_s": round(latency_s, 4),
        "generate_s": round(answer.timings_ms.get("generation", 0.0) / 1000, 6),
        "output_text": "" if answer.abstained else answer.text,
    }


def _execute_choice(case: Case, backend: EvalBackend, evidence: list[str], evidence_ids: list[str]) -> dict:
    chat_model = backend.chat_model
    if chat_model is None:
        raise CaseError(f"the {case.suite} suite needs a chat model")
    messages = build_mcq_messages(case.data["question"], case.data["options"], evidence)
    started = time.perf_counter()
    raw = chat_model.generate(messages, backend.max_new_tokens)
    generate_s = time.perf_counter() - started
    return {"raw": raw, "evidence_ids": evidence_ids, "generate_s": round(generate_s, 6),
            "output_text": raw}


def _execute_mcq(case: Case, backend: EvalBackend) -> dict:
    started = time.perf_counter()
    evidence, ids = [], []
    if backend.retrieval:
        if backend.retriever is None:
            raise CaseError("--retrieval on needs a retriever")
        found = backend.retriever.search(case.data["question"], top_k=backend.top_k)
        evidence = [sp.passage.text for sp in found]
        ids = [sp.passage.passage_id for sp in found]
    result = _execute_choice(case, backend, evidence, ids)
    result["latency_s"] = round(time.perf_counter() - started, 4)
    return result


def _execute_pubmedqa(case: Case, backend: EvalBackend) -> dict:
    # Retrieval on = the abstract's own context passages (PubMedQA's reasoning-required
    # setting); off = the question alone (MIRAGE's PubMedQA*).
    started = time.perf_counter()
    evidence = list(case.data.get("contexts") or []) if backend.retrieval else []
    result = _execute_choice(case, backend, evidence, [])
    result["latency_s"] = round(time.perf_counter() - started, 4)
    return result


def _execute_triage(case: Case, backend: EvalBackend) -> dict:
    if backend.triage_fn is None:
        raise CaseError("the triage suite needs a triage function")
    started = time.perf_counter()
    result = backend.triage_fn(case.data)
    latency_s = time.perf_counter() - started
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    return {"triage": data, "level": getattr(result, "level", data.get("level")),
            "em_ne_sc": getattr(result, "em_ne_sc", data.get("em_ne_sc")),
            "latency_s": round(latency_s, 4)}


def _execute_ddx(case: Case, backend: EvalBackend) -> dict:
    if backend.ddx_fn is None:
        raise CaseError("the ddx suite needs a differential-diagnosis function")
    started = time.perf_counter()
    result = backend.ddx_fn(case.data)
    return {"ddx": result, "latency_s": round(time.perf_counter() - started, 4)}


_EXECUTORS: dict[str, Callable[[Case, EvalBackend], dict]] = {
    "gp": _execute_gp, "mcq": _execute_mcq, "pubmedqa": _execute_pubmedqa,
    "triage": _execute_triage, "ddx": _execute_ddx,
}
