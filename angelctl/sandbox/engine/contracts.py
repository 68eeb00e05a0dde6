"""What the sandbox lists: reference data for its instruments, and how Angel One spells them.

Field formats (docs/protocol.md#instrument-master, and the real rows in
``tests/realdata/scripmaster``): every value is a string except ``is_cas_enabled`` (a JSON bool,
2026 files); ``strike`` is rupees ×100 with six decimals (CDS options ×1e7), ``"-1.000000"`` for
non-options and ``"0.000000"`` on index rows; ``tick_size`` is paise with six decimals
(``"0.000000"`` on index rows); ``expiry`` is ``DDMMMYYYY`` upper case or ``""``.

Symbols (``symbol`` is the REST ``tradingsymbol``):

=================  =====================================  ======================================
segment / kind     form                                   evidence
=================  =====================================  ======================================
NSE cash           ``SBIN-EQ`` (``-BE``, ``-SM``, …)      real rows
NSE/BSE index      ``Nifty 50`` / ``SENSEX``              real rows (AMXIDX)
BSE cash           ``RELIANCE``                           docs/protocol.md#instrument-master
NFO future         ``NIFTY28MAR24FUT`` (DDMMMYY)          real rows (FUTSTK file)
NFO option         ``NIFTY28MAR2422000CE`` (DDMMMYY)      real rows; decimals kept (``117.5``)
BFO monthly opt.   ``SENSEX24MAR75000PE`` (YYMMM)         one real row quoted in
                                                          docs/protocol.md#instrument-master
BFO weekly opt.    ``SENSEX2690380000CE`` (YY M DD)       [UNVERIFIED] for Angel; chosen: BSE's
                                                          own weekly code (M = 1-9, O, N, D) as
                                                          the Kite dump lists it (YYMMM would
                                                          collide within a month)
BFO future         ``SENSEX25OCTFUT`` (YYMMM)             fixture
                                                          (docs/protocol.md#instrument-master)
MCX future         ``GOLD05JUN26FUT`` (DDMMMYY)           real quote capture (token 459277)
MCX option         ``CRUDEOIL25NOV5000CE`` (YYMMM)        fixture
                                                          (docs/protocol.md#instrument-master)
CDS future         ``USDINR29DEC26FUT`` (DDMMMYY)         [UNVERIFIED] chosen like NFO/MCX
CDS option         ``USDINR25OCT8325CE`` (YYMMM, strike   fixture
                                                          (docs/protocol.md#instrument-master)
                                                          [UNVERIFIED]
                   ×100 without a point: 83.25 → 8325)
=================  =====================================  ======================================

Tokens are the real ones where the realdata has them (indices, NSE stocks, some derivatives);
BSE cash tokens are BSE scrip codes (public listing codes; not in the realdata). Everything else
gets a synthetic token (see ``listing``).

Lot sizes and freeze quantities: NSE/BSE index lots as of 2026 (NIFTY 65, BANKNIFTY 30, FINNIFTY
60, MIDCPNIFTY 120, NIFTYNXT50 25, SENSEX 20, BANKEX 30 — Kite dump of 2026-08-18). Angel's
``freeze_qty`` is one more than the largest whole-lot quantity under the exchange freeze limit
(real rows: BANKNIFTY and NIFTYNXT50 ``"601"``, ICICIBANK options ``"21001"`` = 30 lots + 1);
limits per docs/protocol.md#lot-sizes-and-freeze-quantities. MCX/CDS lot sizes and freeze quantities
are [UNVERIFIED]: MCX lots are the contract multiplier in quotation units (CRUDEOIL 100 barrels,
GOLD 100 × 10 g), USDINR is ``"1"`` (one contract), and ``freeze_qty`` is ``"0"`` (no limit known),
as on index rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from angelctl.records import record

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKLY_MONTH_CODES = "123456789OND"

PAISE = Decimal(100)
CDS_STRIKE_SCALE = Decimal(10_000_000)
_SIX = Decimal("0.000001")


# ----------------------------------------------------------------------------- formats


def format_expiry(expiry: date | None) -> str:
    """``DDMMMYYYY`` upper case, independent of the locale; ``""`` for none."""
    if expiry is None:
        return ""
    return f"{expiry.day:02d}{MONTHS[expiry.month - 1]}{expiry.year}"


def six_decimals(value: Decimal) -> str:
    return f"{value.quantize(_SIX):f}"


def strike_text(strike: Decimal) -> str:
    """A strike as symbols spell it: ``25000``, ``117.5``."""
    return f"{strike.normalize():f}"


def _ddmmmyy(expiry: date) -> str:
    return f"{expiry.day:02d}{MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def _yymmm(expiry: date) -> str:
    return f"{expiry.year % 100:02d}{MONTHS[expiry.month - 1]}"


def nse_cash_symbol(name: str, series: str) -> str:
    return f"{name}-{series}"


def nfo_future_symbol(name: str, expiry: date) -> str:
    return f"{name}{_ddmmmyy(expiry)}FUT"


def nfo_option_symbol(name: str, expiry: date, strike: Decimal, right: str) -> str:
    return f"{name}{_ddmmmyy(expiry)}{strike_text(strike)}{right}"


def bfo_future_symbol(name: str, expiry: date) -> str:
    return f"{name}{_yymmm(expiry)}FUT"


def bfo_option_symbol(
    name: str, expiry: date, strike: Decimal, right: str, *, weekly: bool = False
) -> str:
    """Monthly ``SENSEX24MAR75000PE``; weekly ``SENSEX2690380000CE`` [UNVERIFIED weekly form]."""
    if weekly:
        code = _WEEKLY_MONTH_CODES[expiry.month - 1]
        return f"{name}{expiry.year % 100:02d}{code}{expiry.day:02d}{strike_text(strike)}{right}"
    return f"{name}{_yymmm(expiry)}{strike_text(strike)}{right}"


def mcx_future_symbol(name: str, expiry: date) -> str:
    return f"{name}{_ddmmmyy(expiry)}FUT"


def mcx_option_symbol(name: str, expiry: date, strike: Decimal, right: str) -> str:
    return f"{name}{_yymmm(expiry)}{strike_text(strike)}{right}"


def cds_future_symbol(name: str, expiry: date) -> str:
    return f"{name}{_ddmmmyy(expiry)}FUT"


def cds_option_symbol(name: str, expiry: date, strike: Decimal, right: str) -> str:
    return f"{name}{_yymmm(expiry)}{strike_text(strike * 100)}{right}"


def freeze_quantity(limit_units: int, lot: int) -> int:
    """Angel's ``freeze_qty``: the largest whole-lot quantity within the limit, plus one."""
    return limit_units // lot * lot + 1


