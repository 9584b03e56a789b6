"""The bundled guideline corpus: where it lives and how to load all of it.

Does not build indexes or check quality (see ``lint``).
"""

from __future__ import annotations

from pathlib import Path

from knowledge.markdown_format import GuidelineDocument, load_guideline_file
from knowledge.passage import Passage

CORPUS_DIR = Path(__file__).parent / "corpus"


def bundled_guideline_files(corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """Every Markdown guideline file of the bundled corpus, sorted for reproducibility."""
    return sorted(Path(corpus_dir).glob("*.md"))


def load_documents(corpus_dir: Path = CORPUS_DIR) -> list[GuidelineDocument]:
    return [load_guideline_file(path) for path in bundled_guideline_files(corpus_dir)]


def load_bundled_passages(corpus_dir: Path = CORPUS_DIR) -> list[Passage]:
    """All passages of the bundled corpus in file order."""
    return [p for doc in load_documents(corpus_dir) for p in doc.passages]
