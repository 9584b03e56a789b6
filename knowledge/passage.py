"""The records that cross package boundaries: a guideline ``Source`` and a ``Passage``.

A passage is the unit that is embedded, retrieved and cited. It carries everything a
citation needs (publisher, code, title, version, section, URL) so that no later stage has to
look anything up. This module holds records only; parsing lives in ``markdown_format``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Source:
    """Where a guideline comes from: what a clinician needs to find and check it."""

    publisher: str
    code: str
    title: str
    version: str
    url: str

    def label(self) -> str:
        """A short human label such as ``NICE NG136 (2023-11)``."""
        version = f" ({self.version})" if self.version else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.publisher}{code}{version}".strip()


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of guideline text with its full citation.

    ``passage_id`` is stable: bundled passages carry an explicit id written in the file (so
    that gold references survive rewording); ingested passages get a hash of their document
    id, section path and text. ``content_hash`` always changes with the text and keys the
    embedding cache.
    """

    passage_id: str
    doc_id: str
    title: str
    section_path: tuple[str, ...]
    text: str
    source: Source
    source_section: str = ""
    strength: str = ""
    topic: str = ""
    region: str = ""
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.passage_id:
            raise ValueError("passage_id must be non-empty")
        if not self.text.strip():
            raise ValueError(f"passage {self.passage_id!r} has empty text")
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash_of(self.text, self.section_path))

    @property
    def section(self) -> str:
        """The section path joined for display: ``Hypertension › Diagnosis``."""
        return " › ".join(self.section_path)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["section_path"] = list(self.section_path)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Passage":
        data = dict(data)
        data["section_path"] = tuple(data.get("section_path", ()))
        data["source"] = Source(**data["source"])
        return cls(**data)


def content_hash_of(text: str, section_path: tuple[str, ...] = ()) -> str:
    """sha256 of the section path and text: changes whenever either changes."""
    payload = json.dumps([list(section_path), text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def derived_passage_id(doc_id: str, section_path: tuple[str, ...], text: str) -> str:
    """A stable id for a passage that has no explicit id (ingested documents)."""
    digest = hashlib.sha256(
        json.dumps([doc_id, list(section_path), text], ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return f"{doc_id}-{digest[:12]}"
