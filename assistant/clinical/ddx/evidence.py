"""Turn a presentation into findings: which features are present, which are stated absent.

Phrases of the shared feature vocabulary are found with ``assistant.clinical.context.
find_mentions`` (medspacy ConText), so "no fever" is an absent fever, "?PE" a present but
uncertain finding, "mother had breast cancer" family history (not the patient's finding) and
"stroke in 2019" history. Numbers are read by ``readings`` ("T 36.8" is an absent fever).
A present finding also counts for the broader features it ``implies`` ("pleuritic chest pain"
is a "chest pain"); an absent one does not. The pregnancy field of the form is a finding too.

What it does not do: weigh findings for a diagnosis (``scoring``), or log the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from assistant.clinical.context import Mention, find_mentions
from assistant.clinical.ddx.readings import ReadingContext, read_numbers
from knowledge.conditions import ConditionBase, Feature

# A phrase word such as "temperature" followed by a number is left to the number reader, so
# that "temperature 36.8" is not read as a fever.
_NUMBER_AFTER = re.compile(r"^\s*(?:of|was|were|is|at|:|=|-)?\s*\d")
ABSENT_SUFFIX = "__absent"
# Phrases that state a feature is absent without a negation word ("afebrile", "chest clear").
ABSENT_PHRASES: Mapping[str, tuple[str, ...]] = {
    "fever": ("afebrile", "apyrexial", "normothermic"),
    "focal-chest-signs": ("chest clear", "chest is clear", "clear chest", "lungs clear",
                          "chest clear on examination"),
    "crackles": ("chest clear", "chest is clear", "clear chest", "lungs clear"),
    "hearing-loss": ("hearing normal", "hearing is fine", "hearing fine", "hearing is normal"),
    "blurred-vision": ("vision normal", "vision is normal", "normal vision", "vision fine"),
    "tachycardia": ("pulse normal", "heart rate normal"),
    "smoker": ("non-smoker", "non smoker", "nonsmoker", "never smoked", "never smoker",
               "doesn't smoke", "does not smoke", "lifelong non-smoker"),
    "alcohol-excess": ("non-drinker", "non drinker", "teetotal", "doesn't drink", "does not drink"),
}
FORM_SOURCE = "form"

# ConText lets a forward negation ("no", "denies") reach up to 10 tokens, across commas. In GP
# shorthand a comma usually ends the negated item ("no injury, overweight, reduced internal
# rotation"): a negated mention after a comma keeps its negation only when it is part of a list
# closed by "or"/"nor" ("no fever, cough or rash") or is itself introduced by a negation.
_NEGATION_CUE = re.compile(
    r"\b(?:no|not|nil|without|denies|denied|denying|never|none|neither|nor|negative for|"
    r"absence of|free of)\b|n't\b", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.;!?\n]")
_LIST_CLOSER = re.compile(r"\b(?:or|nor)\b", re.IGNORECASE)
_LIST_SPLIT = re.compile(r",|\b(?:or|nor|and)\b", re.IGNORECASE)
# Cues strong enough to carry a negation along a list that ConText's 10-token scope cannot
# reach ("Denies headache, seizure, vision changes, chest pain, dyspnea, nausea, or fever"),
# or after a colon, where medspacy's default ": no" rule negates backwards only ("Inspection:
# no distension" would otherwise leave the distension present).
_STRONG_CUE = re.compile(r"\b(?:no|nil|denies|denied|denying|without|not\s+(?:report|have|had|complain))\b",
                         re.IGNORECASE)
_MAX_LIST_ITEM_WORDS = 4
# "Can't stop scratching", "won't stop coughing": the negation word says the finding persists.
_PSEUDO_NEGATION_BEFORE = re.compile(
    r"(?:can'?t|cannot|won'?t|doesn'?t|does not|couldn'?t|could not|not able to)\s+"
    r"(?:stop|help|get rid of|shake off)\s+(?:\w+\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One feature of the vocabulary as the presentation states it.

    ``present`` is True when stated present (or implied by a present narrower finding) and
    False when stated absent. ``words`` are the exact text spans it came from; ``via`` names
    the narrower feature it was implied by. ``uncertain`` marks "?", "might be" mentions;
    ``historical`` marks a past finding that only counts as a risk factor.
    """

    key: str
    label: str
    kind: str
    present: bool
    words: tuple[str, ...]
    uncertain: bool = False
    historical: bool = False
    via: str | None = None

    def to_dict(self) -> dict:
        data = {"feature": self.key, "label": self.label, "kind": self.kind,
                "present": self.present, "words": list(self.words)}
        if self.uncertain:
            data["uncertain"] = True
        if self.historical:
            data["historical"] = True
        if self.via:
            data["implied_by"] = self.via
        return data


