"""The multiple-choice answer extractor: what it finds, and what it refuses to guess."""

import pytest

from eval.mcq import build_mcq_messages, extract_choice, mirage_answer_segment

OPTIONS = {"A": "Calcaneum", "B": "Scaphoid", "C": "Shoulder", "D": "Pelvis"}
YES_NO = {"A": "yes", "B": "no", "C": "maybe"}


@pytest.mark.parametrize("reply, choice, rule", [
    ("B", "B", "letter"),
    ("  (C) ", "C", "letter"),
    ("D. Pelvis", "D", "letter"),
    ("B or C", "B", "letter"),
    ('{"step_by_step_thinking": "Judet views image the acetabulum.", "answer_choice": "D"}', "D", "json"),
    ('```json\n{"answer_choice": "A. Calcaneum"}\n```', "A", "json"),
    ('{"answer": "Pelvis"}', "D", "json"),
    ("A 45-year-old has pain. Option A is wrong, option C is wrong. The answer is B.", "B", "answer-is"),
    ("**Answer:** C", "C", "answer-is"),
    ("Reasoning first. **Answer:** C", "C", "answer-is"),
    ("Final answer: (D)", "D", "answer-is"),
    ("The correct option is C because the shoulder...", "C", "answer-is"),
    ("Reasoning about the bones.\nD\n", "D", "line"),
    ("Only option B fits the description.", "B", "option"),
    ("pelvis", "D", "option-text"),
    ("The correct next step would be C. Shoulder, given the history.", "C", "letter+text"),
    ("A. Calcaneum first.\n\nThe correct answer is:\nB. Scaphoid", "B", "answer-is"),
])
def test_extracts_the_chosen_option(reply, choice, rule):
    found = extract_choice(reply, OPTIONS)
    assert (found.choice, found.rule) == (choice, rule)
    assert found.parsed


@pytest.mark.parametrize("reply, rule", [
    ("", "empty"),
    (None, "empty"),
    ('{"step_by_step_thinking": "...", "answer_choice": "None of the above"}', "unparsed"),
    ("Cannot be determined from the documents.", "unparsed"),
    ('{"answer_choice": "E. Not enough information"}', "unparsed"),
    ("A 60-year-old man presents with pain in his hip.", "unparsed"),  # article "A" is no answer
    ("Option A and option C are both plausible.", "ambiguous"),
    ("A. Calcaneum\nB. Scaphoid\nC. Shoulder\nD. Pelvis", "unparsed"),  # options listed back
])
def test_refuses_to_guess(reply, rule):
    found = extract_choice(reply, OPTIONS)
    assert found.choice is None and found.rule == rule and not found.parsed


@pytest.mark.parametrize("reply, choice", [
    ("yes", "A"), ("No.", "B"), ("Maybe, the evidence is mixed", "C"),
    ("Based on the trial the answer is no", "B"), ('{"answer_choice": "A"}', "A"),
])
def test_yes_no_maybe_by_letter_or_word(reply, choice):
    assert extract_choice(reply, YES_NO).choice == choice


def test_keys_beyond_d_are_supported():
    options = {k: f"option {k}" for k in "ABCDEFGHIJ"}
    assert extract_choice("The answer is J.", options).choice == "J"
    assert extract_choice("The answer is J.", "ABCD").choice is None


def test_mirage_segment_rule():
    raw = ['{"step_by_step_thinking": "x", "answer_choice": "C"}', '{"answer_choice": "A"}']
    assert mirage_answer_segment(raw) == 'C"}'  # first output only
    assert extract_choice(mirage_answer_segment(raw), OPTIONS).choice == "C"
    assert mirage_answer_segment([]) == ""
    assert mirage_answer_segment("no marker here") == "no marker here"


def test_prompt_numbers_evidence_and_lists_options():
    messages = build_mcq_messages("Which bone?", OPTIONS, ["First passage.", "Second passage."])
    user = messages[1]["content"]
    assert "[1] First passage." in user and "[2] Second passage." in user
    assert "D. Pelvis" in user and "answer_choice" in messages[0]["content"]
    assert "Relevant documents" not in build_mcq_messages("Which bone?", OPTIONS)[1]["content"]
