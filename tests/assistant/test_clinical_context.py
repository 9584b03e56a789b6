"""The ConText wrapper: negation, uncertainty, history, family, hypothetical, matching."""

import pytest

from assistant.clinical.context import Mention, find_mentions, phrase_pattern

TERMS = {
    "chest_pain": ["chest pain", "pain * chest", "chest feels tight"],
    "stroke": ["stroke"],
    "fever": ["fever", "temperature"],
    "rash": ["rash", "rash that doesn't fade"],
    "breathless": ["can't breathe"],
    "pe": ["PE"],
}


def only(text: str, concept: str) -> Mention:
    found = [m for m in find_mentions(text, TERMS) if m.concept == concept]
    assert len(found) == 1, found
    return found[0]


def test_negated_mention_is_not_affirmed():
    mention = only("no chest pain", "chest_pain")
    assert mention.negated and not mention.affirmed
    assert mention.matched_text == "chest pain"
    assert (mention.start, mention.end) == (3, 13)


def test_family_history_is_family_not_affirmed():
    mention = only("mother had a stroke", "stroke")
    assert mention.family and not mention.affirmed


def test_relative_describing_the_patient_now_is_affirmed():
    # The carer's relative is the patient: present-tense stories must not become family history.
    assert only("My husband has crushing chest pain", "chest_pain").affirmed
    assert only("My dad has had chest pain since this morning", "chest_pain").affirmed


def test_past_event_with_year_is_historical():
    mention = only("stroke in 2019, here for a repeat prescription", "stroke")
    assert mention.historical and not mention.affirmed
    assert only("Had a stroke 5 years ago", "stroke").historical


def test_recent_time_words_do_not_make_history():
    assert only("Chest pain in the past hour", "chest_pain").affirmed
    assert only("2 year old with fever", "fever").affirmed


def test_question_mark_prefix_is_possible_but_still_affirmed():
    mention = only("?chest pain", "chest_pain")
    assert mention.possible and mention.affirmed
    assert only("?PE", "pe").possible


def test_hypothetical_safety_net_advice():
    mention = only("If you get chest pain call 999", "chest_pain")
    assert mention.hypothetical and not mention.affirmed


def test_negation_list_and_termination():
    found = {m.concept: m for m in find_mentions("no fever, cough, rash or chest pain", TERMS)}
    assert found["fever"].negated and found["rash"].negated and found["chest_pain"].negated
    found = {m.concept: m for m in find_mentions("No fever but chest pain", TERMS)}
    assert found["fever"].negated and found["chest_pain"].affirmed


def test_negation_inside_a_phrase_does_not_negate_it():
    assert only("I can't breathe", "breathless").affirmed
    assert only("I don't feel well, chest pain", "chest_pain").affirmed
    rash = [m for m in find_mentions("a rash that doesn't fade", TERMS) if m.concept == "rash"]
    assert rash[0].matched_text == "rash that doesn't fade" and rash[0].affirmed


def test_case_plural_wildcard_and_curly_apostrophe():
    assert only("RASHES all over", "rash").matched_text == "RASHES"
    assert only("pain in my chest", "chest_pain").matched_text == "pain in my chest"
    assert only("I can\u2019t breathe", "breathless").affirmed
    assert find_mentions("strokes", {"stroke": ["stroke"]})[0].matched_text == "strokes"


def test_whole_words_only_and_empty_inputs():
    assert find_mentions("peripheral", TERMS) == []
    assert find_mentions("", TERMS) == []
    assert find_mentions("chest pain", {}) == []
    with pytest.raises(TypeError):
        find_mentions(None, TERMS)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        phrase_pattern("   ")


def test_overlapping_concepts_are_all_reported():
    terms = {"acs": ["chest pain"], "pain": ["pain"]}
    concepts = sorted(m.concept for m in find_mentions("sudden chest pain", terms))
    assert concepts == ["acs", "pain"]


def test_context_stops_at_sentence_and_line_boundaries():
    # A global window would let "No fever." negate the next sentence's chest pain.
    for text in ("No fever. Chest pain since 1pm", "No fever\nChest pain since 1pm",
                 "Denies fever; chest pain now"):
        found = {m.concept: m for m in find_mentions(text, TERMS)}
        assert found["fever"].negated, text
        assert found["chest_pain"].affirmed, text


def test_plural_rule_does_not_turn_one_word_into_another():
    from assistant.clinical.context import find_mentions

    assert find_mentions("itchy hives on both arms", {"hiv": ["hiv"]}) == []
    assert [m.concept for m in find_mentions("two rashes", {"rash": ["rash"]})] == ["rash"]
    assert [m.concept for m in find_mentions("both knees", {"knee": ["knee"]})] == ["knee"]


def test_an_ampersand_phrase_finds_its_words_in_any_order_within_a_clause():
    terms = {"bite": ["& bitten mosquito"]}
    (mention,) = find_mentions("He was bitten on the forearm by a mosquito yesterday.", terms)
    assert mention.matched_text == "bitten on the forearm by a mosquito"
    assert find_mentions("A mosquito flew in. I was bitten by the dog.", terms) == []
    (negated,) = find_mentions("No mosquito has bitten him.", terms)
    assert negated.negated
