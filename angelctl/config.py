"""Configuration: platform folders, the TOML config file, named profiles, environment overrides.

Resolution order for a profile setting: environment override (``ANGELCTL_API_URL`` …) >
profile table in the config file > the environment's defaults (``live`` or ``sandbox``).
The profile is chosen by ``--profile``, else ``ANGELCTL_PROFILE``, else the file's
``default_profile``, else ``"default"``.

Invariants: a bad file is reported with its path, the key and the problem, never a traceback;
unknown keys are errors (a typo must not silently fall back to a default); the file is written
atomically as 0600 in a 0700 folder; reading uses the standard library only (fast start-up).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn

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
ENVIRONMENTS = ("live", "sandbox")
CREDENTIAL_STORES = ("keyring", "plaintext", "sandbox-demo")
SESSION_RULES = ("earliest", "midnight", "jwt")
_RATE_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
}
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")


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
    def account(self) -> str:
        """What belongs to the broker account, not the profile (the kill-switch latch, the TOTP
        steps): keyed by client code, so every profile on one account shares it."""
        code = self.client_code.strip().upper()
        return f"account-{code}" if code else self.name


# Keys a user may write in a [profiles.NAME] table, with their validators.
def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _choice(options: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        text = _str(value)
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {text!r}")
        return text

    return check


def _url(schemes: tuple[str, ...]) -> Any:
    def check(value: Any) -> str:
        text = _str(value).rstrip("/")
        scheme = text.split("://", 1)[0] if "://" in text else ""
        if scheme not in schemes or len(text) <= len(scheme) + 3:
            raise ValueError(f"expected a {'/'.join(schemes)} URL, got {text!r}")
        return text

    return check


def _ip(value: Any) -> str:
    text = _str(value)
    if text:
        import ipaddress

        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ValueError(f"expected an IP address, got {text!r}") from None
    return text


def _mac(value: Any) -> str:
    text = _str(value)
    if text and not _MAC.match(text):
        raise ValueError(f"expected a MAC address like aa:bb:cc:dd:ee:ff, got {text!r}")
    return text


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise ValueError(f"expected a number of seconds between 0 and 600, got {value!r}")
    return float(value)


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36_500:
        raise ValueError(f"expected a whole number of days between 0 and 36500, got {value!r}")
    return value


def _client_code(value: Any) -> str:
    text = _str(value).strip()
    if text and not re.fullmatch(r"[A-Za-z0-9]{3,20}", text):
        raise ValueError(f"expected letters and digits only, got {text!r}")
    return text.upper()


def parse_rate_spec(value: Any) -> tuple[tuple[int, float], ...]:
    """``"9/s, 500/min, 1000/h"`` → ``((9, 1.0), (500, 60.0), (1000, 3600.0))``."""
    windows = []
    for part in _str(value).split(","):
        match = _RATE_SPEC.match(part)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"expected limits like '9/s, 500/min, 1000/h', got {value!r}")
        multiple = int(match.group(2) or 1)
        windows.append((int(match.group(1)), float(multiple * _UNIT_SECONDS[match.group(3)])))
    return tuple(windows)


PROFILE_KEYS: dict[str, Any] = {
    "client_code": _client_code,
    "environment": _choice(ENVIRONMENTS),
    "api_url": _url(("http", "https")),
    "ws_url": _url(("ws", "wss")),
    "order_ws_url": _url(("ws", "wss")),
    "instruments_url": _url(("http", "https")),
    "public_ip": _ip,
    "local_ip": _ip,
    "mac_address": _mac,
    "connect_timeout": _seconds,
    "read_timeout": _seconds,
    "settle_after": _seconds,
    "follow_unknown": _seconds,
    "journal_retention_days": _days,
    "credential_store": _choice(CREDENTIAL_STORES),
    "session_rule": _choice(SESSION_RULES),
}
TOP_KEYS = ("default_profile", "profiles", "freeze_qty")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


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


@dataclass
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


def _problem(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(
        f"config file {path}: {key}: {problem}",
        hint="fix it with `angelctl config set KEY VALUE` or edit the file",
    )


def _unknown_key(path: Path, key: str, known: tuple[str, ...] | list[str], prefix: str) -> NoReturn:
    import difflib

    close = difflib.get_close_matches(key.split(".")[-1], known, n=1)
    suggestion = f" (did you mean {prefix}{close[0]}?)" if close else ""
    raise _problem(path, prefix + key, f"unknown key{suggestion}")


def validate_config(path: Path, data: dict[str, Any]) -> None:
    for key in data:
        if key not in TOP_KEYS:
            _unknown_key(path, key, TOP_KEYS, "")
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise _problem(path, "default_profile", "expected a profile name (a string)")
    freeze = data.get("freeze_qty", {})
    if not isinstance(freeze, dict):
        raise _problem(path, "freeze_qty", "expected a table of UNDERLYING = units")
    for underlying, units in freeze.items():
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise _problem(
                path,
                f"freeze_qty.{underlying}",
                f"expected a positive whole number of units, got {units!r}",
            )
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _problem(path, "profiles", "expected a table of [profiles.NAME] tables")
    for name, table in profiles.items():
        if not _PROFILE_NAME.match(name):
            raise _problem(path, f"profiles.{name}", "profile names are letters, digits, _ . -")
        if not isinstance(table, dict):
            raise _problem(path, f"profiles.{name}", "expected a table")
        for key, value in table.items():
            where = f"profiles.{name}.{key}"
            if key == "risk":
                _validate_risk(path, where, value)
                continue
            if key == "market_hours":
                _validate_market_hours(path, where, value)
                continue
            if key == "rate_limits":
                if not isinstance(value, dict):
                    raise _problem(path, where, "expected a table of route = 'N/s, M/min'")
                for bucket, spec in value.items():
                    try:
                        parse_rate_spec(spec)
                    except ValueError as exc:
                        raise _problem(path, f"{where}.{bucket}", str(exc)) from None
                continue
            validator = PROFILE_KEYS.get(key)
            if validator is None:
                known = [*PROFILE_KEYS, "rate_limits", "risk", "market_hours"]
                _unknown_key(path, key, known, f"profiles.{name}.")
            try:
                validator(value)
            except ValueError as exc:
                raise _problem(path, where, str(exc)) from None


RISK_KEYS = {
    "max_quantity": "a whole number of units",
    "max_notional": "rupees",
    "max_orders_per_minute": "a whole number",
    "max_open_orders": "a whole number",
    "max_daily_loss": "rupees",
    "collar_percent": "a percentage",
    "market_orders": "'refuse' or 'protect'",
    "market_protection_percent": "a percentage",
    "trip_latch": "a list of 'daily_loss', 'max_orders_per_minute', 'max_open_orders'",
}
TRIP_RULES = ("daily_loss", "max_orders_per_minute", "max_open_orders")


def _validate_risk(path: Path, where: str, table: Any) -> None:
    if not isinstance(table, dict):
        raise _problem(path, where, "expected a table of limits")
    for key, value in table.items():
        if key not in RISK_KEYS:
            _unknown_key(path, key, list(RISK_KEYS), f"{where}.")
        if key == "market_orders":
            if value not in ("refuse", "protect"):
                raise _problem(path, f"{where}.{key}", "expected 'refuse' or 'protect'")
        elif key == "trip_latch":
            if not isinstance(value, list) or any(v not in TRIP_RULES for v in value):
                raise _problem(path, f"{where}.{key}", f"expected {RISK_KEYS[key]}")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise _problem(
                path, f"{where}.{key}", f"expected {RISK_KEYS[key]} above 0, got {value!r}"
            )


def _validate_market_hours(path: Path, where: str, table: Any) -> None:
    """``[profiles.NAME.market_hours]``: ``policy`` and ``amo_windows`` (exchange.amo)."""
    if not isinstance(table, dict):
        raise _problem(path, where, "expected a table with policy and amo_windows")
    from angelctl.exchange.amo import parse_market_hours

    try:
        parse_market_hours(table)
    except ValueError as exc:
        key, _, problem = str(exc).partition(": ")
        raise _problem(path, f"{where}.{key}", problem) from None


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


def write_profile_values(path: Path, profile: str, values: Mapping[str, Any]) -> None:
    """Set keys of one profile, keeping the rest of the file (comments included)."""
    _edit_config(path, lambda doc: _set_profile(doc, profile, values))


def set_config_key(path: Path, dotted_key: str, raw_value: str) -> None:
    """``config set``: ``profiles.NAME.KEY`` or ``default_profile``; the value is typed by key."""
    parts = dotted_key.split(".")
    if parts == ["default_profile"]:
        _edit_config(path, lambda doc: doc.__setitem__("default_profile", raw_value))
        return
    if len(parts) == 2 and parts[0] == "freeze_qty":
        try:
            units = int(raw_value)
        except ValueError:
            raise _problem(
                path, dotted_key, f"expected a whole number, got {raw_value!r}"
            ) from None
        _edit_config(path, lambda doc: _set_table(doc, "freeze_qty", parts[1].upper(), units))
        return
    if len(parts) == 3 and parts[0] == "profiles":
        value: Any = raw_value
        if parts[2] in (
            "connect_timeout",
            "read_timeout",
            "settle_after",
            "follow_unknown",
        ):
            try:
                value = float(raw_value)
            except ValueError:
                raise _problem(path, dotted_key, f"expected a number, got {raw_value!r}") from None
        if parts[2] == "journal_retention_days":
            try:
                value = int(raw_value)
            except ValueError:
                raise _problem(
                    path, dotted_key, f"expected a whole number, got {raw_value!r}"
                ) from None
        _edit_config(path, lambda doc: _set_profile(doc, parts[1], {parts[2]: value}))
        return
    if (
        len(parts) == 4
        and parts[:1] == ["profiles"]
        and parts[2] in ("rate_limits", "market_hours")
    ):
        _edit_config(
            path, lambda doc: _set_profile(doc, parts[1], {parts[2]: {parts[3]: raw_value}})
        )
        return
    raise ConfigError(
        f"cannot set {dotted_key!r}: use KEY (in the current profile), "
        "profiles.NAME.KEY or default_profile"
    )


def _set_table(doc: Any, table: str, key: str, value: Any) -> None:
    import tomlkit

    doc.setdefault(table, tomlkit.table())[key] = value


def _set_profile(doc: Any, profile: str, values: Mapping[str, Any]) -> None:
    import tomlkit

    profiles = doc.setdefault("profiles", tomlkit.table(is_super_table=True))
    table = profiles.setdefault(profile, tomlkit.table())
    for key, value in values.items():
        if isinstance(value, Mapping):
            sub = table.setdefault(key, tomlkit.table())
            for k, v in value.items():
                sub[k] = v
        else:
            table[key] = value


def _edit_config(path: Path, change: Any) -> None:
    import tomlkit

    from angelctl.fsutil import atomic_write_private

    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        text = ""
    try:
        doc = tomlkit.parse(text)
    except Exception as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    change(doc)
    data = doc.unwrap()
    validate_config(path, data)
    atomic_write_private(path, tomlkit.dumps(doc).encode("utf-8"))