@dataclass(frozen=True)
class Evidence:
    """All findings of one presentation, keyed by feature."""

    findings: Mapping[str, Finding] = field(default_factory=dict)

    def present(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.present]

    def absent(self) -> list[Finding]:
        return [f for f in self.findings.values() if not f.present]

    def get(self, key: str) -> Finding | None:
        return self.findings.get(key)

    def __len__(self) -> int:
        return len(self.findings)


class EvidenceReader:
    """Reads presentations against one feature vocabulary (phrase table built once)."""

    def __init__(self, base: ConditionBase) -> None:
        self._features: Mapping[str, Feature] = base.features
        terms = base.phrase_terms()
        for key, phrases in ABSENT_PHRASES.items():
            if key in terms:
                terms[key + ABSENT_SUFFIX] = list(phrases)
        self._terms = terms
        self._anchors = {key: [_anchor_words(p) for p in phrases] for key, phrases in terms.items()}

    def candidate_terms(self, text: str) -> dict[str, list[str]]:
        """The concepts that can possibly match ``text``: every word of one of their phrases
        occurs in it. Passing only these to ``find_mentions`` keeps long texts fast; the check is
        on letters and digits only, so it never drops a concept the matcher would find."""
        squashed = _squash(text)
        return {key: self._terms[key] for key, phrase_anchors in self._anchors.items()
                if any(all(word in squashed for word in words) for words in phrase_anchors)}

    def read(self, text: str, age_years: int | None = None, sex: str | None = None,
             pregnant: bool | None = None) -> Evidence:
        terms = self.candidate_terms(text)
        found = find_mentions(text, terms) if terms else []
        mentions = [_extend_negation_along_list(_limit_negation_to_list(m, text), text)
                    for m in found if self._keep(m, text)]
        mentions = _drop_inside_absence_phrases(mentions)
        mentions.extend(read_numbers(text, ReadingContext(age_years=age_years, sex=sex)))
        if pregnant is not None:
            mentions.append(Mention(concept="pregnant", matched_text=f"pregnant: {'yes' if pregnant else 'no'} ({FORM_SOURCE})",
                                    start=-1, end=-1, negated=not pregnant))
        return self._combine(mentions)

    def _keep(self, mention: Mention, text: str) -> bool:
        feature = self._features.get(mention.concept.removesuffix(ABSENT_SUFFIX))
        if feature is None:
            return False
        if feature.numeric_words and mention.matched_text.lower() in feature.numeric_words:
            return not _NUMBER_AFTER.match(text[mention.end:mention.end + 16])
        return True

    def _combine(self, mentions: Iterable[Mention]) -> Evidence:
        present_words: dict[str, list[str]] = {}
        uncertain_only: dict[str, bool] = {}
        historical_words: dict[str, list[str]] = {}
        absent_words: dict[str, list[str]] = {}
        for mention in mentions:
            key, states_absence = _concept_of(mention.concept)
            feature = self._features[key]
            if mention.hypothetical:
                continue
            if mention.family and not feature.family_ok:
                continue
            if states_absence and mention.negated:
                continue  # "not afebrile": too tangled to trust either way
            if states_absence or mention.negated:
                absent_words.setdefault(key, []).append(mention.matched_text)
            elif mention.historical and not (feature.kind == "risk"):
                historical_words.setdefault(key, []).append(mention.matched_text)
            else:
                present_words.setdefault(key, []).append(mention.matched_text)
                uncertain_only[key] = uncertain_only.get(key, True) and mention.possible

        findings: dict[str, Finding] = {}
        for key, words in present_words.items():
            findings[key] = self._finding(key, True, words, uncertain=uncertain_only[key])
        # A present narrower finding makes the broader one present ("pleuritic" -> chest pain).
        for key in list(findings):
            self._imply(findings, key, findings[key])
        for key, words in historical_words.items():
            if key not in findings:
                # A past symptom is only context: it shows, but a risk-kind finding is what counts.
                findings[key] = self._finding(key, True, words, historical=True)
        for key, words in absent_words.items():
            if key not in findings:  # stated present anywhere wins over stated absent
                findings[key] = self._finding(key, False, words)
        return Evidence(findings=findings)

    def _imply(self, findings: dict[str, Finding], key: str, source: Finding) -> None:
        for parent in self._features[key].implies:
            existing = findings.get(parent)
            if existing is not None and existing.present and not existing.historical:
                continue
            findings[parent] = self._finding(parent, True, source.words, uncertain=source.uncertain,
                                             via=key)
            self._imply(findings, parent, findings[parent])

    def _finding(self, key: str, present: bool, words: Iterable[str], uncertain: bool = False,
                 historical: bool = False, via: str | None = None) -> Finding:
        feature = self._features[key]
        unique_words = tuple(dict.fromkeys(w for w in words if w))
        return Finding(key=key, label=feature.label, kind=feature.kind, present=present,
                       words=unique_words, uncertain=uncertain, historical=historical, via=via)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def _anchor_words(phrase: str) -> tuple[str, ...]:
    words = []
    for word in phrase.lower().split():
        if word == "*":
            continue
        squashed = _squash(word)
        # The matcher accepts "ies" for a final consonant + "y" ("biopsy" -> "biopsies").
        if len(squashed) > 3 and squashed.endswith("y") and squashed[-2] not in "aeiou":
            squashed = squashed[:-1]
        if squashed:
            words.append(squashed)
    return tuple(words)


