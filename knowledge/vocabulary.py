"""The clinical vocabulary as data: load ``knowledge/vocabulary/*.yaml`` into frozen concepts.

One vocabulary serves every reader of clinical text (triage, calculators, the differential,
the chat). A file groups the concepts of one area and names its sources::

    sources:
      snomed: {publisher: SNOMED International, title: SNOMED CT International Edition,
               url: "https://browser.ihtsdotools.org/"}
    concepts:
      - id: chest-pain                      # lowercase words joined by hyphens, unique
        term: Chest pain                    # the preferred English term
        kind: symptom                       # symptom | sign | exam | history | exposure | state
        codes: {snomed: "29857009", icd10: R07.4}   # where known; either may be left out
        concern: true                       # present -> never self-care
        companion: false                    # a common non-specific symptom that may sit
                                            # beside a self-care presentation unexplained
        en: [chest pain, thoracic pain]     # clinical English (phrase syntax below)
        en_lay: [pain in * chest, chest hurts]      # the words patients and carers use
        zh: [胸痛]                           # clinical Chinese
        zh_lay: [胸口疼, 胸口痛]              # lay Chinese
        source: snomed

English phrases use ``assistant.clinical.context``'s syntax: case-insensitive, simple plurals,
``*`` for up to four words, and ``& word word`` for all the words in any order within one
clause. Chinese phrases are matched as substrings; ``*`` stands for up to six characters within
a clause, and ``& 甲 乙`` for both parts in either order within a clause. This module only loads and validates (with pydantic); matching
lives in ``assistant.clinical``. It imports nothing else of the project.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

logger = logging.getLogger(__name__)

VOCABULARY_DIR = Path(__file__).parent / "vocabulary"
KINDS = ("symptom", "sign", "exam", "history", "exposure", "state")
_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ICD10_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


class VocabularyError(ValueError):
    """A vocabulary file is malformed; the message names the file, the concept and the field."""


class ConceptSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: str = Field(min_length=1)
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")


class Codes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    snomed: str | None = Field(default=None, pattern=r"^[0-9]{6,18}$")
    icd10: str | None = None

    @field_validator("icd10")
    @classmethod
    def _icd10_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ICD10_RE.match(value):
            raise ValueError(f"icd10 must look like R07.4, got {value!r}")
        return value


def _clean(phrases: list[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(" ".join(str(p).split()) for p in phrases))
    if any(not p for p in cleaned):
        raise ValueError("phrases must be non-empty")
    return cleaned


class Concept(BaseModel):
    """One clinical idea with every way of writing it, in English and Chinese."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    term: str = Field(min_length=1)
    kind: Literal["symptom", "sign", "exam", "history", "exposure", "state"]
    codes: Codes = Codes()
    concern: bool = False
    companion: bool = False
    en: tuple[str, ...] = ()
    en_lay: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    zh_lay: tuple[str, ...] = ()
    source: str

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(f"id must be lowercase words joined by hyphens, got {value!r}")
        return value

    @field_validator("en", "en_lay", "zh", "zh_lay", mode="before")
    @classmethod
    def _phrases(cls, value) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise ValueError("must be a list of phrases")
        return _clean(list(value))

    @property
    def english(self) -> tuple[str, ...]:
        return self.en + self.en_lay

    @property
    def chinese(self) -> tuple[str, ...]:
        return self.zh + self.zh_lay


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: dict[str, ConceptSource]
    concepts: list[Concept]


class Vocabulary:
    """Every concept by id, with the source each one names."""

    def __init__(self, concepts: dict[str, Concept], sources: dict[str, ConceptSource]) -> None:
        self.concepts = concepts
        self.sources = sources
        # Built once: every triage reads these, and the concepts never change after loading.
        self._english = {cid: c.english for cid, c in concepts.items() if c.english}
        self._chinese = {cid: c.chinese for cid, c in concepts.items() if c.chinese}

    def __contains__(self, concept_id: str) -> bool:
        return concept_id in self.concepts

    def __getitem__(self, concept_id: str) -> Concept:
        try:
            return self.concepts[concept_id]
        except KeyError:
            raise KeyError(f"unknown concept {concept_id!r}; see knowledge/vocabulary/*.yaml") \
                from None

    def english_terms(self) -> dict[str, tuple[str, ...]]:
        """Concept id -> English phrases (a copy the caller may extend)."""
        return dict(self._english)

    def chinese_terms(self) -> dict[str, tuple[str, ...]]:
        """Concept id -> Chinese phrases (the shared mapping; do not change it)."""
        return self._chinese


def load_vocabulary(directory: Path | str | None = None) -> Vocabulary:
    """Load and validate every ``*.yaml`` in ``directory`` (default: the bundled vocabulary)."""
    return _load_cached(str(Path(directory) if directory else VOCABULARY_DIR))


@functools.lru_cache(maxsize=4)
def _load_cached(directory: str) -> Vocabulary:
    folder = Path(directory)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise VocabularyError(f"no vocabulary files (*.yaml) in {folder}")
    concepts: dict[str, Concept] = {}
    sources: dict[str, ConceptSource] = {}
    where: dict[str, str] = {}
    for path in files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = _VocabularyFile.model_validate(raw)
        except yaml.YAMLError as error:
            raise VocabularyError(f"{path.name}: not valid YAML: {error}") from error
        except ValidationError as error:
            raise VocabularyError(f"{path.name}: {_describe(error, raw)}") from error
        for concept in parsed.concepts:
            if concept.id in where:
                raise VocabularyError(f"{path.name}: concept {concept.id!r} already defined in "
                                      f"{where[concept.id]}")
            if concept.source not in parsed.sources:
                raise VocabularyError(f"{path.name}: concept {concept.id!r}: source "
                                      f"{concept.source!r} is not in this file's sources")
            if not concept.english and not concept.chinese:
                raise VocabularyError(f"{path.name}: concept {concept.id!r} has no phrases")
            where[concept.id] = path.name
            concepts[concept.id] = concept
        sources.update({f"{path.stem}:{ref}": s for ref, s in parsed.sources.items()})
    logger.info("loaded %d concepts from %d vocabulary files", len(concepts), len(files))
    return Vocabulary(concepts, sources)


def _describe(error: ValidationError, raw) -> str:
    """The first problem, naming the concept id rather than a list index."""
    first = error.errors()[0]
    location = list(first["loc"])
    if len(location) >= 2 and location[0] == "concepts" and isinstance(location[1], int):
        try:
            concept_id = raw["concepts"][location[1]].get("id", "?")
        except (KeyError, IndexError, TypeError, AttributeError):
            concept_id = "?"
        location = [f"concept {concept_id!r}"] + [str(part) for part in location[2:]]
    return f"{' > '.join(str(part) for part in location)}: {first['msg']}"
