"""Checks on a query before any retriever sees it."""

from __future__ import annotations

import unicodedata

MAX_QUERY_CHARS = 4000


class QueryError(ValueError):
    """A query that cannot be searched; the message says what to change."""


def check_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Return the query stripped; raise QueryError when it is empty, too long or has control
    characters other than tabs and newlines."""
    if not isinstance(query, str):
        raise QueryError(f"the question must be text, got {type(query).__name__}")
    stripped = query.strip()
    if not stripped:
        raise QueryError("the question is empty; type a clinical question")
    if len(stripped) > max_chars:
        raise QueryError(f"the question has {len(stripped)} characters; the limit is {max_chars}. "
                         "Shorten it to the clinical question")
    bad = sorted({f"U+{ord(c):04X}" for c in stripped
                  if unicodedata.category(c) == "Cc" and c not in "\t\n\r"})
    if bad:
        raise QueryError(f"the question contains control characters ({', '.join(bad[:5])}); "
                         "remove them and ask again")
    return stripped
