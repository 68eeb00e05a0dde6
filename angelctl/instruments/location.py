"""Where the instrument index lives on disk, and the shape of a download-progress callback.

The lowest layer of the index's file handling: ``store`` (when to refresh, opening) and
``sync`` (downloading, ingesting) both import it, so neither has to import the other to learn
the path; ``store`` alone reaches ``sync``, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from angelctl.config import cache_dir

INDEX_FILE = "instruments.sqlite3"
Progress = Callable[[int, int | None], None]


def index_path() -> Path:
    return cache_dir() / INDEX_FILE
