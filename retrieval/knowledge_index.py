"""The knowledge-index service: the one way to open, search, add to, remove from and rebuild a
data directory's index.

The CLI (`ruiyi kb`, `ask`, `ddx`, `eval`), the web app (search, upload) and the
benchmarks all go through ``KnowledgeIndex``, so they agree on three things that used to
drift apart:

- **Which retriever.** Always ``HybridRetriever`` (dense FAISS + BM25 + abbreviations), with
  the embedder and the ``HybridConfig`` recorded in the index manifest. Opening an index
  without naming an embedder uses the one the manifest names; naming another rebuilds it.
- **What it holds.** The base passages (the bundled corpus, or what a test passes) followed by
  the user's stored documents, in the order ``knowledge.base.KnowledgeBase`` reads them.
- **How it changes.** ``add`` and ``remove`` build the new index before writing documents and
  publish it after (``knowledge.ingest.batch``), then swap the live retriever in one
  assignment: searches running meanwhile finish on the old one, later ones see the new one,
  and every caller keeps the same ``KnowledgeIndex`` object (no proxy, no restart).

``KnowledgeIndex`` satisfies ``retrieval.types.Retriever``. It does not parse files (that is
``knowledge.ingest``) or decide what an answer cites (``assistant``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Sequence

from knowledge.passage import Passage
from knowledge.paths import DataPaths
from retrieval.embedders import embedder_by_name
from retrieval.embedding_cache import EmbeddingCache
from retrieval.errors import IndexUnusableError
from retrieval.hybrid import HybridConfig, HybridRetriever, RetrievalResults
from retrieval.index import (IndexManifest, IndexMissingError, IndexStaleError, PassageIndex,
                             ProgressCallback, build_index, corpus_hash, load_index,
                             read_manifest, save_index)
from retrieval.types import Embedder

logger = logging.getLogger(__name__)

DEFAULT_EMBEDDER = "minilm"


class KnowledgeIndex:
    """A data directory's index and the hybrid retriever over it.

    ``embedder`` is a name from ``retrieval.embedders.EMBEDDER_CHOICES`` or an ``Embedder``
    (tests pass ``HashEmbedder``); None means "the one the manifest names, else MiniLM".
    ``config`` None means "the manifest's, else the tuned defaults". ``base_passages`` None
    means the bundled corpus. Nothing is loaded until ``open`` (or the first search)."""

    def __init__(self, paths: DataPaths | Path, embedder: Embedder | str | None = None,
                 config: HybridConfig | None = None,
                 base_passages: Sequence[Passage] | None = None) -> None:
        self.paths = paths if isinstance(paths, DataPaths) else DataPaths(Path(paths))
        self._requested_embedder = embedder
        self._requested_config = config
        self._base = list(base_passages) if base_passages is not None else None
        self._retriever: HybridRetriever | None = None
        self._write_lock = threading.Lock()  # one change at a time within this process
        self._open_lock = threading.Lock()
        self.generation = 0  # counts published changes, so views know when to refresh

    # -- what the index holds -------------------------------------------------------------

    def base_passages(self) -> list[Passage]:
        """The passages that are not user documents: the bundled corpus unless given."""
        if self._base is None:
            from knowledge.corpus import load_bundled_passages

            self._base = load_bundled_passages()
        return self._base

    def _store(self):
        from knowledge.ingest.documents import DocumentStore

        return DocumentStore(self.paths.documents_dir)

    def expected_passages(self) -> list[Passage]:
        """Base passages then stored documents, as the index must hold them."""
        from knowledge.ingest.batch import passages_after

        return passages_after(self._store(), self.base_passages())

    # -- opening ---------------------------------------------------------------------------

    def _manifest_or_none(self) -> IndexManifest | None:
        try:
            return read_manifest(self.paths.index_dir)
        except IndexUnusableError:
            return None

    def _resolve(self) -> tuple[Embedder, str, HybridConfig]:
        manifest = self._manifest_or_none()
        wanted = self._requested_embedder
        if wanted is None:
            wanted = (manifest.embedder_name if manifest and manifest.embedder_name
                      else DEFAULT_EMBEDDER)
        if isinstance(wanted, str):
            embedder, name = embedder_by_name(wanted, self.paths.models_dir), wanted
        else:
            embedder, name = wanted, wanted.model_id
        config = self._requested_config
        if config is None:
            config = (HybridConfig.from_dict(manifest.retrieval)
                      if manifest and manifest.retrieval else HybridConfig())
        return embedder, name, config

    def open(self, progress: ProgressCallback | None = None) -> "KnowledgeIndex":
        """Load the live index, building it when missing and rebuilding it when stale (other
        passages or another embedder). A corrupt index raises ``IndexCorruptError``; call
        ``rebuild`` to replace it."""
        with self._open_lock:
            if self._retriever is not None:
                return self
            self.paths.ensure()
            embedder, name, config = self._resolve()
            passages = self.expected_passages()
            try:
                index = load_index(self.paths.index_dir, expected_embedder_id=embedder.model_id,
                                   expected_corpus_hash=corpus_hash(passages))
            except IndexMissingError:
                logger.info("no index yet in %s; building it", self.paths.index_dir)
                index = self._build_and_save(passages, embedder, name, config, progress)
            except IndexStaleError as e:
                logger.info("index is stale (%s); rebuilding", e)
                index = self._build_and_save(passages, embedder, name, config, progress)
            self._retriever = HybridRetriever(index, embedder, config)
            return self

    @property
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            self.open()
        return self._retriever

    @property
    def index(self) -> PassageIndex:
        return self.retriever.index

    @property
    def embedder(self) -> Embedder:
        return self.retriever.embedder

    @property
    def config(self) -> HybridConfig:
        return self.retriever.config

    @property
    def manifest(self) -> IndexManifest:
        return self.index.manifest

    @property
    def passages(self) -> list[Passage]:
        return self.index.passages

    def search(self, query: str, top_k: int = 5, filters: dict | None = None
               ) -> RetrievalResults:
        """Hybrid search over the live index (``HybridRetriever.search``)."""
        return self.retriever.search(query, top_k=top_k, filters=filters)

    # -- changing ----------------------------------------------------------------------------

    def _build(self, passages: Sequence[Passage], embedder: Embedder, name: str,
               config: HybridConfig, progress: ProgressCallback | None) -> PassageIndex:
        cache = EmbeddingCache(self.paths.embedding_cache_dir, embedder.model_id,
                               embedder.dimension)
        return build_index(passages, embedder, cache, progress, embedder_name=name,
                           retrieval=config.to_dict())

    def _build_and_save(self, passages, embedder, name, config, progress) -> PassageIndex:
        index = self._build(passages, embedder, name, config, progress)
        save_index(index, self.paths.index_dir)
        return index

    def _current_settings(self) -> tuple[Embedder, str, HybridConfig]:
        if self._retriever is not None:
            manifest = self._retriever.index.manifest
            return (self._retriever.embedder, manifest.embedder_name or
                    self._retriever.embedder.model_id, self._retriever.config)
        return self._resolve()

    def _publish(self, index: PassageIndex, embedder: Embedder, config: HybridConfig) -> None:
        save_index(index, self.paths.index_dir)
        # One assignment: a search already running keeps the old retriever to the end.
        self._retriever = HybridRetriever(index, embedder, config)
        self.generation += 1

    def rebuild(self, progress: ProgressCallback | None = None) -> PassageIndex:
        """Build the index afresh from the knowledge base (replaces a corrupt one; cached
        embeddings are reused) and make it live."""
        with self._write_lock:
            self.paths.ensure()
            embedder, name, config = self._current_settings()
            index = self._build(self.expected_passages(), embedder, name, config, progress)
            self._publish(index, embedder, config)
            return index

    def add(self, files: Sequence[Path | str], options=None,
            read_progress: Callable[[int, int], None] | None = None,
            embed_progress: ProgressCallback | None = None):
        """Ingest ``files`` (``knowledge.ingest.batch``) and publish the index with them.
        Returns (``IngestBatch``, the new index or None when nothing was stored); files that
        fail are reported in the batch and the rest go in.
        Raises ``StoreBusyError`` when another process is changing the store."""
        from knowledge.ingest.batch import IngestOptions, commit_batch, prepare_batch

        store = self._store()
        with self._write_lock, store.lock():
            self.paths.ensure()
            embedder, name, config = self._current_settings()
            base = self.base_passages()
            batch = prepare_batch(files, store, base, options or IngestOptions(), read_progress)
            index = commit_batch(batch, store, base,
                                 lambda passages: self._build(passages, embedder, name, config,
                                                              embed_progress),
                                 lambda new_index: self._publish(new_index, embedder, config))
            return batch, index

    def remove(self, doc_ids: Sequence[str],
               progress: ProgressCallback | None = None) -> PassageIndex:
        """Remove stored documents and publish the index without them."""
        from knowledge.ingest.batch import remove_documents

        store = self._store()
        with self._write_lock, store.lock():
            embedder, name, config = self._current_settings()
            published: list[PassageIndex] = []

            def publish(index: PassageIndex) -> None:
                self._publish(index, embedder, config)
                published.append(index)

            remove_documents(doc_ids, store, self.base_passages(),
                             lambda passages: self._build(passages, embedder, name, config,
                                                          progress), publish)
            return published[0]
