"""Deterministic triage: free text (+ optional patient context and vitals) -> urgency level.

``triage(text, patient, vitals)`` reads the text once with the shared findings reader
(``findings.read_findings``: vocabulary concepts with assertions in English and Chinese, vital
signs and test results written in the text, age, sex and pregnancy), then decides in this order:

1. **Discriminators** (``knowledge/redflags/discriminators.yaml``, ``kind: discriminator``):
   general alarm features of any presentation, in the manner of the Manchester Triage System
   — airway, breathing, shock, consciousness, fitting, severe pain, haemorrhage, temperature
   for age, non-blanching rash, vital signs outside age-specific limits (NICE NG143 for
   children), critical test results. NEWS2 is scored for adults whenever vitals are known.
2. **Presentation rules** (the other ``knowledge/redflags/*.yaml``), written over concepts
   (``@concept``), phrases and vitals, each citing its source.
3. **A semantic safety net** (optional, ``semantic_net.SemanticSafetyNet``): clauses close in
   meaning to a discriminator's example sentences escalate the level, flagged "possible".

The most urgent of these decides. **Self-care needs positive evidence**: a self-care rule must
match, and no discriminator, no finding of concern and no abnormal vital sign may be present;
otherwise the level is routine and says why. A presentation no rule recognises is routine with
``coverage = "not-covered"``: never self-care. It never calls an LLM; ``apply_llm_escalation``
lets an LLM raise the level afterwards but never lower it.

Five levels, most urgent first: emergency (call 999 / emergency department now), urgent (same
day, within hours), soon (within 1-3 days), routine, self-care. em/ne/sc follows Semigran et
al., BMJ 2015: emergency -> em; urgent, soon and routine -> ne; self-care -> sc.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

from knowledge.redflag_rules import EM_NE_SC, LEVELS, RedFlagRule, Urgency, level_rank, load_rules
from knowledge.vocabulary import load_vocabulary

from .findings import Finding, Findings, read_findings
from .news2 import News2Result, Vitals, score_news2
from .patient import PatientContext, age_from_text

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
COVERED, NOT_COVERED = "covered", "not-covered"

__all__ = ["PatientContext", "age_from_text", "triage", "TriageResult", "FiredRule",
           "apply_llm_escalation", "red_flags_for_question", "LEVEL_ACTIONS", "EM_NE_SC"]


@dataclass(frozen=True)
class FiredRule:
    id: str
    title: str
    level: Urgency
    system: str
    matched_text: tuple[str, ...]
    action: str
    source: dict
    possible: bool = False
    kind: str = "rule"  # "rule" | "discriminator" | "semantic"
    spans: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "level": self.level, "system": self.system,
                "matched_text": list(self.matched_text), "action": self.action,
                "source": dict(self.source), "possible": self.possible, "kind": self.kind,
                "spans": [list(span) for span in self.spans]}


@dataclass(frozen=True)
class TriageResult:
    level: Urgency
    em_ne_sc: str
    action: str
    rules: tuple[FiredRule, ...]
    news2: News2Result | None
    rationale: str
    patient: PatientContext = field(default_factory=PatientContext)
    rule_level: str = ""  # the deterministic floor, kept after any LLM escalation
    llm_level: str | None = None
    findings: Findings | None = None
    coverage: str = COVERED
    confidence: str = "medium"  # "high" | "medium" | "low"
    notes: tuple[str, ...] = ()

    @property
    def discriminators(self) -> tuple[FiredRule, ...]:
        return tuple(rule for rule in self.rules if rule.kind in ("discriminator", "semantic"))

    def to_dict(self) -> dict:
        findings = self.findings.to_dict() if self.findings else {}
        return {
            "level": self.level,
            "em_ne_sc": self.em_ne_sc,
            "action": self.action,
            "rules": [rule.to_dict() for rule in self.rules if rule.kind == "rule"],
            "discriminators": [rule.to_dict() for rule in self.discriminators],
            "news2": self.news2.to_dict() if self.news2 else None,
            "rationale": self.rationale,
            "patient": self.patient.to_dict(),
            "rule_level": self.rule_level or self.level,
            "llm_level": self.llm_level,
            "findings": findings.get("findings", []),
            "vitals_from_text": findings.get("vitals_from_text", {}),
            "coverage": self.coverage,
            "confidence": self.confidence,
            "notes": list(self.notes),
            "conflicts": findings.get("conflicts", []),
        }


def more_urgent(first: str, second: str) -> str:
    """The more urgent of two levels."""
    return first if level_rank(first) <= level_rank(second) else second


MAX_TRIAGE_CHARS = 10_000
LONG_STANDING_DAYS = 84  # symptoms 12 weeks or longer are not self-care, whatever rule matches
# A long duration with one of these is a recurring pattern (hay fever every spring), not one
# illness that has gone on for months.
_RECURRING = re.compile(r"\b(?:every (?:year|spring|summer|autumn|winter)|each (?:year|spring|"
                        r"summer)|recurr\w*|comes and goes|on and off|flares?)\b|每年|反复|复发|"
                        r"时好时坏", re.I)
# What audit rows name as the "model" of a triage decision.
ENGINE_ID = "deterministic rules (knowledge/redflags) + NEWS2 + semantic safety net"


def triage(text: str, patient: PatientContext | None = None,
           vitals: Vitals | None = None, safety_net=None) -> TriageResult:
    """Triage free text with optional patient context and vitals; see the module docstring.

    ``safety_net`` is an optional ``SemanticSafetyNet`` (or anything with its ``check``)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if vitals is not None and not isinstance(vitals, Vitals):
        raise TypeError(f"vitals must be a Vitals, got {type(vitals).__name__}")
    if len(text) > MAX_TRIAGE_CHARS:
        # A triage note is a few lines; 50,000 characters took 22 s and is never a real note.
        raise ValueError(f"the text has {len(text):,} characters; the limit is "
                         f"{MAX_TRIAGE_CHARS:,}. Keep to the presenting complaint, history and "
                         "findings")
    started = time.perf_counter()
    index = _rule_index(load_rules())
    findings = read_findings(text, patient, vitals, extra_terms=index.local_terms)
    patient = findings.patient
    affirmed = _affirmed(findings)
    past = _past(findings)

    fired = [hit for rule in index.rules
             if (hit := _evaluate(rule, index, affirmed, past, findings)) is not None]
    news2 = None
    if findings.vitals is not None and not findings.vitals.is_empty():
        news2 = score_news2(findings.vitals, age_years=_news2_age(patient),
                            pregnant=patient.pregnant)
    news2_floor = NEWS2_FLOOR.get(news2.risk) if news2 and news2.applicable else None
    if safety_net is not None:
        fired += _semantic_hits(safety_net, findings.text, fired)
    fired.sort(key=lambda hit: (level_rank(hit.level), hit.kind != "discriminator", hit.id))

    level, coverage, notes = _decide(fired, news2, news2_floor, findings)
    confidence = _confidence(level, fired, coverage, findings)
    rationale = _rationale(level, fired, news2, news2_floor, coverage, notes)
    logger.debug("triage done: level=%s rules=%d in %.1f ms", level, len(fired),
                 (time.perf_counter() - started) * 1000)
    level = Urgency(level)
    return TriageResult(level=level, em_ne_sc=EM_NE_SC[level], action=LEVEL_ACTIONS[level],
                        rules=tuple(fired), news2=news2, rationale=rationale, patient=patient,
                        rule_level=level, findings=findings, coverage=coverage,
                        confidence=confidence,
                        notes=tuple(notes) + findings.notes + findings.conflicts)


