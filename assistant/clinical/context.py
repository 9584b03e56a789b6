"""Find clinical terms in free text and say how each is meant: the one ConText wrapper.

``find_mentions(text, terms)`` looks for each concept's phrases (clinical words and the lay words
patients use) in ``text`` and returns one ``Mention`` per match with medspacy ConText's verdicts:
negated ("no chest pain"), possible ("?chest pain", "could it be a stroke"), historical ("stroke
in 2019"), family ("mother had a stroke") and hypothetical ("call if you get chest pain").

A phrase written ``& word word ...`` matches when every word appears, in any order, within one
clause ("& bitten mosquito" finds "bitten on the forearm by a mosquito").

Matching is case-insensitive, tolerates simple plurals (``rash`` finds "rashes") and, for
words of five letters or more, verb endings ("saved" finds "saving", "bleed" finds "bleeding"), curly
apostrophes, hyphens or spaces between words, and ``*`` in a phrase stands for up to four
intervening words ("pain * chest" finds "pain in my chest"). The spaCy pipeline (a blank English
tokenizer, a small sentence splitter and medspacy ConText with medspacy's English rules plus the
lay rules below) is built once per process and cached.

What it does not do: decide what a mention means clinically (the triage engine and the
differential-diagnosis module do that), spell correction, or any model download. Patient text
is never logged.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

logger = logging.getLogger(__name__)

SPAN_GROUP = "ruiyi_targets"
# Tokens either side of a trigger that ConText may reach: long enough for a list ("no fever,
# cough, rash or neck stiffness"), short enough that one "not" cannot swallow a whole story.
MAX_SCOPE_TOKENS = 10
WILDCARD_MAX_WORDS = 4

# medspacy's English defaults that are unsafe for triage, dropped by literal. "resolved", "now
# resolved", "no longer present" and "free" would negate a TIA or chest pain that has settled,
# which still needs urgent care; "decline" negates "declining memory"; the default family rule
# marks "my husband has crushing chest pain" as family history (replaced by FAMILY_RULES below).
_UNSAFE_DEFAULT_LITERALS = frozenset(
    {"resolved", "now resolved", "no longer present", "free", "decline", "family", "not",
     "was not", "patient was not", "return", "any other", "as needed"}
)

_RELATIVES = [
    "mother", "mum", "mom", "mam", "mummy", "father", "dad", "daddy", "brother", "brothers",
    "sister", "sisters", "grandmother", "grandfather", "gran", "granny", "grandma", "grandpa",
    "grandad", "granddad", "nan", "nana", "nanna", "aunt", "auntie", "aunty", "uncle", "cousin",
    "parents", "sibling", "siblings", "relative", "relatives", "grandparents",
]
# A relative is often the patient ("my dad has had chest pain since this morning"). A family
# modifier is ignored when the target's sentence places it in the present or the last days.
_RECENT_WORDS = re.compile(
    r"\b(today|tonight|this (morning|afternoon|evening|week)|all (morning|day|night)|now|"
    r"currently|yesterday|last (night|week)|hours?|minutes?|mins?|at the moment|suddenly|"
    r"he's|she's|keeps?|since (this|yesterday|last))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """One match of a concept's phrase in the text, with ConText's verdicts.

    ``start``/``end`` are character offsets into the original text. ``possible`` marks
    uncertainty ("?PE", "might be"); it does not stop a mention being affirmed, because an
    uncertain red flag must still be acted on.
    """

    concept: str
    matched_text: str
    start: int
    end: int
    negated: bool = False
    possible: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False

    @property
    def affirmed(self) -> bool:
        """True when the text says the patient has it now (possibly), not its absence or past."""
        return not (self.negated or self.historical or self.family or self.hypothetical)

    def to_dict(self) -> dict:
        return {
            "concept": self.concept, "matched_text": self.matched_text, "start": self.start,
            "end": self.end, "negated": self.negated, "possible": self.possible,
            "historical": self.historical, "family": self.family,
            "hypothetical": self.hypothetical, "affirmed": self.affirmed,
        }


def find_mentions(text: str, terms: Mapping[str, Sequence[str]]) -> list[Mention]:
    """Return every match of ``terms`` (concept -> phrases) in ``text``, in text order.

    One concept may match several times; matches of different concepts may overlap. Within a
    concept the longest phrase wins where two overlap. Raises ``TypeError`` for a non-string
    text and ``ValueError`` for an empty phrase.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip() or not terms:
        return []
    matchers = compile_terms(_freeze_terms(terms))
    normalized = normalize_text(text)
    raw_spans = [
        (concept, _after_leading_verb(normalized, match.start(), match.end()), match.end())
        for concept, pattern, anchors, _bags in matchers
        if pattern is not None and (anchors is None or any(a in normalized for a in anchors))
        for match in pattern.finditer(normalized)
    ]
    raw_spans += [(concept, start, end) for concept, _pattern, _anchors, bags in matchers
                  for start, end in _bag_spans(normalized, bags)]
    if not raw_spans:
        return []

    nlp, context = _pipeline()
    doc = nlp(text)
    targets = []
    kept = []
    for concept, start_char, end_char in raw_spans:
        span = doc.char_span(start_char, end_char, label=concept, alignment_mode="expand")
        if span is None:  # cannot happen with "expand", but never crash on odd whitespace
            continue
        targets.append(span)
        kept.append((concept, start_char, end_char, span))
    doc.spans[SPAN_GROUP] = targets
    context(doc)

    mentions = [
        Mention(
            concept=concept,
            matched_text=text[start_char:end_char],
            start=start_char,
            end=end_char,
            negated=bool(span._.is_negated),
            possible=bool(span._.is_uncertain),
            historical=bool(span._.is_historical),
            family=bool(span._.is_family),
            hypothetical=bool(span._.is_hypothetical),
        )
        for concept, start_char, end_char, span in kept
    ]
    mentions.sort(key=lambda m: (m.start, -m.end, m.concept))
    return mentions


