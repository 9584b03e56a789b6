"""Open the live index of a data directory, building or rebuilding it when needed.

A missing index is built (with a progress callback); a stale one (the knowledge base or the
embedding model changed) is rebuilt, re-embedding only changed passages through the
embedding cache; a corrupt one is refused with a message that says to run
``ruiyi kb rebuild``, which replaces it.
"""

from __future__ import annotations

import logging
from typing import Sequence

from knowledge.passage import Passage
from knowledge.paths import DataPaths
from retrieval.embedding_cache import EmbeddingCache
from retrieval.index import (IndexMissingError, IndexStaleError, PassageIndex, ProgressCallback,
                             build_index, corpus_hash, load_index, save_index)
from retrieval.types import Embedder

logger = logging.getLogger(__name__)


def rebuild_index(paths: DataPaths, passages: Sequence[Passage], embedder: Embedder,
                  progress: ProgressCallback | None = None) -> PassageIndex:
    cache = EmbeddingCache(paths.embedding_cache_dir, embedder.model_id, embedder.dimension)
    index = build_index(passages, embedder, cache, progress)
    save_index(index, paths.index_dir)
    return index


def open_index(paths: DataPaths, passages: Sequence[Passage], embedder: Embedder,
               progress: ProgressCallback | None = None) -> PassageIndex:
    """The live index for ``passages``; builds it when missing or stale. Corrupt → raises."""
    try:
        return load_index(paths.index_dir, expected_embedder_id=embedder.model_id,
                          expected_corpus_hash=corpus_hash(passages))
    except IndexMissingError:
        logger.info("no index yet in %s; building it", paths.index_dir)
    except IndexStaleError as e:
        logger.info("index is stale (%s); rebuilding", e)
    return rebuild_index(paths, passages, embedder, progress)