# ---------------------------------------------------------------------- reference data


@record
class IndexSpec:
    exch_seg: str
    token: str
    symbol: str
    name: str
    level: Decimal


@record
class StockSpec:
    """A cash-market stock: its NSE row and, if ``bse_code`` is set, its BSE row."""

    name: str
    token: str
    tick_paise: int
    price: Decimal
    bse_code: str | None = None
    series: str = "EQ"
    lotsize: int = 1
    freeze_qty: int | None = None  # real value where known; otherwise derived from the price
    cas: bool = False


@record
class IndexDerivativeSpec:
    name: str
    exch_seg: str  # NFO or BFO
    index_token: str
    lot: int
    strike_step: Decimal
    freeze_limit: int
    future_tick: Decimal
    volatility: float
    weekly: bool = False
    option_tick: Decimal = Decimal("0.05")


@record
class StockDerivativeSpec:
    name: str
    lot: int
    strike_step: Decimal
    freeze_lots: int  # real where known (ICICIBANK 30, INFY 50); 30 otherwise [UNVERIFIED]
    volatility: float = 0.25


@record
class CommoditySpec:
    """An MCX or CDS underlying that has no cash row: futures priced from ``level``."""

    name: str
    exch_seg: str  # MCX or CDS
    lot: int
    future_tick: Decimal
    level: Decimal
    volatility: float
    carry: float  # annual forward premium
    strike_step: Decimal | None = None  # None: futures only
    option_tick: Decimal | None = None
    futures: int = 3
    option_months: int = 2


D = Decimal