_LEADING_VERB = re.compile(r"(?:has had|have had|had|has|have|got|'s had)\s+")


def _after_leading_verb(text: str, start: int, end: int) -> int:
    """Where a match starts once a leading "had"/"has"/"got" is left out ("had a stroke" ->
    "a stroke"): that verb belongs to ConText's modifiers ("mother had ..." marks family
    history), and a target overlapping its modifier would silence it."""
    verb = _LEADING_VERB.match(text, start, end)
    return verb.end() if verb and verb.end() < end else start


def normalize_text(text: str) -> str:
    """Lower-case and straighten quotes, keeping every character offset unchanged."""
    return text.lower().translate(_SAME_LENGTH_FOLD)


_SAME_LENGTH_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2013": "-", "\u2014": "-",
                                   "\u00a0": " "})


def phrase_pattern(phrase: str) -> str:
    """The regular expression (source) for one phrase; see the module docstring."""
    cleaned = normalize_text(phrase).strip()
    if not cleaned:
        raise ValueError("a term phrase must be non-empty")
    words = cleaned.split()
    parts: list[str] = []
    for index, word in enumerate(words):
        if word == "*":
            # The gap never holds a negation or a comma: "lips * blue" must not read "lips
            # not blue", nor "blood in * vomit" read "blood in stool, no vomiting".
            parts.append(f"(?:{_NOT_NEGATION}[\\w']+\\s+){{0,{WILDCARD_MAX_WORDS}}}")
            continue
        is_last = index == len(words) - 1
        parts.append(_word_pattern(word, allow_plural=is_last))
        if not is_last and words[index + 1] != "*":
            parts.append(r"[\s\-/]+")
        elif not is_last:
            parts.append(r"\s+")
    body = "".join(parts)
    # Joining "* word" leaves "[\s,]+" after the wildcard's own trailing separator; tidy by
    # making the separator after a wildcard optional.
    body = body.replace(f"{{0,{WILDCARD_MAX_WORDS}}}\\s+", f"{{0,{WILDCARD_MAX_WORDS}}}")
    left = r"(?<![\w])" if re.match(r"\w", cleaned) else ""
    right = r"(?![\w])" if re.search(r"\w$", cleaned) else ""
    return f"{left}{body}{right}"


