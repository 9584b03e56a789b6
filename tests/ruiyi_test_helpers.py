"""Small builders shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from knowledge.passage import Passage, Source

NICE_HTN = Source("NICE", "NG136", "Hypertension in adults: diagnosis and management",
                  "2023-11", "https://www.nice.org.uk/guidance/ng136")
NICE_ST = Source("NICE", "NG84", "Sore throat (acute): antimicrobial prescribing", "2018-01",
                 "https://www.nice.org.uk/guidance/ng84")


def make_passage(passage_id: str, text: str, source: Source = NICE_HTN,
                 section: tuple[str, ...] = ("Hypertension", "Diagnosis"), topic: str = "hypertension",
                 doc_id: str = "hypertension") -> Passage:
    return Passage(passage_id=passage_id, doc_id=doc_id, title=section[0], section_path=section,
                   text=text, source=source, topic=topic, region="UK")
