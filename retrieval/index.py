"""The passage index: FAISS vectors, the passages they stand for, and a manifest.

On disk an index is a folder holding ``index.faiss`` (``faiss.write_index``),
``passages.jsonl`` (one passage as JSON per line; nothing pickled) and ``manifest.json``
(embedding model, dimension, passage count, corpus hash, build time). Folders live under
``<root>/builds/<build-id>/`` and ``<root>/CURRENT`` names the live one; a new build is written
and fsynced in full before ``CURRENT`` is replaced atomically, so a crash mid-build leaves the
previous index intact and a reader never sees a torn index.

This module builds, saves, loads and checks indexes; choosing passages is ``knowledge``'s job
and ranking them is ``retriever``'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import faiss
import numpy as np

from knowledge.passage import Passage
from retrieval.ann import EXACT_SEARCH_MAX_VECTORS, build_faiss_index  # noqa: F401 (re-exported)
from retrieval.embedding_cache import EmbeddingCache, write_atomically
from retrieval.errors import IndexUnusableError
from retrieval.types import Embedder

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
INDEX_FILE, PASSAGES_FILE, MANIFEST_FILE, CURRENT_FILE = (
    "index.faiss", "passages.jsonl", "manifest.json", "CURRENT")

ProgressCallback = Callable[[int, int], None]  # (passages done, passages total)


class IndexMissingError(IndexUnusableError):
    pass


class IndexCorruptError(IndexUnusableError):
    pass


class IndexStaleError(IndexUnusableError):
    pass


@dataclass(frozen=True)
class IndexManifest:
    format_version: int
    embedder_id: str
    dimension: int
    passage_count: int
    corpus_hash: str
    built_at: str
    index_type: str
    build_seconds: float
    embedded_passages: int = 0  # how many were embedded anew (the rest came from the cache)
    # How to search it, so every reader builds the same retriever (``retrieval.service``):
    embedder_name: str = ""     # the user-facing name (``embedder_by_name``), "" if unknown
    retrieval: dict = field(default_factory=dict)  # ``HybridConfig.to_dict()``

    @property
    def manifest_hash(self) -> str:
        """A short fingerprint of the index for audit records."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def corpus_hash(passages: Sequence[Passage]) -> str:
    """A fingerprint of what the index must contain: ids and content, in order."""
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(f"{passage.passage_id}\t{passage.content_hash}\n".encode("utf-8"))
    return digest.hexdigest()


