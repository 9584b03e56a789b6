"""Reranking with a tiny cross-encoder built here from a config with random weights: no
cross-encoder weights exist offline, so these tests check the plumbing, not relevance."""

import numpy as np
import pytest

from retrieval.hybrid import HybridConfig, HybridRetriever
from retrieval.index import build_index
from retrieval.rerank import CrossEncoderReranker, RerankerError

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "gout", "flare", "colchicine", "dose",
         "sore", "throat", "penicillin", "blood", "pressure", "hypertension", "ambulatory",
         "monitoring", "stage", "antibiotic", "for", "the", "a", "of", "and", "mg", "500", "."]


@pytest.fixture(scope="module")
def tiny_cross_encoder_dir(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    directory = tmp_path_factory.mktemp("tiny-cross-encoder")
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    BertTokenizer(str(vocab_file)).save_pretrained(str(directory))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                        num_labels=1)
    BertForSequenceClassification(config).eval().save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="module")
def reranker(tiny_cross_encoder_dir):
    return CrossEncoderReranker("tiny-random-cross-encoder", tiny_cross_encoder_dir,
                                max_length=64).load()


def test_scores_one_finite_float_per_text_deterministically(reranker):
    texts = ["colchicine dose for a gout flare", "sore throat penicillin", "blood pressure"]
    first = reranker.score("gout flare", texts)
    assert first.shape == (3,) and first.dtype == np.float32 and np.isfinite(first).all()
    np.testing.assert_array_equal(first, reranker.score("gout flare", texts))
    assert len(set(first.tolist())) > 1  # the pairs are actually read, not a constant
    assert reranker.score("gout", []).shape == (0,)


def test_the_hybrid_retriever_reorders_its_head_by_the_cross_encoder(reranker, sample_passages,
                                                                     hash_embedder):
    index = build_index(sample_passages, hash_embedder)
    retriever = HybridRetriever(index, hash_embedder, HybridConfig(rerank_depth=4),
                                reranker=reranker)
    results = retriever.search("sore throat penicillin dose", top_k=4)
    assert len(results) == 4 and [r.rank for r in results] == [1, 2, 3, 4]
    texts = [f"{r.passage.section}: {r.passage.text}" for r in results]
    expected = reranker.score("sore throat penicillin dose", texts)
    assert np.all(np.diff(expected) <= 1e-6)  # ordered by the cross-encoder's own scores
    np.testing.assert_allclose([r.score for r in results], expected, rtol=1e-5)
    assert all(r.similarity is not None for r in results)  # cosine kept for abstention


def test_a_missing_model_names_the_model_and_the_fix(tmp_path):
    with pytest.raises(RerankerError, match="no-such-cross-encoder.*pass a local path"):
        CrossEncoderReranker("no-such-cross-encoder", tmp_path / "missing").load()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="model_id"):
        CrossEncoderReranker("")
    with pytest.raises(ValueError, match="batch_size"):
        CrossEncoderReranker("x", batch_size=0)
    with pytest.raises(ValueError, match="max_length"):
        CrossEncoderReranker("x", max_length=0)
