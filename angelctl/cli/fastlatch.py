"""The kill switch's latch before the CLI framework loads.

``angelctl killswitch --yes`` (or ``kill --yes``) must have its latch on disk within about a
hundred milliseconds of the process starting, whatever else is going on; loading Typer and
building the command costs more than that. So the entry point looks at the raw argv first and,
for exactly that case, reads the profile and writes the latch with a handful of modules
(``config``, ``risk.latch``). The command then finds the latch it wrote (``taken``) and goes on
as usual. Anything unusual — no ``--yes``, ``--dry-run``, help, a segment that is not an
exchange, a config problem, a ``--drill`` rehearsal — is left to the command, which reports it
its own way.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from angelctl.cli.argv import split, values

if TYPE_CHECKING:
    from types import FrameType

    from angelctl.risk.latch import LatchState

KILL_WORDS = ("killswitch", "kill")

_taken: dict[str, tuple[tuple[LatchState, bool], float | None]] = {}
_pending: dict[str, str] = {}  # a stop signal that arrived before the command took over


def pending_signal() -> str | None:
    """SIGTERM/SIGHUP/SIGINT received between the fast latch and the command's own handlers."""
    return _pending.get("name")


def _remember(signum: int, _frame: FrameType | None) -> None:
    import signal

    _pending.setdefault("name", signal.Signals(signum).name)


def _hold_signals() -> None:
    """From the latch on, a stop signal must not lose the kill's summary: remember it, and
    let the command finish its current step (``cli.kill_run.stop_on_signals``)."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _remember)


def taken() -> tuple[tuple[LatchState, bool], float | None] | None:
    """((state, newly_engaged), milliseconds after process start) if the fast path latched."""
    return _taken.get("latched")


def try_fast_latch(args: list[str]) -> None:
    profile, words = split(args)
    if not words or words[0] not in KILL_WORDS:
        return
    rest = words[1:]
    if rest and not rest[0].startswith("-"):
        return  # a sub-command: status, reset
    if not ({"--yes", "-y"} & set(rest)) or {"--dry-run", "--help", "-h"} & set(rest):
        return
    if any(word == "--drill" or word.startswith("--drill=") for word in rest):
        return  # a rehearsal on a private sandbox: the operator's latch is never written
    reason = _value(rest, ("--reason", "-r")) or ""
    try:
        if any(_bad_segment(s) for s in values(rest, ("--segment",))):
            return
        from angelctl.config import (
            load_config_file,
            resolve_profile,
            selected_profile_name,
            state_dir,
        )
        from angelctl.risk.latch import latch_for

        cfg = load_config_file()
        settings = resolve_profile(cfg, selected_profile_name(profile, cfg))
        _hold_signals()
        latch = latch_for(state_dir(), settings.client_code, settings.name)
        from angelctl.cli.environment import environment  # the process's: no run yet

        result = latch.engage(
            reason,
            at=environment().clock.now().isoformat(timespec="milliseconds"),
            all_profiles="--all-profiles" in rest,
        )
    except Exception:  # the command reports what went wrong, and latches then
        return
    _taken["latched"] = (result, process_age_ms())


def _value(words: list[str], names: tuple[str, ...]) -> str | None:
    found = values(words, names)
    return found[-1] if found else None


def _bad_segment(text: str) -> bool:
    from angelctl.instruments.model import EXCHANGES

    return text.strip().upper() not in EXCHANGES


def process_age_ms() -> float | None:
    """How long this process has existed (Linux: its start time since boot)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return round((time.clock_gettime(time.CLOCK_BOOTTIME) - started) * 1000, 1)
    except (OSError, ValueError, IndexError):
        return None
