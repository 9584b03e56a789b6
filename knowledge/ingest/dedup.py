"""Exact and near-duplicate passage detection.

Exact: the same token sequence after Unicode normalisation, case folding and dropping
punctuation (so "140/90 mmHg." equals "140/90 mmhg"). Near: Jaccard similarity of the sets of
3-token shingles at or above a threshold (default 0.9: a re-wrapped or lightly edited copy).
Candidates come from MinHash locality-sensitive hashing (64 hashes in 16 bands of 4, so a pair
at Jaccard 0.9 is found with probability > 0.99999); every candidate is then checked with the
exact Jaccard, so a reported similarity is never an estimate.

The finder holds shingle sets as sorted integer arrays (4 bytes a shingle). It does not decide
what to do with a duplicate (``batch`` skips it, ``lint`` reports it).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict, dataclass

import numpy as np

from knowledge.ingest.tokens import word_tokens

SHINGLE_TOKENS = 3
DEFAULT_NEAR_THRESHOLD = 0.9
_BANDS, _ROWS = 16, 4
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20240611)  # fixed seed: the same text always hashes the same way
# Multipliers below 2**29 times 32-bit shingles stay below 2**61: no uint64 overflow.
_A = _rng.integers(1, 1 << 29, size=_BANDS * _ROWS, dtype=np.uint64)[:, None]
_B = _rng.integers(0, 1 << 29, size=_BANDS * _ROWS, dtype=np.uint64)[:, None]
MAX_CANDIDATES = 64  # a huge bucket (boilerplate) is checked this far, not quadratically


@dataclass(frozen=True)
class DuplicateMatch:
    """``passage_id`` repeats ``duplicate_of``; ``kind`` is "exact" or "near"."""

    passage_id: str
    duplicate_of: str
    kind: str
    similarity: float

    def to_dict(self) -> dict:
        return asdict(self)


def normalised_hash(text: str) -> str:
    return hashlib.sha256(" ".join(word_tokens(text)).encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE_TOKENS) -> np.ndarray:
    """Sorted unique 32-bit hashes of the ``size``-token shingles (one shingle for shorter
    texts, none for text without tokens)."""
    tokens = word_tokens(text)
    if not tokens:
        return np.zeros(0, dtype=np.uint32)
    grams = ["\x1f".join(tokens[i:i + size]) for i in range(max(len(tokens) - size + 1, 1))]
    return np.unique(np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams),
                                 dtype=np.uint32, count=len(grams)))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size or not b.size:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


class DuplicateFinder:
    """Remembers passages and says whether a new text repeats one of them."""

    def __init__(self, near_threshold: float = DEFAULT_NEAR_THRESHOLD) -> None:
        if not 0.5 <= near_threshold <= 1.0:
            raise ValueError(f"near_threshold must be 0.5–1.0, got {near_threshold}")
        self.near_threshold = near_threshold
        self._exact: dict[str, str] = {}
        self._ids: list[str] = []
        self._shingles: list[np.ndarray] = []
        self._buckets: dict[bytes, list[int]] = {}

    def __len__(self) -> int:
        return len(self._exact)

    def _band_keys(self, shingle_set: np.ndarray) -> list[bytes]:
        signature = ((_A * shingle_set.astype(np.uint64)[None, :] + _B) % _PRIME).min(axis=1)
        return [bytes([band]) + signature[band * _ROWS:(band + 1) * _ROWS].tobytes()
                for band in range(_BANDS)]

    def _find(self, digest: str, shingle_set: np.ndarray, keys: list[bytes]
              ) -> tuple[str, str, float] | None:
        if digest in self._exact:
            return self._exact[digest], "exact", 1.0
        if not shingle_set.size:
            return None
        candidates: dict[int, None] = {}
        for key in keys:
            for row in self._buckets.get(key, ())[:MAX_CANDIDATES]:
                candidates.setdefault(row)
            if len(candidates) >= MAX_CANDIDATES:
                break
        best: tuple[str, str, float] | None = None
        for row in candidates:
            other = self._shingles[row]
            # Jaccard can never exceed the ratio of the set sizes: skip hopeless pairs cheaply.
            if min(other.size, shingle_set.size) < self.near_threshold * max(other.size, shingle_set.size):
                continue
            similarity = jaccard(shingle_set, other)
            if similarity >= self.near_threshold and (best is None or similarity > best[2]):
                best = (self._ids[row], "near", round(similarity, 3))
        return best

    def find(self, text: str) -> tuple[str, str, float] | None:
        """(id it duplicates, "exact" | "near", similarity), or None when ``text`` is new."""
        shingle_set = shingles(text)
        keys = self._band_keys(shingle_set) if shingle_set.size else []
        return self._find(normalised_hash(text), shingle_set, keys)

    def add(self, passage_id: str, text: str) -> None:
        self._add(passage_id, normalised_hash(text), shingles(text))

    def _add(self, passage_id: str, digest: str, shingle_set: np.ndarray,
             keys: list[bytes] | None = None) -> None:
        self._exact.setdefault(digest, passage_id)
        if not shingle_set.size:
            return
        row = len(self._ids)
        self._ids.append(passage_id)
        self._shingles.append(shingle_set)
        for key in keys if keys is not None else self._band_keys(shingle_set):
            self._buckets.setdefault(key, []).append(row)

    def check(self, passage_id: str, text: str) -> DuplicateMatch | None:
        """The match when ``text`` repeats a known passage; otherwise remember it, return None."""
        digest = normalised_hash(text)
        shingle_set = shingles(text)
        keys = self._band_keys(shingle_set) if shingle_set.size else []
        found = self._find(digest, shingle_set, keys)
        if found:
            return DuplicateMatch(passage_id, *found)
        self._add(passage_id, digest, shingle_set, keys)
        return None
