"""Secrets: a masking value type, credential stores, the session-token cache, the TOTP ledger.

Rules this module enforces:
- A ``Secret`` never prints its value (``str``/``repr``/f-strings give ``***``); code must
  call ``reveal()`` at the one place the value goes on the wire. Every secret value seen by
  the process is registered so ``redact()`` can scrub any text (logs, tracebacks, errors).
- Credentials (API key, MPIN, TOTP seed) live in the OS keyring, service ``angelctl``, one item
  per secret per profile. No secure backend → ``NoSecureKeyring`` (fail closed); a plaintext
  file store only when the profile says ``credential_store = "plaintext"``.
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
import binascii
import contextlib
import fcntl
import hmac
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from angelctl.clock import IST, Clock, next_midnight_ist, pause
from angelctl.errors import CredentialError, NoSecureKeyring
from angelctl.fsutil import atomic_write_private, ensure_private_dir, open_private
from angelctl.masking import MASK
from angelctl.records import record

log = logging.getLogger("angelctl.secrets")

KEYRING_SERVICE = "angelctl"
CREDENTIAL_NAMES = ("api_key", "mpin", "totp_secret")
SANDBOX_ADMIN_TOKEN = "sandbox_admin_token"  # kept by sandbox profiles (broker.sandbox_admin)
TOTP_STEP_SECONDS = 30
TOTP_KEEP = 8  # steps remembered per profile, in the order they were used
TOTP_FUTURE_STEPS = 1  # a stored step this far ahead of ours is still believed (clock skew)

_registry: set[str] = set()
_registry_lock = threading.Lock()


class Secret:
    """A string that refuses to show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(
            self._value.encode(), other._value.encode()
        )

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


_MIN_SCRUB_LENGTH = 8  # shorter values (MPIN, TOTP code) would scrub ports and prices too;
# they are masked structurally instead (by header and JSON key), see broker/trace.py.


def register_secret(value: str) -> None:
    """Scrub ``value`` from all output by value, as a second line behind structural masking."""
    if len(value) >= _MIN_SCRUB_LENGTH:
        with _registry_lock:
            _registry.add(value)


