"""The runner on the GP suite with the real Assistant over fakes (a scripted model and a
retriever returning fixed passages): metrics by hand, resumability, failures, outputs."""

import base64
import json
import re
import time
from pathlib import Path

import pytest

from assistant.chat import ChatModelError
from assistant.core import Assistant, AssistantConfig
from eval.execute import EvalBackend
from eval.loaders import load_suite
from eval.runner import CACHE_FILE, RunMismatchError, RunSettings, run_suite
from eval.scoring import ScoringContext
from eval.support import SupportVerdict, content_words
from retrieval.types import ScoredPassage
from ruiyi_test_helpers import make_passage

FIXTURES = Path(__file__).parent / "fixtures"

HTN_CONFIRM = make_passage("htn-confirm", "If clinic blood pressure is 140/90 mmHg or higher, offer "
                           "ABPM or HBPM to confirm the diagnosis of hypertension. Hypertension is "
                           "confirmed when the daytime average is 135/85 mmHg or higher.")
HTN_TREAT = make_passage("htn-treat", "Offer lifestyle advice to every adult with hypertension.")
CAP_AMOX = make_passage("cap-amox", "For adults with low-severity community-acquired pneumonia, "
                        "offer amoxicillin 500 mg three times a day for 5 days.")

# Fixed rankings per question keyword: (passage, score), best first.
RANKINGS = {
    "BP": [(HTN_CONFIRM, 0.82), (HTN_TREAT, 0.60), (CAP_AMOX, 0.30)],
    "amoxicillin": [(HTN_TREAT, 0.70), (CAP_AMOX, 0.65), (HTN_CONFIRM, 0.20)],
    "pizza": [(HTN_TREAT, 0.20), (CAP_AMOX, 0.10)],
    "car": [(CAP_AMOX, 0.60), (HTN_TREAT, 0.50)],
}

REPLIES = {
    "BP": "Confirm the diagnosis with ABPM or HBPM [1]. Hypertension is confirmed when the daytime "
          "average is 135/85 mmHg or higher [1]. Offer lifestyle advice [3].",
    "amoxicillin": "Offer amoxicillin 500 mg three times a day [2].",
    "car": "This is about pneumonia [1].",
}


class FixedRetriever:
    def search(self, query, top_k=5, filters=None):
        key = next(k for k in RANKINGS if k in query)
        return [ScoredPassage(p, s, r) for r, (p, s) in enumerate(RANKINGS[key][:top_k], 1)]


class KeywordChatModel:
    """Replies by the question keyword found in the prompt (thread-safe, order-free)."""

    model_id = "keyword-fake"

    def __init__(self, fail_on=()):
        self.fail_on = set(fail_on)
        self.calls = 0

    def generate(self, messages, max_new_tokens=256):
        self.calls += 1
        prompt = messages[-1]["content"]
        key = next(k for k in REPLIES if re.search(rf"\b{k}\b", prompt.split("Question")[-1]))
        if key in self.fail_on:
            raise ChatModelError(f"model {self.model_id!r} failed (simulated)")
        time.sleep(0.002)  # a measurable generation time for tokens per second
        return REPLIES[key]

    def stream(self, messages, max_new_tokens=256):
        yield self.generate(messages, max_new_tokens)


class SubsetJudge:
    name = "subset"

    def judge(self, claim, evidence):
        return SupportVerdict(set(content_words(claim)) <= set(content_words(evidence)), 0.0)


def make_backend(model=None):
    assistant = Assistant(model or KeywordChatModel(), FixedRetriever(),
                          AssistantConfig(top_k=4, abstain_below=0.4))
    return EvalBackend(assistant=assistant, chat_model=assistant.chat_model,
                       retriever=assistant.retriever)


def run(out_dir, backend=None, data=FIXTURES / "gp_suite.jsonl", workers=1, **settings):
    loaded = load_suite("gp", data)
    return run_suite(loaded, backend or make_backend(), RunSettings("gp", str(data), **settings),
                     out_dir, ScoringContext(judge=SubsetJudge()), workers=workers,
                     progress=False, n_resamples=200, run_info={"abstention_threshold": 0.4})


def values(summary):
    return {name: m["value"] for name, m in summary["metrics"].items()}


