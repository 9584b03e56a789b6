"""Score one condition against the findings of a presentation: transparent, additive, pure.

The score of a condition has three parts, each shown to the clinician:

* **feature score**: each present feature the condition lists adds its weight (typical
  features 1.0, discriminating features their own weight, risk factors 0.5; an uncertain
  finding such as "?PE" adds half). Each listed feature stated absent ("no fever", "T 36.8")
  subtracts half its weight. Each present feature that argues against the condition subtracts
  its against-weight. Each present symptom, sign or test the condition does not account for
  subtracts 0.25, so that a condition explaining the whole picture beats one explaining a part.
* **prior**: prevalence in primary care (common +0.5, uncommon 0, rare -0.5) and fit to the
  patient: -1.0 outside the typical age range; excluded outside the age limits or for the
  other sex; a pregnancy-only condition is excluded when not pregnant, -0.5 when pregnancy
  is unknown and +0.5 when pregnant.
* **retrieval** (optional): the engine adds up to 1.0 for guideline passages on the
  condition's topic retrieved for the presentation (see ``engine``).

A condition is *supported* only when a present symptom, sign or test is one of its typical
features or a discriminating feature weighing at least 1.5 (a weak association such as fever
for delirium, or a risk factor or time course alone, does not put it on the list), and its
feature score is above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from assistant.clinical.ddx.evidence import Evidence, Finding
from knowledge.conditions import SUPPORTING_KINDS, Condition, Feature

TYPICAL_WEIGHT = 1.0
RISK_FACTOR_WEIGHT = 0.5
ABSENT_FACTOR = 0.5
UNCERTAIN_FACTOR = 0.5
UNEXPLAINED_PENALTY = 0.25
MIN_SUPPORTING_WEIGHT = 1.5
PREVALENCE_PRIOR = {"common": 0.5, "uncommon": 0.0, "rare": -0.5}
OUTSIDE_TYPICAL_AGE_PRIOR = -1.0
PREGNANCY_UNKNOWN_PRIOR = -0.5
PREGNANT_PRIOR = 0.5


@dataclass(frozen=True)
class Contribution:
    """One feature's effect on a condition's score, with the words it came from."""

    feature: str
    label: str
    words: tuple[str, ...]
    weight: float
    role: str  # typical | discriminating | risk factor | absent | argues against | unexplained

    def to_dict(self) -> dict:
        return {"feature": self.feature, "label": self.label, "words": list(self.words),
                "weight": round(self.weight, 2), "role": self.role}


@dataclass(frozen=True)
class FeatureScore:
    score: float
    supported: bool
    evidence_for: tuple[Contribution, ...]
    evidence_against: tuple[Contribution, ...]


@dataclass(frozen=True)
class Prior:
    score: float
    excluded_because: str | None = None
    reasons: tuple[str, ...] = ()


def score_features(condition: Condition, evidence: Evidence,
                   features: Mapping[str, Feature]) -> FeatureScore:
    """The feature score of ``condition`` (see the module docstring)."""
    positive = _positive_weights(condition)
    risk_keys = [key for key in condition.risk_factors if key not in positive]
    against = dict(condition.features_against)
    evidence_for: list[Contribution] = []
    evidence_against: list[Contribution] = []
    supported = False

    for key, (weight, role) in positive.items():
        finding = evidence.get(key)
        if finding is None:
            continue
        if finding.present and not finding.historical:
            applied = weight * (UNCERTAIN_FACTOR if finding.uncertain else 1.0)
            evidence_for.append(_contribution(finding, applied, role))
            if features[key].kind in SUPPORTING_KINDS and (role == "typical" or weight >= MIN_SUPPORTING_WEIGHT):
                supported = True
        elif not finding.present:
            evidence_against.append(_contribution(finding, -ABSENT_FACTOR * weight, "absent"))
    for key in risk_keys:
        finding = evidence.get(key)
        if finding is not None and finding.present:
            evidence_for.append(_contribution(finding, RISK_FACTOR_WEIGHT, "risk factor"))
    for key, weight in against.items():
        finding = evidence.get(key)
        if finding is not None and finding.present and not finding.historical:
            evidence_against.append(_contribution(finding, -weight, "argues against"))

    accounted = set(positive) | set(risk_keys) | set(against)
    for finding in evidence.present():
        if finding.historical or finding.via or finding.kind not in SUPPORTING_KINDS:
            continue  # an implied broader finding is counted once, through the narrower one
        if _accounted_for(finding, accounted, features):
            continue
        evidence_against.append(_contribution(finding, -UNEXPLAINED_PENALTY, "unexplained"))

    score = sum(c.weight for c in evidence_for) + sum(c.weight for c in evidence_against)
    return FeatureScore(score=score, supported=supported and score > 0,
                        evidence_for=tuple(sorted(evidence_for, key=lambda c: -c.weight)),
                        evidence_against=tuple(sorted(evidence_against, key=lambda c: c.weight)))


def prior_for(condition: Condition, age_years: int | None, sex: str | None,
              pregnant: bool | None, evidence: Evidence) -> Prior:
    """The age/sex/pregnancy/prevalence prior, or the reason the condition is excluded."""
    reasons = [f"{condition.prevalence} in primary care"]
    score = PREVALENCE_PRIOR[condition.prevalence]
    if age_years is not None:
        low, high = condition.age_limits_years
        if not low <= age_years <= high:
            return Prior(0.0, f"age {age_years} is outside {low}-{high} years")
        typical_low, typical_high = condition.typical_age_years
        if not typical_low <= age_years <= typical_high:
            score += OUTSIDE_TYPICAL_AGE_PRIOR
            reasons.append(f"age outside the typical {typical_low}-{typical_high} years")
    if condition.sex != "any" and sex is not None and sex != condition.sex:
        return Prior(0.0, f"occurs in {condition.sex} patients only")
    if condition.pregnancy == "required":
        stated = evidence.get("pregnant")
        if pregnant is False or (pregnant is None and stated is not None and not stated.present):
            return Prior(0.0, "occurs in pregnancy only")
        if sex == "male":
            return Prior(0.0, "occurs in pregnancy only")
        if pregnant:
            score += PREGNANT_PRIOR
            reasons.append("pregnant")
        elif stated is None:
            score += PREGNANCY_UNKNOWN_PRIOR
            reasons.append("pregnancy not stated")
    return Prior(score, None, tuple(reasons))


def _positive_weights(condition: Condition) -> dict[str, tuple[float, str]]:
    weights: dict[str, tuple[float, str]] = {}
    for key in condition.features:
        weights[key] = (TYPICAL_WEIGHT, "typical")
    for key, weight in condition.features_for:
        if weight >= weights.get(key, (0.0, ""))[0]:
            weights[key] = (weight, "discriminating")
    return weights


def _accounted_for(finding: Finding, accounted: set[str], features: Mapping[str, Feature]) -> bool:
    # A finding is explained when the condition lists it, the narrower finding it came from,
    # or a broader feature it implies (a condition listing "chest pain" explains "pleuritic").
    if finding.key in accounted or (finding.via and finding.via in accounted):
        return True
    return any(parent in accounted for parent in features[finding.key].implies)


def _contribution(finding: Finding, weight: float, role: str) -> Contribution:
    return Contribution(feature=finding.key, label=finding.label, words=finding.words,
                        weight=weight, role=role)
