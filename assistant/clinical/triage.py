"""Deterministic triage: free text (+ optional patient context and vitals) -> urgency level.

``triage(text, patient, vitals)`` finds the red-flag rules (``knowledge/redflags/*.yaml``) whose
phrases are affirmed in the text (negation, history, family history and hypotheticals are read
by ``assistant.clinical.context``), checks their age/sex/pregnancy/vital-sign conditions, scores
NEWS2 when vitals are given, and returns the most urgent level with the rules, their sources
and a short rationale. It never calls an LLM; ``apply_llm_escalation`` lets an LLM raise the
level afterwards but never lower it.

Five levels, most urgent first: emergency (call 999 / emergency department now), urgent (same
day, within hours), soon (within 1-3 days), routine, self-care. With no rule fired the level is
routine: the text asked for help and nothing says it can wait for self-care.

em/ne/sc follows Semigran et al., BMJ 2015 (emergent care required / non-emergent care
reasonable / self-care reasonable; their non-emergent example is otitis media, a routine GP
visit): emergency -> em; urgent, soon and routine -> ne; self-care -> sc.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

from knowledge.redflag_rules import EM_NE_SC, LEVELS, RedFlagRule, level_rank, load_rules

from .context import Mention, find_mentions
from .news2 import News2Result, Vitals, score_news2

logger = logging.getLogger(__name__)

LEVEL_ACTIONS = {
    "emergency": "Call 999 for an ambulance or go to the emergency department now.",
    "urgent": "Same-day assessment by a clinician, within hours.",
    "soon": "See a GP within 1-3 days.",
    "routine": "Book a routine GP appointment.",
    "self-care": "Self-care at home with pharmacy advice; seek help if it gets worse or new "
                 "symptoms appear.",
}
# NEWS2 clinical risk -> the least urgent level it allows (RCP 2017 Chart 3, community use).
NEWS2_FLOOR = {"high": "emergency", "medium": "urgent", "low-medium": "urgent"}

_PREGNANCY_TERMS = {"_pregnant": ["pregnant", "pregnancy", "expecting a baby", "weeks gestation",
                                  "expecting twins"]}
_AGE_PATTERNS = (
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(day|week|wk|month|mth|mo|year|yr)s?\s*-?\s*old\b",
                re.I), None),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:yo|y/o|y\.o\.)\b", re.I), "year"),
    (re.compile(r"\baged?\s+(\d+(?:\.\d+)?)\b", re.I), "year"),
    # GP shorthand "62M", "34F": upper case and no space, so "fell 3m" is not an age.
    (re.compile(r"\b(\d{1,3})[MF]\b"), "year"),
)
_UNIT_YEARS = {"day": 1 / 365.25, "week": 7 / 365.25, "wk": 7 / 365.25, "month": 1 / 12,
               "mth": 1 / 12, "mo": 1 / 12, "year": 1.0, "yr": 1.0}


@dataclass(frozen=True)
class PatientContext:
    """What is known about the patient apart from the text. All optional."""

    age_years: float | None = None
    sex: str | None = None  # "female" | "male"
    pregnant: bool | None = None

    def __post_init__(self) -> None:
        if self.age_years is not None:
            if isinstance(self.age_years, bool) or not 0 <= self.age_years <= 125:
                raise ValueError(f"age_years must be 0-125, got {self.age_years!r}")
        if self.sex is not None:
            sex = str(self.sex).strip().lower()
            sex = {"f": "female", "m": "male", "woman": "female", "man": "male"}.get(sex, sex)
            if sex not in ("female", "male"):
                raise ValueError(f"sex must be 'female' or 'male', got {self.sex!r}")
            object.__setattr__(self, "sex", sex)
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant=True contradicts sex='male'; check the patient details")


@dataclass(frozen=True)
class FiredRule:
    id: str
    title: str
    level: str
    system: str
    matched_text: tuple[str, ...]
    action: str
    source: dict
    possible: bool = False

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "level": self.level, "system": self.system,
                "matched_text": list(self.matched_text), "action": self.action,
                "source": dict(self.source), "possible": self.possible}


@dataclass(frozen=True)
class TriageResult:
    level: str
    em_ne_sc: str
    action: str
    rules: tuple[FiredRule, ...]
    news2: News2Result | None
    rationale: str
    patient: PatientContext = field(default_factory=PatientContext)
    rule_level: str = ""  # the deterministic floor, kept after any LLM escalation
    llm_level: str | None = None

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "em_ne_sc": self.em_ne_sc,
            "action": self.action,
            "rules": [rule.to_dict() for rule in self.rules],
            "news2": self.news2.to_dict() if self.news2 else None,
            "rationale": self.rationale,
            "patient": {"age_years": self.patient.age_years, "sex": self.patient.sex,
                        "pregnant": self.patient.pregnant},
            "rule_level": self.rule_level or self.level,
            "llm_level": self.llm_level,
        }


def more_urgent(first: str, second: str) -> str:
    """The more urgent of two levels."""
    return first if level_rank(first) <= level_rank(second) else second


def triage(text: str, patient: PatientContext | None = None,
           vitals: Vitals | None = None) -> TriageResult:
    """Triage free text with optional patient context and vitals; see the module docstring."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if vitals is not None and not isinstance(vitals, Vitals):
        raise TypeError(f"vitals must be a Vitals, got {type(vitals).__name__}")
    started = time.perf_counter()
    patient = patient or PatientContext()
    index = _rule_index(load_rules())

    mentions = find_mentions(text, index.terms) if text.strip() else []
    affirmed = _affirmed_by_concept(mentions)
    past = _past_by_concept(mentions)
    patient = _complete_patient(patient, text, affirmed)

    fired = [hit for rule in index.rules
             if (hit := _evaluate(rule, index, affirmed, past, patient, vitals)) is not None]
    fired.sort(key=lambda hit: (level_rank(hit.level), hit.id))

    news2 = None
    if vitals is not None and not vitals.is_empty():
        news2 = score_news2(vitals, age_years=patient.age_years, pregnant=patient.pregnant)

    level = fired[0].level if fired else "routine"
    news2_floor = NEWS2_FLOOR.get(news2.risk) if news2 and news2.applicable else None
    if news2_floor:
        level = more_urgent(level, news2_floor)
    rationale = _rationale(level, fired, news2, news2_floor)
    logger.debug("triage done: level=%s rules=%d in %.1f ms", level, len(fired),
                 (time.perf_counter() - started) * 1000)
    return TriageResult(level=level, em_ne_sc=EM_NE_SC[level], action=LEVEL_ACTIONS[level],
                        rules=tuple(fired), news2=news2, rationale=rationale, patient=patient,
                        rule_level=level)


