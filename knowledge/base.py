"""The knowledge base of one data directory: the bundled corpus plus the user's documents.

User documents are stored as ``<data dir>/documents/<doc_id>.jsonl`` (one passage as JSON per
line), written by ingestion. This module lists and reads them; it does not parse source files
(``ingest``) or embed anything (``retrieval``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from knowledge.corpus import CORPUS_DIR, load_bundled_passages
from knowledge.passage import Passage
from knowledge.paths import DataPaths

logger = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(self, paths: DataPaths, corpus_dir: Path = CORPUS_DIR,
                 include_bundled: bool = True) -> None:
        self.paths = paths
        self.corpus_dir = Path(corpus_dir)
        self.include_bundled = include_bundled

    def user_document_files(self) -> list[Path]:
        if not self.paths.documents_dir.is_dir():
            return []
        return sorted(self.paths.documents_dir.glob("*.jsonl"))

    def user_passages(self) -> list[Passage]:
        passages: list[Passage] = []
        for path in self.user_document_files():
            with open(path, encoding="utf-8") as handle:
                passages.extend(Passage.from_dict(json.loads(line)) for line in handle
                                if line.strip())
        return passages

    def passages(self) -> list[Passage]:
        """Every passage the index must hold: bundled first, then user documents."""
        bundled = load_bundled_passages(self.corpus_dir) if self.include_bundled else []
        return bundled + self.user_passages()
