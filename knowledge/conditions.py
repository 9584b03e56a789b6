"""Load and validate the condition base: ``knowledge/conditions/*.yaml`` into frozen records.

The condition base is data written by the project: a shared feature vocabulary
(``features.yaml``: concept key -> clinical and lay phrases) and one YAML list of conditions
per body system. Each condition names its ICD-10-CM codes, the features it typically presents
with, weighted features that argue for and against it, risk factors, age/sex/pregnancy
patterns, a must-not-miss flag, next steps and the guideline it rests on.

This module loads and checks the files (every feature a condition refers to exists, ids are
unique, ages, weights and enumerations are in range) and raises ``ConditionDataError`` naming
the file, the condition and the fix. It does not rank anything (``assistant.clinical.ddx`` does) and
does not check codes against the ICD-10-CM code set (a test does, with ``simple_icd_10_cm``,
so that loading stays dependency-free).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import yaml

logger = logging.getLogger(__name__)

CONDITIONS_DIR = Path(__file__).resolve().parent / "conditions"
FEATURES_FILE = "features.yaml"

# Guideline topics of the bundled corpus (knowledge/corpus/<slug>.md) a condition may point to.
GUIDELINE_TOPICS = frozenset({
    "hypertension", "type-2-diabetes", "asthma-adults", "asthma-children", "copd", "acute-cough",
    "sore-throat", "otitis-media", "sinusitis", "pneumonia", "uti-women", "uti-men",
    "uti-pregnancy", "uti-children", "low-back-pain", "headache-tension", "migraine",
    "headache-red-flags", "chest-pain", "atrial-fibrillation", "heart-failure",
    "cvd-risk-lipids", "ckd", "gout", "osteoarthritis", "depression", "anxiety", "insomnia",
    "dementia", "dyspepsia-gord", "ibs", "coeliac-disease", "constipation", "gastroenteritis",
    "iron-deficiency-anaemia", "hypothyroidism", "eczema", "acne", "psoriasis", "cellulitis",
    "impetigo", "fungal-skin-infection", "conjunctivitis", "fever-under-5", "sepsis",
    "meningitis", "head-injury", "tia-stroke", "dvt", "pulmonary-embolism", "anaphylaxis",
    "contraception", "menopause", "vaginal-discharge-sti", "nausea-pregnancy",
    "smoking-cessation", "alcohol", "obesity", "falls", "osteoporosis", "immunisation",
    "cancer-lung", "cancer-colorectal", "cancer-breast", "cancer-prostate", "cancer-skin",
    "palliative-care", "nsaid-safety", "anticoagulant-safety",
})

FEATURE_KINDS = frozenset({"symptom", "sign", "test", "risk", "course", "qualifier"})
PREVALENCE_LEVELS = ("common", "uncommon", "rare")
SEXES = ("any", "female", "male")
PREGNANCY_RULES = ("any", "required")
MAX_AGE_YEARS = 120
# Kinds that can put a condition on the list by themselves; risk factors and time course only
# add weight to a condition that a symptom, sign or test already supports.
SUPPORTING_KINDS = frozenset({"symptom", "sign", "test"})

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ICD10_PATTERN = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_CONDITION_KEYS = frozenset({
    "id", "name", "synonyms", "icd10", "prevalence", "age", "age_limits", "sex", "pregnancy",
    "must_not_miss", "features", "for", "against", "risk_factors", "next_steps", "guideline",
    "source",
})


class ConditionDataError(ValueError):
    """A condition or feature file that breaks the format; the message names file and fix."""


@dataclass(frozen=True)
class Feature:
    """A clinical concept with the words that express it."""

    key: str
    label: str
    phrases: tuple[str, ...]
    kind: str = "symptom"
    implies: tuple[str, ...] = ()
    numeric_words: tuple[str, ...] = ()
    family_ok: bool = False

    @property
    def can_support(self) -> bool:
        """Whether this feature alone can make a condition a candidate."""
        return self.kind in SUPPORTING_KINDS


@dataclass(frozen=True)
class ConditionSource:
    """The published source a condition's description and next steps follow."""

    publisher: str
    title: str
    url: str


