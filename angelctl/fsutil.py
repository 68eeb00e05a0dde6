"""Private files: 0600 files in 0700 folders, created exclusively and replaced atomically.

Invariants: a sensitive file is never visible with a wider mode (it is created with
``O_EXCL`` and mode 0600, so the umask can only narrow it) and a reader never sees a partial
file (write to a temporary sibling, fsync, ``os.replace``, fsync the folder).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten it if it already exists wider."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def atomic_write_private(path: Path, data: bytes) -> None:
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """Open (creating as 0600) a private file, e.g. a lock or state file; returns the fd."""
    ensure_private_dir(path.parent)
    return os.open(path, flags, PRIVATE_FILE_MODE)
