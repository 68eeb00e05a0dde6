"""Pressing Tab in a real bash inside a pseudo-terminal (``tty_shell``), with the shipped
completion script and an instrument index synced from the sandbox: fixed values, profiles,
today's order ids and the nearest-expiry symbol case. zsh and fish run only where installed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from angelctl.instruments.complete import CAP
from tests.cli.tty_shell import Shell
from tests.conftest import REPO, admin

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "angelctl"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m angelctl "$@"\n')
    shim.chmod(0o755)
    running = Shell(
        REPO / "completions" / "angelctl.bash", f"{bin_dir}:{os.environ['PATH']}", cwd=REPO
    )
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def traded(cli: Any, sandbox: Any, sandbox_login: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A sandbox profile, its instrument index synced from the sandbox, two orders placed."""
    monkeypatch.setenv("ANGELCTL_INSTRUMENTS_URL", sandbox.instruments_url)
    assert cli("instruments", "sync").code == 0
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    ids = []
    for price in ("780", "781"):
        placed = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", price, "--yes")
        assert placed.code == 0, placed.both
        listed = cli("order", "list", "--json").json()["orders"]
        ids = [o["order_id"] for o in listed]
    return ids


@pytest.fixture
def rules(cli: Any, sandbox: Any, sandbox_login: Any) -> list[str]:
    """Three GTT rules created today; the first then modified, so it is the newest event."""
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    ids = []
    for trigger in ("840", "850", "860"):
        made = cli("gtt", "create", "SELL", "SBIN", "--qty", "1", "--trigger", trigger,
                   "--price", trigger, "--yes", "--json")  # fmt: skip
        assert made.code == 0, made.both
        ids.append(made.json()["id"])
    assert cli("gtt", "modify", ids[0], "--price", "845", "--yes").code == 0
    return ids


def test_gtt_rule_ids_from_todays_journal_newest_first(shell: Shell, rules: list[str]) -> None:
    first, second, third = rules
    for command in ("show", "modify", "cancel"):
        line, _ = shell.tab(f"angelctl gtt {command} ")
        assert line == f"angelctl gtt {command} " + _lcp(rules)
    _, shown = shell.tab("angelctl gtt cancel " + _lcp(rules), presses=2)
    listing = " ".join(shown)
    assert listing.index(first) < listing.index(third) < listing.index(second)
    assert shell.tab(f"angelctl gtt show {third[:-1]}")[0].endswith(f" {_lcp(rules)}")
    assert shell.tab(f"angelctl gtt show {third}")[0] == f"angelctl gtt show {third} "
    _, shown = shell.tab("angelctl gtt show 9", presses=2)  # no journalled id: no file names
    assert "pyproject.toml" not in _words(shown)


def _lcp(words: list[str]) -> str:
    """The longest common prefix, as bash computes what to insert."""
    first = words[0]
    size = next(
        (i for i in range(len(first)) if any(w[i : i + 1] != first[i] for w in words)), len(first)
    )
    return first[:size]


def _words(shown: list[str]) -> set[str]:
    return {word for line in shown for word in line.split()}


def test_fixed_values_and_no_file_names(shell: Shell) -> None:
    line, _ = shell.tab("angelctl order place ")
    assert line == "angelctl order place "  # BUY and SELL: nothing common to insert
    _, shown = shell.tab("angelctl order place ", presses=2)
    assert {"BUY", "SELL"} <= _words(shown)
    assert shell.tab("angelctl order place s")[0] == "angelctl order place SELL "
    assert shell.tab("angelctl order place BUY SBIN --type stoploss_m")[0].endswith(
        "--type STOPLOSS_MARKET "
    )
    assert shell.tab("angelctl order place BUY SBIN --product CARRY")[0].endswith(
        "--product CARRYFORWARD "
    )
    assert shell.tab("angelctl order place BUY SBIN --validity I")[0].endswith("--validity IOC ")
    assert shell.tab("angelctl order list --status trig")[0].endswith("--status trigger\\ pending ")
    _, shown = shell.tab("angelctl order place BUY SBIN --price ", presses=2)
    # a price is not a path: the working folder's files (pyproject.toml …) are never offered
    assert "pyproject.toml" not in _words(shown) and "angelctl/" not in _words(shown)
    assert shell.tab("angelctl instruments sync --file pyproj")[0].endswith("pyproject.toml ")


def test_profiles_order_ids_and_the_nearest_expiry(shell: Shell, traded: list[str]) -> None:
    assert shell.tab("angelctl --profile sa")[0] == "angelctl --profile sandbox "
    older, newest = traded
    line, _ = shell.tab("angelctl order cancel ")
    assert line == "angelctl order cancel " + _lcp(traded)
    _, shown = shell.tab(line, presses=2)
    listing = " ".join(shown)
    assert listing.index(newest) < listing.index(older)  # today's orders, newest first
    assert shell.tab("angelctl order modify 2")[0].endswith(" " + _lcp(traded))

    prefix, near, matched = _nifty_case()
    line, _ = shell.tab(f"angelctl quote {prefix}")
    inserted = line.removeprefix("angelctl quote ")
    # over the cap (as NIFTY0 in December: 08DEC26 and 05JAN27, 164 contracts), only the
    # nearest expiry's prefix is inserted; under it, what every match shares
    assert inserted == _lcp(sorted(near) if len(matched) > CAP else sorted(matched))
    assert all(symbol.startswith(inserted) for symbol in near), (inserted, near[:3])


def _nifty_case() -> tuple[str, list[str], set[str]]:
    """``NIFTY`` and the first digit of the nearest NIFTY expiry's day (``NIFTY0`` for 08DEC),
    that expiry's symbols, and every symbol the prefix matches."""
    from angelctl.instruments.complete import today_ist
    from angelctl.instruments.store import index_path

    db = sqlite3.connect(index_path())
    nearest, symbol = db.execute(
        "SELECT expiry, symbol FROM contracts WHERE name = 'NIFTY' AND kind = 'OPT'"
        " AND expiry >= ? ORDER BY expiry LIMIT 1",
        (today_ist(),),
    ).fetchone()
    prefix = symbol[: len("NIFTY") + 1]
    rows = db.execute(
        "SELECT symbol, expiry FROM contracts WHERE usym LIKE ?", (prefix + "%",)
    ).fetchall()
    db.close()
    return prefix, [s for s, e in rows if e == nearest], {s for s, _ in rows}


@pytest.mark.parametrize("other", ["zsh", "fish"])
def test_other_shells_parse_their_script(other: str) -> None:
    """Where zsh or fish is installed its script must at least parse (no pty driver for them
    yet; both speak the protocol the tests above check through bash)."""
    if shutil.which(other) is None:
        pytest.skip(f"{other} is not installed on this machine")
    check = ["zsh", "-n"] if other == "zsh" else ["fish", "--no-execute"]
    script = REPO / "completions" / f"angelctl.{other}"
    result = subprocess.run([*check, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
