import pytest

from assistant.answer import ABSTENTION_MESSAGE
from assistant.chat import FailingChatModel, ScriptedChatModel
from assistant.core import Assistant, AssistantConfig
from assistant.followup import retrieval_query
from retrieval.hybrid import HybridRetriever
from retrieval.index import build_index
from retrieval.query import QueryError


def make_assistant(retriever, model, abstain_below=0.0, red_flags=None):
    return Assistant(model, retriever, AssistantConfig(top_k=2, abstain_below=abstain_below),
                     red_flag_checker=red_flags)


def test_answer_cites_retrieved_passages(hash_retriever):
    model = ScriptedChatModel(["Give phenoxymethylpenicillin 500 mg four times a day [1]."])
    answer = make_assistant(hash_retriever, model).answer("penicillin dose for sore throat")
    assert not answer.abstained and answer.error is None
    assert answer.citations[0].passage_id == answer.passages[0].passage.passage_id == "st-pen"
    assert {"retrieval", "generation", "total"} <= set(answer.timings_ms)
    prompt = model.calls[0][-1]["content"]
    assert "[1] NICE NG84" in prompt and "penicillin dose for sore throat" in prompt


def test_low_scores_abstain_without_calling_the_model(hash_retriever):
    model = ScriptedChatModel(["should never be used"])
    answer = make_assistant(hash_retriever, model, abstain_below=0.99).answer("tax return deadline")
    assert answer.abstained and answer.text == ABSTENTION_MESSAGE
    assert answer.passages and answer.citations == [] and model.calls == []


def test_model_failure_still_returns_the_evidence_and_a_clear_error(hash_retriever):
    answer = make_assistant(hash_retriever, FailingChatModel()).answer("sore throat antibiotics")
    assert answer.error and "failing" in answer.error
    assert answer.passages and "language model failed" in answer.text


def test_stream_yields_evidence_before_tokens_then_done(hash_retriever):
    model = ScriptedChatModel(["Offer ambulatory monitoring to confirm hypertension [1]."])
    kinds = [e.kind for e in make_assistant(hash_retriever, model).stream("confirm hypertension")]
    assert kinds[0] == "evidence" and kinds[-1] == "done" and "token" in kinds


def test_red_flags_run_first_and_travel_with_an_abstained_answer(hash_retriever):
    seen = []

    def checker(text):
        seen.append(text)
        return [{"id": "rf-acs", "title": "Possible ACS", "level": "emergency"}]

    answer = make_assistant(hash_retriever, ScriptedChatModel(["x"]), 0.99, checker).answer(
        "crushing chest pain")
    assert seen == ["crushing chest pain"] and answer.red_flags[0]["id"] == "rf-acs"


def test_bad_question_is_refused_before_any_work(hash_retriever):
    model = ScriptedChatModel(["x"])
    with pytest.raises(QueryError):
        make_assistant(hash_retriever, model).answer("   ")
    assert model.calls == []


def test_follow_up_questions_are_searched_with_the_previous_question():
    history = [{"role": "user", "content": "first-line treatment for hypertension"},
               {"role": "assistant", "content": "..."}]
    assert retrieval_query("and in pregnancy?", history) == (
        "first-line treatment for hypertension and in pregnancy?")
    standalone = "what is the amoxicillin dose for community acquired pneumonia in adults"
    assert retrieval_query(standalone, history) == standalone
    assert retrieval_query("and in pregnancy?", []) == "and in pregnancy?"


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="top_k"):
        AssistantConfig(top_k=0)


def test_scope_guard_declines_veterinary_questions_without_model_or_passages(hash_retriever):
    model = ScriptedChatModel(["never"])
    answer = make_assistant(hash_retriever, model).answer("amoxicillin dose for a 4 kg cat")
    assert answer.abstained and answer.abstention_reason == "veterinary"
    assert answer.passages == [] and model.calls == [] and "veterinary" in answer.text


def test_low_similarity_abstention_names_its_reason(hash_retriever):
    answer = make_assistant(hash_retriever, ScriptedChatModel(["x"]), 0.99).answer("offside rule")
    assert answer.abstention_reason == "low-similarity"


def test_clinical_aids_ride_with_the_answer_and_not_with_declined_questions(hash_retriever):
    assistant = Assistant(ScriptedChatModel(["x [1]."]), hash_retriever,
                          AssistantConfig(abstain_below=-1.0),
                          calculation_finder=lambda text: [{"name": "curb65", "score": 3}],
                          differential_builder=lambda text: {"conditions": [{"name": "CAP"}]})
    answer = assistant.answer("CURB-65 for cough and fever")
    assert answer.calculations[0]["score"] == 3 and answer.differential["conditions"]
    declined = assistant.answer("amoxicillin dose for my dog")
    assert declined.calculations == [] and declined.differential is None


def test_filters_in_the_config_reach_retrieval(sample_passages, hash_embedder):
    retriever = HybridRetriever(build_index(sample_passages, hash_embedder), hash_embedder)
    config = AssistantConfig(abstain_below=-1.0, filters={"topic": "sore-throat"})
    answer = Assistant(ScriptedChatModel(["Offer penicillin [1]."]), retriever,
                       config).answer("blood pressure and sore throat antibiotics")
    assert answer.passages and {sp.passage.topic for sp in answer.passages} == {"sore-throat"}


def test_filters_that_match_nothing_abstain_and_say_why(sample_passages, hash_embedder):
    retriever = HybridRetriever(build_index(sample_passages, hash_embedder), hash_embedder)
    config = AssistantConfig(abstain_below=-1.0, filters={"publisher": "SIGN"})
    answer = Assistant(ScriptedChatModel(["never used"]), retriever,
                       config).answer("sore throat antibiotics")
    assert answer.abstained and answer.abstention_reason == "no-passages"
    assert "no passage matches the filters" in answer.text and answer.passages == []
