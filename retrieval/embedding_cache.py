"""A content-addressed cache of passage embeddings, so re-indexing embeds only what changed.

Keys are a passage's ``content_hash``; one cache file pair per embedding model:
``<dir>/<model-slug>.keys.json`` and ``<dir>/<model-slug>.npy`` (float32, loaded with
``allow_pickle=False``). Writes go to temporary files that are fsynced and then renamed, so a
crash leaves the previous cache intact. Not thread-safe across processes: one writer at a time.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

logger = logging.getLogger(__name__)


def _slug(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("_") or "model"


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a temporary sibling, fsync it, then rename over the target."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class EmbeddingCache:
    def __init__(self, directory: Path, model_id: str, dimension: int) -> None:
        self.directory = Path(directory)
        self.model_id = model_id
        self.dimension = dimension
        self._keys_path = self.directory / f"{_slug(model_id)}.keys.json"
        self._vectors_path = self.directory / f"{_slug(model_id)}.npy"
        self._rows: dict[str, int] = {}
        self._vectors = np.zeros((0, dimension), dtype=np.float32)
        self._load()

    def _load(self) -> None:
        if not (self._keys_path.exists() and self._vectors_path.exists()):
            return
        try:
            keys = json.loads(self._keys_path.read_text(encoding="utf-8"))
            vectors = np.load(self._vectors_path, allow_pickle=False)
        except (OSError, ValueError) as e:
            # A damaged cache only costs re-embedding; never fail the caller for it.
            logger.warning("embedding cache %s unreadable (%s); starting empty", self._keys_path, e)
            return
        if vectors.shape != (len(keys), self.dimension):
            logger.warning("embedding cache %s has shape %s for %d keys; starting empty",
                           self._vectors_path, vectors.shape, len(keys))
            return
        self._rows = {key: row for row, key in enumerate(keys)}
        self._vectors = vectors.astype(np.float32, copy=False)

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(self, content_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return {h: self._vectors[self._rows[h]] for h in content_hashes if h in self._rows}

    def add(self, content_hashes: Sequence[str], vectors: np.ndarray) -> None:
        new = [(h, v) for h, v in zip(content_hashes, vectors) if h not in self._rows]
        if not new:
            return
        start = len(self._rows)
        for offset, (h, _) in enumerate(new):
            self._rows[h] = start + offset
        self._vectors = np.vstack([self._vectors, np.stack([v for _, v in new])]).astype(np.float32)

    def _write_vectors(self, path: Path) -> None:
        with open(path, "wb") as handle:
            np.save(handle, self._vectors, allow_pickle=False)

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._rows, key=self._rows.get)
        write_atomically(self._vectors_path, self._write_vectors)
        write_atomically(self._keys_path, lambda p: p.write_text(json.dumps(keys), encoding="utf-8"))