@dataclass(frozen=True)
class NextSteps:
    """What a GP would usually do next: ask, examine, test (in the files: items split by ';')."""

    questions: tuple[str, ...] = ()
    examinations: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"question": list(self.questions), "examination": list(self.examinations),
                "test": list(self.tests)}


@dataclass(frozen=True)
class Condition:
    """One diagnosis in the base, with everything the ranking and a clinician need.

    ``typical_age_years`` is the range where the condition usually presents (outside it the
    prior is lowered); ``age_limits_years`` is where it can present at all (outside it the
    condition is excluded). ``features_for``/``features_against`` carry weights; typical
    ``features`` weigh 1.0 and ``risk_factors`` 0.5 (see ``assistant.clinical.ddx.scoring``).
    """

    condition_id: str
    name: str
    synonyms: tuple[str, ...]
    icd10: tuple[str, ...]
    system: str
    prevalence: str
    typical_age_years: tuple[int, int]
    age_limits_years: tuple[int, int]
    sex: str
    pregnancy: str
    must_not_miss: bool
    features: tuple[str, ...]
    features_for: tuple[tuple[str, float], ...]
    features_against: tuple[tuple[str, float], ...]
    risk_factors: tuple[str, ...]
    next_steps: NextSteps
    guideline_topic: str
    source: ConditionSource

    @property
    def names(self) -> tuple[str, ...]:
        """The name followed by every synonym."""
        return (self.name, *self.synonyms)

    def referenced_features(self) -> set[str]:
        """Every feature key this condition mentions anywhere."""
        keys = set(self.features) | set(self.risk_factors)
        keys |= {key for key, _ in self.features_for} | {key for key, _ in self.features_against}
        return keys


