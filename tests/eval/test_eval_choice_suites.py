"""mcq and pubmedqa suites with a scripted model: prompts, retrieval on/off, accuracy and
unparsed counts by hand."""

from pathlib import Path

from assistant.chat import ScriptedChatModel
from eval.execute import EvalBackend
from eval.loaders import load_suite
from eval.runner import RunSettings, run_suite
from eval.scoring import ScoringContext
from retrieval.types import ScoredPassage
from ruiyi_test_helpers import make_passage

FIXTURES = Path(__file__).parent / "fixtures"
BENCHMARK = FIXTURES / "mirage_mini" / "benchmark.json"


class OnePassageRetriever:
    def __init__(self):
        self.queries = []

    def search(self, query, top_k=5, filters=None):
        self.queries.append(query)
        return [ScoredPassage(make_passage("p-1", "Scurvy follows a lack of vitamin C."), 0.9, 1)]


def run(tmp_path, suite, data, model, retrieval=True, retriever=None, subset=None):
    loaded = load_suite(suite, data, subset=subset)
    backend = EvalBackend(chat_model=model, retriever=retriever, retrieval=retrieval)
    return run_suite(loaded, backend, RunSettings(suite, str(data), retrieval=retrieval), tmp_path,
                     ScoringContext(), progress=False, n_resamples=200)


def test_mcq_accuracy_and_unparsed_by_hand(tmp_path):
    # medqa q1..q4 then mmlu anatomy-000, anatomy-001 (file order); gold B C A D C A.
    model = ScriptedChatModel(['{"answer_choice": "B"}', "The answer is C.", "I cannot tell.",
                               '{"answer_choice": "A"}', "C", "(B)"])
    outcome = run(tmp_path, "mcq", BENCHMARK, model, retrieval=False)
    summary = outcome.summary
    assert summary["metrics"]["accuracy"]["value"] == 0.5        # q1, q2, anatomy-000
    assert summary["metrics"]["unparsed_rate"]["value"] == round(1 / 6, 4)
    assert summary["groups"]["medqa"]["metrics"]["accuracy"]["value"] == 0.5
    assert summary["groups"]["mmlu"]["metrics"]["accuracy"]["value"] == 0.5
    assert summary["extraction"]["unparsed"] == 1
    table = summary["tables"]["answer_letter"]
    assert table["labels"][-1] == "unparsed" and sum(map(sum, table["matrix"])) == 6
    assert "Relevant documents" not in model.calls[0][1]["content"]
    assert "tokens_per_second" in summary["metrics"]


def test_mcq_with_retrieval_puts_passages_in_the_prompt(tmp_path):
    retriever = OnePassageRetriever()
    model = ScriptedChatModel(['{"answer_choice": "B"}'])
    run(tmp_path, "mcq", BENCHMARK, model, retrieval=True, retriever=retriever, subset="mmlu")
    assert len(retriever.queries) == 2
    assert "[1] Scurvy follows a lack of vitamin C." in model.calls[0][1]["content"]


def test_pubmedqa_contexts_on_and_off(tmp_path):
    data = FIXTURES / "pubmedqa_mini" / "ori_pqal.json"
    with_context = ScriptedChatModel(["yes", "no", "The answer is maybe"])
    summary = run(tmp_path / "on", "pubmedqa", data, with_context).summary
    assert summary["metrics"]["accuracy"]["value"] == 1.0 and summary["cases"] == 3
    assert "A small trial of adults walked daily." in with_context.calls[0][1]["content"]
    without = ScriptedChatModel(['{"answer_choice": "A"}'])
    summary = run(tmp_path / "off", "pubmedqa", data, without, retrieval=False).summary
    assert summary["metrics"]["accuracy"]["value"] == round(1 / 3, 4)
    assert "walked daily" not in without.calls[0][1]["content"]
