import numpy as np
import pytest

from retrieval.embedders import HashEmbedder
from retrieval.fusion import FusionConfig
from retrieval.hybrid import HybridConfig, HybridRetriever, RetrievalResults
from retrieval.index import build_index
from retrieval.query import QueryError
from ruiyi_test_helpers import NICE_ST, Source, make_passage

CKS = Source("NICE", "CKS", "Gout", "2024-01", "https://cks.nice.org.uk/topics/gout/")


@pytest.fixture
def passages(sample_passages):
    gout = [make_passage(f"gout-{n}", text, CKS, ("Gout", "Management"), "gout", "gout")
            for n, text in enumerate([
                "For an acute gout flare offer an NSAID or colchicine 500 micrograms two to four "
                "times a day for a few days.",
                "For an acute gout flare offer an NSAID or colchicine 500 micrograms two to four "
                "times a day for a few days.",  # an exact copy under another id
                "For an acute gout flare offer an NSAID or colchicine 500 micrograms two to four "
                "times a day for a few days, with food.",  # a near copy
                "Offer urate-lowering therapy with allopurinol after a second gout flare."])]
    return sample_passages + gout


@pytest.fixture
def embedder():
    return HashEmbedder(64)


@pytest.fixture
def retriever(passages, embedder):
    return HybridRetriever(build_index(passages, embedder), embedder)


def ids(results):
    return [r.passage.passage_id for r in results]


def test_finds_the_passage_and_reports_ranks_and_cosine(retriever, embedder):
    results = retriever.search("phenoxymethylpenicillin dose sore throat", top_k=3)
    assert ids(results)[0] == "st-pen"
    assert [r.rank for r in results] == [1, 2, 3]
    assert all(a.score >= b.score for a, b in zip(results, results[1:]))
    query_vector = embedder.embed(["phenoxymethylpenicillin dose sore throat"])[0]
    passage_vector = embedder.embed([f"{results[0].passage.section}: {results[0].passage.text}"])[0]
    assert results[0].similarity == pytest.approx(float(query_vector @ passage_vector), abs=1e-5)


def test_exact_and_near_duplicates_are_suppressed(passages, embedder):
    index = build_index(passages, embedder)
    strict = HybridRetriever(index, embedder, HybridConfig(duplicate_similarity=0.9))
    found = ids(strict.search("colchicine dose acute gout flare", top_k=4))
    assert len([i for i in found if i in ("gout-0", "gout-1", "gout-2")]) == 1
    assert "gout-3" in found
    lenient = HybridRetriever(index, embedder, HybridConfig(duplicate_similarity=1.0))
    found = ids(lenient.search("colchicine dose acute gout flare", top_k=4))
    # Identical texts are always collapsed; the near copy stays when the threshold is 1.
    assert not {"gout-0", "gout-1"} <= set(found) and "gout-2" in found


def test_mmr_returns_distinct_passages(passages, embedder):
    retriever = HybridRetriever(build_index(passages, embedder), embedder,
                                HybridConfig(mmr_lambda=0.5))
    found = ids(retriever.search("colchicine dose acute gout flare", top_k=3))
    assert len(found) == 3 and len(set(found)) == 3
    assert len([i for i in found if i in ("gout-0", "gout-1", "gout-2")]) < 3


def test_filters_restrict_by_topic_publisher_region_and_document(retriever):
    assert {r.passage.topic for r in retriever.search("dose", 5, {"topic": "gout"})} == {"gout"}
    assert all(r.passage.doc_id == "sore-throat"
               for r in retriever.search("dose", 5, {"document": "sore-throat"}))
    assert retriever.search("dose", 5, {"publisher": ["nice"], "region": "UK"})
    assert all(r.passage.source.code == "NG84"
               for r in retriever.search("antibiotic", 5, {"code": "NG84"}))


def test_a_filter_that_matches_nothing_gives_an_empty_result_with_the_reason(retriever):
    results = retriever.search("gout flare", 5, {"topic": "dermatology"})
    assert isinstance(results, RetrievalResults) and results == []
    assert "no passage matches the filters" in results.reason and "dermatology" in results.reason


@pytest.mark.parametrize("filters, fragment", [
    ({"colour": "red"}, "valid fields: publisher"),
    ({"topic": None}, "must be a string or a non-empty list"),
    ({"topic": []}, "must be a string or a non-empty list"),
    ({"topic": [1, 2]}, "must be a string or a non-empty list"),
    (["topic"], "must be a dict"),
])
def test_bad_filters_raise_a_clear_error(retriever, filters, fragment):
    with pytest.raises(ValueError, match=fragment):
        retriever.search("gout", 5, filters)


@pytest.mark.parametrize("query, fragment", [
    ("", "empty"), ("   ", "empty"), ("gout " * 2000, "limit is 4000"),
    ("😀🙂🤒", "no letters or digits"), ("?!... ***", "no letters or digits"),
])
def test_unusable_queries_raise_a_clear_error(retriever, query, fragment):
    with pytest.raises(QueryError, match=fragment):
        retriever.search(query)