def _word_pattern(word: str, allow_plural: bool) -> str:
    # Apostrophes are optional ("cant", "can't"); hyphens may be a space or nothing.
    pieces = []
    for char in word:
        if char == "'":
            pieces.append("'?")
        elif char == "-":
            pieces.append(r"[\s\-]?")
        else:
            pieces.append(re.escape(char))
    pattern = "".join(pieces)
    if re.fullmatch(r"[a-z]{5,}", word) and not word.endswith(("ss", "us", "is", "y", "s")):
        # Verb forms: "saved up tablets" finds "saving up my tablets", "stockpiling" finds
        # "stockpiled", "bleed" finds "bleeding". Only for words of five letters or more, so
        # short words ("hiv", "fit", "ill") keep their exact form.
        return _inflected(word)
    if allow_plural and re.fullmatch(r"[a-z]{3,}", word):
        if word.endswith("y") and word[-2] not in "aeiou":
            pattern = pattern[:-1] + "(?:y|ies)"
        elif word.endswith(("s", "x", "z", "ch", "sh")):
            pattern += "(?:es)?"
        else:
            # Only "s" here: "es" would let "hiv" match "hives".
            pattern += "s?"
    return pattern


def _inflected(word: str) -> str:
    """The word with its common English verb endings. "-ing" words keep their sense
    ("spotting" finds "spotted", never "spots"); "-ed" words find the base, "-s" and "-ing"
    forms ("saved" finds "save", "saves", "saving"); other words add "-s", "-es", "-ed",
    "-ing" (dropping a final "e": "wake" finds "waking")."""
    if word.endswith("ing") and len(word) >= 6:
        stem = word[:-3]
        return f"{re.escape(stem)}(?:ing|ed|e)"
    if word.endswith("ed") and len(word) >= 5:
        stem = word[:-2] if not word.endswith("eed") else word
        return f"{re.escape(stem)}(?:ed|e|es|ing|s)?" if stem != word else \
            f"{re.escape(word)}(?:s|ing)?"
    if word.endswith("e"):
        return f"{re.escape(word[:-1])}(?:e|es|ed|ing)"
    return f"{re.escape(word)}(?:s|es|ed|ing)?"


TermsKey = tuple[tuple[str, tuple[str, ...]], ...]


def _freeze_terms(terms: Mapping[str, Sequence[str]]) -> TermsKey:
    if isinstance(terms, Mapping):
        items = terms.items()
    else:
        raise TypeError(f"terms must map concept -> list of phrases, got {type(terms).__name__}")
    frozen = []
    for concept, phrases in items:
        if isinstance(phrases, str):
            raise TypeError(f"terms[{concept!r}] must be a list of phrases, not one string")
        frozen.append((str(concept), tuple(phrases)))
    return tuple(frozen)


@functools.lru_cache(maxsize=64)
def compile_terms(terms: TermsKey):
    """Per concept: (concept, one compiled alternation of its phrases or None, anchors, bags).

    Anchors are short substrings one of which every phrase match contains (None when a phrase
    has none): running a few hundred regular expressions over every text is the reader's main
    cost, and a substring test rules most of them out first. Bags are the ``&`` phrases ("&
    bitten mosquito"): every word, in any order, inside one clause. Cached by content."""
    compiled = []
    for concept, phrases in terms:
        plain = [p for p in phrases if not p.lstrip().startswith("&")]
        bags = tuple(_bag(p) for p in phrases if p.lstrip().startswith("&"))
        if not plain and not bags:
            raise ValueError(f"concept {concept!r} has no phrases")
        pattern = anchors = None
        if plain:
            sources = sorted({phrase_pattern(p) for p in plain}, key=len, reverse=True)
            pattern = re.compile("|".join(f"(?:{s})" for s in sources))
            found = [_anchor(p) for p in plain]
            anchors = None if None in found else tuple(set(found))
        compiled.append((concept, pattern, anchors, bags))
    return tuple(compiled)


_CLAUSE = re.compile(r"[^.;!?\n]+")
_NEGATION_WORDS = r"(?:no|not|never|without|nor|neither|denies|denied|none)"
# Lookaheads that stop a wildcard word being a negation ("not", "doesn't").
_NOT_NEGATION = rf"(?!{_NEGATION_WORDS}\b)(?![\w']*n't\b)"
_NEGATION_IN = re.compile(rf"(?<![\w']){_NEGATION_WORDS}(?![\w'])|n't\b")


def _bag(phrase: str) -> tuple[tuple[re.Pattern[str], ...], bool]:
    """The bag's word patterns, and whether one of its own words is a negation ("& not
    fade"), in which case a negation inside its stretch is part of it."""
    words = normalize_text(phrase).lstrip()[1:].split()
    if len(words) < 2:
        raise ValueError(f"an '&' phrase needs two or more words, got {phrase!r}")
    patterns = tuple(re.compile(rf"(?<![\w]){_word_pattern(w, allow_plural=True)}(?![\w])")
                     for w in words)
    return patterns, any(_NEGATION_IN.search(w) for w in words)


