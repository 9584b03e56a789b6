"""Where a Ruiyi data directory keeps each kind of state.

Everything a user creates lives under one data directory (chosen by ``--data-dir`` or
``RUIYI_HOME`` in the entry points), so that two practices, or a test, each have their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataPaths:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.root / "embedding_cache"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def database_path(self) -> Path:
        return self.root / "ruiyi.db"

    @property
    def users_file(self) -> Path:
        return self.root / "users.json"

    def ensure(self) -> "DataPaths":
        self.root.mkdir(parents=True, exist_ok=True)
        return self
