"""Every effective setting of a profile and where it comes from: what ``config show`` prints.

One ``Setting`` per value the program applies: the profile's own keys, its risk limits (with
the built-in defaults the order checks use), its market-hours policy and AMO windows, its rate
limits (every route's documented default, overridden per route), the freeze-quantity overrides
and which profile is selected. ``key`` is relative to the profile (risk.max_daily_loss);
``name`` is the canonical key ``config set`` takes (``profiles.NAME.risk.max_daily_loss``).

Invariants: the values are the ones the rest of the program applies (the defaults are read
from the modules that apply them, never copied); a source is one of ``default``, ``file``,
``env`` or ``command_line``; nothing here is a secret (credentials never live in the config).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from angelctl.config import ENV_OVERRIDES, ConfigFile, ProfileSettings
from angelctl.config_keys import PROFILE_KEYS, RISK_KEYS


@dataclass(frozen=True)
class Setting:
    key: str  # relative to the profile: "risk.max_daily_loss", "api_url"
    name: str  # canonical, what `config set` takes: "profiles.main.risk.max_daily_loss"
    value: Any  # JSON-able: str, int, float, list or None (not set: off)
    source: str  # "default" | "file" | "env" | "command_line"
    where: str = ""  # the file's section, the variable or the option

    def source_text(self) -> str:
        """``default``, ``file [profiles.main.risk]``, ``env ANGELCTL_API_URL``, ``--profile``."""
        if self.source == "default":
            return "default"
        if self.source == "command_line":
            return self.where
        return f"{self.source} {self.where}" if self.source == "env" else f"file [{self.where}]"

    def as_dict(self, path: str) -> dict[str, Any]:
        doc: dict[str, Any] = {"key": self.key, "name": self.name, "value": self.value}
        doc["source"] = self.source
        if self.source == "file":
            doc.update(path=path, section=self.where)
        elif self.source == "env":
            doc["variable"] = self.where
        elif self.source == "command_line":
            doc["option"] = self.where
        return doc


def format_rate(windows: tuple[tuple[int, float], ...]) -> str:
    """``((9, 1.0), (500, 60.0))`` → ``"9/s, 500/min"``: the form the config file takes."""
    units = {1.0: "s", 60.0: "min", 3600.0: "h"}
    parts = []
    for count, seconds in windows:
        unit = units.get(seconds)
        parts.append(f"{count}/{unit}" if unit else f"{count}/{int(seconds)}s")
    return ", ".join(parts)


def effective_settings(
    cfg: ConfigFile, settings: ProfileSettings, cli_profile: str | None
) -> list[Setting]:
    """Every setting of ``settings`` in ``cfg``, grouped: profile, risk, market hours, rate
    limits, freeze overrides. ``cli_profile`` is the ``--profile`` given, if any."""
    table = cfg.profiles.get(settings.name, {})
    found = [_selection(cfg, settings.name, cli_profile)]
    found += _profile_keys(settings, table)
    found += _risk(settings)
    found += _market_hours(settings)
    found += _rate_limits(settings)
    found += [
        Setting(f"freeze_qty.{u}", f"freeze_qty.{u}", units, "file", "freeze_qty")
        for u, units in sorted(cfg.freeze_qty.items())
    ]
    return found


def _selection(cfg: ConfigFile, name: str, cli_profile: str | None) -> Setting:
    if cli_profile:
        return Setting("profile", "profile", name, "command_line", "--profile")
    if os.environ.get("ANGELCTL_PROFILE"):
        return Setting("profile", "profile", name, "env", "ANGELCTL_PROFILE")
    if cfg.default_profile:
        return Setting("profile", "default_profile", name, "file", "default_profile")
    return Setting("profile", "default_profile", name, "default")


def _profile_keys(settings: ProfileSettings, table: dict[str, Any]) -> list[Setting]:
    section = f"profiles.{settings.name}"
    out = []
    for key in PROFILE_KEYS:
        value = getattr(settings, key)
        origin = settings.sources.get(key, "config" if key in table else "default")
        if origin.startswith("env "):
            source, where = "env", ENV_OVERRIDES[key]
        elif origin == "config":
            source, where = "file", section
        else:
            source, where = "default", ""
        out.append(Setting(key, f"{section}.{key}", value, source, where))
    return out


def _risk(settings: ProfileSettings) -> list[Setting]:
    from dataclasses import asdict

    from angelctl.orders.checks import limits_from_config

    section = f"profiles.{settings.name}.risk"
    defaults = asdict(limits_from_config({}))
    out = []
    for key in RISK_KEYS:  # every key a user may set (``profile`` is not one)
        if key in settings.risk:
            value, source, where = settings.risk[key], "file", section
        else:
            value, source, where = _plain(defaults.get(key)), "default", ""
        out.append(Setting(f"risk.{key}", f"{section}.{key}", value, source, where))
    return out


def _plain(value: Any) -> Any:
    """A default as JSON takes it: Decimal → int or float, frozenset → sorted list."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def _market_hours(settings: ProfileSettings) -> list[Setting]:
    from angelctl.exchange.amo import DEFAULT_AMO_WINDOWS, parse_market_hours

    section = f"profiles.{settings.name}.market_hours"
    _, windows = parse_market_hours(settings.market_hours)
    policy_set = "policy" in settings.market_hours
    out = [
        Setting(
            "market_hours.policy",
            f"{section}.policy",
            settings.market_hours_policy,
            "file" if policy_set else "default",
            section if policy_set else "",
        )
    ]
    for segment, default in DEFAULT_AMO_WINDOWS.items():
        window = windows.get(segment)
        out.append(
            Setting(
                f"market_hours.amo_windows.{segment}",
                f"{section}.amo_windows.{segment}",
                str(window or default),
                "file" if window else "default",
                f"{section}.amo_windows" if window else "",
            )
        )
    return out


def _rate_limits(settings: ProfileSettings) -> list[Setting]:
    from angelctl.broker.routes import DEFAULT_LIMITS

    section = f"profiles.{settings.name}.rate_limits"
    out = []
    for route in sorted({*DEFAULT_LIMITS, *settings.rate_limits}):
        own = settings.rate_limits.get(route)
        windows = own if own is not None else DEFAULT_LIMITS[route]
        out.append(
            Setting(
                f"rate_limits.{route}",
                f"{section}.{route}",
                format_rate(windows),
                "file" if own is not None else "default",
                section if own is not None else "",
            )
        )
    return out