def _bag_spans(normalized: str, bags) -> list[tuple[int, int]]:
    """(start, end) of each clause stretch that holds every word of a bag, and no negation
    between them ("lips not blue" is not "& lips blue"; ConText reads a negation before the
    stretch as usual)."""
    spans = []
    for clause in _CLAUSE.finditer(normalized):
        for words, negation_is_part in bags:
            hits = [word.search(normalized, clause.start(), clause.end()) for word in words]
            if all(hits):
                start, end = min(h.start() for h in hits), max(h.end() for h in hits)
                if negation_is_part or not _NEGATION_IN.search(normalized, start, end):
                    spans.append((start, end))
    return spans


def _anchor(phrase: str) -> str | None:
    """A substring every match of ``phrase`` contains: up to six letters from the start of
    its longest word, cut back to what plurals and verb endings keep ("saved" -> "sav",
    "belly" -> "bell", "stockpiling" -> "stockp"). Apostrophes and hyphens are optional in a
    match, so a word is taken only between them."""
    runs = re.findall(r"[a-z]{3,}", normalize_text(phrase))
    if not runs:
        return None
    word = max(runs, key=len)
    stem = word
    if len(word) >= 5:
        if word.endswith("ing") and len(word) >= 6:
            stem = word[:-3]
        elif word.endswith("ed"):
            stem = word[:-2]
        elif word.endswith("e"):
            stem = word[:-1]
    if stem.endswith("y"):
        stem = stem[:-1]
    return stem[:6] if len(stem) >= 3 else None


# --- the spaCy / medspacy pipeline, built once -------------------------------------------


@functools.lru_cache(maxsize=1)
def _pipeline():
    """Build (tokenizer + sentence splitter, ConText component); slow, so cached."""
    try:
        import spacy
        from spacy.language import Language
        from medspacy.context import ConText, ConTextRule
    except Exception as error:  # ImportError or a binary mismatch (numpy ABI) inside spaCy
        raise RuntimeError(
            "medspacy/spaCy could not be imported, so clinical text cannot be read: "
            f"{error}. Install spacy>=3.8 with thinc>=8.3 (numpy 2 builds) and medspacy."
        ) from error

    if not Language.has_factory("ruiyi_sentences"):
        Language.component("ruiyi_sentences", func=_split_sentences)
    nlp = spacy.blank("en")
    nlp.add_pipe("ruiyi_sentences")
    # No global max_scope: medspacy then uses fixed windows that cross sentence boundaries
    # ("No fever. Chest pain" would negate the chest pain). Each rule gets a cap instead and
    # the sentence still bounds it.
    context = ConText(
        nlp,
        rules=None,
        input_span_type="group",
        span_group_name=SPAN_GROUP,
        prune_on_target_overlap=True,
    )
    rules = [r for r in ConTextRule.from_json(_default_rules_path())
             if r.literal.lower() not in _UNSAFE_DEFAULT_LITERALS]
    rules.extend(_lay_rules(ConTextRule))
    for rule in rules:
        if rule.max_scope is None and rule.direction.upper() != "TERMINATE":
            rule.max_scope = MAX_SCOPE_TOKENS
    context.add(rules)
    logger.info("clinical context pipeline built with %d ConText rules", len(rules))
    return nlp, context


def _default_rules_path() -> str:
    import medspacy.context.context as context_module

    # medspacy keeps its rule files in a top-level "resources" folder beside the package.
    path = Path(context_module.__file__).resolve().parents[2] / "resources" / "en" / "context_rules.json"
    if not path.is_file():
        raise RuntimeError(f"medspacy's English ConText rules are missing at {path}")
    return str(path)


_SENTENCE_END = frozenset({".", "!", ";", "...", "…", "。", "！", "；"})


def _split_sentences(doc):
    """Split after . ! ; and line breaks, and after a "?" followed by a space, but not after
    a "?" glued to the next word ("?PE", "?chest pain"), which marks uncertainty instead."""
    for index, token in enumerate(doc):
        if index == 0:
            token.is_sent_start = True
            continue
        previous = doc[index - 1]
        ends = (
            previous.text in _SENTENCE_END
            or (previous.text == "?" and previous.whitespace_ != "")
            or "\n" in previous.text and previous.is_space
            or "\n" in previous.whitespace_
        )
        token.is_sent_start = bool(ends) and not (token.is_punct and token.text != "?")
    return doc


