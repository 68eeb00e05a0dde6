"""A small instrument master in the real wire format, dated around TODAY, for resolver tests.

Rows follow the formats of the real rows in tests/realdata/scripmaster (all strings, strike
×100 and CDS ×1e7, tick size in paise, 2026 extra fields freeze_qty and a boolean
is_cas_enabled). Tokens of indices and large stocks are the real ones.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

TODAY = date(2026, 11, 25)


def row(
    token: str,
    symbol: str,
    name: str,
    expiry: str = "",
    strike: str = "-1.000000",
    lot: str = "1",
    itype: str = "",
    exch: str = "NSE",
    tick: str = "5.000000",
    freeze: str = "",
    cas: bool = False,
) -> dict[str, Any]:
    return {
        "token": token,
        "symbol": symbol,
        "name": name,
        "expiry": expiry,
        "strike": strike,
        "lotsize": lot,
        "instrumenttype": itype,
        "exch_seg": exch,
        "tick_size": tick,
        "freeze_qty": freeze,
        "is_cas_enabled": cas,
    }


def master_rows() -> list[dict[str, Any]]:
    rows = [
        row("99926000", "Nifty 50", "NIFTY", strike="0.000000", itype="AMXIDX", tick="0.000000"),
        row(
            "99926009",
            "Nifty Bank",
            "BANKNIFTY",
            strike="0.000000",
            itype="AMXIDX",
            tick="0.000000",
        ),
        row(
            "99919000",
            "SENSEX",
            "SENSEX",
            strike="0.000000",
            itype="AMXIDX",
            exch="BSE",
            tick="0.000000",
        ),
        row("3045", "SBIN-EQ", "SBIN"),
        row("2885", "RELIANCE-EQ", "RELIANCE", cas=True),
        row("2031", "M&M-EQ", "M&M"),
        row("19913", "SMALLCO-BE", "SMALLCO", tick="1.000000"),
        row("500325", "RELIANCE", "RELIANCE", exch="BSE"),
        row("500112", "SBIN", "SBIN", exch="BSE"),
        # NIFTY weekly (Tuesday) and monthly options, one already expired
        row(
            "40001",
            "NIFTY24NOV2625000CE",
            "NIFTY",
            "24NOV2026",
            "2500000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row(
            "40002",
            "NIFTY01DEC2625000CE",
            "NIFTY",
            "01DEC2026",
            "2500000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row(
            "40003",
            "NIFTY01DEC2625000PE",
            "NIFTY",
            "01DEC2026",
            "2500000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row(
            "40004",
            "NIFTY01DEC2625050CE",
            "NIFTY",
            "01DEC2026",
            "2505000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row(
            "40005",
            "NIFTY08DEC2625000CE",
            "NIFTY",
            "08DEC2026",
            "2500000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row(
            "40006",
            "NIFTY29DEC2625000CE",
            "NIFTY",
            "29DEC2026",
            "2500000.000000",
            "65",
            "OPTIDX",
            "NFO",
            freeze="1756",
        ),
        row("40100", "NIFTY29DEC26FUT", "NIFTY", "29DEC2026", lot="65", itype="FUTIDX", exch="NFO"),
        row("40101", "NIFTY26JAN27FUT", "NIFTY", "26JAN2027", lot="65", itype="FUTIDX", exch="NFO"),
        row(
            "40200",
            "BANKNIFTY29DEC26FUT",
            "BANKNIFTY",
            "29DEC2026",
            lot="30",
            itype="FUTIDX",
            exch="NFO",
        ),
        row(
            "40201",
            "BANKNIFTY29DEC2655000CE",
            "BANKNIFTY",
            "29DEC2026",
            "5500000.000000",
            "30",
            "OPTIDX",
            "NFO",
        ),  # no freeze_qty in the row: the built-in table applies
        row(
            "40300",
            "RELIANCE29DEC26FUT",
            "RELIANCE",
            "29DEC2026",
            lot="500",
            itype="FUTSTK",
            exch="NFO",
            freeze="10001",
        ),
        # BSE derivatives: BFO options are NAME+YY+MMM+STRIKE (no day)
        row(
            "866186",
            "SENSEX26DEC85000PE",
            "SENSEX",
            "24DEC2026",
            "8500000.000000",
            "20",
            "OPTIDX",
            "BFO",
        ),
        row(
            "866200", "SENSEX26DECFUT", "SENSEX", "24DEC2026", lot="20", itype="FUTIDX", exch="BFO"
        ),
        # commodities and currency
        row(
            "450001",
            "CRUDEOIL16DEC26FUT",
            "CRUDEOIL",
            "16DEC2026",
            lot="100",
            itype="FUTCOM",
            exch="MCX",
            tick="100.000000",
        ),
        row(
            "450002",
            "CRUDEOIL26DEC5000CE",
            "CRUDEOIL",
            "16DEC2026",
            "500000.000000",
            "100",
            "OPTFUT",
            "MCX",
            tick="10.000000",
        ),
        row(
            "1146",
            "USDINR26DEC8325CE",
            "USDINR",
            "29DEC2026",
            "832500000.000000",
            "1",
            "OPTCUR",
            "CDS",
            tick="0.250000",
        ),
        row(
            "1147",
            "USDINR29DEC26FUT",
            "USDINR",
            "29DEC2026",
            lot="1",
            itype="FUTCUR",
            exch="CDS",
            tick="0.250000",
        ),
    ]
    return rows


BAD_ROWS = [
    row("ABC", "BADTOKEN-EQ", "BADTOKEN"),  # token not numeric
    row("555", "", "NOSYMBOL"),  # empty symbol
    {**row("556", "BADLOT-EQ", "BADLOT"), "lotsize": "lots"},
    row(
        "557", "NIFTY31FEB2625000CE", "NIFTY", "31FEB2026", "2500000.000000", "65", "OPTIDX", "NFO"
    ),  # impossible expiry
]
UNKNOWN_TYPE_ROW = row("558", "WEIRD29DEC26XYZ", "WEIRD", "29DEC2026", itype="FUTXYZ", exch="NFO")


def write_master(path: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    path.write_text(json.dumps(rows if rows is not None else master_rows(), separators=(",", ":")))
    return path
