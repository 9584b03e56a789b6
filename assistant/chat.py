"""The ChatModel role and the fakes that satisfy it in unit tests.

A chat message is a plain dict ``{"role": "system"|"user"|"assistant", "content": str}``.
Real backends live in their own modules (``transformers_backend``).
"""

from __future__ import annotations

from itertools import cycle
from typing import Iterator, Protocol, Sequence

Message = dict[str, str]


class ChatModelError(RuntimeError):
    """A model failed to load or to generate; the message names the model and the cause."""


class ChatModel(Protocol):
    model_id: str

    def generate(self, messages: Sequence[Message], max_new_tokens: int = 256) -> str:
        """Return the model's whole reply to ``messages``."""
        ...

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 256) -> Iterator[str]:
        """Yield the reply in pieces as they are produced; joined they equal ``generate``."""
        ...


class ScriptedChatModel:
    """A fake that replies with fixed texts in turn (cycling), for fast unit tests."""

    def __init__(self, replies: Sequence[str], model_id: str = "scripted") -> None:
        if not replies:
            raise ValueError("ScriptedChatModel needs at least one reply")
        self.model_id = model_id
        self._replies = cycle(list(replies))
        self.calls: list[list[Message]] = []

    def generate(self, messages: Sequence[Message], max_new_tokens: int = 256) -> str:
        self.calls.append(list(messages))
        return next(self._replies)

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 256) -> Iterator[str]:
        reply = self.generate(messages, max_new_tokens)
        for start in range(0, len(reply), 8):
            yield reply[start:start + 8]


class FailingChatModel:
    """A fake whose every call fails, to test that evidence survives a model failure."""

    def __init__(self, model_id: str = "failing") -> None:
        self.model_id = model_id

    def generate(self, messages: Sequence[Message], max_new_tokens: int = 256) -> str:
        raise ChatModelError(f"model {self.model_id!r} failed to generate (simulated)")

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 256) -> Iterator[str]:
        raise ChatModelError(f"model {self.model_id!r} failed to generate (simulated)")
        yield ""  # pragma: no cover - makes this a generator
