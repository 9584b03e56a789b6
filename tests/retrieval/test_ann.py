import faiss
import numpy as np
import pytest

from retrieval.ann import (AnnSettings, benchmark_ann, build_faiss_index, clustered_unit_vectors,
                           ivf_list_count, recall_at_k, reconstruct, search_parameters)


@pytest.fixture(scope="module")
def clustered():
    # Queries are fresh points of the same mixture (same centres), not copies of base points.
    vectors = clustered_unit_vectors(20_200, 32, clusters=50, spread=1.0, seed=7)
    return vectors[:20_000], vectors[20_000:]


def test_clustered_vectors_are_unit_length_and_clustered():
    vectors = clustered_unit_vectors(2000, 64, clusters=4, spread=1.0, seed=1)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    similarity = vectors[:200] @ vectors[:200].T
    # Points share a cluster with ~1/4 of the others: their cosine is ~0.5, others ~0.
    assert np.mean(similarity > 0.3) == pytest.approx(0.25 + 1 / 200, abs=0.08)


def test_small_collections_get_exact_search_equal_to_numpy(clustered):
    base, queries = clustered
    index, name = build_faiss_index(base[:5000])
    assert name == "flat-ip"
    _, found = index.search(queries, 10)
    expected = np.argsort(-(queries @ base[:5000].T), axis=1)[:, :10]
    assert recall_at_k(found, expected) == 1.0


def test_ivf_beyond_the_threshold_reaches_high_recall_against_exact(clustered):
    base, queries = clustered
    index, name = build_faiss_index(base, exact_max_vectors=10_000, nprobe=16)
    assert name == f"ivf{ivf_list_count(len(base))}-flat-ip"
    _, truth = faiss.knn(queries, base, 10, metric=faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, 10)
    assert recall_at_k(found, truth) >= 0.95
    faiss.downcast_index(index).nprobe = 1
    _, coarse = index.search(queries, 10)
    assert recall_at_k(coarse, truth) < recall_at_k(found, truth)  # nprobe matters


def test_ivf_settings_survive_a_save_and_load(tmp_path, clustered):
    base, _ = clustered
    index, _ = build_faiss_index(base, exact_max_vectors=10_000, nprobe=24)
    faiss.write_index(index, str(tmp_path / "ivf.faiss"))
    loaded = faiss.read_index(str(tmp_path / "ivf.faiss"))  # keep: it owns the C++ object
    assert faiss.downcast_index(loaded).nprobe == 24
    np.testing.assert_allclose(reconstruct(loaded, np.array([3, 17])), base[[3, 17]], rtol=1e-6)


def test_selector_parameters_restrict_every_index_type(clustered):
    base, queries = clustered
    base = base[:3000]
    allowed = np.arange(0, len(base), 7)
    hnsw = faiss.IndexHNSWFlat(32, 16, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(base)
    for index in (build_faiss_index(base)[0], build_faiss_index(base, exact_max_vectors=100)[0],
                  hnsw):
        params = search_parameters(index, allowed)
        _, found = index.search(queries[:5], 10, params=params)
        assert set(found[found >= 0].tolist()) <= set(allowed.tolist())
    assert search_parameters(hnsw, None) is None


def test_list_count_grows_with_the_square_root():
    assert ivf_list_count(1_000) == 64
    assert ivf_list_count(1_000_000) == 1024
    assert ivf_list_count(250_000) == 512


def test_recall_at_k_hand_worked():
    found = np.array([[1, 2, 3], [4, 5, 6]])
    truth = np.array([[1, 2, 9], [7, 8, 9]])
    assert recall_at_k(found, truth, k=3) == pytest.approx(2 / 6)


def test_the_benchmark_reports_exact_and_ivf_rows():
    report = benchmark_ann(AnnSettings(vector_count=5_000, dimension=16, clusters=20,
                                       query_count=50, nprobes=(4, 64), hnsw_vectors=2_000,
                                       hnsw_ef_search=(32,)))
    names = [row["index"] for row in report["rows"]]
    assert names[0] == "flat-ip (exact)" and any(n.startswith("ivf") for n in names)
    assert any(n.startswith("hnsw") for n in names)
    ivf = [row for row in report["rows"] if row["index"].startswith("ivf")]
    assert ivf[-1]["recall@10"] >= ivf[0]["recall@10"] and ivf[-1]["recall@10"] > 0.9
    assert all(row["p95_ms"] >= row["p50_ms"] > 0 for row in report["rows"])
    with pytest.raises(ValueError, match="top_k"):
        AnnSettings(vector_count=5, top_k=10)