def test_gp_metrics_by_hand(tmp_path):
    outcome = run(tmp_path)
    got = values(outcome.summary)
    # Retrieval: gp-htn-1 gold at rank 1; gp-cap-1 gold at rank 2.
    assert got["hit@1"] == 0.5 and got["hit@3"] == 1.0 and got["hit@5"] == 1.0
    assert got["mrr"] == 0.75
    assert got["ndcg@10"] == pytest.approx((1 + 1 / 1.5849625) / 2, abs=1e-4)
    # Rubric: htn-1 meets both must-haves but states its must-not (lifestyle advice) → (2-1)/2;
    # cap-1 meets 1 of 2 must-haves ("5 days" missing) → 1/2.
    assert got["rubric_score"] == 0.5
    assert got["must_have_coverage"] == 0.75
    assert got["must_not_violation"] == 0.5
    # Citations (ALCE): htn-1 2 of 3 sentences supported, 2 of 3 citations precise; cap-1 1/1.
    assert got["citation_recall"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)
    assert got["citation_precision"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)
    # Abstention: only "pizza" (out of scope) abstained; "car" (out of scope) was answered.
    assert got["abstention_precision"] == 1.0 and got["abstention_recall"] == 0.5
    assert got["answered_in_scope"] == 1.0
    assert "latency_p50_s" in got and "latency_p95_s" in got
    assert "tokens_per_second" in got
    for metric in outcome.summary["metrics"].values():
        assert metric["ci_low"] <= metric["value"] <= metric["ci_high"]
    assert set(outcome.summary["groups"]) == {"hypertension", "pneumonia", "out-of-scope"}


def test_outputs_are_written_and_the_report_is_self_contained(tmp_path):
    run(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["suite"] == "gp" and metrics["run"]["judge"] == "subset"
    cases = [json.loads(l) for l in (tmp_path / "cases.jsonl").read_text().splitlines()]
    assert [c["case_id"] for c in cases] == ["gp-htn-1", "gp-cap-1", "oos-1", "oos-2"]
    assert cases[0]["scores"]["hit@1"] == [1.0, 1.0] and cases[0]["measures"]["top_score"] == 0.82
    html = (tmp_path / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 3  # per-topic, latency, abstention threshold
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "Abstention threshold" in html and "http" not in html.split("<body>")[0]


def test_rerun_skips_cached_cases_and_reruns_a_changed_one(tmp_path):
    first = run(tmp_path)
    assert first.executed == 4
    silent = KeywordChatModel(fail_on=set(REPLIES))  # would fail if asked anything
    second = run(tmp_path, backend=make_backend(silent))
    assert second.executed == 0 and second.from_cache == 4 and silent.calls == 0
    assert values(second.summary) | {"latency_p50_s": 0, "latency_p95_s": 0, "tokens_per_second": 0} == \
        values(first.summary) | {"latency_p50_s": 0, "latency_p95_s": 0, "tokens_per_second": 0}
    # Edit one question: only that case runs again.
    lines = (FIXTURES / "gp_suite.jsonl").read_text().splitlines()
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines).replace("best pizza in Naples", "best pizza in Rome"))
    third = run(tmp_path, data=edited)
    assert third.executed == 1


def test_a_torn_cache_line_from_an_interrupted_run_is_ignored(tmp_path):
    run(tmp_path)
    with open(tmp_path / CACHE_FILE, "a") as cache:
        cache.write('{"case_id": "gp-htn-1", "hash": ')
    assert run(tmp_path).executed == 0


def test_a_run_with_other_settings_is_refused(tmp_path):
    run(tmp_path)
    with pytest.raises(RunMismatchError, match="model"):
        run(tmp_path, model="another-model")


def test_model_errors_skip_cases_with_the_reason_and_are_retried(tmp_path):
    outcome = run(tmp_path, backend=make_backend(KeywordChatModel(fail_on={"amoxicillin"})))
    assert outcome.failed == 1 and outcome.summary["scored"] == 3
    skipped = outcome.summary["skipped"]
    assert skipped["failed_cases"] == 1 and skipped["failed_examples"][0]["case_id"] == "gp-cap-1"
    assert "model error" in skipped["failed_examples"][0]["reason"]
    record = json.loads((tmp_path / "cases.jsonl").read_text().splitlines()[1])
    assert record["status"] == "error" and record["scores"] == {}
    # The failure was not cached: a rerun with a working model runs only that case.
    again = run(tmp_path)
    assert again.executed == 1 and again.summary["scored"] == 4


def test_parallel_workers_give_the_same_scores(tmp_path):
    serial = run(tmp_path / "serial")
    parallel = run(tmp_path / "parallel", workers=3)
    drop = ("latency_p50_s", "latency_p95_s", "tokens_per_second")
    assert {k: v for k, v in values(parallel.summary).items() if k not in drop} == \
        {k: v for k, v in values(serial.summary).items() if k not in drop}
