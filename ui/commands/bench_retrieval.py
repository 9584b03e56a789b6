"""`ruiyi bench retrieval` (quality and speed of every retrieval method on external data) and
`ruiyi bench ann` (exact vs approximate FAISS on a million clustered synthetic vectors).

Thin: options are checked here, the measuring happens in ``eval.retrieval_bench`` and
``retrieval.ann``. Registered on the ``bench`` sub-app by ``ui/commands/bench.py``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ui.common import (DataDirOption, error_console, print_json, resolve_data_dir, setup_logging,
                       user_errors)

DATASET_CHOICES = ("medquad", "pubmedqa", "gp", "gp-zh", "all")
_ALL = ("medquad", "pubmedqa", "gp")
_COLUMNS = (("hit@1", "hit@1"), ("hit@5", "hit@5"), ("hit@10", "hit@10"), ("mrr", "MRR"),
            ("ndcg@10", "nDCG@10"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"),
            ("p50_ms_with_embedding", "p50 ms +emb"), ("p95_ms_with_embedding", "p95 ms +emb"),
            ("build_s", "build s"), ("build_rss_mb", "build MB"))


def register_bench(bench_app: typer.Typer) -> None:
    bench_app.command("retrieval")(bench_retrieval)
    bench_app.command("ann")(bench_ann)
    bench_app.command("embed-speed")(bench_embed_speed)


def _progress(enabled: bool):
    def say(message: str) -> None:
        if enabled:
            error_console.print(f"[dim]{message}[/]", highlight=False)
    return say


def _markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: readable in a terminal of any width and pastes into the README."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _print_report(report: dict) -> None:
    embedding = report["embedding"]
    rate = (f", {embedding['passages_per_second']} passages/s"
            if embedding["passages_per_second"] else "")
    typer.echo(f"{report['dataset']}: {report['questions']} questions over "
               f"{report['passages']} passages (seed {report['sample_seed']}); embedder "
               f"{report['embedder']}; index {report['index_type']}; "
               f"{embedding['embedded_new']} passages embedded anew in "
               f"{embedding['seconds']} s{rate}; peak RSS {report['peak_rss_mb']} MB\n")
    typer.echo(_markdown_table(["method"] + [title for _, title in _COLUMNS],
                               [[row["method"]] + [str(row[key]) for key, _ in _COLUMNS]
                                for row in report["rows"]]) + "\n")


def _print_tuning(report: dict) -> None:
    typer.echo(f"Tuning on {report['tune_questions']} {report['dataset']} questions "
               f"(seed {report['seed']}, disjoint from the reported sample)\n")
    for name in ("bm25", "fusion"):
        rows = sorted(report[name], key=lambda r: -r["mrr"])
        keys = [k for k in rows[0] if k != "questions"]
        typer.echo(f"{name} sweep, best MRR first:\n")
        typer.echo(_markdown_table(keys, [[f"{row[k]:.4f}" if isinstance(row[k], float)
                                           else str(row[k]) for k in keys] for row in rows]))
        typer.echo("")
    typer.echo(f"chosen BM25: {report['chosen_bm25']}")
    typer.echo(f"chosen fusion: {report['chosen_fusion']}")


@user_errors
def bench_retrieval(
    data: Path = typer.Option(None, "--data", help="The benchmarks folder holding medquad/ and "
                                                   "pubmedqa/ (e.g. /work/shared/benchmarks)."),
    dataset: str = typer.Option("gp", "--dataset", help="medquad, pubmedqa, gp (the bundled "
                                "GP suite), gp-zh (its Chinese questions) or all."),
    sample: int = typer.Option(2000, "--sample", help="Questions sampled per dataset "
                                                      "(0 = all)."),
    seed: int = typer.Option(2024, "--seed", help="Sampling seed."),
    embedder: str = typer.Option("minilm", "--embedder", help="minilm, minilm-onnx or use."),
    reranker: str = typer.Option(None, "--reranker", help="Cross-encoder model id or path; "
                                                          "adds a hybrid+rerank row."),
    tune: bool = typer.Option(False, "--tune", help="Sweep BM25 and fusion constants on a "
                              "500-question tuning sample instead of reporting."),
    json_output: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Retrieval quality, latency, build time and memory of every method, in one run.

    Methods: BM25, dense, hybrid (tuned fusion), hybrid with RRF k=60, hybrid+rerank (with
    --reranker) and LangChain's FAISS store over the same vectors. Metrics: hit@1/5/10, MRR,
    nDCG@10, p50/p95 latency without and with the query's embedding.
    """
    from eval.retrieval_bench import EMBEDDERS, RetrievalBenchSettings, run_retrieval_benchmark

    setup_logging(verbose)
    if dataset not in DATASET_CHOICES:
        raise ValueError(f"--dataset must be one of {', '.join(DATASET_CHOICES)}, got {dataset!r}")
    if embedder not in EMBEDDERS:
        raise ValueError(f"--embedder must be one of {', '.join(EMBEDDERS)}, got {embedder!r}")
    if sample < 0:
        raise ValueError(f"--sample must be >= 0 (0 = all questions), got {sample}")
    names = _ALL if dataset == "all" else (dataset,)
    if data is None and any(n in ("medquad", "pubmedqa") for n in names):
        raise ValueError(f"--dataset {dataset} needs --data pointing at the benchmarks folder "
                         "(e.g. --data /work/shared/benchmarks)")
    if data is not None and not Path(data).is_dir():
        raise FileNotFoundError(f"--data {data} is not a folder")
    home = resolve_data_dir(data_dir)
    say = _progress(not json_output)
    if tune:
        from eval.retrieval_bench import tune_hybrid

        reports = [tune_hybrid(name, data, home, embedder, seed=seed, progress=say)
                   for name in names]
        if json_output:
            print_json(reports if len(reports) > 1 else reports[0])
        else:
            for report in reports:
                _print_tuning(report)
        return
    reports = []
    for name in names:
        settings = RetrievalBenchSettings(dataset=name, data_dir=home, data_root=data,
                                          sample_size=sample, seed=seed, embedder=embedder,
                                          reranker_id=reranker)
        reports.append(run_retrieval_benchmark(settings, say))
        if not json_output:
            _print_report(reports[-1])
    if json_output:
        print_json(reports if len(reports) > 1 else reports[0])


