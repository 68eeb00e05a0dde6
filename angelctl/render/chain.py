"""The option chain screen: calls on the left, the strike in the middle, puts on the right.

Columns mirror around the strike (greeks furthest out). To fit a terminal the view model
(``render.view``) hides the least important columns first, both sides together: vega, theta,
gamma, delta, volume, IV, OI change, change, OI. The strike and both LTPs are never hidden.
The ATM row is marked in text (``▸24,650◂``), so it survives NO_COLOR and pipes, and drawn in
reverse video on a terminal. OI and volume use Indian grouping; prices show at the contract's
tick precision; the header says the spot, expiry, PCR (over the shown strikes) and the IST time.

Pure functions of a ``chain.Chain`` document; rich is imported only by ``render.view`` when
drawn on a terminal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.render.fit import ColumnSpec, Kind
from angelctl.render.units import group_indian, price, quantity
from angelctl.render.view import Stack, Styled, TableView, table_width, text_of, width_of

# (header, field, drop priority) from the strike outwards
_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("LTP", "ltp", 0),
    ("Chg", "change", 2),
    ("OI", "oi", 1),
    ("OIChg", "oi_change", 3),
    ("Vol", "volume", 5),
    ("IV", "iv", 4),
    ("Delta", "delta", 6),
    ("Gamma", "gamma", 7),
    ("Theta", "theta", 8),
    ("Vega", "vega", 9),
)
_KIND: dict[str, Kind] = {
    "ltp": "price", "change": "price", "oi": "quantity", "oi_change": "quantity"
}  # fmt: skip


def _signed_int(value: int | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + group_indian(value)


def _cell(side: dict[str, Any] | None, name: str, tick: Decimal | None) -> str:
    if side is None:
        return ""
    value = side.get(name)
    if value is None:
        return "-"
    if name == "ltp":
        return price(value, "NFO", tick)
    if name == "change":
        return ("+" if value > 0 else "") + price(value, "NFO", tick)
    if name in ("oi", "volume"):
        return quantity(value)
    if name == "oi_change":
        return _signed_int(value)
    places = {"iv": 2, "delta": 2, "gamma": 4, "theta": 2, "vega": 2}[name]
    return f"{Decimal(value):.{places}f}"


def strike_text(strike: Decimal) -> str:
    whole = strike == strike.to_integral_value()
    return group_indian(int(strike)) if whole else price(strike)


def _columns() -> list[ColumnSpec]:
    calls = [
        ColumnSpec(h, drop=d, kind=_KIND.get(f, "text")) for h, f, d in reversed(_FIELDS)
    ]  # fmt: skip
    puts = [ColumnSpec(h, drop=d, kind=_KIND.get(f, "text")) for h, f, d in _FIELDS]
    return [*calls, ColumnSpec("Strike", justify="center", kind="price"), *puts]


def chain_header(document: dict[str, Any], width: int | None = None) -> str:
    """Underlying, spot, expiry, ATM, PCR and the IST time: the longest wording that fits
    ``width`` (the full one when ``width`` is None)."""
    at = document.get("at")
    when = at.astimezone(_ist()).strftime("%H:%M:%S IST") if isinstance(at, datetime) else "-"
    pcr = document.get("pcr")
    pcr_text = "-" if pcr is None else str(pcr)
    expiry = document["expiry"]
    start = f"{document['underlying']} {price(document['spot']['ltp'])}"
    atm = strike_text(document["atm_strike"])
    wordings = (
        f"{start} · expiry {expiry:%d-%b-%Y} · ATM {atm} · PCR {pcr_text} (shown strikes) · {when}",
        f"{start} · exp {expiry:%d-%b-%Y} · ATM {atm} · PCR {pcr_text} (shown) · {when}",
        f"{start} · {expiry:%d%b%y} · ATM {atm} · PCR {pcr_text} · {when}".upper(),
    )
    return next((w for w in wordings if width is None or len(w) <= width), wordings[-1])


def _ist() -> Any:
    from angelctl.clock import IST

    return IST


def chain_table(document: dict[str, Any], max_rows: int | None = None) -> TableView:
    """The chain's rows (at most ``max_rows``, kept centred on the ATM strike)."""
    rows = document["rows"]
    if max_rows is not None and max_rows < len(rows):
        at = next((i for i, r in enumerate(rows) if r["atm"]), len(rows) // 2)
        start = min(max(at - max_rows // 2, 0), max(len(rows) - max_rows, 0))
        rows = rows[start : start + max(max_rows, 0)]
    body: list[list[str | Styled]] = []
    styles: list[str | None] = []
    for row in rows:
        call, put = row["call"], row["put"]
        tick = None
        strike = strike_text(row["strike"])
        cells: list[str | Styled] = [_cell(call, f, tick) for _, f, _ in reversed(_FIELDS)]
        cells.append(Styled(f"▸{strike}◂", "bold") if row["atm"] else strike)
        cells += [_cell(put, f, tick) for _, f, _ in _FIELDS]
        body.append(cells)
        styles.append("reverse" if row["atm"] else None)
    return TableView("", _columns(), [body], row_styles=[styles], pairs=True)


def chain_view(
    document: dict[str, Any], max_rows: int | None = None, width: int | None = None
) -> Stack:
    """Header line (worded to fit ``width``), then the table (calls | strike | puts)."""
    return Stack(
        [
            Styled(chain_header(document, width), "bold"),
            "CALLS on the left, PUTS on the right; theta per day, vega per 1 % vol",
            chain_table(document, max_rows),
        ]
    )


class ChainLines:
    """The chain for a live frame: the same ``TableView`` layout (columns hidden in pairs to
    fit), drawn as pre-padded lines instead of a rich ``Table``, because a live chain repaints
    up to ten times a second and a 41-row rich table costs tens of milliseconds to lay out.
    Cells are never cut except ``text`` cells the layout narrowed (with ``…``)."""

    def __init__(self, document: dict[str, Any], max_rows: int | None = None) -> None:
        self.document = document
        self.view = chain_table(document, max_rows)
        self.atm = [style == "reverse" for style in self.view.row_styles[0]]

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment
        from rich.style import Style

        keep, widths = self.view.layout(options.max_width)
        columns = [self.view.columns[i] for i in keep]

        def text(cells: list[str]) -> str:
            parts = []
            for cell, column, width in zip(cells, columns, widths, strict=True):
                if width_of(cell) > width:
                    cell = cell[: max(width - 1, 0)] + "…"
                pad = width - width_of(cell)
                if column.justify == "center":
                    parts.append(" " * (pad // 2) + cell + " " * (pad - pad // 2))
                else:
                    parts.append(
                        " " * pad + cell if column.justify == "right" else cell + " " * pad
                    )
            return "  ".join(parts)

        bold, reverse = Style(bold=True), Style(reverse=True, bold=True)
        yield Segment(chain_header(self.document, options.max_width)[: options.max_width], bold)
        yield Segment.line()
        yield Segment(text([c.header for c in columns]), bold)
        yield Segment.line()
        yield Segment("─" * min(table_width(widths), options.max_width))
        yield Segment.line()
        for row, atm in zip(self.view.sections[0], self.atm, strict=True):
            yield Segment(text([text_of(row[i]) for i in keep]), reverse if atm else None)
            yield Segment.line()
        hidden = list(
            dict.fromkeys(c.header for i, c in enumerate(self.view.columns) if i not in keep)
        )
        if hidden:
            yield Segment(f"hidden to fit the terminal: {', '.join(hidden)}"[: options.max_width])
            yield Segment.line()
