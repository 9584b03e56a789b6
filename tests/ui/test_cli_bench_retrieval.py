import json

import pytest
from typer.testing import CliRunner

from retrieval.embedders import HashEmbedder
from retrieval_bench_fixtures import write_benchmarks
from ui.cli import app

runner = CliRunner()
METHODS = ["bm25", "dense", "hybrid", "hybrid-no-abbrev", "hybrid-rrf60", "langchain-faiss"]


@pytest.fixture
def benchmarks(tmp_path):
    return write_benchmarks(tmp_path / "benchmarks")


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch):
    """The benchmark with a fast fake embedder: the CLI wiring is tested, not MiniLM."""
    import eval.retrieval_bench as bench

    monkeypatch.setattr(bench, "make_embedder", lambda name, paths: HashEmbedder(32))


def run_json(*args):
    result = runner.invoke(app, ["bench", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_medquad_report_has_every_method_and_metric(benchmarks, tmp_path):
    report = run_json("retrieval", "--data", str(benchmarks), "--dataset", "medquad",
                      "--sample", "0", "--data-dir", str(tmp_path / "home"))
    assert report["dataset"] == "medquad" and report["questions"] == 9
    assert report["passages"] == 8 and report["index_type"] == "flat-ip"
    assert [row["method"] for row in report["rows"]] == METHODS
    for row in report["rows"]:
        for key in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10"):
            assert 0 <= row[key] <= 1
        assert row["hit@1"] <= row["hit@5"] <= row["hit@10"]
        assert row["p95_ms"] >= row["p50_ms"] > 0
        assert row["p50_ms_with_embedding"] >= row["p50_ms"]
    # With 8 passages every method finds the gold within 10.
    assert all(row["hit@10"] == 1.0 for row in report["rows"])
    # The whitespace twins normalise to one text under one title: embedded once.
    assert report["embedding"]["embedded_new"] == 7


def test_a_second_run_reuses_cached_embeddings(benchmarks, tmp_path):
    args = ("retrieval", "--data", str(benchmarks), "--dataset", "pubmedqa", "--sample", "0",
            "--data-dir", str(tmp_path / "home"))
    assert run_json(*args)["embedding"]["embedded_new"] == 4
    again = run_json(*args)
    assert again["embedding"]["embedded_new"] == 0 and again["questions"] == 3


def test_all_datasets_in_one_run(benchmarks, tmp_path):
    reports = run_json("retrieval", "--data", str(benchmarks), "--dataset", "all", "--sample",
                       "5", "--data-dir", str(tmp_path / "home"))
    assert [r["dataset"] for r in reports] == ["medquad", "pubmedqa", "gp"]
    assert reports[0]["questions"] == 5 and reports[2]["questions"] == 5


def test_the_table_is_printed_without_json(benchmarks, tmp_path):
    result = runner.invoke(app, ["bench", "retrieval", "--data", str(benchmarks), "--dataset",
                                 "pubmedqa", "--data-dir", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    assert "langchain-faiss" in result.output and "hit@10" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["--dataset", "bioasq"], "--dataset must be one of"),
    (["--dataset", "medquad"], "needs --data"),
    (["--dataset", "medquad", "--data", "/no/such/folder"], "is not a folder"),
    (["--embedder", "bert"], "--embedder must be one of"),
    (["--sample", "-1"], "--sample must be >= 0"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, args, fragment):
    result = runner.invoke(app, ["bench", "retrieval", *args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert fragment in result.output and "Traceback" not in result.output


def test_ann_bench_small(tmp_path):
    report = run_json("ann", "--vectors", "3000", "--dimension", "16", "--clusters", "10",
                      "--queries", "30", "--nprobe", "2", "--nprobe", "64")
    rows = report["rows"]
    assert rows[0]["index"] == "flat-ip (exact)" and rows[0]["recall@10"] == 1.0
    assert rows[-1]["recall@10"] >= rows[1]["recall@10"]


@pytest.mark.parametrize("args, fragment", [
    (["--vectors", "10000000"], "limit 8 GB"),
    (["--nprobe", "0"], "--nprobe values must be > 0"),
    (["--vectors", "0"], "vector_count must be > 0"),
])
def test_ann_bad_options_exit_2(args, fragment):
    result = runner.invoke(app, ["bench", "ann", *args])
    assert result.exit_code == 2 and fragment in result.output