def apply_llm_escalation(result: TriageResult, llm_level: str) -> TriageResult:
    """Let an LLM's suggested level raise ``result``'s level; it can never lower it."""
    if llm_level not in LEVELS:
        raise ValueError(f"llm_level must be one of {', '.join(LEVELS)}, got {llm_level!r}")
    floor = result.rule_level or result.level
    level = Urgency(more_urgent(result.level, llm_level))
    if level == result.level:
        note = f" LLM suggested {llm_level}; the rule-based level {result.level} stands."
    else:
        note = f" Raised from {result.level} to {level} on the LLM's suggestion."
    return replace(result, level=level, em_ne_sc=EM_NE_SC[level], action=LEVEL_ACTIONS[level],
                   rationale=result.rationale + note, rule_level=floor, llm_level=llm_level)


def warm_up() -> None:
    """Load the rules and vocabulary and build the NLP pipeline now (a few seconds)."""
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
    local_terms: dict  # rule-local concept key -> English phrases (shared by equal phrase sets)
    group_concepts: dict  # (rule id, group index) -> concept keys (local and @vocabulary)
    unless_concepts: dict  # rule id -> concept keys
    trigger_rules: dict  # vocabulary concept id -> rules whose trigger group names it
    qualifiers: frozenset  # concepts rules name only in `also` groups (sites, contexts)


