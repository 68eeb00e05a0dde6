"""``login`` writes nothing until the broker has accepted the login.

The profile's config values, its secrets and the new session are staged in memory while the
secrets are validated and ``loginByPassword`` runs; only then are they written, secrets first,
then the config file, then the session cache. A failure while writing puts back what was
there before, so a failed login — a refused MPIN, a bad TOTP seed, an invalid secret, a
network error — leaves the config file, the credential store and the session cache as they
were. (The TOTP ledger is the one exception: a code sent to the broker is spent either way.)
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.config import ConfigFile
from angelctl.config_keys import validate_config
from angelctl.secrets import Secret
from angelctl.tokens import SessionStore, SessionTokens

if TYPE_CHECKING:
    from angelctl.secrets import CredentialStore


def staged_config(cfg: ConfigFile, profile: str, changed: Mapping[str, Any]) -> ConfigFile:
    """The config as it will be written: ``changed`` set in the profile, the profile the
    default when there is none; validated, nothing written."""
    data = copy.deepcopy(cfg.data)
    profiles = data.setdefault("profiles", {})
    profiles.setdefault(profile, {}).update(changed)
    if cfg.default_profile is None:
        data["default_profile"] = profile
    validate_config(cfg.path, data)
    return ConfigFile(cfg.path, data)


class StagedSecrets:
    """A credential store serving the profile's new secrets from memory over the real store."""

    def __init__(self, real: CredentialStore, profile: str, new: Mapping[str, Secret]) -> None:
        self.real = real
        self.profile = profile
        self.new = dict(new)
        self.description = real.description

    def get(self, profile: str, name: str) -> Secret | None:
        if profile == self.profile and name in self.new:
            return self.new[name]
        return self.real.get(profile, name)

    def set(self, profile: str, name: str, value: Secret) -> None:
        if profile != self.profile:
            raise ValueError(f"a login of profile {self.profile} cannot store secrets of {profile}")
        self.new[name] = value

    def delete(self, profile: str, name: str) -> None:
        raise ValueError("a login never deletes a secret")


class HeldSessions(SessionStore):
    """The session cache during a login: a login starts from the credentials, never from an
    earlier cached session, and the new session is held here until it is committed."""

    def __init__(self, real: SessionStore) -> None:
        super().__init__(real.folder)
        self.real = real
        self.held: dict[str, SessionTokens] = {}

    def load(self, profile: str, *, api_url: str, client_code: str) -> SessionTokens | None:
        return self.held.get(profile)

    def save(self, profile: str, tokens: SessionTokens) -> None:
        self.held[profile] = tokens

    def clear(self, profile: str) -> bool:
        return self.held.pop(profile, None) is not None


def commit(
    cfg_path: Path,
    write_config: Callable[[], None],
    secrets: StagedSecrets | None,
    sessions: HeldSessions,
) -> None:
    """Write the staged secrets, the config (``write_config()``) and the held sessions; on any
    failure put the secrets and the config file back as they were, and re-raise."""
    before_config = _read(cfg_path)
    before_secrets: dict[str, Secret | None] = {}
    try:
        if secrets is not None:
            for name, value in secrets.new.items():
                before_secrets[name] = secrets.real.get(secrets.profile, name)
                secrets.real.set(secrets.profile, name, value)
        write_config()
        for profile, tokens in sessions.held.items():
            sessions.real.save(profile, tokens)
    except BaseException:
        _restore_secrets(secrets, before_secrets)
        _restore_file(cfg_path, before_config)
        raise


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _restore_secrets(secrets: StagedSecrets | None, before: Mapping[str, Secret | None]) -> None:
    if secrets is None:
        return
    for name, value in before.items():
        with contextlib.suppress(Exception):  # best effort: the first error is the one to report
            if value is None:
                secrets.real.delete(secrets.profile, name)
            else:
                secrets.real.set(secrets.profile, name, value)


def _restore_file(path: Path, before: bytes | None) -> None:
    from angelctl.fsutil import atomic_write_private

    if _read(path) == before:
        return
    with contextlib.suppress(OSError):
        if before is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_private(path, before)
