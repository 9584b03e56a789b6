"""Retrieval's exceptions, in a module of their own so that catching them (the CLI does for
every command) loads neither FAISS nor an embedder."""

from __future__ import annotations


class EmbedderError(RuntimeError):
    """An embedding model could not be found or loaded."""


class IndexUnusableError(RuntimeError):
    """Base for index problems; the message always says how to fix them."""