def _lay_rules(rule_class) -> list:
    """ConText rules for the words patients, carers and nurses type (project's own list)."""
    R = rule_class

    def lower_in(*words: str) -> dict:
        return {"LOWER": {"IN": list(words)}}

    rules = [
        # --- negation ---------------------------------------------------------------------
        R("not", "NEGATED_EXISTENCE", pattern=[lower_in("not", "n't")], direction="FORWARD",
          max_scope=3),
        R("not had", "NEGATED_EXISTENCE",
          pattern=[lower_in("not", "n't"), lower_in("had", "got", "have", "having", "noticed",
                                                    "any", "seen", "felt", "been")],
          direction="FORWARD", max_scope=8),
        R("never", "NEGATED_EXISTENCE", direction="FORWARD", max_scope=6),
        R("no sign of", "NEGATED_EXISTENCE", pattern=[lower_in("no"), lower_in("sign", "signs"),
                                                      {"LOWER": "of"}], direction="FORWARD"),
        R("none", "NEGATED_EXISTENCE", direction="BACKWARD", max_scope=4),
        R("nil", "NEGATED_EXISTENCE", direction="FORWARD", max_scope=4),
        R("nor", "NEGATED_EXISTENCE", pattern=[lower_in("nor", "neither")], direction="FORWARD",
          max_scope=4),
        R("ruled out", "NEGATED_EXISTENCE",
          pattern=[lower_in("excluded", "ruled")], direction="BACKWARD", max_scope=5),
        R("gone now", "NEGATED_EXISTENCE", pattern=[lower_in("gone"), {"LOWER": "away", "OP": "?"}],
          direction="BACKWARD", max_scope=4),
        # --- uncertainty ------------------------------------------------------------------
        R("?", "POSSIBLE_EXISTENCE", pattern=[{"TEXT": "?", "SPACY": False}],
          direction="FORWARD", max_scope=4),
        R("query", "POSSIBLE_EXISTENCE", pattern=[lower_in("query", "querying", "suspected",
                                                            "suspect", "maybe", "perhaps",
                                                            "presumed")],
          direction="FORWARD", max_scope=5),
        R("could it be", "POSSIBLE_EXISTENCE",
          pattern=[lower_in("could", "can", "might", "may"), lower_in("it", "this", "that"),
                   {"LOWER": "be"}], direction="FORWARD", max_scope=6),
        R("is it", "POSSIBLE_EXISTENCE",
          pattern=[lower_in("is", "was"), lower_in("it", "this", "that"),
                   {"LOWER": {"IN": ["a", "an"]}, "OP": "?"}], direction="FORWARD", max_scope=4),
        R("worried it is", "POSSIBLE_EXISTENCE",
          pattern=[lower_in("worried", "scared", "afraid", "concerned", "wonder", "wondering"),
                   lower_in("it", "it's", "that", "this", "he", "she", "about", "if"),
                   {"OP": "?"}], direction="FORWARD", max_scope=6),
        R("not sure if", "POSSIBLE_EXISTENCE",
          pattern=[lower_in("not", "n't"), lower_in("sure", "certain"), lower_in("if", "whether")],
          direction="FORWARD", max_scope=6),
        # --- hypothetical -----------------------------------------------------------------
        R("in case", "HYPOTHETICAL", pattern=[{"LOWER": "in"}, {"LOWER": "case"}],
          direction="FORWARD", max_scope=8),
        R("should", "HYPOTHETICAL",
          pattern=[lower_in("should", "would"), lower_in("i", "we", "he", "she", "they")],
          direction="FORWARD", max_scope=6),
        R("what to do if", "HYPOTHETICAL", pattern=[lower_in("what"), lower_in("if", "happens")],
          direction="FORWARD", max_scope=8),
        R("risk of", "HYPOTHETICAL",
          pattern=[lower_in("risk", "risks", "chance", "chances", "prevent", "preventing",
                            "prevention", "screening")],
          direction="FORWARD", max_scope=5),
        R("advice", "HYPOTHETICAL", pattern=[lower_in("advice", "information", "leaflet"),
                                             lower_in("about", "on", "for", "regarding")],
          direction="FORWARD", max_scope=6),
        R("when to", "HYPOTHETICAL", pattern=[lower_in("when"), lower_in("to")],
          direction="FORWARD", max_scope=6),
        R("safety net", "HYPOTHETICAL",
          pattern=[lower_in("return", "call", "ring", "phone", "seek"),
                   lower_in("if", "back", "999", "111", "help")],
          direction="FORWARD", max_scope=8),
        # --- history ----------------------------------------------------------------------
        R("in 2019", "HISTORICAL",
          pattern=[lower_in("in", "back", "during"),
                   {"TEXT": {"REGEX": r"^(19[5-9]\d|20[0-2]\d)$"}}],
          direction="BIDIRECTIONAL", max_scope=6),
        R("years ago", "HISTORICAL",
          pattern=[{"LIKE_NUM": True, "OP": "?"}, lower_in("years", "year", "yrs", "decade",
                                                           "decades"),
                   lower_in("ago", "back", "previously")],
          direction="BACKWARD", max_scope=3),
        R("last year", "HISTORICAL",
          pattern=[lower_in("last", "previous", "prior"), lower_in("year", "summer", "winter",
                                                                   "spring", "autumn", "decade")],
          direction="BIDIRECTIONAL", max_scope=6),
        R("as a child", "HISTORICAL",
          pattern=[lower_in("as", "when"), lower_in("a"), lower_in("child", "kid", "teenager",
                                                                    "baby")],
          direction="BIDIRECTIONAL", max_scope=6),
        R("previous", "HISTORICAL",
          pattern=[lower_in("previous", "previously", "prior", "pmh", "pmhx", "background",
                            "hx")],
          direction="FORWARD", max_scope=5),
        R("history of", "HISTORICAL",
          pattern=[lower_in("history"), lower_in("of")], direction="FORWARD", max_scope=6),
        R("used to", "HISTORICAL", pattern=[lower_in("used"), lower_in("to")],
          direction="FORWARD", max_scope=5),
        # --- family history ---------------------------------------------------------------
        R("family history", "FAMILY",
          pattern=[lower_in("family", "fh", "fhx"), lower_in("history", "hx", "of", "with"),
                   {"LOWER": "of", "OP": "?"}],
          direction="FORWARD", max_scope=8),
        R("fh", "FAMILY", pattern=[lower_in("fh", "fhx")], direction="FORWARD", max_scope=6),
        R("runs in the family", "FAMILY",
          pattern=[lower_in("runs", "run", "running"), lower_in("in"),
                   lower_in("the", "my", "our", "his", "her"), lower_in("family")],
          direction="BACKWARD", max_scope=6),
        R("relative had", "FAMILY",
          pattern=[lower_in(*_RELATIVES), {"LOWER": {"IN": ["'s", "has", "have", "was", "got"]},
                                           "OP": "?"},
                   lower_in("had", "died", "passed", "diagnosed", "suffered", "developed")],
          direction="FORWARD", max_scope=8, on_modifies=_family_applies),
        # --- terminators: "but", "now" and first-person restarts end every scope ---------
        R("but now", "TERMINATE_ALL",
          pattern=[lower_in("but", "however", "although", "though", "whereas", "except",
                            "yet", "now", "today", "tonight", "currently", "presenting",
                            "presents")],
          direction="TERMINATE"),
        R("here with", "TERMINATE_ALL",
          pattern=[lower_in("here", "comes", "came", "attends", "attending", "calling",
                            "ringing"), lower_in("with", "for", "about", "because", "in")],
          direction="TERMINATE"),
    ]
    return rules


def _family_applies(target, modifier, span_between) -> bool:
    """A relative's "had" marks family history unless the sentence is about now (see above)."""
    sentence_text = target.sent.text if target.doc.has_annotation("SENT_START") else target.doc.text
    return _RECENT_WORDS.search(sentence_text) is None


def warm_up() -> None:
    """Build the pipeline now (about a second) so the first real call is fast."""
    _pipeline()


def mentions_by_concept(mentions: Iterable[Mention]) -> dict[str, list[Mention]]:
    """Group mentions by concept, keeping text order inside each group."""
    grouped: dict[str, list[Mention]] = {}
    for mention in mentions:
        grouped.setdefault(mention.concept, []).append(mention)
    return grouped
