import numpy as np
import pytest

from retrieval.hybrid import HybridRetriever
from retrieval.index import build_index
from retrieval.multilingual import USE_MODEL_ID, UniversalSentenceEncoderEmbedder
from ruiyi_test_helpers import NICE_ST, Source, make_passage

pytestmark = pytest.mark.slow

CKS_GOUT = Source("NICE", "CKS", "Gout", "2024-01", "https://cks.nice.org.uk/topics/gout/")
CKS_UTI = Source("NICE", "NG109", "Urinary tract infection (lower)", "2018-10",
                 "https://www.nice.org.uk/guidance/ng109")


@pytest.fixture(scope="module")
def use_embedder():
    return UniversalSentenceEncoderEmbedder().load()


@pytest.fixture(scope="module")
def passages():
    return [
        make_passage("htn", "Offer ambulatory blood pressure monitoring to confirm hypertension "
                     "when clinic blood pressure is 140/90 mmHg or higher."),
        make_passage("st", "For a sore throat needing an antibiotic, give phenoxymethylpenicillin "
                     "for 5 to 10 days.", NICE_ST, ("Sore throat", "Management"), "sore-throat",
                     "sore-throat"),
        make_passage("gout", "Treat an acute gout flare with an NSAID or colchicine; colchicine "
                     "is taken two to four times a day.", CKS_GOUT, ("Gout", "Management"),
                     "gout", "gout"),
        make_passage("uti", "For a lower urinary tract infection in a non-pregnant woman, offer "
                     "nitrofurantoin for 3 days.", CKS_UTI, ("UTI", "Management"), "uti", "uti"),
    ]


def test_use_satisfies_the_embedder_contract(use_embedder):
    vectors = use_embedder.embed(["高血压", "hypertension", "football"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert use_embedder.model_id == USE_MODEL_ID and use_embedder.embed([]).shape == (0, 512)


@pytest.mark.parametrize("question, expected", [
    ("急性痛风发作怎么治疗？", "gout"),
    ("诊室血压150/95，怎么确诊高血压？", "htn"),
    ("咽喉痛需要抗生素时用什么药？", "st"),
    ("女性下尿路感染用什么抗生素？", "uti"),
])
def test_a_chinese_question_finds_the_english_passage(use_embedder, passages, question, expected):
    retriever = HybridRetriever(build_index(passages, use_embedder), use_embedder)
    assert retriever.search(question, top_k=1)[0].passage.passage_id == expected


def test_the_app_retriever_with_use_answers_chinese_from_the_bundled_corpus(tmp_path):
    """`--embedder use` end to end: the data directory's index is built with USE over the
    bundled English corpus, and Chinese questions find the English passages on their topic
    (USE does not know every term: "痛风", gout, is missed, see README "Retrieval")."""
    from assistant.factory import build_retriever

    retriever = build_retriever(tmp_path, "use")
    for question, topic in [("诊室血压150/95，怎么确诊高血压？", "hypertension"),
                            ("儿童急性中耳炎需要抗生素吗？", "otitis-media")]:
        assert retriever.search(question, top_k=1)[0].passage.topic == topic
    manifest = (tmp_path / "index").rglob("manifest.json")
    assert any(USE_MODEL_ID in path.read_text() for path in manifest)