def _limit_negation_to_list(mention: Mention, text: str) -> Mention:
    """Undo a forward negation that ConText carried past a comma (see ``_NEGATION_CUE``) or
    that comes from "can't stop" and the like."""
    if not mention.negated or mention.start < 0:
        return mention
    if _PSEUDO_NEGATION_BEFORE.search(text[max(0, mention.start - 30):mention.start]):
        return replace(mention, negated=False)
    sentence_start = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, mention.start)), default=0)
    cues = list(_NEGATION_CUE.finditer(text, sentence_start, mention.start))
    if not cues:
        return mention  # negated by a backward cue ("ruled out", "gone") or pseudo-rule
    between = text[cues[-1].end():mention.start]
    if "," not in between:
        return mention
    if _LIST_CLOSER.search(between.rsplit(",", 1)[-1]):
        return mention  # last item of "no fever, cough or rash"
    following = _SENTENCE_BREAK.split(text[mention.end:], maxsplit=1)[0]
    if _LIST_CLOSER.search(following):
        return mention  # an earlier item of a list that closes with "or"
    return replace(mention, negated=False)


def _extend_negation_along_list(mention: Mention, text: str) -> Mention:
    """Negate a mention ConText left affirmed when it sits right after "Heading: no" or inside
    a list of short items opened by a strong negation and closed by "or"/"nor"."""
    if mention.negated or mention.start < 0 or mention.concept.endswith(ABSENT_SUFFIX):
        return mention
    sentence_start = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, mention.start)), default=0)
    cues = list(_STRONG_CUE.finditer(text, sentence_start, mention.start))
    if not cues:
        return mention
    cue = cues[-1]
    between = text[cue.end():mention.start]
    after_colon = text[sentence_start:cue.start()].rstrip().endswith(":")
    if after_colon and "," not in between and len(between.split()) <= 3:
        return replace(mention, negated=True)
    if "," not in between:
        return mention
    items = [item for item in _LIST_SPLIT.split(between) if item.strip()]
    if any(len(item.split()) > _MAX_LIST_ITEM_WORDS for item in items):
        return mention
    following = _SENTENCE_BREAK.split(text[mention.end:], maxsplit=1)[0]
    closes_here = bool(_LIST_CLOSER.search(between.rsplit(",", 1)[-1]))
    closes_later = bool(_LIST_CLOSER.search(following)) and all(
        len(item.split()) <= _MAX_LIST_ITEM_WORDS
        for item in _LIST_SPLIT.split(following.split(" or ")[0]) if item.strip())
    if closes_here or closes_later:
        return replace(mention, negated=True)
    return mention


def _drop_inside_absence_phrases(mentions: list[Mention]) -> list[Mention]:
    """"Non-smoker" also contains "smoker": the absence phrase wins over the word inside it."""
    absent_spans = [(m.concept.removesuffix(ABSENT_SUFFIX), m.start, m.end) for m in mentions
                    if m.concept.endswith(ABSENT_SUFFIX)]
    if not absent_spans:
        return mentions
    return [m for m in mentions
            if not any(m.concept == key and start <= m.start and m.end <= end
                       for key, start, end in absent_spans)]


def _concept_of(concept: str) -> tuple[str, bool]:
    if concept.endswith(ABSENT_SUFFIX):
        return concept.removesuffix(ABSENT_SUFFIX), True
    return concept, False
