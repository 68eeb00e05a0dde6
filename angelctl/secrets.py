"""Secrets: a masking value type and the credential stores.

Rules this module enforces:
- A ``Secret`` never prints its value (``str``/``repr``/f-strings give ``***``); code must
  call ``reveal()`` at the one place the value goes on the wire. Every secret value seen by
  the process is registered so ``redact()`` can scrub any text (logs, tracebacks, errors).
- Credentials (API key, MPIN, TOTP seed) live in the OS keyring, service ``angelctl``, one item
  per secret per profile. No secure backend → ``NoSecureKeyring`` (fail closed); a plaintext
  file store only when the profile says ``credential_store = "plaintext"``.

The session-token cache and the TOTP ledger, which hold secrets across processes, are
``angelctl.tokens``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from angelctl.errors import CredentialError, NoSecureKeyring
from angelctl.fsutil import atomic_write_private
from angelctl.masking import MASK
from angelctl.records import record

log = logging.getLogger("angelctl.secrets")

KEYRING_SERVICE = "angelctl"
CREDENTIAL_NAMES = ("api_key", "mpin", "totp_secret")
SANDBOX_ADMIN_TOKEN = "sandbox_admin_token"  # kept by sandbox profiles (broker.sandbox_admin)

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