NSE_INDICES: tuple[IndexSpec, ...] = (
    # Real tokens and symbols (LaxmanHJ 2026 maps, APPLICATION-V13 rows). India VIX is 99926017
    # in the real master; 99926004 is Nifty 500 (docs/protocol.md#index-tokens-on-the-feed says
    # otherwise — the data wins).
    IndexSpec("NSE", "99926000", "Nifty 50", "NIFTY", D("24600")),
    IndexSpec("NSE", "99926009", "Nifty Bank", "BANKNIFTY", D("56000")),
    IndexSpec("NSE", "99926037", "Nifty Fin Service", "FINNIFTY", D("26000")),
    IndexSpec("NSE", "99926074", "NIFTY MID SELECT", "MIDCPNIFTY", D("14500")),
    IndexSpec("NSE", "99926013", "Nifty Next 50", "NIFTYNXT50", D("71000")),
    IndexSpec("NSE", "99926017", "India VIX", "INDIA VIX", D("13.25")),
    IndexSpec("NSE", "99926004", "Nifty 500", "NIFTY 500", D("22600")),
    IndexSpec("NSE", "99926008", "Nifty IT", "NIFTY IT", D("36500")),
)
BSE_INDICES: tuple[IndexSpec, ...] = (
    IndexSpec("BSE", "99919000", "SENSEX", "SENSEX", D("80700")),
    IndexSpec("BSE", "99919012", "BANKEX", "BANKEX", D("63000")),
)

# NSE tokens and tick sizes: LaxmanHJ 2026-07-28 map (real). Prices are plausible levels that
# sit in each stock's tick-size band. BSE codes: public BSE scrip codes.
STOCKS: tuple[StockSpec, ...] = (
    StockSpec("RELIANCE", "2885", 10, D("1310"), "500325"),
    StockSpec("SBIN", "3045", 10, D("1050"), "500112"),
    StockSpec("INFY", "1594", 10, D("1140"), "500209"),
    StockSpec("TCS", "11536", 10, D("2300"), "532540"),
    StockSpec("HDFCBANK", "1333", 5, D("770"), "500180"),
    StockSpec("ICICIBANK", "4963", 10, D("1420"), "532174", freeze_qty=64561, cas=True),
    StockSpec("ITC", "1660", 5, D("410"), "500875"),
    StockSpec("LT", "11483", 10, D("3600"), "500510"),
    StockSpec("AXISBANK", "5900", 10, D("1180"), "532215"),
    StockSpec("KOTAKBANK", "1922", 5, D("420"), "500247"),
    StockSpec("BHARTIARTL", "10604", 10, D("1900"), "532454"),
    StockSpec("HINDUNILVR", "1394", 10, D("2400"), "500696"),
    StockSpec("MARUTI", "10999", 100, D("12500"), "532500"),
    StockSpec("TMPV", "3456", 5, D("420")),
    StockSpec("BAJFINANCE", "317", 10, D("1020"), "500034"),
    StockSpec("WIPRO", "3787", 1, D("245"), "507685"),
    StockSpec("SUNPHARMA", "3351", 10, D("1650"), "524715"),
    StockSpec("TATASTEEL", "3499", 1, D("170"), "500470"),
    StockSpec("ASIANPAINT", "236", 10, D("2450"), "500820"),
    StockSpec("ONGC", "2475", 1, D("240"), "500312"),
    StockSpec("NTPC", "11630", 5, D("340"), "532555"),
    StockSpec("POWERGRID", "14977", 5, D("290"), "532898"),
    StockSpec("ULTRACEMCO", "11532", 100, D("11800"), "532538"),
    StockSpec("TITAN", "3506", 10, D("3500"), "500114"),
    StockSpec("HCLTECH", "7229", 10, D("1500"), "532281"),
    StockSpec("ADANIENT", "25", 10, D("2400"), "512599"),
    StockSpec("COALINDIA", "20374", 5, D("390"), "533278"),
    StockSpec("BPCL", "526", 5, D("330"), "500547", freeze_qty=321049, cas=True),
    StockSpec("DRREDDY", "881", 10, D("1250"), "500124"),
    StockSpec("CIPLA", "694", 10, D("1500"), "500087"),
    StockSpec("JSWSTEEL", "11723", 10, D("1050"), "500228"),
    StockSpec("HINDALCO", "1363", 5, D("720"), "500440"),
    StockSpec("M&M", "2031", 10, D("3200"), "500520"),
    StockSpec("NESTLEIND", "17963", 10, D("1250"), "500790"),
    StockSpec("GRASIM", "1232", 10, D("2800"), "500300"),
    StockSpec("TECHM", "13538", 10, D("1500"), "532755"),
    StockSpec("BAJAJFINSV", "16675", 10, D("2000"), "532978"),
    StockSpec("HEROMOTOCO", "1348", 10, D("4800"), "500182"),
    StockSpec("EICHERMOT", "910", 50, D("6200"), "505200"),
    StockSpec("BRITANNIA", "547", 50, D("5600"), "500825"),
    StockSpec("DIVISLAB", "10940", 50, D("6500"), "532488"),
    StockSpec("APOLLOHOSP", "157", 50, D("7200"), "508869"),
    StockSpec("INDUSINDBK", "5258", 5, D("800"), "532187"),
    StockSpec("SBILIFE", "21808", 10, D("1800"), "540719"),
    StockSpec("HDFCLIFE", "467", 5, D("760"), "540777"),
    StockSpec("TATACONSUM", "3432", 10, D("1100"), "500800"),
    StockSpec("ETERNAL", "5097", 5, D("310"), "543320"),
    StockSpec("HINDZINC", "1424", 5, D("600")),
    StockSpec("DIXON", "21690", 100, D("14500")),
    StockSpec("YESBANK", "11915", 1, D("21")),
    StockSpec("IDEA", "14366", 1, D("9")),
    StockSpec("PNB", "10666", 1, D("115")),
    # Real rows with real freeze_qty (APPLICATION-V13), including non-EQ series.
    StockSpec("FACT", "1008", 5, D("880"), freeze_qty=125531),
    StockSpec("SYNGENE", "10243", 5, D("640"), freeze_qty=247449),
    StockSpec("VEEKAYEM", "10710", 5, D("310"), series="SM", lotsize=500, freeze_qty=192136),
    StockSpec("782GJ32", "10196", 1, D("104.5"), series="SG", lotsize=100, freeze_qty=999900),
    StockSpec("SGBJUL29IV", "5113", 1, D("9850"), series="GB", freeze_qty=6584),
    # A synthetic trade-for-trade (-BE) stock: no real -BE row is in the realdata.
    StockSpec("SBXTRADE", "", 5, D("480"), series="BE"),
)

