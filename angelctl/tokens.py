"""The secrets that outlive a process: the session-token cache and the TOTP ledger.

Rules:
- Session tokens are cached per profile in a 0600 file in a 0700 folder, replaced atomically;
  a cached session is used only for the same API root and client code, before its expiry
  (JWT ``exp`` and/or midnight IST) and never past the IST day it was issued on.
- A TOTP step is used at most once per profile, across processes: a retry waits for the next.
Stored times and clock steps (wall time: sessions and TOTP steps are calendar rules):
- Session cache: the broker, not our clock, decides whether a session still holds, and an
  expired-session reply renews it (``broker.session``). So a session whose ``issued_at`` lies
  in this process's future (our clock is behind the one that cached it) is still used until
  its expiry: refusing it would force a login with a TOTP code from a wrong clock, which the
  broker refuses. Only a session from an earlier IST day than now, or past ``expires_at``, is
  left unused; nothing here waits.
- TOTP ledger: the file keeps the last ``TOTP_KEEP`` steps used, in the order they were used.
  A stored step more than ``TOTP_FUTURE_STEPS`` ahead of this clock's step is impossible (its
  writer's clock was ahead, or ours stepped back): it is ignored for the decision (counted in
  ``ignored``, logged at debug level) and never waited for; it is not deleted, because the
  process that ignores it may be the one whose clock is wrong, and it ages out of the list. A
  step behind the current one is never handed out, so a stored step from the "past" cannot
  make a code be used twice; the wait is never longer than two steps.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from angelctl.clock import IST, Clock, next_midnight_ist, pause
from angelctl.errors import CredentialError
from angelctl.fsutil import atomic_write_private, ensure_private_dir, open_private
from angelctl.records import record
from angelctl.secrets import Secret

log = logging.getLogger("angelctl.secrets")

TOTP_STEP_SECONDS = 30
TOTP_KEEP = 8  # steps remembered per profile, in the order they were used
TOTP_FUTURE_STEPS = 1  # a stored step this far ahead of ours is still believed (clock skew)


# ---------------------------------------------------------------------------- session tokens


@record
class SessionTokens:
    client_code: str
    api_url: str
    api_key: Secret  # cached so a cron job can reuse the morning's session without a keyring
    jwt: Secret
    refresh: Secret
    feed: Secret
    issued_at: datetime
    expires_at: datetime

    def valid_at(self, moment: datetime) -> bool:
        """Before its expiry and not past its IST day; an ``issued_at`` ahead of ``moment``
        (a clock behind the writer's) is no reason to refuse it: the broker decides."""
        past_its_day = moment.astimezone(IST).date() > self.issued_at.astimezone(IST).date()
        return not past_its_day and moment < self.expires_at


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read without verifying (we are not the issuer)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def session_expiry(jwt: str, issued_at: datetime, rule: str) -> datetime:
    """When a new session ends: ``earliest`` of JWT exp and midnight IST (default)."""
    midnight = next_midnight_ist(issued_at)
    exp = jwt_expiry(jwt)
    if rule == "midnight" or exp is None:
        return midnight
    if rule == "jwt":
        return exp
    return min(exp, midnight)


class SessionStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, profile: str) -> Path:
        return self.folder / f"{profile}.json"

    def load(self, profile: str, *, api_url: str, client_code: str) -> SessionTokens | None:
        try:
            raw = json.loads(self.path(profile).read_text("utf-8"))
            tokens = SessionTokens(
                client_code=raw["client_code"],
                api_url=raw["api_url"],
                api_key=Secret(raw["api_key"]),
                jwt=Secret(raw["jwt"]),
                refresh=Secret(raw["refresh"]),
                feed=Secret(raw["feed"]),
                issued_at=datetime.fromisoformat(raw["issued_at"]),
                expires_at=datetime.fromisoformat(raw["expires_at"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.clear(profile)  # a damaged cache is worth nothing; a fresh login replaces it
            return None
        if tokens.api_url != api_url or (client_code and tokens.client_code != client_code):
            return None
        return tokens

    def save(self, profile: str, tokens: SessionTokens) -> None:
        document = {
            "client_code": tokens.client_code,
            "api_url": tokens.api_url,
            "api_key": tokens.api_key.reveal(),
            "jwt": tokens.jwt.reveal(),
            "refresh": tokens.refresh.reveal(),
            "feed": tokens.feed.reveal(),
            "issued_at": tokens.issued_at.isoformat(),
            "expires_at": tokens.expires_at.isoformat(),
        }
        atomic_write_private(self.path(profile), json.dumps(document).encode())

    def clear(self, profile: str) -> bool:
        try:
            self.path(profile).unlink()
        except FileNotFoundError:
            return False
        return True


# ---------------------------------------------------------------------------- TOTP discipline


class TotpLedger:
    """Hands out TOTP codes so that no 30-second step is used twice for a profile.

    The last used steps are kept in a 0600 file under an exclusive ``flock`` so that concurrent
    processes (two cron jobs logging in at 09:00) also never share a code. The rule for steps
    from a stepped clock is in the module docstring.
    """

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock
        self.ignored = 0  # stored steps ignored as impossible (ahead of this clock)

    def next_code(
        self, profile: str, seed: Secret, *, max_wait: float = 2.0 * TOTP_STEP_SECONDS + 1
    ) -> tuple[str, float]:
        """Return (code, seconds waited). Waits for a fresh step when the current one is used."""
        import pyotp

        totp = pyotp.TOTP(seed.reveal(), interval=TOTP_STEP_SECONDS)
        ensure_private_dir(self.folder)
        fd = open_private(self.folder / f"{profile}.totp-step")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            history = _parse_steps(os.pread(fd, 4096, 0).decode("ascii", "replace"))
            step, waited = self._claim(self._believed(history), max_wait)
            code = totp.at(step * TOTP_STEP_SECONDS)
            kept = [*history, step][-TOTP_KEEP:]
            os.ftruncate(fd, 0)
            os.pwrite(fd, ",".join(map(str, kept)).encode(), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        return code, waited

    def _believed(self, history: list[int]) -> set[int]:
        """The stored steps a clock consistent with ours could have used."""
        current = self._current_step()
        limit = current + TOTP_FUTURE_STEPS
        ahead = [step for step in history if step > limit]
        if ahead:
            self.ignored += len(ahead)
            log.debug(
                "TOTP ledger: ignored %d step(s) up to %d s ahead of this clock (a clock step)",
                len(ahead),
                (max(ahead) - current) * TOTP_STEP_SECONDS,
            )
        return {step for step in history if step <= limit}

    def _claim(self, used: set[int], max_wait: float) -> tuple[int, float]:
        """The first step from now on that was not used, after waiting for it to begin."""
        step = _first_unused(self._current_step(), used)
        wait = step * TOTP_STEP_SECONDS - self.clock.now().timestamp()
        if wait <= 0:
            return step, 0.0
        if wait > max_wait:
            raise CredentialError(
                f"the next unused TOTP step begins in {wait:.0f} s",
                hint="check the system clock (`angelctl doctor`)",
            )
        pause(self.clock, wait + 0.05, "the next TOTP step")
        return _first_unused(max(step, self._current_step()), used), wait

    def _current_step(self) -> int:
        return int(self.clock.now().timestamp() // TOTP_STEP_SECONDS)


def _parse_steps(raw: str) -> list[int]:
    """``"123,124"`` (or the single step earlier versions wrote); junk is ignored."""
    return [int(part) for part in raw.replace(",", " ").split() if part.isdigit()]


def _first_unused(step: int, used: set[int]) -> int:
    while step in used:
        step += 1
    return step