@user_errors
def bench_ann(
    vectors: int = typer.Option(1_000_000, "--vectors", help="Synthetic vectors indexed."),
    dimension: int = typer.Option(384, "--dimension", help="Vector dimension."),
    clusters: int = typer.Option(2000, "--clusters", help="Gaussian-mixture components."),
    spread: float = typer.Option(0.8, "--spread", help="Noise around each cluster centre (0.8: "
                                 "neighbour cosines like MiniLM's on MedQuAD)."),
    queries: int = typer.Option(1000, "--queries", help="Queries (fresh points of the mixture)."),
    nprobe: list[int] = typer.Option([8, 16, 32, 64], "--nprobe", help="IVF lists searched; "
                                     "repeat to sweep."),
    hnsw_vectors: int = typer.Option(0, "--hnsw-vectors", help="Also build HNSW over this many "
                                     "of the vectors (0 = skip: slow on 2 cores)."),
    seed: int = typer.Option(1234, "--seed"),
    json_output: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Exact vs approximate (IVF) search on a million clustered synthetic vectors.

    Reports recall@10 against exact search, single-query latency p50/p95 and build time. The
    vectors are a Gaussian mixture on the unit sphere: real embeddings are clustered, and
    uniform random data would understate what an ANN index achieves.
    """
    from retrieval.ann import AnnSettings, benchmark_ann

    setup_logging(verbose)
    if any(n <= 0 for n in nprobe):
        raise ValueError(f"--nprobe values must be > 0, got {nprobe}")
    # Base vectors, the IVF copy and the exact index's copy live at once: about 3 x 4 bytes each.
    needed_gb = vectors * dimension * 4 * 3 / 1e9
    if needed_gb > 8:
        raise ValueError(f"--vectors x --dimension needs {needed_gb:.0f} GB (limit 8 GB)")
    if spread <= 0:
        raise ValueError(f"--spread must be > 0, got {spread}")
    settings = AnnSettings(vector_count=vectors, dimension=dimension, clusters=clusters,
                           spread=spread, query_count=queries, nprobes=tuple(nprobe),
                           hnsw_vectors=hnsw_vectors,
                           seed=seed)
    report = benchmark_ann(settings, _progress(not json_output))
    if json_output:
        print_json(report)
        return
    typer.echo(f"ANN bench: {vectors} clustered vectors (dim {dimension}, {clusters} Gaussian "
               f"clusters, spread {spread}), {queries} queries, top-10; vectors generated in "
               f"{report['generate_seconds']} s\n")
    typer.echo(_markdown_table(
        ["index", "recall@10", "p50 ms", "p95 ms", "build s", "peak RSS MB", "note"],
        [[row["index"], f"{row['recall@10']:.4f}", str(row["p50_ms"]), str(row["p95_ms"]),
          str(row["build_s"]), str(row["peak_rss_mb"]), row.get("note", "")]
         for row in report["rows"]]))


@user_errors
def bench_embed_speed(
    data: Path = typer.Option(..., "--data", help="The benchmarks folder (MedQuAD answers are "
                                                  "the passages timed)."),
    sample: int = typer.Option(256, "--sample", help="Passages timed (seeded sample)."),
    rounds: int = typer.Option(3, "--rounds", help="Interleaved rounds; the best counts."),
    seed: int = typer.Option(2024, "--seed"),
    json_output: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    data_dir: Path = DataDirOption,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Passage embedding speed: MiniLM fp32 (sentence-transformers) vs ONNX fp32 and int8.

    All three run on the same passages in the same process, round by round, so that the
    load of a shared machine falls on each alike; fidelity is the cosine to fp32 vectors.
    """
    import random

    from eval.retrieval_bench import compare_embedding_speed
    from eval.retrieval_data import load_medquad
    from knowledge.paths import DataPaths
    from retrieval.embedders import load_default_embedder
    from retrieval.index import embedding_text
    from retrieval.onnx_embedder import OnnxMiniLMEmbedder

    setup_logging(verbose)
    if sample <= 0 or rounds <= 0:
        raise ValueError(f"--sample and --rounds must be > 0, got {sample} and {rounds}")
    passages = load_medquad(data).passages
    chosen = random.Random(seed).sample(passages, min(sample, len(passages)))
    paths = DataPaths(resolve_data_dir(data_dir)).ensure()
    embedders = {"sentence-transformers fp32": load_default_embedder(),
                 "onnx fp32": OnnxMiniLMEmbedder(paths.models_dir, "fp32"),
                 "onnx int8": OnnxMiniLMEmbedder(paths.models_dir, "int8")}
    rows = compare_embedding_speed([embedding_text(p) for p in chosen], embedders,
                                   "sentence-transformers fp32", rounds)
    if json_output:
        print_json(rows)
        return
    typer.echo(f"Embedding {len(chosen)} MedQuAD passages (title + answer), {rounds} "
               "interleaved rounds\n")
    keys = list(rows[0])
    typer.echo(_markdown_table(keys, [[str(row[k]) for k in keys] for row in rows]))
