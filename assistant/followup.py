"""Condense a follow-up question with the conversation before retrieval.

"and in pregnancy?" retrieves nothing useful alone. A short question (few content words) that
follows an earlier user question is searched together with that question; a self-contained
question is searched as it is. Deterministic, so retrieval stays reproducible; an LLM rewrite
could replace it for capable models.
"""

from __future__ import annotations

from typing import Sequence

from assistant.citations import content_words

FOLLOW_UP_MAX_CONTENT_WORDS = 4
_FOLLOW_UP_OPENERS = ("and ", "what about", "how about", "in ", "for ", "what if", "also", "same ")


def retrieval_query(question: str, history: Sequence[dict] = ()) -> str:
    previous = [m["content"] for m in history if m.get("role") == "user" and m.get("content")]
    if not previous:
        return question
    lowered = question.strip().lower()
    short = len(content_words(question)) <= FOLLOW_UP_MAX_CONTENT_WORDS
    if short or lowered.startswith(_FOLLOW_UP_OPENERS):
        return f"{previous[-1]} {question}"
    return question