@pytest.mark.parametrize("query", [
    "colchicine.*dose (gout|flare)+ [a-z]{2,} \\d+ ^$",
    "gout'; DROP TABLE passages; -- OR 1=1 /* colchicine */",
    "%colchicine% AND _gout_ \\\" ' ` ; |",
    "痛风 colchicine gout 😀",
])
def test_regex_and_sql_metacharacters_are_plain_text(retriever, query):
    results = retriever.search(query, top_k=3)
    # The words are searched as words: BM25 sees "colchicine" and "gout", nothing is parsed.
    assert {"colchicine", "gout"} <= set(retriever.bm25.tokenize(query, query=True))
    assert any(i.startswith("gout") for i in ids(results))


def test_a_query_with_no_known_word_still_gets_dense_results(retriever):
    results = retriever.search("zzqx wvut", top_k=2)
    assert len(results) == 2  # BM25 has nothing; the dense side still ranks


def test_top_k_is_checked_and_capped_by_the_corpus(retriever, passages):
    with pytest.raises(ValueError, match="top_k"):
        retriever.search("gout", top_k=0)
    with pytest.raises(ValueError, match="top_k"):
        retriever.search("gout", top_k="3")
    assert len(retriever.search("gout", top_k=50)) <= len(passages)


def test_rrf_fusion_is_available(passages, embedder):
    retriever = HybridRetriever(build_index(passages, embedder), embedder,
                                HybridConfig(fusion=FusionConfig(method="rrf", rrf_k=60)))
    assert ids(retriever.search("phenoxymethylpenicillin sore throat", 1)) == ["st-pen"]


class ReversingReranker:
    model_id = "fake-reverse"

    def __init__(self):
        self.calls = []

    def score(self, query, texts):
        self.calls.append(len(texts))
        return np.arange(len(texts), dtype=np.float32)  # the last text is "most relevant"


def test_a_reranker_reorders_the_head_only(passages, embedder):
    index = build_index(passages, embedder)
    plain = HybridRetriever(index, embedder)
    reranker = ReversingReranker()
    reranked = HybridRetriever(index, embedder, HybridConfig(rerank_depth=3), reranker=reranker)
    before = ids(plain.search("sore throat antibiotic", top_k=3))
    after = reranked.search("sore throat antibiotic", top_k=3)
    assert reranker.calls == [3]
    assert ids(after) == before[::-1]
    assert all(r.similarity is not None for r in after)


def test_an_index_from_another_embedder_is_refused(passages):
    with pytest.raises(ValueError, match="rebuild"):
        HybridRetriever(build_index(passages, HashEmbedder(16)), HashEmbedder(32))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="candidate_depth"):
        HybridConfig(candidate_depth=0)
    with pytest.raises(ValueError, match="duplicate_similarity"):
        HybridConfig(duplicate_similarity=0)
    with pytest.raises(ValueError, match="mmr_lambda"):
        HybridConfig(mmr_lambda=2)


def test_bm25_weight_follows_how_much_of_the_query_it_can_read(retriever):
    full = retriever._fusion_for("colchicine gout flare")
    assert full.lexical_weight == retriever.config.fusion.lexical_weight
    chinese = retriever._fusion_for("痛风急性发作 500")  # BM25 reads "500": 3 of 9 characters
    assert chinese.lexical_weight == pytest.approx(retriever.config.fusion.lexical_weight / 3)
    assert chinese.dense_weight == retriever.config.fusion.dense_weight


def test_a_publisher_filter_keeps_co_published_guidelines_and_a_miss_lists_the_values(
        hash_embedder):
    from ruiyi_test_helpers import Source, make_passage

    joint = Source("NICE, BTS and SIGN", "NG245", "Asthma", "2024-11",
                   "https://www.nice.org.uk/guidance/ng245")
    cks = Source("NICE CKS", "CKS", "Gout", "2024-01", "https://cks.nice.org.uk/topics/gout/")
    passages = [
        make_passage("a", "Offer a low-dose ICS formoterol reliever for asthma.", joint,
                     ("Asthma", "Management"), "asthma-adults", "asthma-adults"),
        make_passage("g", "Treat a gout flare with an NSAID or colchicine.", cks,
                     ("Gout", "Management"), "gout", "gout"),
        make_passage("r", "Cardiac arrest: start chest compressions.",
                     Source("Resuscitation Council UK", "ALS", "Adult life support", "2021",
                            "https://www.resus.org.uk/"), ("ALS", "Steps"), "resus", "resus"),
    ]
    retriever = HybridRetriever(build_index(passages, hash_embedder), hash_embedder)
    kept = retriever.search("asthma gout arrest", top_k=3, filters={"publisher": "nice"})
    assert {sp.passage.passage_id for sp in kept} == {"a", "g"}
    missed = retriever.search("asthma", top_k=3, filters={"topic": "asthma"})
    assert missed == [] and "values here: asthma-adults, gout, resus" in missed.reason
