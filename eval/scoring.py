"""Turning one case's result into metric contributions.

Every metric is a ratio over cases, so a case contributes a ``[numerator, denominator]`` pair
per metric (denominator 0 or absent: the metric does not apply to it). Accuracy contributes
[1, 1] or [0, 1]; abstention precision contributes [abstained and out-of-scope, abstained];
tokens per second contributes [tokens, seconds]. ``summary`` sums and bootstraps these pairs;
``compare`` pairs them by case id. Per-case values that are summarised by percentiles
(latency) go in ``measures``. Names and meanings are in ``METRICS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from eval.citations import score_citations
from eval.mcq import extract_choice, mirage_answer_segment
from eval.metrics import (FIVE_LEVELS, hit_at_k, ndcg_at_k, normalise_urgency, reciprocal_rank,
                          rubric_score, to_three_levels, triage_outcome)
from eval.suites import Case
from eval.support import SupportJudge

RETRIEVAL_KS = (1, 3, 5)

# name → (higher is better, one-line definition). Per-level metrics add ".<level>".
METRICS: dict[str, tuple[bool, str]] = {
    "accuracy": (True, "share of cases whose extracted answer equals gold (unparsed = wrong)"),
    "unparsed_rate": (False, "share of outputs the answer extractor could not parse"),
    "hit@1": (True, "a gold passage is the top retrieved passage"),
    "hit@3": (True, "a gold passage is in the top 3"),
    "hit@5": (True, "a gold passage is in the top 5"),
    "mrr": (True, "mean reciprocal rank of the first gold passage (top 10)"),
    "ndcg@10": (True, "binary-relevance nDCG@10 against the gold passages"),
    "rubric_score": (True, "HealthBench-style: points of criteria met / positive points, in [0, 1]"),
    "must_have_coverage": (True, "share of must-have facts the answer states"),
    "must_not_violation": (False, "share of answers stating at least one must-not fact"),
    "citation_recall": (True, "ALCE: share of sentences supported by the passages they cite"),
    "citation_precision": (True, "ALCE: share of citations that are needed and relevant"),
    "answered_in_scope": (True, "share of in-scope questions answered (not abstained)"),
    "abstention_precision": (True, "share of abstentions that were on out-of-scope questions"),
    "abstention_recall": (True, "share of out-of-scope questions the assistant abstained on"),
    "triage_accuracy": (True, "predicted urgency equals gold (five levels when gold has five)"),
    "triage_accuracy_3": (True, "predicted urgency equals gold on em / ne / sc"),
    "under_triage": (False, "predicted less urgent than gold (em/ne/sc scale)"),
    "over_triage": (False, "predicted more urgent than gold (em/ne/sc scale)"),
    "under_triage_5": (False, "predicted less urgent than gold on the five levels (five-level gold only)"),
    "over_triage_5": (False, "predicted more urgent than gold on the five levels (five-level gold only)"),
    "tokens_per_second": (True, "generated tokens / generation seconds (prompt prefill "
                          "included), summed over cases"),
    "latency_p50_s": (False, "median seconds per case"),
    "latency_p95_s": (False, "95th percentile seconds per case"),
}


def metric_info(name: str) -> tuple[bool, str]:
    """(higher is better, definition) for a metric name, per-level names included."""
    base = name.split(".", 1)[0]
    return METRICS.get(base, (True, ""))


@dataclass
class ScoringContext:
    judge: SupportJudge | None = None
    count_tokens: Callable[[str], int] | None = None


@dataclass
class CaseScore:
    scores: dict[str, list[float]] = field(default_factory=dict)
    measures: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


def score_case(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    scorer = _SCORERS[case.suite]
    score = scorer(case, result, context)
    _add_speed(score, result, context)
    return score


def _add_speed(score: CaseScore, result: dict, context: ScoringContext) -> None:
    if "latency_s" in result:
        score.measures["latency_s"] = result["latency_s"]
    generate_s = result.get("generate_s") or 0.0
    text = result.get("output_text")
    if generate_s > 0 and text:
        tokens = result.get("output_tokens")
        if tokens is None:
            estimated = context.count_tokens is None
            tokens = context.count_tokens(text) if context.count_tokens else len(text.split())
            score.measures["tokens_estimated_from_words"] = estimated
        score.measures["output_tokens"] = tokens
        score.scores["tokens_per_second"] = [float(tokens), float(generate_s)]


def _flag(value: bool) -> list[float]:
    return [1.0 if value else 0.0, 1.0]


# ---------------------------------------------------------------------------------- gp

_MARKERS = re.compile(r"\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]")


def _score_gp(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    data = case.data
    answer = result["answer"]
    abstained = bool(answer["abstained"])
    in_scope = bool(data["in_scope"])
    score = CaseScore()
    passages = answer.get("passages", [])
    top_score = passages[0]["score"] if passages else None
    score.measures.update(top_score=top_score, in_scope=in_scope, abstained=abstained)

    score.scores["abstention_precision"] = [float(abstained and not in_scope), float(abstained)]
    score.scores["abstention_recall"] = [float(abstained and not in_scope), float(not in_scope)]
    if not in_scope:
        return score
    score.scores["answered_in_scope"] = _flag(not abstained)

    gold = data.get("gold_passages") or []
    if gold:
        ranked = [r["passage_id"] for r in result.get("retrieved", [])]
        for k in RETRIEVAL_KS:
            score.scores[f"hit@{k}"] = [hit_at_k(ranked, gold, k), 1.0]
        score.scores["mrr"] = [reciprocal_rank(ranked, gold), 1.0]
        score.scores["ndcg@10"] = [ndcg_at_k(ranked, gold, 10), 1.0]
        score.detail["retrieved_top5"] = ranked[:5]

    judge = context.judge
    text = "" if abstained else _MARKERS.sub("", answer.get("answer", ""))
    must_have = data.get("must_have") or []
    must_not = data.get("must_not") or []
    if judge is not None and (must_have or must_not):
        have_met = [bool(text) and judge.judge(fact, text).supported for fact in must_have]
        not_met = [bool(text) and judge.judge(fact, text).supported for fact in must_not]
        if must_have:
            score.scores["rubric_score"] = [rubric_score(have_met + not_met,
                                                         [1.0] * len(must_have) + [-1.0] * len(must_not)), 1.0]
            score.scores["must_have_coverage"] = [sum(have_met) / len(must_have), 1.0]
        if must_not:
            score.scores["must_not_violation"] = _flag(any(not_met))
        score.detail["must_have_met"] = have_met
        score.detail["must_not_stated"] = not_met

    if judge is not None and not abstained:
        numbered = {p["n"]: p["text"] for p in passages}
        cited = score_citations(answer.get("answer", ""), numbered, judge)
        score.scores["citation_recall"] = [cited.recall, 1.0]
        score.scores["citation_precision"] = [cited.precision, 1.0]
        score.detail["citations"] = {"sentences": cited.n_sentences, "citations": cited.n_citations,
                                     "supported": [s.supported for s in cited.sentences]}
    return score


# -------------------------------------------------------------------------- choices

def _score_choice(case: Case, raw_text: str) -> CaseScore:
    extraction = extract_choice(raw_text, case.data["options"])
    gold = case.data["answer"]
    score = CaseScore()
    score.scores["accuracy"] = _flag(extraction.choice == gold)
    score.scores["unparsed_rate"] = _flag(not extraction.parsed)
    score.detail.update(predicted=extraction.choice, gold=gold, rule=extraction.rule)
    return score


def _score_mcq(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    return _score_choice(case, result.get("raw", ""))


def _score_predictions(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    # The MIRAGE rule: first output, text after '"answer_choice": "' (whole text otherwise).
    return _score_choice(case, mirage_answer_segment(case.data["raw"]))


# ---------------------------------------------------------------------------- triage

def _score_triage(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    gold = normalise_urgency(case.data["urgency_level"])
    predicted_five = result.get("level")
    predicted_three = result.get("em_ne_sc") or (to_three_levels(predicted_five)
                                                 if predicted_five else None)
    if predicted_three is None:
        raise ValueError("triage result has neither 'level' nor 'em_ne_sc'")
    predicted_three = to_three_levels(predicted_three)
    gold_three = to_three_levels(gold)
    score = CaseScore()
    if gold in FIVE_LEVELS and predicted_five:
        predicted_five = normalise_urgency(predicted_five)
        five_outcome = triage_outcome(gold, predicted_five)
        score.scores["triage_accuracy"] = _flag(five_outcome == "correct")
        score.scores["under_triage_5"] = _flag(five_outcome == "under")
        score.scores["over_triage_5"] = _flag(five_outcome == "over")
        # Per gold level on the five-level scale, beside the em/ne/sc ones below.
        score.scores[f"under_triage.{gold}"] = _flag(five_outcome == "under")
        score.scores[f"over_triage.{gold}"] = _flag(five_outcome == "over")
        score.detail["predicted_level"] = predicted_five
    else:
        score.scores["triage_accuracy"] = _flag(predicted_three == gold_three)
    outcome = triage_outcome(gold_three, predicted_three)
    score.scores["triage_accuracy_3"] = _flag(outcome == "correct")
    score.scores["under_triage"] = _flag(outcome == "under")
    score.scores["over_triage"] = _flag(outcome == "over")
    score.scores[f"under_triage.{gold_three}"] = _flag(outcome == "under")
    score.scores[f"over_triage.{gold_three}"] = _flag(outcome == "over")
    score.detail.update(gold=gold, gold_3=gold_three, predicted_3=predicted_three, outcome=outcome)
    return score


def _score_ddx(case: Case, result: dict, context: ScoringContext) -> CaseScore:
    from eval.ddx_suite import score_ddx_result

    return score_ddx_result(case, result)


_SCORERS: dict[str, Callable[[Case, dict, ScoringContext], CaseScore]] = {
    "gp": _score_gp, "mcq": _score_mcq, "pubmedqa": _score_mcq,
    "predictions": _score_predictions, "triage": _score_triage, "ddx": _score_ddx,
}
