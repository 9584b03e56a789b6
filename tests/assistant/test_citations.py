from assistant.citations import resolve_citations, split_sentences
from retrieval.types import ScoredPassage


def scored(passages):
    return [ScoredPassage(p, 0.9 - i / 10, i + 1) for i, p in enumerate(passages)]


def test_markers_map_to_passages_and_invalid_ones_are_removed_and_counted(sample_passages):
    text = "Offer ABPM to confirm [1]. Stage 2 starts at 150/95 [2][7]. Penicillin is first [9]."
    cited = resolve_citations(text, scored(sample_passages[:3]), min_overlap=1.1)
    assert [c.n for c in cited.citations] == [1, 2]
    assert cited.citations[0].passage_id == "htn-abpm"
    assert cited.citations[0].url == "https://www.nice.org.uk/guidance/ng136"
    assert cited.removed == 2
    assert "[7]" not in cited.text and "[9]" not in cited.text


def test_marker_lists_and_ranges_are_understood(sample_passages):
    cited = resolve_citations("Both apply [1, 2]. Also [3-4].", scored(sample_passages))
    assert [c.n for c in cited.citations] == [1, 2, 3, 4]


def test_uncited_sentence_is_attributed_to_the_passage_it_overlaps(sample_passages):
    text = "Phenoxymethylpenicillin 500 mg four times a day is first choice for sore throat."
    cited = resolve_citations(text, scored(sample_passages), min_overlap=0.5)
    assert cited.attributed == 1 and cited.citations[0].passage_id == "st-pen"
    assert cited.text.endswith("[4].")


def test_unsupported_sentence_stays_uncited(sample_passages):
    cited = resolve_citations("Jupiter has many moons orbiting it.", scored(sample_passages))
    assert cited.citations == [] and cited.uncited_sentences == 1


def test_sentence_splitting_keeps_decimals_together():
    assert split_sentences("Give 2.5 mg daily. Review in 4 weeks.") == [
        "Give 2.5 mg daily.", "Review in 4 weeks."]
