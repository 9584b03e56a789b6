"""ALCE citation recall and precision, with a transparent word-subset judge so every number
can be checked by hand."""

import pytest

from eval.citations import score_citations, split_cited_sentences
from eval.support import SupportVerdict, content_words


class SubsetJudge:
    """Supported iff every content word of the claim occurs in the evidence."""

    name = "subset"

    def __init__(self):
        self.calls = 0

    def judge(self, claim, evidence):
        self.calls += 1
        ok = set(content_words(claim)) <= set(content_words(evidence))
        return SupportVerdict(ok, 1.0 if ok else 0.0)


PASSAGES = {
    1: "Offer ABPM to confirm hypertension.",
    2: "Stage 2 hypertension is 150/95 mmHg or higher.",
    3: "Amoxicillin treats pneumonia.",
}


def test_split_keeps_markers_with_their_sentence():
    text = "Offer ABPM [1]. Stage 2 is 150/95 mmHg. [2] Amoxicillin treats pneumonia [3][1]."
    assert split_cited_sentences(text) == [
        ("Offer ABPM .", (1,)),
        ("Stage 2 is 150/95 mmHg.", (2,)),
        ("Amoxicillin treats pneumonia .", (3, 1)),
    ]


def test_recall_and_precision_by_hand():
    text = ("Offer ABPM to confirm hypertension [1]. "        # supported by [1]: precise
            "Stage 2 hypertension is 150/95 mmHg [2][3]. "    # joint supported; [3] irrelevant
            "Offer amoxicillin for hypertension [1][3]. "     # joint supported; both needed
            "Amoxicillin cures everything [3]. "              # unsupported: [3] imprecise
            "Always check the pulse.")                        # no citation: unsupported
    scores = score_citations(text, PASSAGES, SubsetJudge())
    # Recall: 3 of 5 sentences supported.  Precision: [1] ok; [2] ok, [3] irrelevant;
    # [1] and [3] both needed; [3] of an unsupported sentence no → 4 precise of 6 citations.
    assert (scores.n_sentences, scores.n_citations) == (5, 6)
    assert scores.recall == pytest.approx(3 / 5)
    assert scores.precision == pytest.approx(4 / 6)
    assert [s.supported for s in scores.sentences] == [True, True, True, False, False]
    assert [s.precise for s in scores.sentences] == [1, 1, 2, 0, 0]


def test_a_citation_to_a_missing_passage_makes_the_sentence_unsupported():
    scores = score_citations("Offer ABPM to confirm hypertension [1][9].", PASSAGES, SubsetJudge())
    assert scores.recall == 0.0 and scores.precision == 0.0 and scores.n_citations == 2


def test_no_citations_scores_zero_as_in_alce():
    scores = score_citations("Offer ABPM to confirm hypertension.", PASSAGES, SubsetJudge())
    assert (scores.recall, scores.precision, scores.n_citations) == (0.0, 0.0, 0)


def test_empty_answer():
    scores = score_citations("", PASSAGES, SubsetJudge())
    assert (scores.recall, scores.precision, scores.n_sentences) == (0.0, 0.0, 0)
