"""Tables for account views (whoami, funds, doctor, config), as rich-free ``render.view`` models."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from angelctl.broker.models import Funds, Profile
from angelctl.render.fit import ColumnSpec
from angelctl.render.units import inr
from angelctl.render.view import Cell, KeyValueView, Styled, TableView

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
    """``₹2,50,000.00`` (lakh/crore grouping)."""
    return inr(value)


def key_value_table(title: str, rows: Iterable[tuple[str, Cell]]) -> KeyValueView:
    return KeyValueView(title, list(rows))


def profile_view(profile: Profile, profile_name: str) -> KeyValueView:
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


def funds_view(funds: Funds) -> TableView:
    rows: list[list[Cell]] = [
        [FUNDS_LABELS.get(key, key), Styled(rupees(value), "red" if value < 0 else "")]
        for key, value in funds.values.items()
    ]
    return TableView(
        "Funds (getRMS)", [ColumnSpec("item", "left"), ColumnSpec("amount", kind="money")], [rows]
    )


CHECK_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}


def checks_view(checks: list[dict[str, Any]]) -> TableView:
    columns = [
        ColumnSpec("check", "left"),
        ColumnSpec("result", "left"),
        ColumnSpec("detail", "left"),
    ]
    rows: list[list[Cell]] = [
        [
            check["name"],
            Styled(
                "FAIL" if check["status"] == "fail" else check["status"],
                CHECK_STYLE.get(check["status"], ""),
            ),
            check["detail"],
        ]
        for check in checks
    ]
    return TableView("angelctl doctor", columns, [rows])
