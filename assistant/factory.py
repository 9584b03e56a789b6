"""Assemble a ready assistant for a data directory: knowledge base → index → retriever →
chat model. The one place that decides which implementations the defaults are."""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.abstention import threshold_for
from assistant.chat import ChatModel
from assistant.chat_aids import DifferentialPanel, find_calculations
from assistant.core import Assistant, AssistantConfig
from assistant.transformers_backend import TransformersChatModel, model_spec_for
from knowledge.paths import DataPaths
from retrieval.index import ProgressCallback
from retrieval.knowledge_index import KnowledgeIndex
from retrieval.types import Embedder, Retriever

logger = logging.getLogger(__name__)


def _paths(data_dir: Path | DataPaths) -> DataPaths:
    return data_dir if isinstance(data_dir, DataPaths) else DataPaths(Path(data_dir))


def build_retriever(data_dir: Path | DataPaths, embedder: Embedder | str | None = None,
                    progress: ProgressCallback | None = None) -> KnowledgeIndex:
    """The data directory's knowledge-index service, opened: hybrid retrieval (dense FAISS +
    BM25, tuned weighted fusion, near-duplicate suppression) whose results keep the dense
    cosine as ``similarity``, on which abstention is decided. ``embedder`` is an embedder or
    one of ``retrieval.embedders.EMBEDDER_CHOICES``; None uses the one the index was built
    with (MiniLM for a new index); choosing another one rebuilds the index."""
    return KnowledgeIndex(_paths(data_dir), embedder).open(progress)


def build_chat_model(data_dir: Path | DataPaths, model_id: str | None = None,
                     quantization: str = "none") -> TransformersChatModel:
    paths = _paths(data_dir).ensure()
    return TransformersChatModel(model_spec_for(model_id, quantization), paths.models_dir)


def default_red_flag_checker():
    """The triage engine's red-flag check for chat turns."""
    from assistant.clinical.triage import red_flags_for_question

    return red_flags_for_question


def build_assistant(data_dir: Path | DataPaths, model_id: str | None = None,
                    quantization: str = "none", config: AssistantConfig | None = None,
                    progress: ProgressCallback | None = None,
                    chat_model: ChatModel | None = None,
                    retriever: Retriever | None = None,
                    with_differential: bool = True,
                    embedder: str | None = None) -> Assistant:
    """The default assistant: hybrid retrieval over the data directory's knowledge base and
    SmolLM2 (or ``model_id``). Weights load lazily on the first answer. A caller that builds
    its own differential from more context (the web app, from the whole conversation and the
    patient form) passes ``with_differential=False`` so the work is not done twice.
    ``embedder`` names the retrieval embedder (``build_retriever``); the default config uses
    the abstention threshold calibrated for it (for the one the index was built with when
    unnamed)."""
    if retriever is None:
        service = build_retriever(data_dir, embedder, progress=progress)
        embedder = embedder or service.manifest.embedder_name or None
        retriever = service
    return Assistant(
        chat_model or build_chat_model(data_dir, model_id, quantization),
        retriever,
        config or AssistantConfig(abstain_below=threshold_for(embedder)),
        red_flag_checker=default_red_flag_checker(),
        calculation_finder=find_calculations,
        differential_builder=DifferentialPanel() if with_differential else None,
    )
