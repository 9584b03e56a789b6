"""Red-flag and triage rules as data: load ``knowledge/redflags/*.yaml`` into frozen records.

Each YAML file covers one body system and has three keys: ``system``, ``sources`` (short
reference name -> publisher, code, title, version, url) and ``rules``. A rule::

    - id: cardio-acs-chest-pain          # globally unique, lowercase [a-z0-9-]
      title: Suspected acute coronary syndrome
      level: emergency                   # emergency | urgent | soon | routine | self-care
      patterns: [chest pain, crushing * chest]   # clinical terms and lay words (any of)
      vitals: ["sbp_mmhg <= 90"]         # optional: a vital sign that also satisfies the rule
      also:                              # optional: further groups that must ALL be present
        - [sweaty, clammy]               # a group is a list of phrases ...
        - {phrases: [fever], vitals: ["temp_c >= 38"]}   # ... or phrases and/or vitals
        - {phrases: [had cancer], history_ok: true}      # past mentions count here
      unless: [back to normal]           # optional: an affirmed phrase here stops the rule
      kind: discriminator                # optional: rule (default) or discriminator (checked
                                         # first; a general alarm feature of any presentation)
      examples: [I can't get my breath]  # optional: sentences for the semantic safety net
      age_years: [0, 0.25]               # optional: minimum inclusive, maximum exclusive
      sex: female                        # optional
      pregnant: true                     # optional: only in pregnancy
      action: Call 999 ...               # what to do, in the project's words
      source: {ref: cg95, section: "1.1.1"}

A phrase written ``@concept-id`` stands for that concept of the clinical vocabulary
(``knowledge/vocabulary``): every English and Chinese synonym, read with its assertion. Vital
conditions may name any vital sign or test result that the findings reader takes from the text
(``potassium_mmol_l >= 6.5``, ``gcs <= 8``, ``troponin_raised == 1``).

Phrase syntax (case, plurals, ``*`` wildcard) is that of ``assistant.clinical.context``. This
module only loads and validates; matching text lives in ``assistant.clinical.triage``. It imports
nothing else of the project.
"""

from __future__ import annotations

import functools
import logging
import operator
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterable

import yaml

from knowledge.vocabulary import load_vocabulary

logger = logging.getLogger(__name__)

RULES_DIR = Path(__file__).parent / "redflags"
class Urgency(StrEnum):
    """The five triage levels, most urgent first. A ``str``: it compares equal to its value,
    and serialises as it ("emergency"), so records and JSON need no conversion."""

    EMERGENCY = "emergency"  # call 999 / emergency department now
    URGENT = "urgent"        # same-day clinician, within hours
    SOON = "soon"            # GP within 1-3 days
    ROUTINE = "routine"      # routine GP appointment
    SELF_CARE = "self-care"  # home or pharmacy, with safety-netting

    @property
    def rank(self) -> int:
        """0 for emergency ... 4 for self-care."""
        return LEVELS.index(self.value)

    @property
    def em_ne_sc(self) -> str:
        return EM_NE_SC[self.value]


# Most to least urgent; the index is the severity rank used everywhere.
LEVELS = tuple(level.value for level in Urgency)
# The five levels folded to the three of published symptom-checker studies: emergency care,
# non-emergency care, self-care.
EM_NE_SC = {"emergency": "em", "urgent": "ne", "soon": "ne", "routine": "ne", "self-care": "sc"}
VITAL_FIELDS = ("rr_per_min", "spo2_percent", "sbp_mmhg", "dbp_mmhg", "hr_bpm", "temp_c",
                "glucose_mmol_l", "consciousness", "gcs", "potassium_mmol_l", "sodium_mmol_l",
                "ph", "lactate_mmol_l", "ketones_mmol_l", "inr", "hb_g_l", "alt_u_l",
                "platelets_10e9_l", "crp_mg_l", "crt_s", "bicarbonate_mmol_l", "troponin_raised",
                "tablets_taken", "paracetamol_g_per_day", "duration_days")
RULE_KINDS = ("rule", "discriminator")
OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq, "!=": operator.ne}
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_VITAL_RE = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|==|!=|<|>)\s*([A-Za-z0-9.\-]+)\s*$")
_RULE_KEYS = {"id", "title", "level", "patterns", "vitals", "also", "unless", "age_years", "sex",
              "pregnant", "action", "source", "kind", "examples"}
_SOURCE_KEYS = ("publisher", "code", "title", "version", "url")


class RuleError(ValueError):
    """A rule file is malformed; the message names the file, the rule and the field."""