def apply_llm_escalation(result: TriageResult, llm_level: str) -> TriageResult:
    """Let an LLM's suggested level raise ``result``'s level; it can never lower it."""
    if llm_level not in LEVELS:
        raise ValueError(f"llm_level must be one of {', '.join(LEVELS)}, got {llm_level!r}")
    floor = result.rule_level or result.level
    level = more_urgent(result.level, llm_level)
    if level == result.level:
        note = f" LLM suggested {llm_level}; the rule-based level {result.level} stands."
    else:
        note = f" Raised from {result.level} to {level} on the LLM's suggestion."
    return replace(result, level=level, em_ne_sc=EM_NE_SC[level], action=LEVEL_ACTIONS[level],
                   rationale=result.rationale + note, rule_level=floor, llm_level=llm_level)


def warm_up() -> None:
    """Load the rules and build the NLP pipeline now (about 3 s), not on the first call."""
    from .context import warm_up as build_pipeline

    _rule_index(load_rules())
    build_pipeline()


def red_flags_for_question(text: str, patient: PatientContext | None = None,
                           min_level: str = "urgent") -> list[dict]:
    """Red flags to show above any LLM text in the GP chat: fired rules at ``min_level`` or
    more urgent, most urgent first, as plain dicts (id, title, level, matched_text, action,
    source, possible). Empty when nothing alarming is affirmed."""
    cutoff = level_rank(min_level)
    result = triage(text or "", patient=patient)
    return [rule.to_dict() for rule in result.rules if level_rank(rule.level) <= cutoff]


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RuleIndex:
    rules: tuple[RedFlagRule, ...]
    terms: dict  # concept key -> phrases (shared by groups with identical phrase sets)
    group_concepts: dict  # (rule id, group index) -> concept key
    unless_concepts: dict  # rule id -> concept key


@lru_cache(maxsize=4)
def _rule_index(rules: tuple[RedFlagRule, ...]) -> _RuleIndex:
    terms: dict[str, list[str]] = dict(_PREGNANCY_TERMS)
    by_phrases: dict[tuple[str, ...], str] = {}

    def concept_for(phrases: tuple[str, ...]) -> str:
        key = tuple(sorted(set(phrases)))
        if key not in by_phrases:
            by_phrases[key] = f"c{len(by_phrases)}"
            terms[by_phrases[key]] = list(key)
        return by_phrases[key]

    group_concepts, unless_concepts = {}, {}
    for rule in rules:
        for number, group in enumerate(rule.groups):
            if group.phrases:
                group_concepts[(rule.id, number)] = concept_for(group.phrases)
        if rule.unless:
            unless_concepts[rule.id] = concept_for(rule.unless)
    return _RuleIndex(rules, terms, group_concepts, unless_concepts)


