"""Views of contracts: one contract in full, or a table of search results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from angelctl.instruments.model import Contract
from angelctl.render.fit import ColumnSpec
from angelctl.render.tables import key_value_table
from angelctl.render.times import ist_stamp
from angelctl.render.units import price, quantity, tick_places
from angelctl.render.view import Cell, KeyValueView, TableView


def _strike(contract: Contract) -> str:
    if contract.strike is None:
        return "-"
    return price(contract.strike, contract.exchange, contract.tick_size or None)


def _tick(contract: Contract) -> str:
    if not contract.tick_size:
        return "-"
    places = tick_places(contract.exchange, contract.tick_size)
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


def contract_view(contract: Contract) -> KeyValueView:
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


SEARCH_COLUMNS = (
    ColumnSpec("exchange", "left"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("token", kind="id"),
    ColumnSpec("type", "left", drop=3),
    ColumnSpec("expiry", "left", drop=1, kind="time"),
    ColumnSpec("strike", kind="price"),
    ColumnSpec("lot", kind="quantity"),
    ColumnSpec("tick", drop=2, kind="price"),
)


def contracts_table(contracts: Iterable[Contract]) -> TableView:
    rows: list[list[Cell]] = [
        [
            c.exchange,
            c.symbol,
            c.token,
            c.kind,
            c.expiry.isoformat() if c.expiry else "",
            _strike(c) if c.strike else "",
            quantity(c.lot_size),
            _tick(c),
        ]
        for c in contracts
    ]
    return TableView("", SEARCH_COLUMNS, [rows])


def index_info_view(document: dict[str, Any]) -> KeyValueView:
    """``instruments info`` on a terminal: the index file, its day, size, freshness, search."""
    downloaded_at = document.get("downloaded_at")
    downloaded = ist_stamp(str(downloaded_at)) if downloaded_at else "-"
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
            ("Contracts", quantity(int(document["rows"]))),
            ("Fresh", "no — run `angelctl instruments sync`" if document["stale"] else "yes"),
            ("Search", search),
        ],
    )
