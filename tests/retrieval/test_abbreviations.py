import pytest

from retrieval.abbreviations import expand_abbreviations


@pytest.mark.parametrize("query, expected", [
    ("pen V dose tonsillitis adult", "pen V dose tonsillitis adult (phenoxymethylpenicillin)"),
    ("18 month old bilateral AOM - treat?", "18 month old bilateral AOM - treat? "
                                            "(acute otitis media)"),
    ("stage 1 htn 45yo, no TOD", "stage 1 htn 45yo, no TOD "
                                 "(year old; hypertension; target organ damage)"),
    ("AF with BP 80/50", "AF with BP 80/50 (atrial fibrillation; blood pressure)"),
])
def test_abbreviations_are_spelled_out_after_the_query(query, expected):
    assert expand_abbreviations(query) == expected


@pytest.mark.parametrize("query", [
    "knee cap pain",                 # "cap" is not CAP
    "is pe common in pregnancy",     # short forms count only in capitals
    "amoxicillin dose for a child",  # "amox" inside a word is not an abbreviation
    "yoga for back pain",
    "atrial fibrillation and AF",    # already spelled out: nothing added
    "高血压怎么确诊",
])
def test_ordinary_words_and_spelled_out_terms_are_left_alone(query):
    assert expand_abbreviations(query) == query


def test_the_hybrid_retriever_finds_the_spelled_out_passage(sample_passages, hash_embedder):
    from retrieval.hybrid import HybridConfig, HybridRetriever
    from retrieval.index import build_index

    index = build_index(sample_passages, hash_embedder)
    expanded = HybridRetriever(index, hash_embedder)
    assert expanded.prepare_query("pen V") == "pen V (phenoxymethylpenicillin)"
    assert expanded.search("pen V", top_k=1)[0].passage.passage_id == "st-pen"
    plain = HybridRetriever(index, hash_embedder, HybridConfig(expand_abbreviations=False))
    assert plain.prepare_query("pen V") == "pen V"
