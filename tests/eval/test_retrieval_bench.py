import numpy as np
import pytest

from eval.retrieval_bench import compare_embedding_speed, embed_with_cache
from retrieval.embedders import HashEmbedder
from ruiyi_test_helpers import make_passage


class SlowHashEmbedder(HashEmbedder):
    """The same vectors as HashEmbedder, embedded one text at a time (slower)."""

    def embed(self, texts):
        return np.vstack([super(SlowHashEmbedder, self).embed([t]) for t in texts]) \
            if len(texts) else super().embed(texts)


def test_speed_comparison_reports_rates_speed_up_and_fidelity():
    texts = [f"passage number {n} about gout and colchicine" for n in range(40)]
    rows = compare_embedding_speed(texts, {"fast": HashEmbedder(16), "slow": SlowHashEmbedder(16)},
                                   reference="slow", rounds=2)
    by_name = {row["embedder"]: row for row in rows}
    assert by_name["slow"]["speed_up_vs_reference"] == 1.0
    assert by_name["fast"]["best_passages_per_s"] > 0
    assert by_name["fast"]["min_cosine_to_reference"] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="reference"):
        compare_embedding_speed(texts, {"fast": HashEmbedder(16)}, reference="other")


def test_embedding_cache_is_saved_chunk_by_chunk(tmp_path):
    passages = [make_passage(f"p{n}", f"text number {n} on hypertension") for n in range(7)]

    class FailingAfterTwoChunks(HashEmbedder):
        calls = 0

        def embed(self, texts):
            FailingAfterTwoChunks.calls += 1
            if FailingAfterTwoChunks.calls > 2:
                raise RuntimeError("interrupted")
            return super().embed(texts)

    with pytest.raises(RuntimeError):
        embed_with_cache(passages, FailingAfterTwoChunks(8), tmp_path, chunk_size=3)
    vectors, _, embedded = embed_with_cache(passages, HashEmbedder(8), tmp_path, chunk_size=3)
    assert embedded == 1  # 6 of 7 survived the interruption
    np.testing.assert_allclose(vectors, HashEmbedder(8).embed(
        [f"{p.section}: {p.text}" for p in passages]), atol=1e-6)
