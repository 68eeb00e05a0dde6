"""tests/realdata is a verbatim copy of ../shared/realdata (the project's real broker data).

The copy lets a clean clone run every real-data test with nothing beside it; this test keeps it
from drifting when the shared folder is present (it is absent on a bare CI checkout).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import REALDATA, REPO

SHARED = REPO.parent / "shared" / "realdata"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_copy_holds_the_attribution_and_every_kind_of_data() -> None:
    names = _digests(REALDATA)
    assert "SOURCES.md" in names
    for folder in ("calendar", "responses", "scripmaster", "ticks"):
        assert any(n.startswith(folder + "/") for n in names), folder


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/realdata is not beside this checkout")
def test_the_copy_equals_the_shared_realdata() -> None:
    assert _digests(REALDATA) == _digests(SHARED)
