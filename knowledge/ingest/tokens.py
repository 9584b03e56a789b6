"""Counting and splitting text into word tokens, the unit of chunk sizes and shingles.

A token is a run of letters or digits, or a single CJK character (Chinese has no spaces, so
counting whitespace-separated words would call a whole paragraph one word). Punctuation is not
a token. This is a cheap stand-in for a model tokenizer: MiniLM's word pieces run about 1.3 per
English word, which the default chunk size allows for.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def word_tokens(text: str) -> list[str]:
    """Lower-cased tokens of ``text`` after Unicode NFKC normalisation."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))
