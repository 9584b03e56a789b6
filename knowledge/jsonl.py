"""Reading the project's own JSON Lines files (question suites, vignettes) strictly.

``read_jsonl_objects`` yields each non-blank line as a dict, with its line number, and
raises ``ValueError`` naming the file, the line and the problem (not JSON, not an object,
a required field missing). Readers that must tolerate bad lines instead (an interrupted
run's cache, a user's suite whose problems are collected and reported together) keep their
own loops.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Sequence


def read_jsonl_objects(path: Path | str, required: Sequence[str] = ()
                       ) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of ``path``; a missing file raises
    ``FileNotFoundError``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name}:{number}: not valid JSON ({error.msg} at column "
                             f"{error.colno})") from error
        if not isinstance(record, dict):
            raise ValueError(f"{path.name}:{number}: expected a JSON object, got "
                             f"{type(record).__name__}")
        missing = [key for key in required if key not in record]
        if missing:
            raise ValueError(f"{path.name}:{number}: missing {', '.join(missing)}")
        yield number, record