class PassageIndex:
    """Passages with their vectors in a FAISS inner-product index (vectors are normalised,
    so inner product is cosine similarity)."""

    def __init__(self, passages: Sequence[Passage], faiss_index, manifest: IndexManifest) -> None:
        if faiss_index.ntotal != len(passages):
            raise IndexCorruptError(
                f"index holds {faiss_index.ntotal} vectors for {len(passages)} passages; "
                "rebuild it with `ruiyi kb rebuild`")
        self.passages = list(passages)
        self.faiss_index = faiss_index
        self.manifest = manifest

    def __len__(self) -> int:
        return len(self.passages)

    def search_vectors(self, query_vectors: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and passage positions, shape (n_queries, top_k); position -1 = no result."""
        if top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {top_k}")
        top_k = min(top_k, len(self.passages)) or 1
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
        return self.faiss_index.search(queries, top_k)


def embed_passages(passages: Sequence[Passage], embedder: Embedder, cache: EmbeddingCache | None,
                   progress: ProgressCallback | None = None, batch_size: int = 64
                   ) -> tuple[np.ndarray, int]:
    """Vectors for ``passages`` in order, reusing cached ones; returns (vectors, newly embedded)."""
    cached = cache.lookup([p.content_hash for p in passages]) if cache else {}
    missing = [p for p in passages if p.content_hash not in cached]
    done = len(passages) - len(missing)
    if progress:
        progress(done, len(passages))
    fresh: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        vectors = embedder.embed([embedding_text(p) for p in batch])
        fresh.update({p.content_hash: v for p, v in zip(batch, vectors)})
        done += len(batch)
        if progress:
            progress(done, len(passages))
    if cache is not None and fresh:
        cache.add(list(fresh), np.stack(list(fresh.values())))
        cache.save()
    every = {**cached, **fresh}
    if not passages:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.stack([every[p.content_hash] for p in passages]).astype(np.float32), len(missing)


def embedding_text(passage: Passage) -> str:
    """What is embedded: the section path gives context a lone paragraph lacks."""
    return f"{passage.section}: {passage.text}"


def build_index(passages: Sequence[Passage], embedder: Embedder,
                cache: EmbeddingCache | None = None,
                progress: ProgressCallback | None = None, embedder_name: str = "",
                retrieval: dict | None = None) -> PassageIndex:
    if not passages:
        raise ValueError("cannot build an index from 0 passages; add guideline documents first")
    started = time.perf_counter()
    vectors, embedded = embed_passages(passages, embedder, cache, progress)
    faiss_index, index_type = build_faiss_index(vectors)  # exact, or IVF past the threshold
    manifest = IndexManifest(
        format_version=FORMAT_VERSION,
        embedder_id=embedder.model_id,
        dimension=int(vectors.shape[1]),
        passage_count=len(passages),
        corpus_hash=corpus_hash(passages),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        index_type=index_type,
        build_seconds=round(time.perf_counter() - started, 3),
        embedded_passages=embedded,
        embedder_name=embedder_name,
        retrieval=dict(retrieval or {}),
    )
    logger.info("built %s index: %d passages (%d embedded anew) in %.1f s", index_type,
                len(passages), embedded, manifest.build_seconds)
    return PassageIndex(passages, faiss_index, manifest)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def save_index(index: PassageIndex, root: Path) -> Path:
    """Write a new build folder under ``root`` and make it the live one atomically."""
    root = Path(root)
    build_dir = root / "builds" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.time_ns() % 10**6}"
    build_dir.mkdir(parents=True)
    faiss.write_index(index.faiss_index, str(build_dir / INDEX_FILE))
    with open(build_dir / PASSAGES_FILE, "w", encoding="utf-8") as handle:
        for passage in index.passages:
            handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    (build_dir / MANIFEST_FILE).write_text(json.dumps(asdict(index.manifest), indent=2),
                                           encoding="utf-8")
    for name in (INDEX_FILE, PASSAGES_FILE, MANIFEST_FILE):
        _fsync_file(build_dir / name)
    write_atomically(root / CURRENT_FILE,
                     lambda p: p.write_text(build_dir.name + "\n", encoding="utf-8"))
    _remove_old_builds(root, keep=build_dir.name)
    return build_dir


def _remove_old_builds(root: Path, keep: str) -> None:
    # Keep the previous build too, so a reader that opened it just before the switch can finish.
    builds = sorted((root / "builds").iterdir(), key=lambda p: p.stat().st_mtime)
    for old in [b for b in builds if b.name != keep][:-1]:
        shutil.rmtree(old, ignore_errors=True)


def live_build_dir(root: Path) -> Path:
    root = Path(root)
    current = root / CURRENT_FILE
    if not current.exists():
        raise IndexMissingError(f"no index at {root}; build it with `ruiyi kb build`")
    build_dir = root / "builds" / current.read_text(encoding="utf-8").strip()
    if not build_dir.is_dir():
        raise IndexCorruptError(f"index pointer {current} names a missing build {build_dir.name}; "
                                "rebuild with `ruiyi kb rebuild`")
    return build_dir


def read_manifest(root: Path) -> IndexManifest:
    path = live_build_dir(root) / MANIFEST_FILE
    try:
        return IndexManifest(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as e:
        raise IndexCorruptError(f"index manifest {path} is unreadable ({e}); "
                                "rebuild with `ruiyi kb rebuild`") from e


def load_index(root: Path, expected_embedder_id: str | None = None,
               expected_corpus_hash: str | None = None) -> PassageIndex:
    """Load the live index; raise ``IndexStaleError`` when it does not match what is expected
    and ``IndexCorruptError`` when any file is damaged."""
    manifest = read_manifest(root)
    build_dir = live_build_dir(root)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexStaleError(f"index format {manifest.format_version} is not {FORMAT_VERSION}; "
                              "rebuild with `ruiyi kb rebuild`")
    if expected_embedder_id and manifest.embedder_id != expected_embedder_id:
        raise IndexStaleError(f"index was built with {manifest.embedder_id!r}, not "
                              f"{expected_embedder_id!r}; rebuild with `ruiyi kb rebuild`")
    if expected_corpus_hash and manifest.corpus_hash != expected_corpus_hash:
        raise IndexStaleError("the knowledge base changed since the index was built; "
                              "rebuild with `ruiyi kb rebuild`")
    try:
        faiss_index = faiss.read_index(str(build_dir / INDEX_FILE))
        with open(build_dir / PASSAGES_FILE, encoding="utf-8") as handle:
            passages = [Passage.from_dict(json.loads(line)) for line in handle if line.strip()]
    except (RuntimeError, OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorruptError(f"index files in {build_dir} are damaged ({e}); "
                                "rebuild with `ruiyi kb rebuild`") from e
    if faiss_index.d != manifest.dimension or len(passages) != manifest.passage_count:
        raise IndexCorruptError(f"index in {build_dir} does not match its manifest; "
                                "rebuild with `ruiyi kb rebuild`")
    if corpus_hash(passages) != manifest.corpus_hash:
        raise IndexCorruptError(f"passages in {build_dir} do not match the manifest's corpus "
                                "hash; rebuild with `ruiyi kb rebuild`")
    return PassageIndex(passages, faiss_index, manifest)
