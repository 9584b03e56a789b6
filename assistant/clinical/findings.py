"""One findings reader for every clinical engine: ``read_findings(text, patient, vitals)``.

It returns ``Findings``: the concepts of the shared bilingual vocabulary
(``knowledge/vocabulary/*.yaml``) found in the text, each with its assertion (present, absent,
possible, historical, family, hypothetical); vital signs and test results written in the text
(``measurements``), merged with the form's vitals (a form value wins, and a disagreement is
reported); the patient's age, sex and pregnancy from the form or the text; and notes on what
could not be read (dropped control characters or emoji, impossible values, a temperature with
no unit).

English is read by medspacy ConText (``context.find_mentions``), Chinese by a cue list
(``chinese.find_chinese_mentions``); text that mixes the two is read by both. Callers may pass
``extra_terms`` (concept -> English phrases) for rule-local phrases that are not vocabulary
concepts; they are read in the same pass and come back as findings with ``local=True``.

What it does not do: decide urgency or diagnoses (triage and the differential do that), spell
correction, or any model call. Patient text is never logged.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from knowledge.vocabulary import Vocabulary, load_vocabulary

from .chinese import find_chinese_mentions, has_chinese
from .context import Mention, find_mentions
from .measurements import Measurement, read_measurements
from .news2 import Vitals
from .patient import PatientContext, complete_patient

logger = logging.getLogger(__name__)

ASSERTIONS = ("present", "possible", "absent", "historical", "family", "hypothetical")
# Form fields compared with the text when both give a value; beyond these gaps it is a conflict.
_CONFLICT_TOLERANCE = {"rr_per_min": 4, "spo2_percent": 2, "sbp_mmhg": 10, "dbp_mmhg": 10,
                       "hr_bpm": 10, "temp_c": 0.5, "glucose_mmol_l": 1.0}


@dataclass(frozen=True)
class Finding:
    """One concept in the text: what, how it is meant, and where."""

    concept: str
    term: str
    assertion: str
    start: int
    end: int
    text: str
    language: str
    kind: str = ""
    concern: bool = False
    local: bool = False  # a rule's own phrase, not a vocabulary concept

    @property
    def affirmed(self) -> bool:
        return self.assertion in ("present", "possible")

    def to_dict(self) -> dict:
        return {"concept": self.concept, "term": self.term, "assertion": self.assertion,
                "span": [self.start, self.end], "text": self.text, "language": self.language,
                "kind": self.kind}


@dataclass(frozen=True)
class Findings:
    """Everything read from one text; see the module docstring."""

    text: str
    findings: tuple[Finding, ...]
    measurements: dict[str, Measurement]
    vitals: Vitals | None
    patient: PatientContext
    notes: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    languages: frozenset[str] = field(default_factory=frozenset)

    def affirmed(self, concept: str) -> list[Finding]:
        return [f for f in self.findings if f.concept == concept and f.affirmed]

    def has(self, concept: str) -> bool:
        return any(f.concept == concept and f.affirmed for f in self.findings)

    def concept_findings(self) -> list[Finding]:
        """The vocabulary findings (without rule-local phrases), in text order."""
        return [f for f in self.findings if not f.local]

    def observation(self, name: str):
        """A vital sign or test value by field name: the form's, else the text's; else None."""
        if self.vitals is not None and hasattr(self.vitals, name):
            value = getattr(self.vitals, name)
            if value is not None:
                return value
        read = self.measurements.get(name)
        return read.value if read else None

    @property
    def recognised(self) -> bool:
        """True when anything clinical was read: a concept, a measurement or a vital."""
        return bool(self.concept_findings() or self.measurements
                    or (self.vitals is not None and not self.vitals.is_empty()))

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.concept_findings()],
                "vitals_from_text": {k: m.to_dict() for k, m in self.measurements.items()},
                "patient": self.patient.to_dict(), "notes": list(self.notes),
                "conflicts": list(self.conflicts), "languages": sorted(self.languages)}


def read_findings(text: str, patient: PatientContext | None = None,
                  vitals: Vitals | None = None,
                  extra_terms: Mapping[str, Sequence[str]] | None = None,
                  vocabulary: Vocabulary | None = None) -> Findings:
    """Read ``text`` (with the form's ``patient`` and ``vitals``); see the module docstring."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    vocabulary = vocabulary or load_vocabulary()
    cleaned, notes = clean_text(text)
    languages = set()
    if has_chinese(cleaned):
        languages.add("zh")
    if any("a" <= ch.lower() <= "z" for ch in cleaned):
        languages.add("en")

    mentions: list[tuple[Mention, str]] = []
    english_terms = vocabulary.english_terms()
    if extra_terms:
        english_terms.update({f"local:{key}": tuple(phrases)
                              for key, phrases in extra_terms.items()})
    if "en" in languages or not languages:
        mentions += [(m, "en") for m in find_mentions(cleaned, english_terms)]
    if "zh" in languages:
        mentions += [(m, "zh") for m in find_chinese_mentions(cleaned,
                                                              vocabulary.chinese_terms())]
    findings = tuple(sorted((_finding(m, language, vocabulary) for m, language in mentions),
                            key=lambda f: (f.start, -f.end, f.concept)))

    notes.extend(_contradictions(findings))
    reading = read_measurements(cleaned)
    notes.extend(m.note for m in reading.values.values() if m.note)
    notes.extend(reading.problems)
    merged, conflicts = _merge_vitals(vitals, reading.values, reading.on_oxygen)
    completed, patient_conflicts = complete_patient(patient or PatientContext(), cleaned)
    conflicts.extend(patient_conflicts)
    return Findings(text=cleaned, findings=findings, measurements=reading.values,
                    vitals=merged, patient=completed, notes=tuple(dict.fromkeys(notes)),
                    conflicts=tuple(conflicts), languages=frozenset(languages))


def clean_text(text: str) -> tuple[str, list[str]]:
    """Replace control characters and emoji by spaces (keeping offsets) and say which."""
    dropped: dict[str, int] = {}
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in "\n\t" or not (category.startswith("C") or category == "So"):
            out.append(char)
            continue
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        dropped[name] = dropped.get(name, 0) + 1
        out.append(" ")
    notes = []
    if dropped:
        listed = ", ".join(f"{name} ×{count}" if count > 1 else name
                           for name, count in sorted(dropped.items()))
        notes.append(f"dropped characters that are not text: {listed}")
    return "".join(out), notes


def _contradictions(findings: Sequence[Finding]) -> list[str]:
    """A concept both denied and affirmed ("no chest pain ... chest pain since noon"): say so.
    Both findings are kept, so the affirmed one still counts: for safety a contradiction is
    read as present."""
    notes = []
    by_concept: dict[str, set[str]] = {}
    for finding in findings:
        if not finding.local:
            by_concept.setdefault(finding.concept, set()).add(finding.assertion)
    for concept, assertions in by_concept.items():
        if "absent" in assertions and assertions & {"present", "possible"}:
            term = next(f.term for f in findings if f.concept == concept)
            notes.append(f"contradictory statements about {term.lower()}: it is both denied and "
                         "reported; treated as present for safety, check with the patient")
    return notes


def _finding(mention: Mention, language: str, vocabulary: Vocabulary) -> Finding:
    if mention.family:
        assertion = "family"
    elif mention.negated:
        assertion = "absent"
    elif mention.hypothetical:
        assertion = "hypothetical"
    elif mention.historical:
        assertion = "historical"
    elif mention.possible:
        assertion = "possible"
    else:
        assertion = "present"
    local = mention.concept.startswith("local:")
    concept_id = mention.concept.removeprefix("local:")
    concept = None if local else vocabulary.concepts.get(concept_id)
    return Finding(concept=concept_id, term=concept.term if concept else mention.matched_text,
                   assertion=assertion, start=mention.start, end=mention.end,
                   text=mention.matched_text, language=language,
                   kind=concept.kind if concept else "", concern=bool(concept and
                                                                      concept.concern),
                   local=local)


def _merge_vitals(form: Vitals | None, read: Mapping[str, Measurement],
                  on_oxygen_in_text: bool) -> tuple[Vitals | None, list[str]]:
    """The form's vitals with gaps filled from the text; conflicts named (the form wins)."""
    conflicts = []
    values = {}
    for name in _CONFLICT_TOLERANCE:
        typed = getattr(form, name) if form is not None else None
        written = read[name].value if name in read else None
        if typed is not None and written is not None and \
                abs(typed - written) > _CONFLICT_TOLERANCE[name]:
            conflicts.append(f"{name}: the form says {typed:g}, the text {written:g} "
                             f"({read[name].text!r}); the form's value is used")
        values[name] = typed if typed is not None else written
    consciousness = form.consciousness if form is not None else None
    if consciousness is None and "gcs" in read and read["gcs"].value < 15:
        consciousness = "C" if read["gcs"].value >= 13 else ("V" if read["gcs"].value >= 9
                                                              else "U")
    if all(v is None for v in values.values()) and consciousness is None:
        return form, conflicts
    on_oxygen = form.on_oxygen if form is not None else on_oxygen_in_text
    scale = form.spo2_scale if form is not None else 1
    try:
        merged = Vitals(**values, consciousness=consciousness, on_oxygen=on_oxygen or
                        on_oxygen_in_text, spo2_scale=scale)
    except ValueError as error:  # a text value the Vitals checks refuse: keep the form's
        conflicts.append(f"a value read from the text was refused ({error}); only the form's "
                         "vitals are used")
        return form, conflicts
    return merged, conflicts
