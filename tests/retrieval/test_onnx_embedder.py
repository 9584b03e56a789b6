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


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_onnx_vectors_follow_sentence_transformers(minilm, models_dir, variant):
    embedder = OnnxMiniLMEmbedder(models_dir, variant)
    vectors = embedder.embed(TEXTS)
    reference = minilm.embed(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    # A loose floor that holds on any x86-64 CPU (int8 kernels differ between avx2 and
    # avx512): the retrieval test below is the real check of fidelity.
    assert (vectors * reference).sum(axis=1).min() > 0.9


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_a_text_gets_the_same_vector_whatever_its_batch(models_dir, variant):
    embedder = OnnxMiniLMEmbedder(models_dir, variant, batch_size=4)
    together = embedder.embed(TEXTS)
    for row, text in enumerate(TEXTS):
        alone = embedder.embed([text])[0]
        # fp32 pads within a batch, which moves the last float digits; int8 runs each text
        # alone, so its vectors must agree exactly up to float noise.
        np.testing.assert_allclose(alone, together[row], atol=1e-5 if variant == "fp32" else 1e-6)
    shuffled = embedder.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(shuffled, together, atol=1e-5 if variant == "fp32" else 1e-6)


def test_int8_retrieval_ranks_like_sentence_transformers(minilm, models_dir):
    """What matters for search: the same passages come first with int8 as with fp32 MiniLM."""
    passages = [
        "Offer ambulatory blood pressure monitoring to confirm a diagnosis of hypertension.",
        "For an acute gout flare offer an NSAID or colchicine.",
        "Assess a child with fever using the traffic-light table for risk of serious illness.",
        "Refer people with suspected cauda equina syndrome for an emergency MRI.",
        "Offer an inhaled corticosteroid to adults with asthma not controlled on a reliever.",
        "Consider antibiotics for acute otitis media only when the child is systemically unwell.",
    ]
    queries = ["how to confirm hypertension", "gout attack treatment", "feverish child assessment",
               "saddle anaesthesia and urinary retention", "asthma inhaler step up",
               "ear infection antibiotics in children"]
    int8 = OnnxMiniLMEmbedder(models_dir, "int8")
    best_int8 = (int8.embed(queries) @ int8.embed(passages).T).argmax(axis=1)
    best_fp32 = (minilm.embed(queries) @ minilm.embed(passages).T).argmax(axis=1)
    assert best_int8.tolist() == best_fp32.tolist() == list(range(len(queries)))


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
