import numpy as np
import pytest

from retrieval.embedders import DEFAULT_EMBEDDER_ID
from retrieval.onnx_embedder import OnnxMiniLMEmbedder, onnx_model_id

pytestmark = pytest.mark.slow

TEXTS = [
    "high blood pressure treatment",
    "Offer ambulatory blood pressure monitoring to confirm hypertension when clinic blood "
    "pressure is 140/90 mmHg or higher. " * 12,  # longer than the 256-token limit
    "x",
    "急性痛风发作怎么治疗",
    "For an acute gout flare offer an NSAID or colchicine 500 micrograms two to four times a day.",
]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    pytest.importorskip("onnx", reason="exporting to ONNX needs the onnx package: pip install onnx")
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize("variant, min_cosine", [("fp32", 0.99), ("int8", 0.95)])
def test_onnx_vectors_match_sentence_transformers(minilm, models_dir, variant, min_cosine):
    embedder = OnnxMiniLMEmbedder(models_dir, variant)
    vectors = embedder.embed(TEXTS)
    reference = minilm.embed(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    assert (vectors * reference).sum(axis=1).min() > min_cosine
    # Batching and length sorting barely change a text's vector (int8 quantizes activations
    # per batch, so there the batch matters a little).
    alone = embedder.embed(TEXTS[:1])[0]
    assert float(alone @ vectors[0]) > (0.9999 if variant == "fp32" else 0.99)


def test_own_model_id_and_a_cached_export(models_dir):
    assert onnx_model_id("int8") != DEFAULT_EMBEDDER_ID
    first = OnnxMiniLMEmbedder(models_dir, "int8").load()
    stamp = first.model_path.stat().st_mtime_ns
    OnnxMiniLMEmbedder(models_dir, "int8").load()
    assert first.model_path.stat().st_mtime_ns == stamp  # reused, not exported again
    assert first.model_path.parent == models_dir / "minilm-onnx"


def test_a_changed_record_triggers_a_fresh_export(models_dir):
    embedder = OnnxMiniLMEmbedder(models_dir, "fp32")
    embedder.load()
    record = embedder.model_dir / "model-fp32.json"
    record.write_text('{"source_weights_sha256": "something else"}', encoding="utf-8")
    OnnxMiniLMEmbedder(models_dir, "fp32").load()
    assert "something else" not in record.read_text(encoding="utf-8")


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        OnnxMiniLMEmbedder(tmp_path, "int4")
    with pytest.raises(ValueError, match="batch_size"):
        OnnxMiniLMEmbedder(tmp_path, batch_size=0)
