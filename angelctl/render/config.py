"""``config show`` on a terminal: every effective setting under its config-file section, with
its source (``file``, ``default``, ``env VARIABLE``, ``--profile``).

Invariants: one row per setting, no value elided (long URLs fold onto a second line); the
section headers are the TOML tables a value is (or would be) written to, so what is shown is
what ``config set`` takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Group

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


def settings_view(title: str, profile: str, settings: Iterable[Setting]) -> Group:
    """A title, then per section its ``[header]`` line and an aligned table of its settings
    (the same column widths in every section)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    rows: dict[str, list[tuple[str, str, str]]] = {}
    for setting in settings:
        source = "file" if setting.source == "file" else setting.source_text()
        name = setting.key.rsplit(".", 1)[-1]
        rows.setdefault(_section(setting, profile), []).append(
            (name, _shown(setting.value), source)
        )
    every = [row for section in rows.values() for row in section]
    name_width = max(len(r[0]) for r in every) + 2
    source_width = max(len(r[2]) for r in every)
    parts: list[Any] = [Text(title, style="bold")]
    for section, section_rows in rows.items():
        label = "which profile" if section == "selection" else f"[{section}]"
        parts.append(Text(label, style="bold"))
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=True)
        table.add_column("setting", no_wrap=True, width=name_width)
        table.add_column("value", overflow="fold", ratio=1)
        table.add_column("source", no_wrap=True, width=source_width)
        for name, value, source in section_rows:
            table.add_row(Text(f"  {name}"), Text(value), Text(source))
        parts.append(table)
    return Group(*parts)
