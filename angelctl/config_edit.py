"""Writing the config file: ``config set`` and what ``login`` records, through tomlkit so the
user's comments and layout survive. Every write is validated first and replaces the file
atomically (0600 in a 0700 folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from angelctl.config_keys import _problem, validate_config
from angelctl.errors import ConfigError


def write_profile_values(path: Path, profile: str, values: Mapping[str, Any]) -> None:
    """Set keys of one profile, keeping the rest of the file (comments included)."""
    _edit_config(path, lambda doc: _set_profile(doc, profile, values))


SECTIONS = ("risk", "market_hours", "rate_limits")
_FLOAT_KEYS = (
    "connect_timeout",
    "read_timeout",
    "settle_after",
    "follow_unknown",
    "order_follow_seconds",
)


def canonical_key(key: str, profile: str) -> str:
    """The one form ``config set`` echoes and every hint prints: ``profiles.NAME.KEY``,
    ``profiles.NAME.risk.KEY``, ``profiles.NAME.market_hours.policy``,
    ``profiles.NAME.market_hours.amo_windows.SEGMENT``, ``profiles.NAME.rate_limits.ROUTE``,
    ``freeze_qty.UNDERLYING`` or ``default_profile``. Also accepted, for ``profile`` (the one
    selected): ``KEY``, a risk key alone (``market_orders``) and ``SECTION.KEY``
    (risk.max_daily_loss). Raises UsageError naming the settable keys."""
    from angelctl.config_keys import PROFILE_KEYS, RISK_KEYS
    from angelctl.errors import UsageError

    parts = key.split(".")
    if parts == ["default_profile"]:
        return key
    if len(parts) == 2 and parts[0] == "freeze_qty":
        return f"freeze_qty.{parts[1].upper()}"
    if parts[0] == "profiles" and len(parts) >= 3:
        profile, parts = parts[1], parts[2:]
    if len(parts) == 1 and parts[0] in RISK_KEYS:
        parts = ["risk", *parts]
    if _known(parts, PROFILE_KEYS, RISK_KEYS):
        return ".".join(["profiles", profile, *parts])
    raise UsageError(
        f"unknown setting {key!r}",
        hint=f"settings: {', '.join(PROFILE_KEYS)}, risk.({'|'.join(RISK_KEYS)}), "
        "market_hours.policy, market_hours.amo_windows.SEGMENT, rate_limits.ROUTE, "
        "freeze_qty.UNDERLYING, default_profile (`angelctl config show` lists them)",
    )


def _known(parts: list[str], profile_keys: Any, risk_keys: Any) -> bool:
    if len(parts) == 1:
        return parts[0] in profile_keys
    if parts[0] == "risk":
        return len(parts) == 2 and parts[1] in risk_keys
    if parts[0] == "market_hours":
        return parts[1:] == ["policy"] or (len(parts) == 3 and parts[1] == "amo_windows")
    return parts[0] == "rate_limits" and len(parts) == 2


def set_config_key(path: Path, dotted_key: str, raw_value: str) -> None:
    """``config set`` with a canonical key (``canonical_key``); the value is typed by key and
    the whole file is validated before it is replaced."""
    parts = dotted_key.split(".")
    if parts == ["default_profile"]:
        _edit_config(path, lambda doc: doc.__setitem__("default_profile", raw_value))
        return
    if len(parts) == 2 and parts[0] == "freeze_qty":
        units = _typed(path, dotted_key, raw_value, int)
        _edit_config(path, lambda doc: _set_table(doc, "freeze_qty", parts[1].upper(), units))
        return
    if len(parts) < 3 or parts[0] != "profiles":
        raise ConfigError(f"cannot set {dotted_key!r}: not a canonical key (profiles.NAME.KEY)")
    profile, rest = parts[1], parts[2:]
    value: Any = raw_value
    if rest[0] in _FLOAT_KEYS:
        value = _typed(path, dotted_key, raw_value, float)
    elif rest[0] == "journal_retention_days":
        value = _typed(path, dotted_key, raw_value, int)
    elif rest[0] == "risk":
        value = _risk_value(path, dotted_key, rest[1], raw_value)
    for name in reversed(rest[1:]):
        value = {name: value}
    _edit_config(path, lambda doc: _set_profile(doc, profile, {rest[0]: value}))


def _risk_value(path: Path, key: str, name: str, raw: str) -> Any:
    """A risk limit typed as the file holds it: a word, a list of rules, or a number."""
    if name == "market_orders":
        return raw
    if name == "trip_latch":
        return [rule.strip() for rule in raw.split(",") if rule.strip()]
    whole = name in ("max_quantity", "max_orders_per_minute", "max_open_orders")
    if whole:
        return _typed(path, key, raw, int)
    number = _typed(path, key, raw, float)
    return int(number) if number.is_integer() else number


def _typed(path: Path, key: str, raw: str, kind: Any) -> Any:
    try:
        return kind(raw)
    except ValueError:
        word = "a whole number" if kind is int else "a number"
        raise _problem(path, key, f"expected {word}, got {raw!r}") from None


def _set_table(doc: Any, table: str, key: str, value: Any) -> None:
    import tomlkit

    doc.setdefault(table, tomlkit.table())[key] = value


def _set_profile(doc: Any, profile: str, values: Mapping[str, Any]) -> None:
    import tomlkit

    profiles = doc.setdefault("profiles", tomlkit.table(is_super_table=True))
    table = profiles.setdefault(profile, tomlkit.table())
    _merge(table, values)


def _merge(table: Any, values: Mapping[str, Any]) -> None:
    """Nested mappings become (sub-)tables, merged key by key; anything else is set."""
    import tomlkit

    for key, value in values.items():
        if isinstance(value, Mapping):
            sub = table.get(key)
            if not isinstance(sub, Mapping):
                sub = table[key] = tomlkit.table()
            _merge(sub, value)
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