@lru_cache(maxsize=4)
def _rule_index(rules: tuple[RedFlagRule, ...]) -> _RuleIndex:
    local_terms: dict[str, list[str]] = {}
    by_phrases: dict[tuple[str, ...], str] = {}

    def concepts_for(phrases: tuple[str, ...]) -> tuple[str, ...]:
        refs = tuple(p[1:] for p in phrases if p.startswith("@"))
        plain = tuple(sorted({p for p in phrases if not p.startswith("@")}))
        if not plain:
            return refs
        if plain not in by_phrases:
            by_phrases[plain] = f"r{len(by_phrases)}"
            local_terms[by_phrases[plain]] = list(plain)
        return refs + ("local:" + by_phrases[plain],)

    group_concepts, unless_concepts = {}, {}
    trigger_rules: dict[str, list[RedFlagRule]] = {}
    in_also: set[str] = set()
    for rule in rules:
        for number, group in enumerate(rule.groups):
            if group.phrases:
                group_concepts[(rule.id, number)] = concepts_for(group.phrases)
            refs = {p[1:] for p in group.phrases if p.startswith("@")}
            if number == 0:
                for ref in refs:
                    trigger_rules.setdefault(ref, []).append(rule)
            else:
                in_also |= refs
        if rule.unless:
            unless_concepts[rule.id] = concepts_for(rule.unless)
    qualifiers = frozenset(in_also - set(trigger_rules))
    return _RuleIndex(rules, local_terms, group_concepts, unless_concepts,
                      {k: tuple(v) for k, v in trigger_rules.items()}, qualifiers)


def _key(finding: Finding) -> str:
    return ("local:" if finding.local else "") + finding.concept


def _affirmed(findings: Findings) -> dict[str, list[Finding]]:
    affirmed: dict[str, list[Finding]] = {}
    for finding in findings.findings:
        if finding.affirmed:
            affirmed.setdefault(_key(finding), []).append(finding)
    return affirmed


def _past(findings: Findings) -> dict[str, list[Finding]]:
    """Findings about the patient's own past (for risk factors and background facts)."""
    past: dict[str, list[Finding]] = {}
    for finding in findings.findings:
        if finding.assertion == "historical":
            past.setdefault(_key(finding), []).append(finding)
    return past


def _evaluate(rule: RedFlagRule, index: _RuleIndex, affirmed: dict[str, list[Finding]],
              past: dict[str, list[Finding]], findings: Findings) -> FiredRule | None:
    if not _conditions_hold(rule, findings.patient):
        return None
    matched: list[str] = []
    spans: list[tuple[int, int]] = []
    possible_only = True
    for number, group in enumerate(rule.groups):
        hits: list[Finding] = []
        for concept in index.group_concepts.get((rule.id, number), ()):
            hits += affirmed.get(concept, [])
            if group.history_ok:
                hits += past.get(concept, [])
        vital_hits = [c.describe() for c in group.vitals
                      if c.holds(findings.observation(c.field))]
        if not hits and not vital_hits:
            return None
        matched.extend(h.text for h in hits[:2])
        spans.extend((h.start, h.end) for h in hits[:2])
        matched.extend(vital_hits)
        if vital_hits or any(h.assertion != "possible" for h in hits):
            possible_only = False
    for concept in index.unless_concepts.get(rule.id, ()):
        if concept in affirmed:
            return None
    return FiredRule(id=rule.id, title=rule.title, level=rule.level, system=rule.system,
                     matched_text=tuple(dict.fromkeys(matched)), action=rule.action,
                     source=rule.source.to_dict(), possible=possible_only, kind=rule.kind,
                     spans=tuple(dict.fromkeys(spans)))


def _news2_age(patient: PatientContext) -> float | None:
    """The age NEWS2 is told: the age, or for a child known only by a word ("my baby"), the
    top of that band, so NEWS2 (adults only) says it does not apply."""
    if patient.age_years is None and patient.is_child:
        return patient.age_band_years[1] - 0.01
    return patient.age_years


