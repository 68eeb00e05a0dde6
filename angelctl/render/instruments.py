"""Views of contracts: one contract in full, or a table of search results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from angelctl.instruments.model import Contract
from angelctl.render.tables import key_value_table

if TYPE_CHECKING:
    from rich.table import Table


def _strike(contract: Contract) -> str:
    return f"{contract.strike:,f}" if contract.strike is not None else "-"


def _tick(contract: Contract) -> str:
    if not contract.tick_size:
        return "-"
    places = max(2, -contract.tick_size.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"₹{contract.tick_size:.{places}f}"


def units_text(units: int, lot_size: int) -> str:
    """``1,800 units (24 lots)``, ``1 unit``, ``1,800 units (27.69 lots)``: singular/plural,
    lots whenever the lot is over 1 unit."""
    from angelctl.render.units import group_indian

    text = f"{group_indian(units)} unit{'' if units == 1 else 's'}"
    if lot_size > 1:
        lots, rest = divmod(units, lot_size)
        shown = group_indian(lots) if not rest else f"{units / lot_size:.2f}"
        text += f" ({shown} lot{'' if units == lot_size else 's'})"
    return text


def freeze_text(contract: Contract) -> str:
    if not contract.freeze_qty:
        return "-"
    lot = contract.lot_size
    text = f"{units_text(contract.freeze_qty, lot)}, from the {contract.freeze_source}"
    if contract.max_order_qty is not None:
        text += f"; max {units_text(contract.max_order_qty, lot)} per order"
    return text


def contract_view(contract: Contract) -> Any:
    freeze = freeze_text(contract)
    return key_value_table(
        f"{contract.exchange}:{contract.symbol}",
        [
            ("Symbol", contract.symbol),
            ("Token", f"{contract.exchange}:{contract.token}"),
            ("Underlying", contract.name or "-"),
            ("Type", f"{contract.kind} ({contract.instrument_type or 'equity'})"),
            ("Expiry", contract.expiry.strftime("%a %d %b %Y") if contract.expiry else "-"),
            ("Strike", _strike(contract)),
            ("Option", contract.option_type or "-"),
            ("Lot size", units_text(contract.lot_size, 1)),
            ("Tick size", _tick(contract)),
            ("Freeze qty", freeze),
            ("Segment", f"{contract.segment} (feed exchangeType {contract.exchange_type})"),
        ],
    )


def contracts_table(contracts: Iterable[Contract]) -> Any:
    from rich.table import Table

    table = Table(title_justify="left")
    for column, justify in (
        ("exchange", "left"),
        ("symbol", "left"),
        ("token", "right"),
        ("type", "left"),
        ("expiry", "left"),
        ("strike", "right"),
        ("lot", "right"),
        ("tick", "right"),
    ):
        table.add_column(
            column,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=column == "symbol",
        )
    for c in contracts:
        table.add_row(
            c.exchange,
            c.symbol,
            c.token,
            c.kind,
            c.expiry.isoformat() if c.expiry else "",
            _strike(c) if c.strike else "",
            str(c.lot_size),
            _tick(c),
        )
    return table


def index_info_view(document: dict[str, Any]) -> Table:
    """``instruments info`` on a terminal: the index file, its day, size, freshness, search."""
    from datetime import datetime

    downloaded_at = document.get("downloaded_at")
    downloaded = (
        datetime.fromisoformat(downloaded_at).strftime("%Y-%m-%d %H:%M UTC")
        if downloaded_at
        else "-"
    )
    search = (
        "trigram index"
        if document["search"] == "fts5-trigram"
        else "table scan (this SQLite has no FTS5 trigram)"
    )
    return key_value_table(
        "Instrument index",
        [
            ("File", str(document["index"])),
            ("Source", str(document["source"])),
            ("Trading day", str(document["trading_day"])),
            ("Downloaded", downloaded),
            ("Contracts", str(document["rows"])),
            ("Fresh", "no — run `angelctl instruments sync`" if document["stale"] else "yes"),
            ("Search", search),
        ],
    )
