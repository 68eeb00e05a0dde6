"""Tables for account views (whoami, funds, doctor, config)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.models import Funds, Profile

if TYPE_CHECKING:
    from rich.table import Table

FUNDS_LABELS = {
    "net": "Net",
    "availablecash": "Available cash",
    "availableintradaypayin": "Intraday pay-in",
    "availablelimitmargin": "Limit margin",
    "collateral": "Collateral",
    "m2munrealized": "M2M unrealised",
    "m2mrealized": "M2M realised",
    "utiliseddebits": "Utilised debits",
    "utilisedspan": "Utilised SPAN",
    "utilisedoptionpremium": "Utilised option premium",
    "utilisedholdingsales": "Utilised holding sales",
    "utilisedexposure": "Utilised exposure",
    "utilisedturnover": "Utilised turnover",
    "utilisedpayout": "Utilised payout",
}


def rupees(value: Decimal) -> str:
    return f"₹{value:,.2f}"


def key_value_table(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def profile_view(profile: Profile, profile_name: str) -> Table:
    return key_value_table(
        f"Profile {profile_name}",
        [
            ("Client code", profile.client_code),
            ("Name", profile.name),
            ("Email", profile.email or "-"),
            ("Mobile", profile.mobile or "-"),
            ("Exchanges", ", ".join(profile.exchanges) or "-"),
            ("Products", ", ".join(profile.products) or "-"),
            ("Last login", profile.last_login or "-"),
        ],
    )


def funds_view(funds: Funds) -> Table:
    from rich.table import Table

    table = Table(title="Funds (getRMS)", title_justify="left")
    table.add_column("item")
    table.add_column("amount", justify="right")
    for key, value in funds.values.items():
        style = "red" if value < 0 else None
        table.add_row(FUNDS_LABELS.get(key, key), rupees(value), style=style)
    return table


def checks_view(checks: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    marks = {
        "ok": "[green]ok[/]",
        "warn": "[yellow]warn[/]",
        "fail": "[red]FAIL[/]",
        "skip": "[dim]skip[/]",
    }
    table = Table(title="angelctl doctor", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for check in checks:
        table.add_row(check["name"], marks.get(check["status"], check["status"]), check["detail"])
    return table