def _conditions_hold(rule: RedFlagRule, patient: PatientContext) -> bool:
    # An age- or pregnancy-limited rule needs the fact known; a sex-limited rule only needs it
    # not contradicted (the text, e.g. "testicle", already implies it).
    if rule.age_min_years is not None or rule.age_max_years is not None:
        if patient.age_years is None and patient.age_band_years is not None:
            # A word placed the patient ("baby", "toddler", "老太太"): the rule fires only
            # when the whole band lies within its limits.
            low, high = patient.age_band_years
            return ((rule.age_min_years is None or low >= rule.age_min_years)
                    and (rule.age_max_years is None or high <= rule.age_max_years))
        if patient.age_years is None:
            # Unknown age reads as an adult: adult limits (blood pressure, heart rate) still
            # apply, while children's and older people's rules wait for the age.
            return rule.age_max_years is None and (rule.age_min_years or 0) <= 16
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


def _semantic_hits(safety_net, text: str, fired: list[FiredRule]) -> list[FiredRule]:
    """Discriminators the safety net finds by meaning that no rule found by words."""
    already = {rule.id for rule in fired}
    hits = []
    for hit in safety_net.check(text):
        if hit.rule.id in already:
            continue
        already.add(hit.rule.id)
        hits.append(FiredRule(
            id=hit.rule.id, title=hit.rule.title, level=hit.rule.level, system=hit.rule.system,
            matched_text=(hit.clause,), action=hit.rule.action, source=hit.rule.source.to_dict(),
            possible=True, kind="semantic", spans=((hit.start, hit.end),)))
    return hits


def _decide(fired: list[FiredRule], news2: News2Result | None, news2_floor: str | None,
            findings: Findings) -> tuple[str, str, list[str]]:
    """(level, coverage, notes): the most urgent evidence, with self-care only on positive
    evidence and an unrecognised presentation at least routine."""
    notes: list[str] = []
    alarms = [rule for rule in fired if rule.level != "self-care"]
    levels = [rule.level for rule in alarms]
    if news2_floor:
        levels.append(news2_floor)
    coverage = COVERED if fired or news2_floor else NOT_COVERED
    if levels:
        return min(levels, key=level_rank), coverage, notes
    self_care = [rule for rule in fired if rule.level == "self-care"]
    if not self_care:
        if not findings.recognised:
            notes.append("No clinical findings were recognised in the text, so it is not "
                         "covered by the rule base; routine by default. Describe the "
                         "symptoms, or check the text is readable.")
        elif not findings.concept_findings():
            notes.append("Only vital signs or test results were given, and they raise no "
                         "alarm: not covered by the rule base, routine by default. Describe "
                         "the symptoms to triage them.")
        else:
            notes.append("Not covered by the rule base: no triage rule recognises this "
                         "presentation, so it is routine by default. Use clinical judgement.")
        return "routine", NOT_COVERED, notes
    blockers = _self_care_blockers(findings, news2, self_care)
    if blockers:
        notes.append(f"A self-care rule matched ({self_care[0].title}), but "
                     f"{'; '.join(blockers)}: routine instead of self-care.")
        return "routine", coverage, notes
    return "self-care", coverage, notes


def _concern_applies(finding: Finding, index: _RuleIndex, patient: PatientContext) -> bool:
    """Whether a finding of concern stands against self-care for this patient. Two kinds do
    not: a qualifier (a site or context that rules only ever use to sharpen another finding,
    such as "on her face" for a burn), and a finding whose every rule is limited to patients
    this one is not (Kawasaki's red eyes in an adult). A concern no rule names at all stands."""
    if finding.concept in index.qualifiers:
        return False
    rules = index.trigger_rules.get(finding.concept)
    if not rules:
        return True
    return any(_could_apply(rule, patient) for rule in rules)


def _could_apply(rule: RedFlagRule, patient: PatientContext) -> bool:
    """Whether what is known of the patient leaves the rule possible (unknown age, sex or
    pregnancy leave it possible; only a known fact that contradicts it rules it out)."""
    low, high = rule.age_min_years, rule.age_max_years
    if patient.age_years is not None:
        if (low is not None and patient.age_years < low) or (
                high is not None and patient.age_years >= high):
            return False
    elif patient.age_band_years is not None:
        band_low, band_high = patient.age_band_years
        if (low is not None and band_high <= low) or (high is not None and band_low >= high):
            return False
    if rule.sex and patient.sex and patient.sex != rule.sex:
        return False
    if rule.pregnant is True and (patient.pregnant is False or patient.sex == "male"):
        return False
    return True