@dataclass(frozen=True)
class ConditionBase:
    """All conditions and the feature vocabulary they share."""

    conditions: tuple[Condition, ...]
    features: Mapping[str, Feature] = field(compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", MappingProxyType(dict(self.features)))

    def __len__(self) -> int:
        return len(self.conditions)

    def __iter__(self):
        return iter(self.conditions)

    def get(self, condition_id: str) -> Condition:
        for condition in self.conditions:
            if condition.condition_id == condition_id:
                return condition
        raise KeyError(f"no condition with id {condition_id!r}")

    def phrase_terms(self) -> dict[str, list[str]]:
        """``{feature key: phrases}`` in the shape ``assistant.clinical.context.find_mentions`` takes."""
        return {key: list(feature.phrases) for key, feature in self.features.items()}


def load_conditions(directory: str | Path | None = None) -> ConditionBase:
    """Load ``features.yaml`` and every other ``*.yaml`` in ``directory`` (default: bundled)."""
    root = Path(directory) if directory is not None else CONDITIONS_DIR
    if directory is None:
        return _load_bundled()
    return _load(root)


@functools.lru_cache(maxsize=1)
def _load_bundled() -> ConditionBase:
    return _load(CONDITIONS_DIR)


def _load(root: Path) -> ConditionBase:
    features_path = root / FEATURES_FILE
    if not features_path.is_file():
        raise ConditionDataError(f"{root}: no {FEATURES_FILE}; the feature vocabulary is required")
    features = _parse_features(_read_yaml(features_path), features_path.name)
    conditions: list[Condition] = []
    seen_ids: dict[str, str] = {}
    for path in sorted(root.glob("*.yaml")):
        if path.name == FEATURES_FILE:
            continue
        data = _read_yaml(path)
        if not isinstance(data, list):
            raise ConditionDataError(f"{path.name}: must be a YAML list of conditions")
        for index, raw in enumerate(data):
            condition = _parse_condition(raw, path.stem, f"{path.name}[{index}]", features)
            if condition.condition_id in seen_ids:
                raise ConditionDataError(
                    f"{path.name}: duplicate condition id {condition.condition_id!r} "
                    f"(also in {seen_ids[condition.condition_id]}); ids must be unique"
                )
            seen_ids[condition.condition_id] = path.name
            conditions.append(condition)
    if not conditions:
        raise ConditionDataError(f"{root}: no condition files found next to {FEATURES_FILE}")
    logger.info("loaded %d conditions and %d features", len(conditions), len(features))
    return ConditionBase(conditions=tuple(conditions), features=features)


# libyaml's C loader parses the condition files several times faster when it is installed.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        raise ConditionDataError(f"{path.name}: not valid YAML: {error}") from error


def _parse_features(data, origin: str) -> dict[str, Feature]:
    if not isinstance(data, dict) or not data:
        raise ConditionDataError(f"{origin}: must map feature key -> {{label, phrases}}")
    features: dict[str, Feature] = {}
    for key, raw in data.items():
        where = f"{origin}: feature {key!r}"
        if not isinstance(key, str) or not _ID_PATTERN.match(key):
            raise ConditionDataError(f"{where}: key must be lowercase words joined by '-'")
        if not isinstance(raw, dict):
            raise ConditionDataError(f"{where}: must be a mapping with label and phrases")
        phrases = _string_list(raw.get("phrases"), f"{where}: phrases")
        if not phrases:
            raise ConditionDataError(f"{where}: needs at least one phrase")
        kind = raw.get("kind", "symptom")
        if kind not in FEATURE_KINDS:
            raise ConditionDataError(f"{where}: kind must be one of {sorted(FEATURE_KINDS)}, got {kind!r}")
        features[key] = Feature(
            key=key,
            label=str(raw.get("label") or key),
            phrases=tuple(phrases),
            kind=kind,
            implies=tuple(_string_list(raw.get("implies"), f"{where}: implies")),
            numeric_words=tuple(w.lower() for w in _string_list(raw.get("numeric_words"),
                                                                 f"{where}: numeric_words")),
            family_ok=bool(raw.get("family_ok", False)),
        )
    for feature in features.values():
        for parent in feature.implies:
            if parent not in features:
                raise ConditionDataError(
                    f"{origin}: feature {feature.key!r} implies unknown feature {parent!r}")
    return features


def _parse_condition(raw, system: str, where: str, features: Mapping[str, Feature]) -> Condition:
    if not isinstance(raw, dict):
        raise ConditionDataError(f"{where}: each condition must be a mapping")
    condition_id = raw.get("id")
    if not isinstance(condition_id, str) or not _ID_PATTERN.match(condition_id):
        raise ConditionDataError(f"{where}: id must be lowercase words joined by '-', got {condition_id!r}")
    where = f"{where} ({condition_id})"
    unknown = set(raw) - _CONDITION_KEYS
    if unknown:
        raise ConditionDataError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_CONDITION_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConditionDataError(f"{where}: name is required")
    icd10 = _string_list(raw.get("icd10"), f"{where}: icd10")
    if not icd10:
        raise ConditionDataError(f"{where}: at least one ICD-10-CM code is required")
    for code in icd10:
        if not _ICD10_PATTERN.match(code):
            raise ConditionDataError(f"{where}: {code!r} is not shaped like an ICD-10-CM code (e.g. J18.9)")
    prevalence = raw.get("prevalence", "uncommon")
    _check_choice(prevalence, PREVALENCE_LEVELS, f"{where}: prevalence")
    sex = raw.get("sex", "any")
    _check_choice(sex, SEXES, f"{where}: sex")
    pregnancy = raw.get("pregnancy", "any")
    _check_choice(pregnancy, PREGNANCY_RULES, f"{where}: pregnancy")
    age_limits = _age_range(raw.get("age_limits", [0, MAX_AGE_YEARS]), f"{where}: age_limits")
    typical = _age_range(raw.get("age", list(age_limits)), f"{where}: age")
    if typical[0] < age_limits[0] or typical[1] > age_limits[1]:
        raise ConditionDataError(f"{where}: typical age {list(typical)} must lie within age_limits {list(age_limits)}")

    typical_features = _string_list(raw.get("features"), f"{where}: features")
    features_for = _weighted(raw.get("for"), f"{where}: for")
    features_against = _weighted(raw.get("against"), f"{where}: against")
    risk_factors = _string_list(raw.get("risk_factors"), f"{where}: risk_factors")
    referenced = set(typical_features) | set(risk_factors) | {k for k, _ in features_for} | {
        k for k, _ in features_against}
    missing = sorted(key for key in referenced if key not in features)
    if missing:
        raise ConditionDataError(
            f"{where}: refers to features not in {FEATURES_FILE}: {missing}; add them there or fix the key")
    conflicting = sorted((set(typical_features) | {k for k, _ in features_for}) & {k for k, _ in features_against})
    if conflicting:
        raise ConditionDataError(f"{where}: {conflicting} listed both for and against; keep one")
    supporting = [k for k in (*typical_features, *(k for k, _ in features_for)) if features[k].can_support]
    if not supporting:
        raise ConditionDataError(f"{where}: needs at least one symptom, sign or test feature")

    guideline = raw.get("guideline") or ""
    if guideline and guideline not in GUIDELINE_TOPICS:
        raise ConditionDataError(f"{where}: guideline {guideline!r} is not a corpus topic; use one of "
                                 f"{sorted(GUIDELINE_TOPICS)} or leave it empty")
    return Condition(
        condition_id=condition_id,
        name=name.strip(),
        synonyms=tuple(_string_list(raw.get("synonyms"), f"{where}: synonyms")),
        icd10=tuple(icd10),
        system=system,
        prevalence=prevalence,
        typical_age_years=typical,
        age_limits_years=age_limits,
        sex=sex,
        pregnancy=pregnancy,
        must_not_miss=bool(raw.get("must_not_miss", False)),
        features=tuple(typical_features),
        features_for=features_for,
        features_against=features_against,
        risk_factors=tuple(risk_factors),
        next_steps=_next_steps(raw.get("next_steps"), f"{where}: next_steps"),
        guideline_topic=guideline,
        source=_source(raw.get("source"), f"{where}: source"),
    )


def _string_list(value, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list):
        raise ConditionDataError(f"{where} must be a list of strings, got {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConditionDataError(f"{where} must hold non-empty strings, got {item!r}")
        out.append(item.strip())
    return out


def _weighted(value, where: str) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConditionDataError(f"{where} must map feature key -> weight, got {type(value).__name__}")
    out = []
    for key, weight in value.items():
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < weight <= 5:
            raise ConditionDataError(f"{where}: weight of {key!r} must be a number in (0, 5], got {weight!r}")
        out.append((str(key), float(weight)))
    return tuple(out)


def _age_range(value, where: str) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise ConditionDataError(f"{where} must be [min_years, max_years] as integers, got {value!r}")
    low, high = value
    if not 0 <= low <= high <= MAX_AGE_YEARS:
        raise ConditionDataError(f"{where} must satisfy 0 <= min <= max <= {MAX_AGE_YEARS}, got {value!r}")
    return (low, high)


def _check_choice(value, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        raise ConditionDataError(f"{where} must be one of {list(choices)}, got {value!r}")


def _next_steps(value, where: str) -> NextSteps:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConditionDataError(f"{where} must map question/examination/test -> list")
    unknown = set(value) - {"question", "examination", "test"}
    if unknown:
        raise ConditionDataError(f"{where}: unknown keys {sorted(unknown)}; use question, examination, test")
    steps = NextSteps(
        questions=_step_items(value.get("question"), f"{where}.question"),
        examinations=_step_items(value.get("examination"), f"{where}.examination"),
        tests=_step_items(value.get("test"), f"{where}.test"),
    )
    if not (steps.questions or steps.examinations or steps.tests):
        raise ConditionDataError(f"{where}: give at least one question, examination or test")
    return steps


def _step_items(value, where: str) -> tuple[str, ...]:
    # Written as one line of prose with items separated by ";" (or as a YAML list).
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(";") if item.strip())
    return tuple(_string_list(value, where))


def _source(value, where: str) -> ConditionSource:
    if not isinstance(value, dict):
        raise ConditionDataError(f"{where} must map publisher, title, url")
    publisher, title, url = (str(value.get(k) or "").strip() for k in ("publisher", "title", "url"))
    if not (publisher and title and url.startswith("https://")):
        raise ConditionDataError(f"{where} needs publisher, title and an https:// url, got {value!r}")
    return ConditionSource(publisher=publisher, title=title, url=url)
