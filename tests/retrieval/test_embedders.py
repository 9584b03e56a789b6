import numpy as np
import pytest

from retrieval.embedders import HashEmbedder
from retrieval.embedding_cache import EmbeddingCache


def test_hash_embedder_is_deterministic_normalised_and_word_sensitive():
    embedder = HashEmbedder(32)
    a, b, c = embedder.embed(["chest pain", "chest pain", "itchy rash"])
    np.testing.assert_array_equal(a, b)
    assert abs(np.linalg.norm(a) - 1) < 1e-6
    assert a @ c < a @ b
    assert embedder.embed([""]).shape == (1, 32)


def test_embedding_cache_round_trips_and_ignores_damage(tmp_path):
    cache = EmbeddingCache(tmp_path, "m/1", 4)
    cache.add(["h1", "h2"], np.eye(4, dtype=np.float32)[:2])
    cache.save()
    reloaded = EmbeddingCache(tmp_path, "m/1", 4)
    assert set(reloaded.lookup(["h1", "h2", "h3"])) == {"h1", "h2"}
    (tmp_path / "m_1.npy").write_bytes(b"not numpy")
    assert len(EmbeddingCache(tmp_path, "m/1", 4)) == 0


@pytest.mark.slow
def test_minilm_embeds_offline_and_ranks_related_text_higher(minilm):
    vectors = minilm.embed(["high blood pressure treatment", "hypertension management",
                            "football results"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_embedder_names_map_to_embedders_and_unknown_names_are_refused(tmp_path):
    from retrieval.embedders import EMBEDDER_CHOICES, embedder_by_name
    from retrieval.multilingual import USE_MODEL_ID

    assert embedder_by_name("minilm", tmp_path).model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder_by_name("minilm-onnx", tmp_path).model_id.endswith("+onnx-int8")
    assert embedder_by_name("use", tmp_path).model_id == USE_MODEL_ID
    with pytest.raises(ValueError, match=", ".join(EMBEDDER_CHOICES)):
        embedder_by_name("bert", tmp_path)
