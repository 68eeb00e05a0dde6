"""What a default sandbox serves: the published rate-limit table and the demo account.

Also the account records a ``SandboxConfig`` holds (``SandboxAccount``, ``HoldingSpec``);
``config`` re-exports them. A leaf: it imports only ``angelctl.records``.

Invariant: the functions return fresh objects, so a config built from them may be changed
without touching the defaults.
"""

from __future__ import annotations

from angelctl.records import record

RateLimitTable = dict[str, list[tuple[int, float]]]

DEMO_TOTP_SECRET = "ANGELCTLSANDBOXDEMOTOTPSECRETAAA"

REAL_EXCHANGES = ["nse_fo", "nse_cm", "cde_fo", "ncx_fo", "bse_fo", "bse_cm", "mcx_fo"]
REAL_PRODUCTS = ["MARGIN", "MIS", "NRML", "CNC", "CO", "BO"]

_SECOND, _MINUTE, _HOUR = 1.0, 60.0, 3600.0
_FAST_DATA = [(10, _SECOND), (500, _MINUTE), (5000, _HOUR)]


def default_rate_limits() -> RateLimitTable:
    """The current published table (docs/protocol.md#rate-limits, docs 2026): per client code."""
    return {
        "loginByPassword": [(1, _SECOND)],
        "generateTokens": [(1, _SECOND), (1000, _HOUR)],
        "getProfile": [(3, _SECOND), (1000, _HOUR)],
        "logout": [(1, _SECOND)],
        "getRMS": [(2, _SECOND)],
        "placeOrder": [(9, _SECOND)],
        "modifyOrder": [(9, _SECOND)],
        "cancelOrder": [(9, _SECOND)],
        "orders": [(9, _SECOND), (500, _MINUTE), (1000, _HOUR)],
        "getOrderBook": [(1, _SECOND)],
        "getLtpData": list(_FAST_DATA),
        "getPosition": [(1, _SECOND)],
        "getTradeBook": [(1, _SECOND)],
        "convertPosition": list(_FAST_DATA),
        "searchScrip": [(1, _SECOND)],
        "orderDetails": list(_FAST_DATA),
        "getHolding": [(1, _SECOND)],
        "getAllHolding": [(1, _SECOND)],
        "marketQuote": list(_FAST_DATA),
        "marginBatch": list(_FAST_DATA),
        # estimateCharges has no published limit (docs/protocol.md#rate-limits): chosen like
        # the margin calculator beside it.
        "estimateCharges": list(_FAST_DATA),
        "createRule": [(9, _SECOND), (500, _MINUTE), (5000, _HOUR)],
        "modifyRule": [(9, _SECOND), (500, _MINUTE), (5000, _HOUR)],
        "cancelRule": [(9, _SECOND), (500, _MINUTE), (5000, _HOUR)],
        "ruleDetails": list(_FAST_DATA),
        "ruleList": list(_FAST_DATA),
        "getCandleData": [(3, _SECOND), (180, _MINUTE), (5000, _HOUR)],
        "optionGreek": [(1, _SECOND)],
    }


def default_route_buckets() -> dict[str, list[str]]:
    """Routes that count against more than their own bucket."""
    buckets = {name: [name, "orders"] for name in ("placeOrder", "modifyOrder", "cancelOrder")}
    # getOIData has no published limit: it spends the candle budget (as OpenAlgo assumes)
    buckets["getOIData"] = ["getCandleData"]
    return buckets


@record
class HoldingSpec:
    """A demat holding an account starts with (looked up by symbol in the day's universe)."""

    exchange: str
    symbol: str
    quantity: int
    average_price: str
    isin: str = ""


@record
class SandboxAccount:
    """One SmartAPI user: login secrets, profile fields, starting funds and holdings.

    ``registered_ips``: the static IPs order writes must come from (empty: the config-wide
    ``SandboxConfig.registered_ips`` applies; both empty: no check).
    """

    client_code: str
    api_key: str
    mpin: str
    totp_secret: str
    name: str
    email: str = ""
    mobileno: str = ""
    exchanges: tuple[str, ...] = tuple(REAL_EXCHANGES)
    products: tuple[str, ...] = tuple(REAL_PRODUCTS)
    available_cash: str = "250000.00"
    holdings: tuple[HoldingSpec, ...] = ()
    registered_ips: tuple[str, ...] = ()

    def demo_dict(self) -> dict[str, str]:
        return {
            "client_code": self.client_code,
            "api_key": self.api_key,
            "mpin": self.mpin,
            "totp_secret": self.totp_secret,
        }


def demo_account() -> SandboxAccount:
    return SandboxAccount(
        client_code="SBX0001",
        api_key="sandbox-api-key",
        mpin="1234",
        totp_secret=DEMO_TOTP_SECRET,
        name="Sandbox Demo",
        holdings=DEMO_HOLDINGS,
    )


# Real ISINs; averages are plausible buy prices. A quickstart ``holdings`` shows something.
DEMO_HOLDINGS = (
    HoldingSpec("NSE", "SBIN-EQ", 20, "980.50", "INE062A01020"),
    HoldingSpec("NSE", "INFY-EQ", 15, "1450.00", "INE009A01021"),
    HoldingSpec("NSE", "ITC-EQ", 40, "395.20", "INE154A01025"),
)