def level_rank(level: str) -> int:
    """0 for emergency ... 4 for self-care; raises for an unknown level."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}") from None


@dataclass(frozen=True)
class RuleSource:
    publisher: str
    code: str
    title: str
    version: str
    url: str
    section: str

    def label(self) -> str:
        return f"{self.publisher} {self.code} {self.title}, {self.section}".strip()

    def to_dict(self) -> dict:
        return {"publisher": self.publisher, "code": self.code, "title": self.title,
                "version": self.version, "url": self.url, "section": self.section}


@dataclass(frozen=True)
class VitalCondition:
    field: str
    op: str
    value: float | str

    def holds(self, observed: Any) -> bool:
        if observed is None:
            return False
        return OPERATORS[self.op](observed, self.value)

    def describe(self) -> str:
        value = f"{self.value:g}" if isinstance(self.value, float) else self.value
        return f"{self.field} {self.op} {value}"


@dataclass(frozen=True)
class CriterionGroup:
    """Satisfied by any affirmed phrase or any vital condition that holds.

    With ``history_ok`` a past mention ("had breast cancer in 2015", "periods stopped 6 years
    ago") also counts: for risk factors and background facts the past is the point.
    """

    phrases: tuple[str, ...] = ()
    vitals: tuple[VitalCondition, ...] = ()
    history_ok: bool = False


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    title: str
    level: Urgency
    system: str
    groups: tuple[CriterionGroup, ...]  # all must be satisfied; groups[0] is the trigger
    unless: tuple[str, ...]
    age_min_years: float | None
    age_max_years: float | None
    sex: str | None
    pregnant: bool | None
    action: str
    source: RuleSource
    kind: str = "rule"
    examples: tuple[str, ...] = ()

    @property
    def concept_refs(self) -> set[str]:
        """The vocabulary concepts (``@id``) this rule names anywhere."""
        phrases = [p for g in self.groups for p in g.phrases] + list(self.unless)
        return {p[1:] for p in phrases if p.startswith("@")}

    @property
    def rank(self) -> int:
        return level_rank(self.level)


def load_rules(directory: Path | str | None = None) -> tuple[RedFlagRule, ...]:
    """Load and validate every ``*.yaml`` file in ``directory`` (default: the bundled rules)."""
    return _load_rules_cached(str(Path(directory) if directory else RULES_DIR))


@functools.lru_cache(maxsize=4)
def _load_rules_cached(directory: str) -> tuple[RedFlagRule, ...]:
    folder = Path(directory)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise RuleError(f"no rule files (*.yaml) in {folder}")
    rules: list[RedFlagRule] = []
    seen: dict[str, str] = {}
    known = set(load_vocabulary().concepts)
    for path in files:
        for rule in parse_rule_file(path):
            unknown = sorted(rule.concept_refs - known)
            if unknown:
                raise RuleError(f"{path.name}: rule {rule.id}: unknown concept(s) "
                                f"{', '.join('@' + c for c in unknown)}; see "
                                f"knowledge/vocabulary/*.yaml")
            if rule.id in seen:
                raise RuleError(f"{path.name}: rule id {rule.id!r} already used in {seen[rule.id]}")
            seen[rule.id] = path.name
            rules.append(rule)
    logger.info("loaded %d red-flag rules from %d files", len(rules), len(files))
    return tuple(rules)


def parse_rule_file(path: Path) -> list[RedFlagRule]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RuleError(f"{path.name}: not valid YAML: {error}") from error
    if not isinstance(data, dict) or not {"system", "sources", "rules"} <= set(data):
        raise RuleError(f"{path.name}: needs top-level keys system, sources, rules")
    sources = data["sources"] or {}
    for ref, source in sources.items():
        missing = [k for k in _SOURCE_KEYS if not str((source or {}).get(k, "")).strip()]
        if missing:
            raise RuleError(f"{path.name}: source {ref!r} is missing {', '.join(missing)}")
        if not str(source["url"]).startswith("https://"):
            raise RuleError(f"{path.name}: source {ref!r} url must start with https://")
    return [parse_rule(raw, str(data["system"]), sources, path.name) for raw in data["rules"]]


def parse_rule(raw: dict, system: str, sources: dict, file_name: str = "<rules>") -> RedFlagRule:
    """Validate one rule mapping; every error names the file, the rule id and the field."""
    rule_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""

    def fail(message: str) -> RuleError:
        return RuleError(f"{file_name}: rule {rule_id or '?'}: {message}")

    if not isinstance(raw, dict):
        raise fail("must be a mapping")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    if not _ID_RE.match(rule_id):
        raise fail("id must be lowercase words joined by hyphens")
    for key in ("title", "level", "action", "source"):
        if not raw.get(key):
            raise fail(f"{key} is required")
    if raw["level"] not in LEVELS:
        raise fail(f"level must be one of {', '.join(LEVELS)}, got {raw['level']!r}")

    first = CriterionGroup(_phrases(raw.get("patterns"), fail, "patterns"),
                           _vitals(raw.get("vitals"), fail))
    if not first.phrases and not first.vitals:
        raise fail("needs patterns or vitals")
    groups = [first]
    for index, group in enumerate(raw.get("also") or []):
        if isinstance(group, dict):
            extra = set(group) - {"phrases", "vitals", "history_ok"}
            if extra:
                raise fail(f"also[{index}] has unknown key(s) {sorted(extra)}")
            history_ok = group.get("history_ok", False)
            if history_ok not in (True, False):
                raise fail(f"also[{index}].history_ok must be true or false")
            parsed = CriterionGroup(_phrases(group.get("phrases"), fail, f"also[{index}]"),
                                    _vitals(group.get("vitals"), fail), history_ok)
        else:
            parsed = CriterionGroup(_phrases(group, fail, f"also[{index}]"))
        if not parsed.phrases and not parsed.vitals:
            raise fail(f"also[{index}] is empty")
        groups.append(parsed)

    age_min = age_max = None
    if raw.get("age_years") is not None:
        ages = raw["age_years"]
        if not (isinstance(ages, list) and len(ages) == 2):
            raise fail("age_years must be [min, max] (use null for an open end)")
        age_min, age_max = ages
        for value in (age_min, age_max):
            if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 130):
                raise fail(f"age_years bounds must be 0-130 or null, got {value!r}")
        if age_min is not None and age_max is not None and age_min >= age_max:
            raise fail(f"age_years minimum must be below maximum, got {ages}")
    sex = raw.get("sex")
    if sex not in (None, "female", "male"):
        raise fail(f"sex must be female or male, got {sex!r}")
    pregnant = raw.get("pregnant")
    if pregnant not in (None, True, False):
        raise fail(f"pregnant must be true or false, got {pregnant!r}")

    kind = raw.get("kind", "rule")
    if kind not in RULE_KINDS:
        raise fail(f"kind must be one of {', '.join(RULE_KINDS)}, got {kind!r}")
    examples = _phrases(raw.get("examples"), fail, "examples")

    source_raw = raw["source"]
    if not isinstance(source_raw, dict) or "ref" not in source_raw:
        raise fail("source must be {ref: <name from sources>, section: ...}")
    ref = source_raw["ref"]
    if ref not in sources:
        raise fail(f"source ref {ref!r} is not defined; defined: {', '.join(sorted(sources))}")
    section = str(source_raw.get("section", "")).strip()
    if not section:
        raise fail("source.section is required")
    base = sources[ref]
    source = RuleSource(
        publisher=str(base["publisher"]), code=str(base["code"]), title=str(base["title"]),
        version=str(base["version"]), url=str(base["url"]), section=section,
    )
    return RedFlagRule(
        id=rule_id, title=str(raw["title"]).strip(), level=Urgency(raw["level"]), system=system,
        groups=tuple(groups), unless=_phrases(raw.get("unless"), fail, "unless"),
        age_min_years=age_min, age_max_years=age_max, sex=sex, pregnant=pregnant,
        action=" ".join(str(raw["action"]).split()), source=source, kind=kind,
        examples=examples,
    )


def _phrases(raw: Any, fail, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise fail(f"{where} must be a list of non-empty phrases")
    return tuple(" ".join(p.split()) for p in raw)


def _vitals(raw: Any, fail) -> tuple[VitalCondition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail("vitals must be a list like ['hr_bpm > 130']")
    conditions = []
    for text in raw:
        match = _VITAL_RE.match(str(text))
        if not match:
            raise fail(f"vital condition {text!r} must look like 'hr_bpm > 130'")
        field, op, value = match.groups()
        if field not in VITAL_FIELDS:
            raise fail(f"vital field {field!r} unknown; valid: {', '.join(VITAL_FIELDS)}")
        if field == "consciousness":
            if op not in ("==", "!=") or value.upper() not in tuple("ACVPU"):
                raise fail(f"consciousness condition must be '== X' or '!= X' with X in ACVPU")
            conditions.append(VitalCondition(field, op, value.upper()))
        else:
            try:
                conditions.append(VitalCondition(field, op, float(value)))
            except ValueError:
                raise fail(f"vital condition {text!r} needs a number") from None
    return tuple(conditions)


def all_phrases(rules: Iterable[RedFlagRule]) -> set[str]:
    """Every phrase used by ``rules`` (for checks and statistics), without ``@concept`` refs."""
    found: set[str] = set()
    for rule in rules:
        for group in rule.groups:
            found.update(group.phrases)
        found.update(rule.unless)
    return {phrase for phrase in found if not phrase.startswith("@")}