INDEX_DERIVATIVES: tuple[IndexDerivativeSpec, ...] = (
    IndexDerivativeSpec("NIFTY", "NFO", "99926000", 65, D(50), 1800, D("0.10"), 0.13, True),
    IndexDerivativeSpec("BANKNIFTY", "NFO", "99926009", 30, D(100), 600, D("0.20"), 0.15),
    IndexDerivativeSpec("FINNIFTY", "NFO", "99926037", 60, D(50), 1800, D("0.10"), 0.14),
    IndexDerivativeSpec("MIDCPNIFTY", "NFO", "99926074", 120, D(25), 2800, D("0.05"), 0.17),
    IndexDerivativeSpec("NIFTYNXT50", "NFO", "99926013", 25, D(100), 600, D("0.20"), 0.16),
    IndexDerivativeSpec("SENSEX", "BFO", "99919000", 20, D(100), 1000, D("0.05"), 0.13, True),
    IndexDerivativeSpec("BANKEX", "BFO", "99919012", 30, D(100), 900, D("0.05"), 0.15),
)

# Lots and strike steps of 2026-08 (Kite dump); option tick 0.05 as in the real OPTSTK rows.
STOCK_DERIVATIVES: tuple[StockDerivativeSpec, ...] = (
    StockDerivativeSpec("RELIANCE", 500, D(10), 30),
    StockDerivativeSpec("SBIN", 750, D(10), 30),
    StockDerivativeSpec("INFY", 400, D(20), 50),
    StockDerivativeSpec("HDFCBANK", 650, D(10), 30),
    StockDerivativeSpec("ICICIBANK", 700, D(10), 30),
)

COMMODITIES: tuple[CommoditySpec, ...] = (
    # GOLD05JUN26FUT traded at 155627 in a real 2026 capture.
    CommoditySpec("GOLD", "MCX", 100, D("1"), D("155600"), 0.15, 0.06),
    CommoditySpec(
        "CRUDEOIL", "MCX", 100, D("1"), D("5600"), 0.35, 0.02, D(50), D("0.10"), option_months=2
    ),
    CommoditySpec("USDINR", "CDS", 1, D("0.0025"), D("88.00"), 0.04, 0.02, D("0.25"), D("0.0025")),
)

