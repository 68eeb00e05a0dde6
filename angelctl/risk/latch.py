"""The kill-switch latch: a persistent "no new exposure" flag every angelctl process honours.

Files, in ``<state>/killswitch/`` (0700; files 0600)::

    latch-account-<CLIENT>.json   engaged for one account (every profile with that client code)
    latch-<profile>.json          engaged for one profile without a client code (and older
                                  versions' per-profile latches, still honoured)
    latch-ALL.json                engaged for every account (``killswitch --all-profiles``)
    inflight/<pid>-<n>            one file per order-entry request on the wire right now

Rules:
- The latch belongs to the account: two profiles with one client code share it.
- ``engage`` writes and fsyncs the latch (file, then folder) at once: it never waits for a lock
  a sender holds, and the latch's time is the time of its write. A latch already engaged keeps
  its original who/when/why.
- Senders hold no lock across network I/O, logins, TOTP waits or settle loops. Every
  order-entry request (place, modify up, GTT create) checks the latch immediately before it
  leaves (``check``, from the transport's ``before_send`` hook), and marks itself in flight
  while on the wire (``inflight``). A request that checked before the latch was written may
  still land: the kill waits a bounded time for those (``wait_inflight``) and sweeps again.
- Fail closed: a latch file that exists but cannot be read or parsed counts as engaged.
- Only ``reset`` removes a latch; nothing expires it. It survives reboots (plain files).
- Clock steps: the latch holds no timed state. Its ``at`` is for people; nothing compares it
  with the clock, so no step of either clock expires, extends or blocks it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from angelctl.clock import ANNOUNCE_AFTER_SECONDS, announce_wait, ist_text
from angelctl.errors import OrderingHalted
from angelctl.fsutil import atomic_write_private, ensure_private_dir, fsync_dir, open_private
from angelctl.records import record

ALL_PROFILES = "ALL"
_POLL = 0.02
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


class KillSwitchEngaged(OrderingHalted):
    error_code = "kill_switch_engaged"

    def __init__(self, state: LatchState) -> None:
        scope = describe_key(state.profile)
        super().__init__(
            f"refused: the kill switch is engaged for {scope} "
            f"(by {state.by} on {state.host} at {ist_text(state.at)}: "
            f"{state.reason or 'no reason given'})",
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


def describe_key(key: str) -> str:
    if key == ALL_PROFILES:
        return "every account"
    if key.startswith("account-"):
        return f"account {key.removeprefix('account-')}"
    return f"profile {key}"


def latch_for(state: Path, client_code: str, profile: str) -> Latch:
    """The latch a profile honours: its account's, its own (older files) and the global one."""
    code = client_code.strip().upper()
    key = f"account-{code}" if code else profile  # as ProfileSettings.account
    return Latch(latch_folder(state), key, also=(profile,))


_inflight_ids = itertools.count(1)


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
    """The latch of one account (plus the all-accounts latch) in a state folder."""

    def __init__(self, folder: Path, profile: str, *, also: tuple[str, ...] = ()) -> None:
        for key in (profile, *also):
            if not _KEY.match(key) or key == ALL_PROFILES:
                raise ValueError(f"invalid latch key: {key!r}")
        self.folder = folder
        self.profile = profile  # the key this latch writes: an account or a profile
        self.also = tuple(k for k in also if k != profile)

    def _path(self, profile: str) -> Path:
        return self.folder / f"latch-{profile}.json"

    # -- reading -------------------------------------------------------------------------

    def read(self) -> LatchState | None:
        """The engaged latch that applies here (its own key first), or None."""
        for name in (self.profile, *self.also, ALL_PROFILES):
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
        """Raise when engaged: called immediately before every order-entry request leaves."""
        state = self.read()
        if state is not None:
            raise KillSwitchEngaged(state)

    # -- requests on the wire ------------------------------------------------------------

    @contextlib.contextmanager
    def inflight(self) -> Iterator[None]:
        """Mark one order-entry request as on the wire (a file, not a lock)."""
        folder = self.folder / "inflight"
        ensure_private_dir(folder)
        path = folder / f"{os.getpid()}-{next(_inflight_ids)}"
        os.close(open_private(path))
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def wait_inflight(self, bound: float) -> int:
        """Wait up to ``bound`` seconds for order-entry requests already on the wire (of live
        processes) to finish; returns how many are still out."""
        started = time.monotonic()
        deadline, announced = started + bound, False
        while True:
            live = self._inflight()
            now = time.monotonic()
            if not live or now >= deadline:
                return live
            if not announced and now - started >= ANNOUNCE_AFTER_SECONDS:
                announced = True
                announce_wait(
                    f"{live} order-entry request(s) already on the wire when the latch was written",
                    deadline - now,
                    at_most=True,
                )
            time.sleep(_POLL)

    def _inflight(self) -> int:
        live = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in (self.folder / "inflight").iterdir():
                pid = int(entry.name.split("-", 1)[0]) if entry.name[:1].isdigit() else 0
                if pid and _alive(pid):
                    live += 1
                else:
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()  # left by a process that died on the wire
        return live

    # -- engaging and resetting ----------------------------------------------------------

    def engage(
        self,
        reason: str,
        *,
        at: str,
        source: str = "killswitch",
        all_profiles: bool = False,
    ) -> tuple[LatchState, bool]:
        """Write the latch durably, now; returns (state, newly_engaged). ``at`` is the caller's
        clock reading just before the write."""
        name = ALL_PROFILES if all_profiles else self.profile
        ensure_private_dir(self.folder)
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

    def reset(self, *, all_profiles: bool = False) -> list[LatchState]:
        """Remove this account's latch (its profile's too, and the global one if asked);
        returns what was set."""
        names = [self.profile, *self.also] + ([ALL_PROFILES] if all_profiles else [])
        cleared: list[LatchState] = []
        ensure_private_dir(self.folder)
        for name in names:
            state = self._read_one(name)
            if state is None:
                continue
            with contextlib.suppress(FileNotFoundError):
                self._path(name).unlink()
            cleared.append(state)
        if cleared:
            fsync_dir(self.folder)
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
