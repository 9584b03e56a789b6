import json

import faiss
import numpy as np
import pytest

from retrieval.dense import DenseRetriever
from retrieval.embedders import HashEmbedder
from retrieval.index import (IndexCorruptError, IndexMissingError, IndexStaleError, build_index,
                             corpus_hash, live_build_dir, load_index, save_index)
from ruiyi_test_helpers import make_passage


def test_faiss_flat_search_equals_brute_force_numpy():
    rng = np.random.default_rng(1234)
    corpus = rng.standard_normal((2000, 48)).astype(np.float32)
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    queries = rng.standard_normal((25, 48)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(48)
    index.add(corpus)
    scores, positions = index.search(queries, 10)
    expected = np.argsort(-(queries @ corpus.T), axis=1)[:, :10]
    np.testing.assert_array_equal(positions, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ corpus.T, expected, 1),
                               rtol=1e-5, atol=1e-5)


def test_retriever_ranks_the_passage_sharing_the_query_words_first(hash_retriever):
    results = hash_retriever.search("phenoxymethylpenicillin dose sore throat", top_k=2)
    assert results[0].passage.passage_id == "st-pen"
    assert [r.rank for r in results] == [1, 2]
    assert results[0].score >= results[1].score


def test_filters_keep_only_matching_passages(hash_retriever):
    results = hash_retriever.search("sore throat antibiotics", top_k=4, filters={"topic": "hypertension"})
    assert results and all(r.passage.topic == "hypertension" for r in results)
    with pytest.raises(ValueError, match="valid fields: publisher"):
        hash_retriever.search("x y", filters={"colour": "red"})


def test_save_and_load_round_trip(tmp_path, sample_passages, hash_embedder):
    index = build_index(sample_passages, hash_embedder)
    save_index(index, tmp_path)
    loaded = load_index(tmp_path, hash_embedder.model_id, corpus_hash(sample_passages))
    assert [p.passage_id for p in loaded.passages] == [p.passage_id for p in sample_passages]
    assert loaded.passages[0] == sample_passages[0]
    manifest = json.loads((live_build_dir(tmp_path) / "manifest.json").read_text())
    assert manifest["embedder_id"] == "hash-64" and manifest["dimension"] == 64
    assert manifest["passage_count"] == 4 and len(manifest["corpus_hash"]) == 64


def test_missing_index_is_reported_with_the_fix(tmp_path):
    with pytest.raises(IndexMissingError, match="ruiyi kb build"):
        load_index(tmp_path)


def test_mismatched_embedder_or_corpus_is_stale(tmp_path, sample_passages, hash_embedder):
    save_index(build_index(sample_passages, hash_embedder), tmp_path)
    with pytest.raises(IndexStaleError, match="built with 'hash-64'"):
        load_index(tmp_path, expected_embedder_id="other-model")
    with pytest.raises(IndexStaleError, match="changed"):
        load_index(tmp_path, expected_corpus_hash=corpus_hash(sample_passages[:2]))


@pytest.mark.parametrize("damage", ["index.faiss", "passages.jsonl", "manifest.json"])
def test_corrupt_files_are_refused_with_the_fix(tmp_path, sample_passages, hash_embedder, damage):
    save_index(build_index(sample_passages, hash_embedder), tmp_path)
    (live_build_dir(tmp_path) / damage).write_bytes(b"\x00garbage{")
    with pytest.raises(IndexCorruptError, match="ruiyi kb rebuild"):
        load_index(tmp_path)


def test_retriever_refuses_an_index_from_another_embedder(sample_passages):
    index = build_index(sample_passages, HashEmbedder(16))
    with pytest.raises(ValueError, match="rebuild"):
        DenseRetriever(index, HashEmbedder(32))
