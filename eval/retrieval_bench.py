"""The retrieval benchmark: every method on one dataset, in one run, on the same vectors.

Methods: BM25 alone, dense alone (FAISS, the project's ``DenseRetriever``), hybrid (tuned
weighted fusion), hybrid with plain RRF k=60 (for reference), hybrid with a cross-encoder when
one is named, and the peer baseline, LangChain's FAISS vector store. For each: hit@1/5/10, MRR,
nDCG@10 over the sampled questions; per-query latency p50/p95 excluding the query's embedding,
and including it (the query's own single-text embedding time, measured per query on the first
``embed_timing_questions``, added to that query's search time); index build seconds;
resident-memory growth while building; and the process's peak RSS at the end.

Passage vectors come through the ``EmbeddingCache`` of the data directory, saved every chunk,
so an interrupted or repeated run embeds only what is missing. ``tune_hybrid`` sweeps BM25
and fusion constants on a tuning sample disjoint from the reported one. This module measures
and returns plain dicts; printing is the CLI's job.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from eval.retrieval_data import (RetrievalDataset, RetrievalQuestion, load_dataset,
                                 sample_questions, tune_and_report_split)
from knowledge.passage import Passage
from knowledge.paths import DataPaths
from retrieval.ann import build_faiss_index
from retrieval.bm25 import BM25Config, BM25Index
from retrieval.dense import DenseRetriever
from retrieval.embedders import EMBEDDER_CHOICES, embedder_by_name
from retrieval.embedding_cache import EmbeddingCache
from retrieval.fusion import FusionConfig
from retrieval.hybrid import HybridConfig, HybridRetriever
from retrieval.index import FORMAT_VERSION, IndexManifest, PassageIndex, corpus_hash, embedding_text
from eval.retrieval_metrics import percentile_ms, summarise_rankings
from retrieval.types import Embedder

logger = logging.getLogger(__name__)

EMBEDDERS = EMBEDDER_CHOICES
DEFAULT_SEED = 2024
Progress = Callable[[str], None]


def make_embedder(name: str, paths: DataPaths) -> Embedder:
    """The embedder a benchmark name stands for (weights load on first use)."""
    return embedder_by_name(name, paths.models_dir)


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # psutil is optional: fall back to the peak, which only grows
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def embed_with_cache(passages: Sequence[Passage], embedder: Embedder, cache_dir: Path,
                     progress: Progress | None = None, chunk_size: int = 512
                     ) -> tuple[np.ndarray, float, int]:
    """(vectors in passage order, seconds spent embedding, passages embedded anew).

    Missing vectors are embedded ``chunk_size`` at a time and the cache saved after each
    chunk, so an interrupted run keeps what it did."""
    cache = EmbeddingCache(cache_dir, embedder.model_id, embedder.dimension)
    cached = cache.lookup([p.content_hash for p in passages])
    missing = [p for p in passages if p.content_hash not in cached]
    seen: set[str] = set()
    missing = [p for p in missing if not (p.content_hash in seen or seen.add(p.content_hash))]
    started = time.perf_counter()
    for start in range(0, len(missing), chunk_size):
        batch = missing[start:start + chunk_size]
        vectors = embedder.embed([embedding_text(p) for p in batch])
        cache.add([p.content_hash for p in batch], vectors)
        cache.save()
        if progress:
            done = start + len(batch)
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress(f"embedded {done}/{len(missing)} passages ({rate:.1f}/s)")
    seconds = time.perf_counter() - started
    found = cache.lookup([p.content_hash for p in passages])
    vectors = np.stack([found[p.content_hash] for p in passages]).astype(np.float32)
    return vectors, seconds, len(missing)


def build_passage_index(passages: Sequence[Passage], vectors: np.ndarray,
                        embedder: Embedder) -> tuple[PassageIndex, float]:
    """An in-memory ``PassageIndex`` over precomputed vectors and its build seconds."""
    started = time.perf_counter()
    faiss_index, index_type = build_faiss_index(vectors)
    seconds = time.perf_counter() - started
    manifest = IndexManifest(FORMAT_VERSION, embedder.model_id, int(vectors.shape[1]),
                             len(passages), corpus_hash(passages),
                             datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             index_type, round(seconds, 3))
    return PassageIndex(passages, faiss_index, manifest), seconds


@dataclass(frozen=True)
class RetrievalBenchSettings:
    dataset: str
    data_dir: Path
    data_root: Path | None = None
    sample_size: int = 2000
    seed: int = DEFAULT_SEED
    embedder: str = "minilm"
    reranker_id: str | None = None
    top_k: int = 10
    embed_timing_questions: int = 300
    hybrid: HybridConfig = field(default_factory=HybridConfig)

    def __post_init__(self) -> None:
        if self.embedder not in EMBEDDERS:
            raise ValueError(f"unknown embedder {self.embedder!r}; valid: {', '.join(EMBEDDERS)}")
        if self.top_k < 10:
            raise ValueError(f"top_k must be >= 10 (hit@10 and nDCG@10 are reported), "
                             f"got {self.top_k}")
        if self.sample_size < 0:
            raise ValueError("sample_size must be >= 0 (0 = all questions), got "
                             f"{self.sample_size}")


def report_questions(dataset: RetrievalDataset, sample_size: int, seed: int
                     ) -> list[RetrievalQuestion]:
    """The reported sample: for MedQuAD the report half of the documented tune/report split
    (so tuning never saw these questions), for the others a seeded sample."""
    if dataset.name == "medquad":
        return tune_and_report_split(dataset.questions, report_size=sample_size, seed=seed)[1]
    return sample_questions(dataset.questions, sample_size, seed)


def _time_queries(questions: Sequence[RetrievalQuestion], search: Callable[[int], list[str]]
                  ) -> tuple[list[list[str]], list[float]]:
    ranked, seconds = [], []
    for n in range(len(questions)):
        started = time.perf_counter()
        ids = search(n)
        seconds.append(time.perf_counter() - started)
        ranked.append(ids)
    return ranked, seconds


def _prepared_queries(retriever: HybridRetriever, texts: list[str], vectors: np.ndarray,
                      embedder: Embedder) -> tuple[list[str], np.ndarray]:
    """The texts the retriever searches (abbreviations spelled out) and their vectors; only
    the texts that changed are embedded again."""
    prepared = [retriever.prepare_query(text) for text in texts]
    changed = [n for n, (a, b) in enumerate(zip(prepared, texts)) if a != b]
    if not changed:
        return prepared, vectors
    vectors = vectors.copy()
    vectors[changed] = embedder.embed([prepared[n] for n in changed])
    return prepared, vectors


def _method_row(name: str, questions: Sequence[RetrievalQuestion], ranked: list[list[str]],
                search_seconds: list[float], embed_seconds: list[float] | None,
                build_seconds: float, build_rss_mb: float) -> dict:
    row = {"method": name}
    row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in summarise_rankings(
        (r, q.gold_ids) for r, q in zip(ranked, questions)).items()})
    row["p50_ms"] = round(percentile_ms(search_seconds, 50), 2)
    row["p95_ms"] = round(percentile_ms(search_seconds, 95), 2)
    # With embedding: over the questions whose single-text embedding was timed.
    total = search_seconds if embed_seconds is None else [
        s + e for s, e in zip(search_seconds, embed_seconds)]
    row["p50_ms_with_embedding"] = round(percentile_ms(total, 50), 2)
    row["p95_ms_with_embedding"] = round(percentile_ms(total, 95), 2)
    row["build_s"] = round(build_seconds, 2)
    row["build_rss_mb"] = round(build_rss_mb, 1)
    return row


def run_retrieval_benchmark(settings: RetrievalBenchSettings, progress: Progress | None = None
                            ) -> dict:
    say = progress or (lambda message: None)
    paths = DataPaths(settings.data_dir).ensure()
    dataset = load_dataset(settings.dataset, settings.data_root)
    questions = report_questions(dataset, settings.sample_size, settings.seed)
    passages = dataset.passages
    say(f"{dataset.name}: {len(passages)} passages, {len(questions)} questions")
    embedder = make_embedder(settings.embedder, paths)
    top_k = settings.top_k

    rss = _rss_mb()
    vectors, embed_seconds, embedded_new = embed_with_cache(passages, embedder,
                                                            paths.embedding_cache_dir, say)
    index, dense_build = build_passage_index(passages, vectors, embedder)
    dense_rss = _rss_mb() - rss
    rss = _rss_mb()
    bm25 = BM25Index(passages, settings.hybrid.bm25)
    bm25_build, bm25_rss = bm25.build_seconds, _rss_mb() - rss

    say("embedding the questions")
    texts = [q.question for q in questions]
    query_vectors = embedder.embed(texts)
    embedder.embed([texts[0]])  # warm-up: the first single-text call pays one-off set-up
    query_embed_seconds = []
    # Single-text embedding is timed on the first questions only: on 2 shared cores one call
    # can take tens of milliseconds, and a few hundred samples pin down p50/p95.
    for text in texts[:settings.embed_timing_questions]:
        started = time.perf_counter()
        embedder.embed([text])
        query_embed_seconds.append(time.perf_counter() - started)

    rows = []
    say("BM25")
    ranked, seconds = _time_queries(questions, lambda n: [
        passages[i].passage_id for i in bm25.search(texts[n], top_k)[1]])
    rows.append(_method_row("bm25", questions, ranked, seconds, None, bm25_build, bm25_rss))

    say("dense")
    dense = DenseRetriever(index, embedder)
    ranked, seconds = _time_queries(questions, lambda n: [
        r.passage.passage_id for r in dense.search_vector(query_vectors[n], top_k)])
    rows.append(_method_row("dense", questions, ranked, seconds, query_embed_seconds,
                            dense_build, dense_rss))

    variants = [("hybrid", settings.hybrid, None),
                ("hybrid-no-abbrev", replace(settings.hybrid, expand_abbreviations=False), None),
                ("hybrid-rrf60", replace(settings.hybrid, fusion=FusionConfig(
                    method="rrf", dense_weight=1.0, lexical_weight=1.0, rrf_k=60.0)), None)]
    if settings.reranker_id:
        from retrieval.rerank import CrossEncoderReranker

        variants.append(("hybrid+rerank", settings.hybrid,
                         CrossEncoderReranker(settings.reranker_id).load()))
    for name, config, reranker in variants:
        say(name)
        hybrid = HybridRetriever(index, embedder, config, reranker=reranker, bm25=bm25)
        prepared, prepared_vectors = _prepared_queries(hybrid, texts, query_vectors, embedder)
        ranked, seconds = _time_queries(questions, lambda n: [
            r.passage.passage_id for r in hybrid.search_with_vector(
                prepared[n], prepared_vectors[n], top_k)])
        rows.append(_method_row(name, questions, ranked, seconds, query_embed_seconds,
                                dense_build + bm25_build, dense_rss + bm25_rss))

    say("LangChain FAISS")
    from eval.langchain_baseline import LangChainFaissBaseline

    rss, started = _rss_mb(), time.perf_counter()
    baseline = LangChainFaissBaseline(passages, vectors, embedder)
    langchain_build, langchain_rss = time.perf_counter() - started, _rss_mb() - rss
    ranked, seconds = _time_queries(questions, lambda n: baseline.search_ids_by_vector(
        query_vectors[n], top_k))
    rows.append(_method_row("langchain-faiss", questions, ranked, seconds, query_embed_seconds,
                            langchain_build, langchain_rss))

    return {
        "dataset": dataset.name, "passages": len(passages), "questions": len(questions),
        "sample_seed": settings.seed, "embedder": embedder.model_id,
        "index_type": index.manifest.index_type,
        "embedding": {"seconds": round(embed_seconds, 1), "embedded_new": embedded_new,
                      "passages_per_second": round(embedded_new / embed_seconds, 1)
                      if embedded_new and embed_seconds else None},
        "fusion": settings.hybrid.fusion.__dict__, "bm25": settings.hybrid.bm25.__dict__,
        "peak_rss_mb": round(_peak_rss_mb()),
        "rows": rows,
    }


# -- tuning --------------------------------------------------------------------------------

BM25_GRID = [BM25Config(k1=k1, b=b, stem=stem, drop_question_words=drop)
             for k1 in (0.9, 1.2, 1.5) for b in (0.4, 0.75, 0.9)
             for stem in (False, True) for drop in (False, True)]
FUSION_GRID = ([FusionConfig("weighted", w, round(1 - w, 2), norm)
                for norm in ("tmm", "minmax", "zscore") for w in (0.4, 0.5, 0.6, 0.7, 0.8)]
               + [FusionConfig("rrf", 1.0, lw, rrf_k=k) for k in (5.0, 20.0, 60.0)
                  for lw in (0.5, 1.0)])


def _quality(rankings, questions) -> dict:
    return summarise_rankings((r, q.gold_ids) for r, q in zip(rankings, questions))


def tune_hybrid(dataset_name: str, data_root: Path | None, data_dir: Path,
                embedder_name: str = "minilm", tune_size: int = 500, seed: int = DEFAULT_SEED,
                progress: Progress | None = None) -> dict:
    """Sweep BM25 constants (BM25 alone), then fusion constants (with the best BM25), on the
    tuning sample. Choice: highest MRR. Returns both sweeps and the choices."""
    say = progress or (lambda message: None)
    paths = DataPaths(data_dir).ensure()
    dataset = load_dataset(dataset_name, data_root)
    if dataset.name == "medquad":
        questions = tune_and_report_split(dataset.questions, tune_size=tune_size, seed=seed)[0]
    else:
        questions = sample_questions(dataset.questions, tune_size, seed + 1)
    embedder = make_embedder(embedder_name, paths)
    vectors, _, _ = embed_with_cache(dataset.passages, embedder, paths.embedding_cache_dir, say)
    index, _ = build_passage_index(dataset.passages, vectors, embedder)
    texts = [q.question for q in questions]
    query_vectors = embedder.embed(texts)
    ids = [p.passage_id for p in dataset.passages]

    bm25_rows = []
    best_bm25, best_mrr, best_index = None, -1.0, None
    for config in BM25_GRID:
        bm25 = BM25Index(dataset.passages, config)
        ranked = [[ids[i] for i in bm25.search(t, 10)[1]] for t in texts]
        quality = _quality(ranked, questions)
        bm25_rows.append({**config.__dict__, **quality})
        say(f"bm25 {config}: mrr {quality['mrr']:.4f}")
        if quality["mrr"] > best_mrr:
            best_bm25, best_mrr, best_index = config, quality["mrr"], bm25

    fusion_rows = []
    best_fusion, best_mrr = None, -1.0
    for fusion in FUSION_GRID:
        config = HybridConfig(fusion=fusion, bm25=best_bm25)
        hybrid = HybridRetriever(index, embedder, config, bm25=best_index)
        prepared, prepared_vectors = _prepared_queries(hybrid, texts, query_vectors, embedder)
        ranked = [[r.passage.passage_id for r in hybrid.search_with_vector(t, v, 10)]
                  for t, v in zip(prepared, prepared_vectors)]
        quality = _quality(ranked, questions)
        fusion_rows.append({**fusion.__dict__, **quality})
        say(f"fusion {fusion}: mrr {quality['mrr']:.4f}")
        if quality["mrr"] > best_mrr:
            best_fusion, best_mrr = fusion, quality["mrr"]
    return {"dataset": dataset.name, "tune_questions": len(questions), "seed": seed,
            "bm25": bm25_rows, "fusion": fusion_rows,
            "chosen_bm25": best_bm25.__dict__, "chosen_fusion": best_fusion.__dict__}


# -- embedding speed -----------------------------------------------------------------------


def compare_embedding_speed(texts: Sequence[str], embedders: dict[str, Embedder],
                            reference: str, rounds: int = 3) -> list[dict]:
    """Passages per second of each embedder on the same texts, interleaved round by round so
    that a shared machine's load falls on all of them alike; the best round counts (the one
    least disturbed) and the median is shown too. Fidelity: cosine of each text's vector to the
    ``reference`` embedder's vector (min and mean)."""
    if reference not in embedders:
        raise ValueError(f"reference {reference!r} is not among {', '.join(embedders)}")
    if rounds <= 0:
        raise ValueError(f"rounds must be > 0, got {rounds}")
    for embedder in embedders.values():
        embedder.embed(list(texts[:4]))  # load weights and warm up outside the timing
    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, embedder in embedders.items():
            started = time.perf_counter()
            vectors[name] = embedder.embed(list(texts))
            seconds[name].append(time.perf_counter() - started)
    best_reference = min(seconds[reference])
    rows = []
    for name, embedder in embedders.items():
        cosine = (vectors[name] * vectors[reference]).sum(axis=1)
        rows.append({"embedder": name, "model_id": embedder.model_id,
                     "best_passages_per_s": round(len(texts) / min(seconds[name]), 1),
                     "median_passages_per_s": round(
                         len(texts) / float(np.median(seconds[name])), 1),
                     "speed_up_vs_reference": round(best_reference / min(seconds[name]), 2),
                     "min_cosine_to_reference": round(float(cosine.min()), 4),
                     "mean_cosine_to_reference": round(float(cosine.mean()), 4)})
    return rows
