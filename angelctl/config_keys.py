"""The keys a config file may hold and their checks: every value parser, the key tables and
``validate_config`` (unknown keys are errors, with the closest known key suggested). Standard
library only: reading a config stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NoReturn

from angelctl.errors import ConfigError

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

    check.choices = options  # type: ignore[attr-defined]  # completion offers these
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
    "order_follow_seconds": _seconds,
    "journal_retention_days": _days,
    "credential_store": _choice(CREDENTIAL_STORES),
    "session_rule": _choice(SESSION_RULES),
}
TOP_KEYS = ("default_profile", "profiles", "freeze_qty")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


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
    "collar_min_ticks": "a whole number of ticks",
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
