"""Prompt templates. Bump ``PROMPT_VERSION`` whenever any template's wording changes: the
audit record and evaluation runs carry it so that results can be traced to a prompt."""

from __future__ import annotations

from typing import Sequence

from retrieval.types import ScoredPassage

PROMPT_VERSION = "gp-answer-v1"

SYSTEM_PROMPT = (
    "You are Ruiyi, a clinical decision-support assistant for general practitioners. "
    "Answer only from the numbered guideline passages given to you. After each sentence, cite "
    "the passage that supports it with its number in square brackets, like [1] or [2]. "
    "If the passages do not answer the question, say so. Be brief and concrete: thresholds, "
    "doses, who to refer and when. Never invent facts, doses or sources."
)

USER_TEMPLATE = """Guideline passages:
{passages}

Question: {question}

Answer in at most five sentences, citing passages as [n]."""

PASSAGE_TEMPLATE = "[{n}] {source} — {section}: {text}"


def format_passages(passages: Sequence[ScoredPassage], max_words_each: int = 120) -> str:
    lines = []
    for n, scored in enumerate(passages, 1):
        words = scored.passage.text.split()
        text = " ".join(words[:max_words_each]) + (" …" if len(words) > max_words_each else "")
        lines.append(PASSAGE_TEMPLATE.format(n=n, source=scored.passage.source.label(),
                                             section=scored.passage.section, text=text))
    return "\n".join(lines)


def build_messages(question: str, passages: Sequence[ScoredPassage],
                   history: Sequence[dict] = ()) -> list[dict]:
    """System prompt, the recent conversation (for follow-ups), then the question with passages."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    messages.extend({"role": m["role"], "content": m["content"]} for m in history[-4:]
                    if m.get("role") in ("user", "assistant"))
    messages.append({"role": "user", "content": USER_TEMPLATE.format(
        passages=format_passages(passages), question=question)})
    return messages