def redact(text: str) -> str:
    with _registry_lock:
        values = sorted(_registry, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


# ---------------------------------------------------------------------------- credential stores


class CredentialStore(Protocol):
    description: str

    def get(self, profile: str, name: str) -> Secret | None: ...

    def set(self, profile: str, name: str, value: Secret) -> None: ...

    def delete(self, profile: str, name: str) -> None: ...


def _item(profile: str, name: str) -> str:
    return f"{profile}/{name}"


def keyring_backend_problem() -> str | None:
    """Why the active keyring backend is not acceptable, or None when it is secure."""
    import keyring

    backend = keyring.get_keyring()
    backends = list(getattr(backend, "backends", [backend]))
    names = []
    for candidate in backends:
        module = type(candidate).__module__
        names.append(f"{module}.{type(candidate).__name__}")
        if module.startswith("keyrings.alt") or module in (
            "keyring.backends.fail",
            "keyring.backends.null",
        ):
            continue
        return None
    found = ", ".join(names) or "none"
    return f"no secure keyring backend is available (found: {found})"


KEYRING_HINT = (
    "start a desktop session / Secret Service (e.g. `dbus-run-session` with gnome-keyring), "
    "or opt in to a 0600 file store with `angelctl login --allow-plaintext-store`"
)


class KeyringStore:
    description = "OS keyring"

    def __init__(self) -> None:
        problem = keyring_backend_problem()
        if problem:
            raise NoSecureKeyring(problem, hint=KEYRING_HINT)
        import keyring

        self._keyring = keyring
        self.description = f"OS keyring ({type(keyring.get_keyring()).__name__})"

    def get(self, profile: str, name: str) -> Secret | None:
        try:
            value = self._keyring.get_password(KEYRING_SERVICE, _item(profile, name))
        except Exception as exc:
            raise CredentialError(
                f"the keyring refused to read {name} of profile {profile}: {type(exc).__name__}",
                hint="unlock the keyring, or run `angelctl doctor`",
            ) from None
        return Secret(value) if value else None

    def set(self, profile: str, name: str, value: Secret) -> None:
        try:
            self._keyring.set_password(KEYRING_SERVICE, _item(profile, name), value.reveal())
        except Exception as exc:
            raise CredentialError(
                f"the keyring refused to store {name} of profile {profile}: {type(exc).__name__}",
                hint="unlock the keyring, or run `angelctl doctor`",
            ) from None

    def delete(self, profile: str, name: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(KEYRING_SERVICE, _item(profile, name))


class PlaintextStore:
    """Explicit opt-in only: a JSON file, 0600 in a 0700 folder, replaced atomically."""

    description = "plaintext file store (opt-in)"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"plaintext file store {path} (opt-in)"

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise CredentialError(
                f"the plaintext credential store {self.path} is unreadable",
                hint="remove it and run `angelctl login` again",
            ) from None
        return data if isinstance(data, dict) else {}

    def get(self, profile: str, name: str) -> Secret | None:
        value = self._load().get(profile, {}).get(name)
        return Secret(value) if value else None

    def set(self, profile: str, name: str, value: Secret) -> None:
        data = self._load()
        data.setdefault(profile, {})[name] = value.reveal()
        atomic_write_private(self.path, json.dumps(data).encode())

    def delete(self, profile: str, name: str) -> None:
        data = self._load()
        if data.get(profile, {}).pop(name, None) is not None:
            atomic_write_private(self.path, json.dumps(data).encode())


class SandboxDemoStore:
    """A sandbox profile's store: the sandbox's public demo account, fetched from its admin
    route and never stored, and the one secret the profile keeps, the sandbox's admin token
    (``SANDBOX_ADMIN_TOKEN``), in a 0600 file ``<token_folder>/<profile>.admin-token``.

    ``fetch(token)`` gets the demo account with the profile's admin token."""

    description = "sandbox demo account (fetched from the sandbox)"

    def __init__(
        self, fetch: Callable[[Secret | None], dict[str, str]], token_folder: Path | None = None
    ) -> None:
        self._fetch = fetch
        self._cache: dict[str, str] | None = None
        self.token_folder = token_folder

    def token_path(self, profile: str) -> Path | None:
        return None if self.token_folder is None else self.token_folder / f"{profile}.admin-token"

    def get(self, profile: str, name: str) -> Secret | None:
        if name == SANDBOX_ADMIN_TOKEN:
            return self._read_token(profile)
        if self._cache is None:
            self._cache = self._fetch(self._read_token(profile))
        value = self._cache.get(name)
        return Secret(value) if value else None

    def set(self, profile: str, name: str, value: Secret) -> None:
        path = self.token_path(profile)
        if name != SANDBOX_ADMIN_TOKEN or path is None:
            raise CredentialError("the sandbox demo account's credentials cannot be changed")
        write_secret_file(path, value)

    def delete(self, profile: str, name: str) -> None:
        path = self.token_path(profile)
        if name == SANDBOX_ADMIN_TOKEN and path is not None:
            path.unlink(missing_ok=True)

    def _read_token(self, profile: str) -> Secret | None:
        path = self.token_path(profile)
        return None if path is None else read_secret_file(path)


def write_secret_file(path: Path, value: Secret) -> None:
    """One secret in a 0600 file (0700 folder), replaced atomically."""
    atomic_write_private(path, value.reveal().encode("utf-8"))


def read_secret_file(path: Path) -> Secret | None:
    """The secret ``write_secret_file`` wrote; None when there is no (readable) file."""
    try:
        value = path.read_text("utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return Secret(value) if value else None


@record
class Credentials:
    api_key: Secret
    mpin: Secret
    totp_secret: Secret


def load_credentials(store: CredentialStore, profile: str) -> Credentials:
    values = {name: store.get(profile, name) for name in CREDENTIAL_NAMES}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise CredentialError(
            f"profile {profile} has no {', '.join(missing)} in the {store.description}",
            hint=f"run `angelctl login --profile {profile}` to enter them",
        )
    return Credentials(**{k: v for k, v in values.items() if v is not None})


def validate_totp_secret(value: str) -> str:
    """Normalise a base32 TOTP seed (spaces removed, upper case) or raise ValueError."""
    seed = value.replace(" ", "").upper()
    try:
        base64.b32decode(seed + "=" * (-len(seed) % 8))
    except (binascii.Error, ValueError):
        raise ValueError("the TOTP seed is not base32 (letters A-Z and digits 2-7)") from None
    if len(seed) < 16:
        raise ValueError("the TOTP seed is too short (expected 16 or more base32 characters)")
    return seed


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
