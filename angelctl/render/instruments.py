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


def _units(n: int) -> str:
    return f"{quantity(n)} unit{'' if n == 1 else 's'}"


def _freeze(contract: Contract) -> str:
    if not contract.freeze_qty:
        return "-"
    lot = contract.lot_size or 1
    in_lots = f" = {quantity(contract.freeze_qty // lot)} lots" if lot > 1 else ""
    return (
        f"{_units(contract.freeze_qty)}{in_lots} ({contract.freeze_source}); "
        f"max {quantity(contract.max_order_qty)} per order"
    )


def contract_view(contract: Contract) -> KeyValueView:
    freeze = _freeze(contract)
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
            ("Lot size", _units(contract.lot_size)),
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
