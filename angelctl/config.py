"""Configuration: platform folders, the TOML config file, named profiles, environment overrides.

Resolution order for a profile setting: environment override (``ANGELCTL_API_URL`` …) >
profile table in the config file > the environment's defaults (``live`` or ``sandbox``).
The profile is chosen by ``--profile``, else ``ANGELCTL_PROFILE``, else the file's
``default_profile``, else ``"default"``.

The keys and their checks are ``config_keys``; writing the file is ``config_edit``.

Invariants: a bad file is reported with its path, the key and the problem, never a traceback;
unknown keys are errors (a typo must not silently fall back to a default); the file is written
atomically as 0600 in a 0700 folder; reading uses the standard library only (fast start-up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import field, fields
from pathlib import Path
from typing import Any

from angelctl.config_keys import (
    _PROFILE_NAME,
    PROFILE_KEYS,
    parse_rate_spec,
    validate_config,
)
from angelctl.errors import ConfigError
from angelctl.records import record

APP_NAME = "angelctl"

LIVE_URLS = {
    "api_url": "https://apiconnect.angelone.in",
    "ws_url": "wss://smartapisocket.angelone.in/smart-stream",
    "order_ws_url": "wss://tns.angelone.in/smart-order-update",
    "instruments_url": (
        "https://margincalculator.angelone.in/OpenAPI_File/files/OpenAPIScripMaster.json"
    ),
}
SANDBOX_DEFAULT_PORT = 8765
SANDBOX_DEFAULT_API_URL = f"http://127.0.0.1:{SANDBOX_DEFAULT_PORT}"

ENV_OVERRIDES = {
    "api_url": "ANGELCTL_API_URL",
    "ws_url": "ANGELCTL_WS_URL",
    "order_ws_url": "ANGELCTL_ORDER_WS_URL",
    "instruments_url": "ANGELCTL_INSTRUMENTS_URL",
}


def _platform_dir(kind: str, xdg: str, fallback: str) -> Path:
    """The per-user folder of ``kind``: XDG on Linux (what platformdirs does there, without
    its import cost on every command), platformdirs everywhere else."""
    if sys.platform.startswith("linux"):
        base = os.environ.get(xdg, "").strip()
        root = Path(base) if base and os.path.isabs(base) else Path.home() / fallback
        return root / APP_NAME
    import platformdirs

    getter = getattr(platformdirs, f"user_{kind}_path")
    return Path(getter(APP_NAME))


def config_dir() -> Path:
    return _platform_dir("config", "XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """Sessions, rate-limit ledger, TOTP ledger, the journal and locks."""
    return _platform_dir("state", "XDG_STATE_HOME", ".local/state")


def cache_dir() -> Path:
    return _platform_dir("cache", "XDG_CACHE_HOME", ".cache")


def holiday_file() -> Path:
    """The user's holiday data file (``calendar update`` writes it; when present it replaces
    the shipped data, see ``exchange.holidays``)."""
    return config_dir() / "holidays.json"


def config_path() -> Path:
    override = os.environ.get("ANGELCTL_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"


@record
class ProfileSettings:
    """Everything a profile says, resolved and validated. No secrets live here."""

    name: str
    client_code: str = ""
    environment: str = "live"
    api_url: str = LIVE_URLS["api_url"]
    ws_url: str = LIVE_URLS["ws_url"]
    order_ws_url: str = LIVE_URLS["order_ws_url"]
    instruments_url: str = LIVE_URLS["instruments_url"]
    public_ip: str = ""
    local_ip: str = ""
    mac_address: str = ""
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    # An order absent from the book this long after it was sent was never placed: longer than
    # the broker's gateway timeout (30 s assumed, docs/protocol.md "Gateway timeout").
    settle_after: float = 60.0
    follow_unknown: float = 10.0  # how long a placer watches the book after an unknown answer
    # How long `order place --yes/--json` follows a new order to its first definite state.
    order_follow_seconds: float = 5.0
    # Settled intents older than this many days are pruned once a day (0: kept forever).
    journal_retention_days: int = 90
    credential_store: str = "keyring"
    session_rule: str = "earliest"
    rate_limits: Mapping[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    risk: Mapping[str, Any] = field(default_factory=dict)
    market_hours: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"

    @property
    def market_hours_policy(self) -> str:
        """What the order checks do outside the session: the profile's ``market_hours.policy``,
        else ``refuse`` for a live profile and ``allow`` for a sandbox one (the paper market
        trades around the clock unless the sandbox enforces hours itself)."""
        policy = self.market_hours.get("policy")
        if isinstance(policy, str):
            return policy
        return "allow" if self.is_sandbox else "refuse"

    @property
    def account(self) -> str:
        """What belongs to the broker account, not the profile (the kill-switch latch, the TOTP
        steps): keyed by client code, so every profile on one account shares it."""
        code = self.client_code.strip().upper()
        return f"account-{code}" if code else self.name


def sandbox_urls(api_url: str) -> dict[str, str]:
    """The sandbox serves every endpoint under one loopback root."""
    root = api_url.rstrip("/")
    ws_root = "ws" + root[len("http") :] if root.startswith("http") else root
    return {
        "api_url": root,
        "ws_url": f"{ws_root}/smart-stream",
        "order_ws_url": f"{ws_root}/smart-order-update",
        "instruments_url": f"{root}/OpenAPI_File/files/OpenAPIScripMaster.json",
    }


@record(frozen=False)
class ConfigFile:
    path: Path
    data: dict[str, Any]

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        profiles = self.data.get("profiles", {})
        return profiles if isinstance(profiles, dict) else {}

    @property
    def freeze_qty(self) -> dict[str, int]:
        """Per-underlying freeze quantities that override the master and the built-in table."""
        table = self.data.get("freeze_qty", {})
        return {str(k).upper(): int(v) for k, v in table.items()} if isinstance(table, dict) else {}

    @property
    def default_profile(self) -> str | None:
        value = self.data.get("default_profile")
        return value if isinstance(value, str) else None


def load_config_file(path: Path | None = None) -> ConfigFile:
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path, {})
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror}",
            hint="check the file's permissions, or point ANGELCTL_CONFIG at another file",
        ) from None
    import tomllib  # only with a file to parse: compiling its patterns costs about 15 ms

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint="fix the file by hand, or move it away and run `angelctl login` again",
        ) from None
    validate_config(path, data)
    return ConfigFile(path, data)


def selected_profile_name(cli_profile: str | None, cfg: ConfigFile) -> str:
    name = cli_profile or os.environ.get("ANGELCTL_PROFILE") or cfg.default_profile or "default"
    if not _PROFILE_NAME.match(name):
        raise ConfigError(f"invalid profile name {name!r}: use letters, digits, _ . -")
    return name


def resolve_profile(
    cfg: ConfigFile, name: str, *, require_existing: bool = True
) -> ProfileSettings:
    table = cfg.profiles.get(name)
    if table is None and require_existing:
        known = ", ".join(sorted(cfg.profiles)) or "none yet"
        raise ConfigError(
            f"profile {name!r} is not configured in {cfg.path} (profiles: {known})",
            hint=f"run `angelctl login --profile {name}` to set it up, "
            "or `angelctl login --sandbox` to try the sandbox",
        )
    table = table or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    environment = table.get("environment", "live")
    defaults = (
        sandbox_urls(table.get("api_url", SANDBOX_DEFAULT_API_URL))
        if environment == "sandbox"
        else LIVE_URLS
    )
    for key, default in defaults.items():
        values[key], sources[key] = default, "default"
    for key, validator in PROFILE_KEYS.items():
        if key in table:
            values[key], sources[key] = validator(table[key]), "config"
    for key, env in ENV_OVERRIDES.items():
        override = os.environ.get(env)
        if override:
            try:
                values[key] = PROFILE_KEYS[key](override)
            except ValueError as exc:
                raise ConfigError(f"environment variable {env}: {exc}") from None
            sources[key] = f"env {env}"
    limits = {
        bucket: parse_rate_spec(spec) for bucket, spec in table.get("rate_limits", {}).items()
    }
    settable = {f.name for f in fields(ProfileSettings)}
    return ProfileSettings(
        name=name,
        rate_limits=limits,
        risk=dict(table.get("risk", {})),
        market_hours=dict(table.get("market_hours", {})),
        sources=sources,
        **{k: v for k, v in values.items() if k in settable},
    )