# Real tokens of derivative contracts, by (exch_seg, Angel symbol): futures from the Kite dump
# of 2026-08-18 (its exchange_token is the exchange's token, which Angel uses) and the Angel
# FUTSTK file of 2026-04-12; options from the Angel 2026 rows (ghosttrade); GOLD from a capture.
REAL_DERIVATIVE_TOKENS: dict[tuple[str, str], str] = {
    ("NFO", "NIFTY25AUG26FUT"): "58072",
    ("NFO", "NIFTY29SEP26FUT"): "68407",
    ("NFO", "NIFTY27OCT26FUT"): "48704",
    ("NFO", "BANKNIFTY25AUG26FUT"): "58067",
    ("NFO", "BANKNIFTY29SEP26FUT"): "68390",
    ("NFO", "BANKNIFTY27OCT26FUT"): "48699",
    ("NFO", "FINNIFTY25AUG26FUT"): "58070",
    ("NFO", "FINNIFTY29SEP26FUT"): "68391",
    ("NFO", "FINNIFTY27OCT26FUT"): "48702",
    ("NFO", "MIDCPNIFTY25AUG26FUT"): "58071",
    ("NFO", "MIDCPNIFTY29SEP26FUT"): "68406",
    ("NFO", "MIDCPNIFTY27OCT26FUT"): "48703",
    ("NFO", "NIFTYNXT5025AUG26FUT"): "58073",
    ("NFO", "NIFTYNXT5029SEP26FUT"): "68412",
    ("NFO", "NIFTYNXT5027OCT26FUT"): "48705",
    ("NFO", "RELIANCE28APR26FUT"): "67003",
    ("NFO", "RELIANCE26MAY26FUT"): "66355",
    ("NFO", "RELIANCE30JUN26FUT"): "62802",
    ("NFO", "RELIANCE25AUG26FUT"): "58371",
    ("NFO", "RELIANCE29SEP26FUT"): "68777",
    ("NFO", "RELIANCE27OCT26FUT"): "48987",
    ("NFO", "SBIN28APR26FUT"): "67009",
    ("NFO", "SBIN26MAY26FUT"): "66363",
    ("NFO", "SBIN30JUN26FUT"): "62812",
    ("NFO", "SBIN25AUG26FUT"): "58382",
    ("NFO", "SBIN29SEP26FUT"): "68782",
    ("NFO", "SBIN27OCT26FUT"): "48994",
    ("NFO", "INFY28APR26FUT"): "66865",
    ("NFO", "INFY26MAY26FUT"): "66217",
    ("NFO", "INFY30JUN26FUT"): "62620",
    ("NFO", "INFY25AUG26FUT"): "58245",
    ("NFO", "INFY29SEP26FUT"): "68553",
    ("NFO", "INFY27OCT26FUT"): "48886",
    ("NFO", "HDFCBANK28APR26FUT"): "66846",
    ("NFO", "HDFCBANK26MAY26FUT"): "66180",
    ("NFO", "HDFCBANK30JUN26FUT"): "62593",
    ("NFO", "HDFCBANK25AUG26FUT"): "58216",
    ("NFO", "HDFCBANK29SEP26FUT"): "68534",
    ("NFO", "HDFCBANK27OCT26FUT"): "48864",
    ("NFO", "ICICIBANK28APR26FUT"): "66854",
    ("NFO", "ICICIBANK26MAY26FUT"): "66191",
    ("NFO", "ICICIBANK30JUN26FUT"): "62604",
    ("NFO", "ICICIBANK25AUG26FUT"): "58232",
    ("NFO", "ICICIBANK29SEP26FUT"): "68542",
    ("NFO", "ICICIBANK27OCT26FUT"): "48874",
    ("NFO", "BANKNIFTY29SEP2646500CE"): "52270",
    ("NFO", "BANKNIFTY29SEP2649500CE"): "52280",
    ("NFO", "NIFTYNXT5027OCT2669500PE"): "52006",
    ("NFO", "NIFTYNXT5027OCT2670200CE"): "52024",
    ("NFO", "NIFTYNXT5027OCT2670300PE"): "52028",
    ("NFO", "INFY27OCT26960PE"): "83444",
    ("NFO", "ICICIBANK27OCT261330CE"): "100744",
    ("BFO", "SENSEX26AUGFUT"): "825622",
    ("BFO", "SENSEX26SEPFUT"): "844615",
    ("BFO", "SENSEX26OCTFUT"): "864571",
    ("BFO", "BANKEX26AUGFUT"): "826625",
    ("BFO", "BANKEX26SEPFUT"): "845529",
    ("BFO", "BANKEX26OCTFUT"): "865646",
    ("MCX", "GOLD05JUN26FUT"): "459277",
}
