"""The differential diagnosis engine: a ranked, coded, explained list for a GP presentation.

``DifferentialEngine(conditions, retriever=None).rank(presentation, age_years, sex, pregnant)``
reads the findings (``evidence``), scores every condition of the base (``scoring``), adds an
optional retrieval component and returns a ``Differential``: conditions in order of total
score, each with its ICD-10-CM codes, band, score parts, the findings for and against it with
the words they came from, next steps and guideline passages.

Bands: **likely** (among the top three and within 70% of the best total, when the best is at
least 2), **must not miss** (a must-not-miss condition that is not likely) and **possible**
(the rest). The list holds the ``top_k`` best, and every supported must-not-miss condition
below them is kept as well, so a dangerous diagnosis the findings support is never cut off.

Invalid input (not text, empty, over 10,000 characters, age outside 0-120, unknown sex,
a pregnant male or child) raises ``ValueError`` naming the field; a presentation with no
recognisable findings returns an empty list with a ``message`` saying why. Nothing here calls
an LLM (``reorder.apply_llm_reorder`` takes an LLM's order afterwards) and no patient text
is logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Sequence

from assistant.clinical.ddx.evidence import Evidence, EvidenceReader, Finding
from assistant.clinical.ddx.scoring import Contribution, prior_for, score_features
from knowledge.conditions import ConditionBase, Condition, load_conditions
from retrieval.types import Retriever, ScoredPassage

logger = logging.getLogger(__name__)

MAX_PRESENTATION_CHARS = 10_000
MAX_AGE_YEARS = 120
MIN_PREGNANCY_AGE_YEARS = 10
MAX_TOP_K = 50
LIKELY_MAX_RANK = 3
LIKELY_FRACTION_OF_BEST = 0.7
LIKELY_MIN_BEST_TOTAL = 2.0
RETRIEVAL_WEIGHT = 1.0
RETRIEVAL_TOP_K = 20
PASSAGES_PER_CONDITION = 3
SEXES = {"female": "female", "f": "female", "woman": "female", "male": "male", "m": "male",
         "man": "male"}

BAND_LIKELY = "likely"
BAND_POSSIBLE = "possible"
BAND_MUST_NOT_MISS = "must not miss"

NO_FINDINGS_MESSAGE = (
    "No recognisable clinical features were found in the presentation, so no differential is "
    "given. Describe the symptoms, signs or results in clinical or everyday words (for example "
    "'fever and productive cough for 3 days, crackles at the right base')."
)
ONLY_ABSENT_MESSAGE = (
    "Only absent features or background (for example 'no fever', 'smoker') were recognised; "
    "no condition is supported by a present symptom, sign or test result, so no differential "
    "is given."
)
ALL_EXCLUDED_MESSAGE = (
    "Features were recognised, but every condition they point to is excluded by the age, sex "
    "or pregnancy given ({reasons}). Check those fields."
)
NONE_SUPPORTED_MESSAGE = (
    "Features were recognised ({features}) but they do not add up to any condition in "
    "Ruiyi's condition base, so no differential is given. Consider the whole history and "
    "examination; the base covers common and dangerous primary-care conditions only."
)


@dataclass(frozen=True)
class ScoreParts:
    feature: float
    prior: float
    retrieval: float
    retrieval_used: bool

    @property
    def total(self) -> float:
        return self.feature + self.prior + self.retrieval

    def to_dict(self) -> dict:
        return {"feature": round(self.feature, 2), "prior": round(self.prior, 2),
                "retrieval": round(self.retrieval, 2) if self.retrieval_used else None,
                "total": round(self.total, 2)}


@dataclass(frozen=True)
class RankedCondition:
    """One condition of the differential, with everything needed to check it."""

    condition: Condition
    rank: int
    band: str
    parts: ScoreParts
    evidence_for: tuple[Contribution, ...]
    evidence_against: tuple[Contribution, ...]
    passages: tuple[dict, ...]
    prior_reasons: tuple[str, ...] = ()
    kept_as_must_not_miss: bool = False

    @property
    def name(self) -> str:
        return self.condition.name

    @property
    def score(self) -> float:
        return self.parts.total

    def to_dict(self) -> dict:
        c = self.condition
        return {
            "rank": self.rank,
            "id": c.condition_id,
            "name": c.name,
            "icd10": list(c.icd10),
            "band": self.band,
            "must_not_miss": c.must_not_miss,
            "kept_as_must_not_miss": self.kept_as_must_not_miss,
            "score": round(self.score, 2),
            "score_parts": self.parts.to_dict(),
            "prior_reasons": list(self.prior_reasons),
            "for": [item.to_dict() for item in self.evidence_for],
            "against": [item.to_dict() for item in self.evidence_against],
            "next_steps": c.next_steps.to_dict(),
            "guideline_topic": c.guideline_topic,
            "passages": [dict(p) for p in self.passages],
            "source": {"publisher": c.source.publisher, "title": c.source.title,
                       "url": c.source.url},
        }


@dataclass(frozen=True)
class Differential:
    """The ranked list for one presentation, the findings read, and why it may be empty."""

    conditions: tuple[RankedCondition, ...]
    findings: tuple[Finding, ...]
    age_years: int | None
    sex: str | None
    pregnant: bool | None
    message: str | None = None
    retrieval_used: bool = False
    order: str = "score"
    notes: tuple[str, ...] = ()
    timings_ms: dict = field(default_factory=dict, compare=False)

    def names(self) -> list[str]:
        return [item.name for item in self.conditions]

    def to_dict(self) -> dict:
        data = {
            "conditions": [item.to_dict() for item in self.conditions],
            "features_found": [f.to_dict() for f in self.findings],
            "inputs": {"age_years": self.age_years, "sex": self.sex, "pregnant": self.pregnant},
            "retrieval_used": self.retrieval_used,
            "order": self.order,
            "notes": list(self.notes),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "disclaimer": "Decision support for clinicians: check every item against the "
                          "history, examination and guideline; it does not replace judgement.",
        }
        if self.message:
            data["message"] = self.message
        return data


class DifferentialEngine:
    """Ranks the conditions of a ``ConditionBase`` for a presentation.

    ``retriever`` is optional: any object with ``search(query, top_k, filters)`` returning
    ``ScoredPassage`` records. Without it the retrieval part of every score is 0 and shown as
    not used, and each condition points to its guideline topic instead of retrieved passages.
    """

    def __init__(self, conditions: ConditionBase | None = None,
                 retriever: Retriever | None = None) -> None:
        self.base = conditions if conditions is not None else load_conditions()
        if not isinstance(self.base, ConditionBase):
            raise TypeError("conditions must be a ConditionBase (knowledge.conditions.load_conditions()), "
                            f"got {type(self.base).__name__}")
        self.retriever = retriever
        self._reader = EvidenceReader(self.base)

    def warm_up(self) -> None:
        """Build the ConText pipeline and compile common phrases now (a few seconds once per
        process), so that the first real presentation is as fast as the rest."""
        self.rank("fever, cough and headache for 2 days, no rash", age_years=40, sex="female")

    def rank(self, presentation: str, age_years: int | None = None, sex: str | None = None,
             pregnant: bool | None = None, top_k: int = 10) -> Differential:
        started = time.perf_counter()
        text, age_years, sex, pregnant = validate_inputs(presentation, age_years, sex, pregnant)
        age_years, sex, pregnant = _fill_from_text(text, age_years, sex, pregnant)
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_TOP_K:
            raise ValueError(f"top_k must be an integer 1-{MAX_TOP_K}, got {top_k!r}")

        evidence = self._reader.read(text, age_years=age_years, sex=sex, pregnant=pregnant)
        read_ms = (time.perf_counter() - started) * 1000
        findings = tuple(sorted(evidence.findings.values(), key=lambda f: (not f.present, f.key)))

        scored, excluded = self._score_all(evidence, age_years, sex, pregnant)
        hits, notes = self._retrieve(text) if scored else ([], ())
        retrieval_used = self.retriever is not None and not any(n.startswith("retrieval failed") for n in notes)
        ranked = self._assemble(scored, hits, retrieval_used, top_k)
        message = None if ranked else _empty_message(evidence, excluded)
        timings = {"read_findings": read_ms, "total": (time.perf_counter() - started) * 1000}
        logger.info("ddx ranked %d conditions from %d findings in %.0f ms",
                    len(ranked), len(evidence), timings["total"])
        return Differential(conditions=tuple(ranked), findings=findings, age_years=age_years,
                            sex=sex, pregnant=pregnant, message=message,
                            retrieval_used=retrieval_used, notes=tuple(notes),
                            timings_ms=timings)

    def _score_all(self, evidence: Evidence, age_years, sex, pregnant):
        scored = []
        excluded: list[str] = []
        for condition in self.base:
            feature_score = score_features(condition, evidence, self.base.features)
            if not feature_score.supported:
                continue
            prior = prior_for(condition, age_years, sex, pregnant, evidence)
            if prior.excluded_because:
                excluded.append(f"{condition.name}: {prior.excluded_because}")
                continue
            scored.append((condition, feature_score, prior))
        return scored, excluded

    def _retrieve(self, text: str) -> tuple[list[ScoredPassage], tuple[str, ...]]:
        if self.retriever is None:
            return [], ()
        try:
            return list(self.retriever.search(text, top_k=RETRIEVAL_TOP_K)), ()
        except Exception as error:  # a failed retriever must not take the differential down
            logger.warning("ddx retrieval failed: %s", type(error).__name__)
            return [], (f"retrieval failed ({type(error).__name__}); scores use features and prior only",)

    def _assemble(self, scored, hits: list[ScoredPassage], retrieval_used: bool,
                  top_k: int) -> list[RankedCondition]:
        best_hit = max((h.score for h in hits), default=0.0)
        items = []
        for condition, feature_score, prior in scored:
            topic_hits = [h for h in hits if condition.guideline_topic
                          and h.passage.topic == condition.guideline_topic]
            retrieval = 0.0
            if retrieval_used and topic_hits and best_hit > 0:
                retrieval = RETRIEVAL_WEIGHT * max(0.0, max(h.score for h in topic_hits) / best_hit)
            parts = ScoreParts(feature=feature_score.score, prior=prior.score,
                               retrieval=retrieval, retrieval_used=retrieval_used)
            items.append(RankedCondition(
                condition=condition, rank=0, band=BAND_POSSIBLE, parts=parts,
                evidence_for=feature_score.evidence_for,
                evidence_against=feature_score.evidence_against,
                passages=_passages(condition, topic_hits, retrieval_used),
                prior_reasons=prior.reasons,
            ))
        items.sort(key=lambda r: (-r.parts.total, -r.parts.feature, not r.condition.must_not_miss,
                                  r.condition.name))
        shown = items[:top_k]
        kept = [r for r in items[top_k:] if r.condition.must_not_miss]
        best = items[0].parts.total if items else 0.0
        result = []
        for index, item in enumerate(shown + kept):
            likely = (index < LIKELY_MAX_RANK and best >= LIKELY_MIN_BEST_TOTAL
                      and item.parts.total >= LIKELY_FRACTION_OF_BEST * best)
            if likely:
                band = BAND_LIKELY
            elif item.condition.must_not_miss:
                band = BAND_MUST_NOT_MISS
            else:
                band = BAND_POSSIBLE
            result.append(replace(item, rank=index + 1, band=band,
                                  kept_as_must_not_miss=index >= len(shown)))
        return result


def validate_inputs(presentation, age_years, sex, pregnant) -> tuple[str, int | None, str | None, bool | None]:
    """Check and normalise the inputs; raise ``ValueError`` naming the field and the fix."""
    if not isinstance(presentation, str):
        raise ValueError(f"presentation must be text, got {type(presentation).__name__}")
    text = presentation.strip()
    if not text:
        raise ValueError("presentation is empty; describe the symptoms, signs or results")
    if len(text) > MAX_PRESENTATION_CHARS:
        raise ValueError(f"presentation must be at most {MAX_PRESENTATION_CHARS:,} characters, got "
                         f"{len(text):,}; keep to the relevant history and examination")
    if age_years is not None:
        if isinstance(age_years, bool) or not isinstance(age_years, int):
            raise ValueError(f"age_years must be a whole number of years (0 for infants), got {age_years!r}")
        if not 0 <= age_years <= MAX_AGE_YEARS:
            raise ValueError(f"age_years must be 0-{MAX_AGE_YEARS}, got {age_years}")
    if sex is not None:
        if not isinstance(sex, str) or sex.strip().lower() not in SEXES:
            raise ValueError(f"sex must be 'female' or 'male' (or left out), got {sex!r}")
        sex = SEXES[sex.strip().lower()]
    if pregnant is not None and not isinstance(pregnant, bool):
        raise ValueError(f"pregnant must be true, false or left out, got {pregnant!r}")
    if pregnant and sex == "male":
        raise ValueError("pregnant=true contradicts sex='male'; correct one of the two fields")
    if pregnant and age_years is not None and age_years < MIN_PREGNANCY_AGE_YEARS:
        raise ValueError(f"pregnant=true contradicts age_years={age_years}; correct one of the two fields")
    return text, age_years, sex, pregnant


def _passages(condition: Condition, topic_hits: list[ScoredPassage], retrieval_used: bool) -> tuple[dict, ...]:
    if retrieval_used and topic_hits:
        return tuple(
            {"passage_id": h.passage.passage_id, "url": h.passage.source.url,
             "section": h.passage.section, "source": h.passage.source.label(),
             "score": round(float(h.score), 4)}
            for h in sorted(topic_hits, key=lambda h: -h.score)[:PASSAGES_PER_CONDITION]
        )
    # Without retrieval, point to the guideline topic and the condition's own source.
    return ({"topic": condition.guideline_topic or None, "url": condition.source.url,
             "source": f"{condition.source.publisher}: {condition.source.title}"},)


def _empty_message(evidence: Evidence, excluded: Sequence[str]) -> str:
    if not evidence.findings:
        return NO_FINDINGS_MESSAGE
    supporting_present = [f for f in evidence.present()
                          if f.kind in {"symptom", "sign", "test"} and not f.historical]
    if not supporting_present:
        return ONLY_ABSENT_MESSAGE
    if excluded:
        shown = "; ".join(excluded[:3]) + ("; ..." if len(excluded) > 3 else "")
        return ALL_EXCLUDED_MESSAGE.format(reasons=shown)
    return NONE_SUPPORTED_MESSAGE.format(features=", ".join(f.label for f in supporting_present[:5]))


def _fill_from_text(text: str, age_years, sex, pregnant):
    """Age, sex and pregnancy the caller left empty, read from the presentation by the shared
    reader ("54 year old man", "3 yo", "28 weeks pregnant", "72岁女性"). Given values stand."""
    from assistant.clinical.patient import patient_from_text

    found = patient_from_text(text)
    if age_years is None and found.age_years is not None:
        age_years = int(found.age_years) if found.age_years >= 1 else found.age_years
    if sex is None and found.sex is not None:
        sex = found.sex
    if pregnant is None and found.pregnant and sex != "male":
        pregnant = True
    return age_years, sex, pregnant