def _self_care_blockers(findings: Findings, news2: News2Result | None,
                        self_care: list[FiredRule]) -> list[str]:
    """Why a matched self-care rule may not decide: the rule must explain the presentation."""
    blockers = []
    index = _rule_index(load_rules())
    concern = sorted({f.term for f in findings.findings
                      if f.concern and f.affirmed and _concern_applies(f, index, findings.patient)})
    if concern:
        blockers.append(f"finding(s) of concern present: {', '.join(concern[:4])}")
    explained = set().union(*(_by_id(load_rules())[rule.id].concept_refs for rule in self_care))
    explained_spans = [span for rule in self_care for span in rule.spans]
    unexplained = sorted({
        f.term for f in findings.concept_findings()
        if f.affirmed and f.kind in ("symptom", "sign", "exam") and not f.concern
        and not _is_companion(f.concept) and f.concept not in explained
        and not any(start <= f.start and f.end <= end for start, end in explained_spans)})
    if unexplained:
        blockers.append(f"finding(s) the self-care rule does not explain: "
                        f"{', '.join(unexplained[:4])}")
    if news2 is not None and news2.applicable and news2.total > 0:
        blockers.append(f"NEWS2 is {news2.total}, not 0")
    age = findings.patient.age_years
    band = findings.patient.age_band_years
    if (age is not None and age < 0.25) or (age is None and band and band[1] <= 0.25):
        blockers.append("the patient is under 3 months old")
    if findings.patient.pregnant:
        blockers.append("the patient is pregnant")
    duration = findings.observation("duration_days")
    if (duration is not None and duration >= LONG_STANDING_DAYS
            and not _RECURRING.search(findings.text)):
        # Self-care advice is for a new, short illness; one that has lasted three months or more
        # needs a clinician to look at it (NHS: see a GP if it lasts more than a few weeks).
        blockers.append(f"symptoms for {duration / 7:.0f} weeks")
    temp = findings.observation("temp_c")
    if temp is not None and (temp >= 39 or temp < 35.5):
        blockers.append(f"temperature {temp:g} °C")
    return blockers


@lru_cache(maxsize=4)
def _by_id(rules: tuple[RedFlagRule, ...]) -> dict[str, RedFlagRule]:
    return {rule.id: rule for rule in rules}


def _is_companion(concept_id: str) -> bool:
    concept = load_vocabulary().concepts.get(concept_id)
    return bool(concept and concept.companion)


def _confidence(level: str, fired: list[FiredRule], coverage: str, findings: Findings) -> str:
    if coverage == NOT_COVERED:
        return "low"
    deciding = [rule for rule in fired if rule.level == level]
    if deciding and all(rule.possible or rule.kind == "semantic" for rule in deciding):
        return "low"
    if findings.conflicts or any(f.assertion == "possible" for f in findings.findings):
        return "medium"
    return "high" if deciding else "medium"


def _rationale(level: str, fired: list[FiredRule], news2: News2Result | None,
               news2_floor: str | None, coverage: str, notes: list[str]) -> str:
    parts = []
    deciding = [rule for rule in fired if rule.level == level]
    if deciding:
        top = deciding[:3]
        named = "; ".join(f"{rule.title} ({', '.join(rule.matched_text[:3])})" for rule in top)
        kind = "discriminator" if top[0].kind != "rule" else "rule"
        parts.append(f"{top[0].level.capitalize()} by {kind}: {named}.")
        if any(rule.possible for rule in top):
            parts.append("Some findings are only possible (?) or matched by meaning, acted on "
                         "for safety.")
    elif fired:
        named = "; ".join(f"{rule.title} ({rule.level})" for rule in fired[:3])
        parts.append(f"Rules matched: {named}.")
    if news2 is not None:
        text = f"NEWS2 {news2.total} ({news2.risk} risk"
        text += ", incomplete" if not news2.complete else ""
        text += ")"
        if not news2.applicable:
            text += f": {news2.note}"
        elif news2_floor and (not fired or level_rank(news2_floor) < level_rank(fired[0].level)):
            text += f" raised the level to {news2_floor}"
        parts.append(text + ".")
    parts.extend(notes)
    parts.append(f"Level: {level}.")
    return " ".join(parts)
