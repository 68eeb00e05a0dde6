"""``config show``: every effective setting under its config-file section, with
its source (``file``, ``default``, ``env VARIABLE``, ``--profile``).

Invariants: one row per setting, no value elided (long URLs fold onto a second line on a
terminal; piped, nothing wraps and rich is not loaded); the
section headers are the TOML tables a value is (or would be) written to, so what is shown is
what ``config set`` takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from angelctl.render.view import Cell, KeyValueView, Part, Stack, Styled

if TYPE_CHECKING:
    from angelctl.config_view import Setting

GROUPS = ("risk", "market_hours", "rate_limits", "freeze_qty")


def _section(setting: Setting, profile: str) -> str:
    head = setting.key.split(".")[0]
    if head == "freeze_qty":
        return "freeze_qty"
    if head == "profile":
        return "selection"
    if head == "market_hours" and ".amo_windows." in setting.key:
        return f"profiles.{profile}.market_hours.amo_windows"
    return f"profiles.{profile}.{head}" if head in GROUPS else f"profiles.{profile}"


def _shown(value: Any) -> str:
    if value is None:
        return "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value) if value != "" else "(empty)"


def settings_view(title: str, profile: str, settings: Iterable[Setting]) -> Stack:
    """A title, then per section its ``[header]`` line and its settings as ``name  value
    (source)`` lines (values fold, never cut). The AMO windows are IST times and say so."""
    rows: dict[str, list[tuple[str, Cell]]] = {}
    for setting in settings:
        source = "file" if setting.source == "file" else setting.source_text()
        name = setting.key.rsplit(".", 1)[-1]
        rows.setdefault(_section(setting, profile), []).append(
            (f"  {name}", f"{_shown(setting.value)}  ({source})")
        )
    parts: list[Part] = [Styled(title, "bold")]
    for section, section_rows in rows.items():
        label = "which profile" if section == "selection" else f"[{section}]"
        if section.endswith(".amo_windows"):
            label += "  (times in IST)"
        parts += [Styled(label, "bold"), KeyValueView("", section_rows)]
    return Stack(parts)
