import numpy as np
import pytest

from retrieval.bm25 import BM25Config, BM25Index, bm25_text, s_stem
from ruiyi_test_helpers import NICE_ST, make_passage


@pytest.fixture
def bm25(sample_passages):
    return BM25Index(sample_passages)


def test_a_rare_drug_name_ranks_its_passage_first(bm25, sample_passages):
    scores, positions = bm25.search("phenoxymethylpenicillin dose", top_k=4)
    assert sample_passages[positions[0]].passage_id == "st-pen"
    assert len(positions) == 1  # only one passage contains either word
    assert scores[0] > 0


def test_results_are_sorted_and_limited_to_top_k(bm25):
    scores, positions = bm25.search("hypertension blood pressure sore throat", top_k=2)
    assert len(positions) == 2 and scores[0] >= scores[1]
    with pytest.raises(ValueError, match="top_k must be > 0"):
        bm25.search("hypertension", top_k=0)


@pytest.mark.parametrize("query", ["the and of", "zzqx unknownword", "what is it?", "😀🙂"])
def test_queries_without_known_content_words_find_nothing(bm25, query):
    scores, positions = bm25.search(query, top_k=3)
    assert len(positions) == 0 and len(scores) == 0
    assert not bm25.scores(query).any()


def test_title_and_section_are_indexed(bm25, sample_passages):
    # "Management" appears only in the section path of st-pen, never in its text.
    assert "Management" not in sample_passages[3].text
    assert "Management" in bm25_text(sample_passages[3])
    _, positions = bm25.search("management", top_k=4)
    assert [sample_passages[p].passage_id for p in positions] == ["st-pen"]


def test_allowed_mask_restricts_results(bm25, sample_passages):
    allowed = np.array([p.topic == "hypertension" for p in sample_passages])
    _, positions = bm25.search("sore throat hypertension", top_k=4, allowed=allowed)
    assert positions.size and all(sample_passages[p].topic == "hypertension" for p in positions)


@pytest.mark.parametrize("word, stem", [
    ("symptoms", "symptom"), ("arteries", "artery"), ("causes", "cause"), ("diabetes", "diabete"),
    ("virus", "virus"), ("illness", "illness"), ("bus", "bus"), ("ddx", "ddx"), ("24s", "24s"),
])
def test_s_stemmer_only_strips_plurals(word, stem):
    assert s_stem(word) == stem


def test_stemming_matches_plural_and_singular(sample_passages):
    passages = sample_passages + [make_passage("st-sym", "Typical symptom: a painful throat.",
                                               NICE_ST, ("Sore throat", "Recognition"),
                                               "sore-throat", "sore-throat")]
    stemmed = BM25Index(passages, BM25Config(stem=True))
    plain = BM25Index(passages, BM25Config(stem=False))
    assert stemmed.search("symptoms", 3)[1].tolist() == [4]
    assert plain.search("symptoms", 3)[1].tolist() == []


def test_question_words_are_dropped_from_queries_only(sample_passages):
    index = BM25Index(sample_passages, BM25Config(drop_question_words=True))
    assert index.tokenize("What is the dose?", query=True) == ["dose"]
    assert "what" in index.tokenize("What is the dose?")
    keep = BM25Index(sample_passages, BM25Config(drop_question_words=False))
    assert keep.tokenize("What is the dose?", query=True) == ["what", "dose"]


def test_bad_configs_and_empty_corpora_are_refused():
    with pytest.raises(ValueError, match="k1"):
        BM25Config(k1=-1)
    with pytest.raises(ValueError, match="b must be"):
        BM25Config(b=1.5)
    with pytest.raises(ValueError, match="method"):
        BM25Config(method="tfidf")
    with pytest.raises(ValueError, match="0 passages"):
        BM25Index([])


def test_coverage_is_the_share_of_query_characters_the_corpus_knows(bm25):
    assert bm25.coverage("sore throat") == 1.0
    # "hypertension" (12 letters) known, "zzqx" (4) unknown; "the" is a stopword.
    assert bm25.coverage("the hypertension zzqx") == pytest.approx(12 / 16)
    # Only the number (3 of 10 characters) is a corpus word.
    assert bm25.coverage("高血压怎么确诊 150") == pytest.approx(3 / 10)
    assert bm25.coverage("the of") == 0.0
