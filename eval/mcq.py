"""Multiple-choice answers: the prompt, and the extractor that finds the chosen option.

``extract_choice`` reads a model's reply and returns the option key it chose, or ``None`` with
the reason when it cannot tell; callers count those as wrong *and* report how many there were,
so a model that stops following the format is visible instead of silently scoring zero.
``mirage_answer_segment`` applies the MIRAGE authors' location rule (first output, the text
after ``"answer_choice": "``). This module does not call models or compute accuracy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

MCQ_SYSTEM_PROMPT = (
    "You are a careful medical expert answering a multiple-choice question. Think step by "
    "step, then reply with a JSON object and nothing else: "
    '{"step_by_step_thinking": "...", "answer_choice": "<one option letter>"}'
)

MCQ_USER_TEMPLATE = "{evidence}Question: {question}\n\nOptions:\n{options}\n\nAnswer with the JSON object."

EVIDENCE_TEMPLATE = "Relevant documents:\n{passages}\n\n"

MIRAGE_ANSWER_MARKER = '"answer_choice": "'

# Keys that may hold the answer when a reply is (or contains) a JSON object.
_JSON_ANSWER_KEYS = ("answer_choice", "answer", "choice", "final_answer")


@dataclass(frozen=True)
class ChoiceExtraction:
    """The option chosen (a key of the options) or ``None``, and the rule that decided it.

    ``rule`` is one of: ``letter`` (a bare or punctuated letter), ``json`` (a JSON answer
    field), ``letter+text`` (a letter followed by its option's text), ``answer-is`` (a phrase such as "the answer is C"), ``option`` (a single option
    named as "option C"), ``option-text`` (the text of one option), ``line`` (a line holding
    only a letter), or, when ``choice`` is ``None``: ``empty``, ``ambiguous``, ``unparsed``.
    """

    choice: str | None
    rule: str

    @property
    def parsed(self) -> bool:
        return self.choice is not None


def format_options(options: Mapping[str, str]) -> str:
    return "\n".join(f"{key}. {text}" for key, text in options.items())


def build_mcq_messages(question: str, options: Mapping[str, str],
                       evidence: Sequence[str] = ()) -> list[dict[str, str]]:
    """Chat messages for one question; ``evidence`` passages are numbered into the prompt."""
    evidence_text = ""
    if evidence:
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(evidence, 1))
        evidence_text = EVIDENCE_TEMPLATE.format(passages=numbered)
    user = MCQ_USER_TEMPLATE.format(evidence=evidence_text, question=question,
                                    options=format_options(options))
    return [{"role": "system", "content": MCQ_SYSTEM_PROMPT}, {"role": "user", "content": user}]


def mirage_answer_segment(outputs: Sequence[str] | str) -> str:
    """The MIRAGE location rule: the first output, from after the last ``"answer_choice": "``.

    When the marker is absent the whole first output is returned (MIRAGE's ``split(...)[-1]``).
    """
    if isinstance(outputs, str):
        first = outputs
    else:
        first = outputs[0] if len(outputs) else ""
    return (first or "").split(MIRAGE_ANSWER_MARKER)[-1].strip()


def extract_choice(text: str | None, options: Mapping[str, str] | Sequence[str] = "ABCD") -> ChoiceExtraction:
    """Find the option a reply chose. ``options`` maps keys to option texts (or lists keys).

    Rules, in order: a JSON answer field; "answer is C" / "Answer: C" / "the correct option
    is C" (the last one wins, because reasoning often discusses options before concluding); a
    reply that starts with a letter ("B", "(B)", "B. Pelvis", "B or C") unless it lists several
    options; one letter followed by its own option text ("would be C. Report the physician");
    "option C" when only one option is named; a line holding only a letter; the exact text of
    one option (e.g. "yes" for PubMedQA). Anything else is unparsed: "None of the above",
    "Cannot be determined" or a bare list of the options is no answer.
    """
    option_texts = _option_texts(options)
    keys = tuple(option_texts)
    if text is None or not str(text).strip():
        return ChoiceExtraction(None, "empty")
    text = _strip_markdown(str(text))

    json_value = _json_answer_value(text)
    if json_value is not None:
        found = _match_short_value(json_value, keys, option_texts)
        return ChoiceExtraction(found, "json") if found else ChoiceExtraction(None, "unparsed")

    return _match_free_text(text, keys, option_texts)


def _option_texts(options: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(options, Mapping):
        texts = {str(k): str(v) for k, v in options.items()}
    else:
        texts = {str(k): "" for k in options}
    if not texts:
        raise ValueError("options must name at least one choice, got none")
    return texts


def _strip_markdown(text: str) -> str:
    # Bold/italic markers and code fences hide letters from the patterns ("**Answer:** B").
    text = re.sub(r"```(?:json)?", "", text)
    return text.replace("**", "").replace("__", "").strip()


def _json_answer_value(text: str) -> str | None:
    """The answer field of a JSON reply, or None when the reply is not JSON with one."""
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        return None
    try:
        data = json.loads(text[start:end + 1])
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    for key in _JSON_ANSWER_KEYS:
        if key in data and isinstance(data[key], (str, int, float)):
            return str(data[key])
    return None


def _key_class(keys: Sequence[str]) -> str:
    return "(" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + ")"


def _match_short_value(value: str, keys: Sequence[str], option_texts: Mapping[str, str],
                       allow_text: bool = True) -> str | None:
    """A value that *is* an answer: "B", "(B)", "B.", "B. Pelvis", "B or C", "Option B"."""
    key = _key_class(keys)
    value = value.strip()
    patterns = (
        rf"^\(?{key}\)?\s*$",
        rf"^\(?{key}\)?\s*(?:[.):,/\"\]]|-\s|\s+or\b|\s+and\b)",
        # "Option B", "Answer: B." but not "Option A and option C are plausible".
        rf"^(?i:option|choice|answer)\s*:?\s*\(?{key}\)?\s*(?:$|[.):,/\"\]]|-\s)",
    )
    for pattern in patterns:
        match = re.search(pattern, value)
        if match:
            return match.group(1)
    if allow_text:
        return _match_option_text(value, option_texts)
    return None


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(".,;:!\"'").strip().lower()


def _match_option_text(value: str, option_texts: Mapping[str, str]) -> str | None:
    wanted = _normalise(value)
    if not wanted:
        return None
    hits = [k for k, text in option_texts.items() if text and _normalise(text) == wanted]
    if len(hits) == 1:
        return hits[0]
    # "Yes, because ..." for single-word options such as yes / no / maybe.
    first_word = re.split(r"[\s,.;:]", wanted, maxsplit=1)[0]
    hits = [k for k, text in option_texts.items()
            if text and " " not in _normalise(text) and _normalise(text) == first_word]
    return hits[0] if len(hits) == 1 else None


def _letters_with_their_text(text: str, key: str, option_texts: Mapping[str, str]) -> set[str]:
    """Letters written with their own option's full text after them: "C. Report the ..."."""
    found = set()
    for match in re.finditer(rf"(?<![A-Za-z0-9])\(?{key}\)?[.):]\s+", text):
        option = _normalise(option_texts.get(match.group(1), ""))
        if option and _normalise(text[match.end():match.end() + len(option) + 5]).startswith(option):
            found.add(match.group(1))
    return found


def _match_free_text(text: str, keys: Sequence[str], option_texts: Mapping[str, str]) -> ChoiceExtraction:
    key = _key_class(keys)
    after = r"(?![A-Za-z0-9])"
    conclusion = (
        rf"(?i:answer|answer choice|final answer)(?:\s+(?i:to\s+(?:the|this)\s+question))?"
        rf"\s*(?i:is|would be|=|:)?\s*:?\s*"
        rf"(?i:option\s*)?\(?{key}\)?{after}"
    )
    matches = re.findall(conclusion, text)
    if matches:
        return ChoiceExtraction(matches[-1], "answer-is")
    best = rf"(?i:correct|best|right|most likely|most appropriate)\s+(?i:option|choice)\s*(?i:is|would be|:)?\s*\(?{key}\)?{after}"
    matches = re.findall(best, text)
    if matches:
        return ChoiceExtraction(matches[-1], "answer-is")
    listed = set(re.findall(rf"(?m)^\s*\(?{key}\)?[.)]\s", text))
    if len(listed) < 2:  # a reply listing the options back is not an answer
        found = _match_short_value(text, keys, option_texts, allow_text=False)
        if found:
            return ChoiceExtraction(found, "letter")
    with_text = _letters_with_their_text(text, key, option_texts)
    if len(with_text) == 1:
        return ChoiceExtraction(with_text.pop(), "letter+text")
    named = set(re.findall(rf"(?i:option|choice)\s+\(?{key}\)?{after}", text))
    if len(named) == 1:
        return ChoiceExtraction(named.pop(), "option")
    lines = re.findall(rf"(?m)^\s*\(?{key}\)?[.)]?\s*$", text)
    if lines:
        return ChoiceExtraction(lines[-1], "line")
    short_texts = {k: v for k, v in option_texts.items() if v and len(v.split()) <= 6}
    if short_texts:
        alternation = "|".join(re.escape(v) for v in sorted(short_texts.values(), key=len, reverse=True))
        said = re.findall(rf"(?i:answer)\s*(?i:is|:)?\s*:?\s*({alternation})\b", text, flags=re.IGNORECASE)
        if said:
            found = _match_option_text(said[-1], option_texts)
            if found:
                return ChoiceExtraction(found, "option-text")
        found = _match_option_text(text, option_texts)
        if found:
            return ChoiceExtraction(found, "option-text")
    if len(named) > 1:
        return ChoiceExtraction(None, "ambiguous")
    return ChoiceExtraction(None, "unparsed")