def _affirmed_by_concept(mentions: list[Mention]) -> dict[str, list[Mention]]:
    affirmed: dict[str, list[Mention]] = {}
    for mention in mentions:
        if mention.affirmed:
            affirmed.setdefault(mention.concept, []).append(mention)
    return affirmed


def _past_by_concept(mentions: list[Mention]) -> dict[str, list[Mention]]:
    """Mentions about the patient's past (historical, not negated/family/hypothetical)."""
    past: dict[str, list[Mention]] = {}
    for mention in mentions:
        if mention.historical and not (mention.negated or mention.family or mention.hypothetical):
            past.setdefault(mention.concept, []).append(mention)
    return past


def _complete_patient(patient: PatientContext, text: str,
                      affirmed: dict[str, list[Mention]]) -> PatientContext:
    """Fill age and pregnancy from the text when the caller did not give them."""
    age = patient.age_years if patient.age_years is not None else age_from_text(text)
    pregnant = patient.pregnant
    if pregnant is None and "_pregnant" in affirmed and patient.sex != "male":
        pregnant = True
    if age == patient.age_years and pregnant == patient.pregnant:
        return patient
    return PatientContext(age_years=age, sex=patient.sex, pregnant=pregnant)


def age_from_text(text: str) -> float | None:
    """Age in years from phrases like "6 week old", "54yo", "aged 70", "62M"; else None."""
    for pattern, unit in _AGE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        value = float(match.group(1))
        unit_name = unit or match.group(2).lower()
        years = value * _UNIT_YEARS[unit_name]
        if 0 <= years <= 125:
            return round(years, 3)
    return None


def _evaluate(rule: RedFlagRule, index: _RuleIndex, affirmed: dict[str, list[Mention]],
              past: dict[str, list[Mention]], patient: PatientContext,
              vitals: Vitals | None) -> FiredRule | None:
    if not _conditions_hold(rule, patient):
        return None
    matched: list[str] = []
    possible_only = True
    for number, group in enumerate(rule.groups):
        concept = index.group_concepts.get((rule.id, number))
        hits = list(affirmed.get(concept, [])) if concept else []
        if concept and group.history_ok:
            hits += past.get(concept, [])
        vital_hits = [c.describe() for c in group.vitals
                      if vitals is not None and c.holds(getattr(vitals, c.field))]
        if not hits and not vital_hits:
            return None
        matched.extend(m.matched_text for m in hits[:2])
        matched.extend(vital_hits)
        if vital_hits or any(not m.possible for m in hits):
            possible_only = False
    unless = index.unless_concepts.get(rule.id)
    if unless and unless in affirmed:
        return None
    return FiredRule(id=rule.id, title=rule.title, level=rule.level, system=rule.system,
                     matched_text=tuple(dict.fromkeys(matched)), action=rule.action,
                     source=rule.source.to_dict(), possible=possible_only)


def _conditions_hold(rule: RedFlagRule, patient: PatientContext) -> bool:
    # An age- or pregnancy-limited rule needs the fact known; a sex-limited rule only needs it
    # not contradicted (the text, e.g. "testicle", already implies it).
    if rule.age_min_years is not None or rule.age_max_years is not None:
        if patient.age_years is None:
            return False
        if rule.age_min_years is not None and patient.age_years < rule.age_min_years:
            return False
        if rule.age_max_years is not None and patient.age_years >= rule.age_max_years:
            return False
    if rule.sex and patient.sex and patient.sex != rule.sex:
        return False
    if rule.pregnant is True and not patient.pregnant:
        return False
    if rule.pregnant is False and patient.pregnant:
        return False
    return True


def _rationale(level: str, fired: list[FiredRule], news2: News2Result | None,
               news2_floor: str | None) -> str:
    parts = []
    if fired:
        top = [rule for rule in fired if rule.level == fired[0].level]
        named = "; ".join(f"{rule.title} ({', '.join(rule.matched_text[:3])})" for rule in top[:3])
        parts.append(f"{fired[0].level.capitalize()} by rule: {named}.")
        if any(rule.possible for rule in top):
            parts.append("Some findings are only possible (?), acted on for safety.")
    else:
        parts.append("No red-flag or triage rule matched; routine by default, use clinical "
                     "judgement.")
    if news2 is not None:
        text = f"NEWS2 {news2.total} ({news2.risk} risk"
        text += ", incomplete" if not news2.complete else ""
        text += ")"
        if not news2.applicable:
            text += f": {news2.note}"
        elif news2_floor and level_rank(news2_floor) < level_rank(fired[0].level if fired
                                                                  else "routine"):
            text += f" raised the level to {news2_floor}"
        parts.append(text + ".")
    parts.append(f"Level: {level}.")
    return " ".join(parts)
