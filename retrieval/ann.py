"""Choosing the FAISS index by size, and the synthetic benchmark that justifies the choice.

Up to ``EXACT_SEARCH_MAX_VECTORS`` vectors the index is exact (``IndexFlatIP``): at that size
a single query scans every vector in a few milliseconds on 2 cores and recall is 1 by
construction. Beyond it the index is IVF-Flat (inner product): ``nlist`` ≈ √n lists (a power
of two; fewer lists than the usual 4–16·√n keep k-means and assignment affordable on 2
cores), trained by 10 k-means iterations on a seeded sample of 40 points per list, searched
with ``nprobe`` lists.

IVF was chosen over HNSW on ``ruiyi bench ann`` (a million clustered 384-d vectors, this
2-core machine): IVF-1024 reached recall@10 0.9998 at nprobe 8 (p50 0.5 ms) after a 6 s
build (45 s when the machine was busy), while HNSW (M=16) took 52 s to build and reached only
0.53-0.73 at efSearch 32-128 (probably its greedy walk strands between well-separated
clusters). On a harder mixture (20,000 small clusters, neighbours barely closer than
strangers) both fall short: IVF 0.74 at nprobe 64, HNSW 0.58 at efSearch 128 (README
"Retrieval").

``benchmark_ann`` builds both on clustered synthetic data (a Gaussian mixture: real sentence
embeddings are clustered by topic, and uniform random vectors would make any ANN index look
worse than it is) and reports recall@10 against exact search, latency and build time. This
module knows vectors, not passages.
"""

from __future__ import annotations

import logging
import math
import resource
import time
from dataclasses import dataclass

import faiss
import numpy as np

logger = logging.getLogger(__name__)

# Exact search up to here. One 384-d query scanned 1M vectors in 57 ms (p50) on this 2-core
# machine when quiet and 362 ms when busy, so 3-18 ms at 50,000: what fits a 25 ms budget.
EXACT_SEARCH_MAX_VECTORS = 50_000
# nprobe 8 already reached recall@10 0.9998 on the 1M clustered benchmark; 32 keeps a margin
# for data less clustered than the benchmark's at about 2 ms per query (README "Retrieval").
DEFAULT_NPROBE = 32
TRAINING_POINTS_PER_LIST = 40  # faiss warns below 39
KMEANS_ITERATIONS = 10
RANDOM_SEED = 1234


def ivf_list_count(vector_count: int) -> int:
    """About √n inverted lists, rounded to a power of two, at least 64."""
    return max(64, 2 ** round(math.log2(math.sqrt(max(vector_count, 1)))))


