"""The kill-switch latch: a persistent "no new exposure" flag every angelctl process honours.

Files, in ``<state>/killswitch/`` (0700; files 0600)::

    latch-<profile>.json   engaged for one profile
    latch-ALL.json         engaged for every profile (``killswitch --all-profiles``)
    gate.lock              the order-entry gate (flock)

Rules:
- ``engage`` writes and fsyncs the latch (file, then folder) before the caller makes any network
  call; a latch that is already engaged keeps its original who/when/why.
- Every order-entry path (place, modify up, GTT create) sends inside ``gate()``: a *shared*
  flock on ``gate.lock``, then a fresh read of the latch. ``engage`` takes the *exclusive* lock
  before writing, so it waits for sends already past the check to finish, and every send that
  starts afterwards sees the latch. Hence no order is accepted after the latch was written.
  (A sender that hangs past ``ENGAGE_WAIT_SECONDS`` does not stop the latch: it is written
  anyway and the kill's order-book sweep cancels whatever that send created.)
- Fail closed: a latch file that exists but cannot be read or parsed counts as engaged.
- Only ``reset`` removes a latch; nothing expires it. It survives reboots (plain files).
- Clock steps: the latch holds no timed state. Its ``at`` is for people; nothing compares it
  with the clock, so no step of either clock expires, extends or blocks it. Waits for the gate
  lock are measured on this process's monotonic clock, and one over two seconds is announced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from angelctl.clock import ANNOUNCE_AFTER_SECONDS, announce_wait
from angelctl.errors import AngelctlError
from angelctl.fsutil import atomic_write_private, ensure_private_dir, fsync_dir, open_private
from angelctl.records import record
from angelctl.status import ExitStatus

ALL_PROFILES = "ALL"
ENGAGE_WAIT_SECONDS = 30.0
GATE_WAIT_SECONDS = 30.0
_POLL = 0.02
_SENDS_IN_FLIGHT = "the kill-switch gate (another angelctl process is sending an order)"
_ENGAGING = "the kill-switch gate (another angelctl process is engaging the kill switch)"


class KillSwitchEngaged(AngelctlError):
    exit_status = ExitStatus.KILL_SWITCH

    def __init__(self, state: LatchState) -> None:
        scope = "every profile" if state.profile == ALL_PROFILES else f"profile {state.profile}"
        super().__init__(
            f"refused: the kill switch is engaged for {scope} "
            f"(by {state.by} on {state.host} at {state.at}: {state.reason or 'no reason given'})",
            hint="`angelctl killswitch status` shows it; `angelctl killswitch reset` clears it",
        )
        self.state = state


@record
class LatchState:
    profile: str
    at: str  # ISO-8601 UTC
    by: str
    host: str
    pid: int
    reason: str
    source: str = "killswitch"  # or "guard" when tripped automatically
    readable: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def latch_folder(state: Path) -> Path:
    return state / "killswitch"


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _host() -> str:
    import socket

    return socket.gethostname()


class Latch:
    """The latch of one profile (plus the all-profiles latch) in a state folder."""

    def __init__(self, folder: Path, profile: str) -> None:
        if not profile or "/" in profile or profile == ALL_PROFILES:
            raise ValueError(f"invalid profile name for a latch: {profile!r}")
        self.folder = folder
        self.profile = profile

    def _path(self, profile: str) -> Path:
        return self.folder / f"latch-{profile}.json"

    # -- reading -------------------------------------------------------------------------

    def read(self) -> LatchState | None:
        """The engaged latch that applies to this profile (its own first), or None."""
        for name in (self.profile, ALL_PROFILES):
            state = self._read_one(name)
            if state is not None:
                return state
        return None

    def _read_one(self, name: str) -> LatchState | None:
        path = self._path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return _unreadable(name)
        try:
            data = json.loads(raw)
            return LatchState(
                profile=str(data["profile"]),
                at=str(data["at"]),
                by=str(data["by"]),
                host=str(data["host"]),
                pid=int(data["pid"]),
                reason=str(data.get("reason", "")),
                source=str(data.get("source", "killswitch")),
            )
        except (ValueError, KeyError, TypeError):
            return _unreadable(name)

    def check(self) -> None:
        state = self.read()
        if state is not None:
            raise KillSwitchEngaged(state)

    # -- the order-entry gate ------------------------------------------------------------

    @contextlib.contextmanager
    def gate(self, *, wait: float = GATE_WAIT_SECONDS) -> Iterator[None]:
        """Hold the shared gate while sending one order-entry request; raises when engaged."""
        fd = open_private(self.folder / "gate.lock")
        try:
            try:
                _flock(fd, fcntl.LOCK_SH, wait, _ENGAGING)
            except TimeoutError:
                raise AngelctlError(
                    "refused: the kill switch is being engaged right now",
                    hint="`angelctl killswitch status` shows the latch",
                ) from None
            self.check()
            yield
        finally:
            os.close(fd)  # releases the flock

    # -- engaging and resetting ----------------------------------------------------------

    def engage(
        self,
        reason: str,
        *,
        at: str,
        source: str = "killswitch",
        all_profiles: bool = False,
        wait: float = ENGAGE_WAIT_SECONDS,
    ) -> tuple[LatchState, bool]:
        """Write the latch durably; returns (state, newly_engaged)."""
        name = ALL_PROFILES if all_profiles else self.profile
        ensure_private_dir(self.folder)
        fd = open_private(self.folder / "gate.lock")
        try:
            with contextlib.suppress(TimeoutError):
                _flock(fd, fcntl.LOCK_EX, wait, _SENDS_IN_FLIGHT)
            existing = self._read_one(name)
            if existing is not None and existing.readable:
                return existing, False
            state = LatchState(
                profile=name,
                at=at,
                by=_who(),
                host=_host(),
                pid=os.getpid(),
                reason=reason,
                source=source,
            )
            atomic_write_private(self._path(name), json.dumps(state.as_dict()).encode())
            return state, True
        finally:
            os.close(fd)

    def reset(self, *, all_profiles: bool = False) -> list[LatchState]:
        """Remove this profile's latch (and the all-profiles one if asked); returns what was set."""
        names = [self.profile, ALL_PROFILES] if all_profiles else [self.profile]
        cleared: list[LatchState] = []
        ensure_private_dir(self.folder)
        fd = open_private(self.folder / "gate.lock")
        try:
            _flock(fd, fcntl.LOCK_EX, ENGAGE_WAIT_SECONDS, _SENDS_IN_FLIGHT)
            for name in names:
                state = self._read_one(name)
                if state is None:
                    continue
                self._path(name).unlink()
                cleared.append(state)
            if cleared:
                fsync_dir(self.folder)
        finally:
            os.close(fd)
        return cleared


def _unreadable(name: str) -> LatchState:
    return LatchState(
        profile=name,
        at="unknown",
        by="unknown",
        host="unknown",
        pid=0,
        reason="the latch file exists but cannot be read; treated as engaged",
        readable=False,
    )


def _flock(fd: int, kind: int, wait: float, what: str) -> None:
    started = time.monotonic()
    deadline = started + wait
    announced = False
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError("could not take the kill-switch gate lock") from None
            if not announced and now - started > ANNOUNCE_AFTER_SECONDS:
                announce_wait(what, deadline - now, at_most=True)
                announced = True
            time.sleep(_POLL)
