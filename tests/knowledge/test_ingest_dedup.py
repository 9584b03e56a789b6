import pytest

from knowledge.ingest.dedup import DuplicateFinder, jaccard, normalised_hash, shingles

BASE = ("For adults with suspected hypertension whose clinic blood pressure is between 140/90 "
        "and 179/119 mmHg, offer ambulatory blood pressure monitoring to confirm the diagnosis; "
        "if it is unsuitable or not tolerated, use home monitoring instead and review the "
        "average of the readings after at least four days, discarding the first day, and "
        "assess cardiovascular risk and target organ damage while waiting for the result.")


def test_exact_duplicates_ignore_case_spacing_and_punctuation():
    assert normalised_hash(BASE) == normalised_hash("  " + BASE.upper().replace(",", " ,") + "!")
    finder = DuplicateFinder()
    assert finder.check("a", BASE) is None
    match = finder.check("b", BASE.upper())
    assert (match.duplicate_of, match.kind, match.similarity) == ("a", "exact", 1.0)


def test_a_one_word_edit_is_a_near_duplicate_with_its_true_jaccard():
    edited = BASE.replace("four days", "five days")
    finder = DuplicateFinder(near_threshold=0.9)
    finder.add("a", BASE)
    found = finder.find(edited)
    expected = jaccard(shingles(BASE), shingles(edited))
    assert found == ("a", "near", round(expected, 3))
    assert 0.9 <= expected < 1.0


def test_different_passages_are_not_duplicates():
    finder = DuplicateFinder()
    finder.add("a", BASE)
    assert finder.find("Offer phenoxymethylpenicillin 500 mg four times a day for 5 to 10 days "
                       "when an antibiotic is needed for sore throat.") is None
    # Heavy rewording of half the text falls below 0.9.
    half = BASE[:len(BASE) // 2] + " and then something else entirely different is advised."
    assert finder.find(half) is None


def test_threshold_is_checked():
    with pytest.raises(ValueError, match="near_threshold"):
        DuplicateFinder(near_threshold=0.2)


def test_many_passages_are_checked_quickly():
    import random
    import time

    rng = random.Random(7)
    words = [f"w{i}" for i in range(3000)]
    texts = [" ".join(rng.choice(words) for _ in range(60)) for _ in range(3000)]
    finder = DuplicateFinder()
    started = time.perf_counter()
    assert all(finder.check(str(n), t) is None for n, t in enumerate(texts))
    assert finder.check("copy", texts[1234] + " w1") is not None
    assert time.perf_counter() - started < 10