def build_faiss_index(vectors: np.ndarray, exact_max_vectors: int = EXACT_SEARCH_MAX_VECTORS,
                      nprobe: int = DEFAULT_NPROBE, seed: int = RANDOM_SEED):
    """A filled inner-product index for L2-normalised ``vectors`` and its type name
    (``flat-ip`` or ``ivf<nlist>-flat-ip``)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    if count <= exact_max_vectors:
        index = faiss.IndexFlatIP(dimension)
        index.add(vectors)
        return index, "flat-ip"
    nlist = ivf_list_count(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.seed = seed
    sample_size = min(count, nlist * TRAINING_POINTS_PER_LIST)
    sample = vectors[np.random.default_rng(seed).choice(count, sample_size, replace=False)]
    started = time.perf_counter()
    index.train(sample)
    index.add(vectors)
    index.nprobe = nprobe
    index.make_direct_map()  # so that passage vectors can be read back (near-duplicate checks)
    logger.info("built IVF index: %d vectors, %d lists, nprobe %d, in %.1f s", count, nlist,
                nprobe, time.perf_counter() - started)
    return index, f"ivf{nlist}-flat-ip"


def search_parameters(index, allowed_positions: np.ndarray | None):
    """FAISS search parameters restricting results to ``allowed_positions`` (None: no
    restriction, and no parameters)."""
    if allowed_positions is None:
        return None
    selector = faiss.IDSelectorBatch(np.asarray(allowed_positions, dtype=np.int64))
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=inner.nprobe)
    if isinstance(inner, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=inner.hnsw.efSearch)
    return faiss.SearchParameters(sel=selector)


def reconstruct(index, positions: np.ndarray) -> np.ndarray:
    """The stored vectors at ``positions`` (float32, one row each)."""
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexIVF) and inner.direct_map.type == faiss.DirectMap.NoMap:
        inner.make_direct_map()
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return inner.reconstruct_batch(positions)


# -- the synthetic benchmark ---------------------------------------------------------------


def clustered_unit_vectors(count: int, dimension: int, clusters: int, spread: float,
                           seed: int = RANDOM_SEED, chunk: int = 100_000) -> np.ndarray:
    """A Gaussian mixture on the unit sphere: ``clusters`` random unit centres, each point a
    centre plus isotropic noise of standard deviation ``spread / sqrt(dimension)`` per
    coordinate, then L2-normalised. Generated in chunks to bound the temporary memory."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dimension)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((count, dimension), dtype=np.float32)
    scale = np.float32(spread / math.sqrt(dimension))
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        labels = rng.integers(0, clusters, stop - start)
        block = rng.standard_normal((stop - start, dimension), dtype=np.float32) * scale
        block += centres[labels]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of each query's true top-``k`` that the approximate top-``k`` contains."""
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth))
    return hits / (k * len(truth))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _single_query_latencies(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    found = np.empty((len(queries), k), dtype=np.int64)
    seconds = []
    for row, query in enumerate(queries):
        started = time.perf_counter()
        _, positions = index.search(query[None, :], k)
        seconds.append(time.perf_counter() - started)
        found[row] = positions[0]
    return found, seconds


@dataclass(frozen=True)
class AnnSettings:
    vector_count: int = 1_000_000
    dimension: int = 384
    clusters: int = 2_000
    # 0.8: the mean 10th-neighbour cosine (0.66) matches MiniLM over MedQuAD answers (0.65).
    spread: float = 0.8
    query_count: int = 1_000
    top_k: int = 10
    nprobes: tuple[int, ...] = (8, 16, 32, 64)
    hnsw_vectors: int = 0          # 0 = skip HNSW; else build HNSW on this many vectors
    hnsw_m: int = 16
    hnsw_ef_construction: int = 40
    hnsw_ef_search: tuple[int, ...] = (32, 64, 128)
    seed: int = RANDOM_SEED

    def __post_init__(self) -> None:
        for name in ("vector_count", "dimension", "clusters", "query_count", "top_k"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.top_k > self.vector_count:
            raise ValueError(f"top_k ({self.top_k}) must be <= vector_count ({self.vector_count})")
        if self.hnsw_vectors < 0 or self.hnsw_vectors > self.vector_count:
            raise ValueError(f"hnsw_vectors must be 0–vector_count, got {self.hnsw_vectors}")


def _latency_row(name: str, recall: float, seconds: list[float], build_seconds: float,
                 **extra) -> dict:
    ms = np.asarray(seconds) * 1000.0
    return {"index": name, "recall@10": round(recall, 4),
            "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "build_s": round(build_seconds, 1), "peak_rss_mb": round(_peak_rss_mb()), **extra}


def benchmark_ann(settings: AnnSettings = AnnSettings(), progress=None) -> dict:
    """Build exact and approximate indexes over clustered synthetic vectors and measure them.

    Returns ``{"settings": ..., "rows": [...]}``; each row: index, recall@10 against exact
    search, single-query latency p50/p95 (ms), build seconds, process peak RSS (MB).
    ``progress`` is called with a short stage name.
    """
    say = progress or (lambda stage: None)
    faiss.omp_set_num_threads(faiss.omp_get_max_threads())
    say("generating vectors")
    started = time.perf_counter()
    base = clustered_unit_vectors(settings.vector_count, settings.dimension, settings.clusters,
                                  settings.spread, settings.seed)
    queries = _fresh_queries(settings)
    generate_seconds = time.perf_counter() - started
    rows = []

    say("exact search (ground truth)")
    started = time.perf_counter()
    _, truth = faiss.knn(queries, base, settings.top_k, metric=faiss.METRIC_INNER_PRODUCT)
    batch_seconds = time.perf_counter() - started
    flat = faiss.IndexFlatIP(settings.dimension)
    flat.add(base)  # a copy; freed below before the IVF index is built
    latency_queries = queries[:min(100, len(queries))]
    _, flat_seconds = _single_query_latencies(flat, latency_queries, settings.top_k)
    rows.append(_latency_row("flat-ip (exact)", 1.0, flat_seconds, 0.0,
                             note=f"{len(latency_queries)} single queries; batch of "
                                  f"{len(queries)} took {batch_seconds:.1f} s"))
    del flat

    say("IVF build")
    started = time.perf_counter()
    index, name = build_faiss_index(base, exact_max_vectors=0, seed=settings.seed)
    build_seconds = time.perf_counter() - started
    ivf = faiss.downcast_index(index)
    for nprobe in settings.nprobes:
        say(f"IVF search nprobe={nprobe}")
        ivf.nprobe = nprobe
        found, seconds = _single_query_latencies(index, queries, settings.top_k)
        rows.append(_latency_row(f"{name} nprobe={nprobe}", recall_at_k(found, truth,
                                 settings.top_k), seconds, build_seconds))
    del index, ivf

    if settings.hnsw_vectors:
        rows.extend(_benchmark_hnsw(base[:settings.hnsw_vectors], queries, settings, say))
    return {"settings": settings.__dict__ | {"nprobes": list(settings.nprobes),
                                              "hnsw_ef_search": list(settings.hnsw_ef_search)},
            "generate_seconds": round(generate_seconds, 1), "rows": rows}


def _fresh_queries(settings: AnnSettings) -> np.ndarray:
    """Queries from the same mixture as the base (same centres) but new points."""
    rng = np.random.default_rng(settings.seed)
    centres = rng.standard_normal((settings.clusters, settings.dimension)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    other = np.random.default_rng(settings.seed + 1)
    labels = other.integers(0, settings.clusters, settings.query_count)
    points = other.standard_normal((settings.query_count, settings.dimension),
                                   dtype=np.float32) * np.float32(
        settings.spread / math.sqrt(settings.dimension))
    points += centres[labels]
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _benchmark_hnsw(base: np.ndarray, queries: np.ndarray, settings: AnnSettings,
                    say) -> list[dict]:
    say(f"HNSW build over {len(base)} vectors")
    _, truth = faiss.knn(queries, base, settings.top_k, metric=faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(settings.dimension, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = settings.hnsw_ef_construction
    index.add(base)
    build_seconds = time.perf_counter() - started
    rows = []
    for ef in settings.hnsw_ef_search:
        index.hnsw.efSearch = ef
        found, seconds = _single_query_latencies(index, queries, settings.top_k)
        rows.append(_latency_row(f"hnsw{settings.hnsw_m} efSearch={ef} ({len(base)} vectors)",
                                 recall_at_k(found, truth, settings.top_k), seconds,
                                 build_seconds))
    return rows
