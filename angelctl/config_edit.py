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
            "order_follow_seconds",
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
