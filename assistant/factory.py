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
from knowledge.base import KnowledgeBase
from knowledge.paths import DataPaths
from retrieval.embedders import embedder_by_name
from retrieval.hybrid import HybridRetriever
from retrieval.index import ProgressCallback
from retrieval.store import open_index
from retrieval.types import Embedder, Retriever

logger = logging.getLogger(__name__)


def _paths(data_dir: Path | DataPaths) -> DataPaths:
    return data_dir if isinstance(data_dir, DataPaths) else DataPaths(Path(data_dir))


def build_retriever(data_dir: Path | DataPaths, embedder: Embedder | str | None = None,
                    progress: ProgressCallback | None = None) -> Retriever:
    """Hybrid retrieval (dense FAISS + BM25, tuned weighted fusion, near-duplicate
    suppression) over the data directory's index; results keep the dense cosine as
    ``similarity``, on which abstention is decided. ``embedder`` is an embedder or one of
    ``retrieval.embedders.EMBEDDER_CHOICES`` (default MiniLM); choosing another one than the
    index was built with rebuilds the index."""
    paths = _paths(data_dir).ensure()
    if embedder is None or isinstance(embedder, str):
        embedder = embedder_by_name(embedder or "minilm", paths.models_dir)
    index = open_index(paths, KnowledgeBase(paths).passages(), embedder, progress)
    return HybridRetriever(index, embedder)


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
    the abstention threshold calibrated for it."""
    return Assistant(
        chat_model or build_chat_model(data_dir, model_id, quantization),
        retriever or build_retriever(data_dir, embedder, progress=progress),
        config or AssistantConfig(abstain_below=threshold_for(embedder)),
        red_flag_checker=default_red_flag_checker(),
        calculation_finder=find_calculations,
        differential_builder=DifferentialPanel() if with_differential else None,
    )
