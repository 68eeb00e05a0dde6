"""The SmartAPI REST route table (docs/protocol.md#route-table) and path normalisation.

A route's *name* is how faults, rate-limit buckets, stats and the request log refer to it. Names
are the last path segment (``getProfile``, ``placeOrder``) except where that would be vague:
``orderDetails`` (``order/v1/details/{uniqueorderid}``), ``marketQuote`` (``market/v1/quote``),
``marginBatch`` (``margin/v1/batch``).

Invariants:
- ``normalise_path`` is the one place that tolerates SDK path quirks: the ``/order-service`` and
  ``/gtt-service`` prefixes, a trailing slash, doubled slashes. The query string never matters.
- Every route is served by method and path; the same path with another method is a 405.
- ``loginByMpin`` is not a public route: the real gateway answers it with a WAF page.
- ``match_path`` also knows ``MASTER_ROUTE`` (the instrument master download), which the engine
  serves outside the gateway pipeline.
"""

from __future__ import annotations

import re
from typing import Literal

from angelctl.records import record

Auth = Literal["none", "jwt"]

_LEGACY_PREFIXES = ("/order-service", "/gtt-service")


@record
class Route:
    name: str
    method: Literal["GET", "POST"]
    path: str
    auth: Auth

    @property
    def is_secure(self) -> bool:
        return self.auth == "jwt"


def _r(name: str, method: Literal["GET", "POST"], path: str, auth: Auth = "jwt") -> Route:
    return Route(name, method, path, auth)


_S = "/rest/secure/angelbroking"

ROUTES: tuple[Route, ...] = (
    _r("loginByPassword", "POST", "/rest/auth/angelbroking/user/v1/loginByPassword", "none"),
    _r("generateTokens", "POST", "/rest/auth/angelbroking/jwt/v1/generateTokens", "none"),
    _r("getProfile", "GET", f"{_S}/user/v1/getProfile"),
    _r("logout", "POST", f"{_S}/user/v1/logout"),
    _r("getRMS", "GET", f"{_S}/user/v1/getRMS"),
    _r("placeOrder", "POST", f"{_S}/order/v1/placeOrder"),
    _r("modifyOrder", "POST", f"{_S}/order/v1/modifyOrder"),
    _r("cancelOrder", "POST", f"{_S}/order/v1/cancelOrder"),
    _r("getOrderBook", "GET", f"{_S}/order/v1/getOrderBook"),
    _r("getTradeBook", "GET", f"{_S}/order/v1/getTradeBook"),
    _r("orderDetails", "GET", f"{_S}/order/v1/details/{{uniqueorderid}}"),
    _r("getLtpData", "POST", f"{_S}/order/v1/getLtpData"),
    _r("marketQuote", "POST", f"{_S}/market/v1/quote"),
    _r("searchScrip", "POST", f"{_S}/order/v1/searchScrip"),
    _r("getPosition", "GET", f"{_S}/order/v1/getPosition"),
    _r("convertPosition", "POST", f"{_S}/order/v1/convertPosition"),
    _r("getHolding", "GET", f"{_S}/portfolio/v1/getHolding"),
    _r("getAllHolding", "GET", f"{_S}/portfolio/v1/getAllHolding"),
    _r("createRule", "POST", f"{_S}/gtt/v1/createRule"),
    _r("modifyRule", "POST", f"{_S}/gtt/v1/modifyRule"),
    _r("cancelRule", "POST", f"{_S}/gtt/v1/cancelRule"),
    _r("ruleDetails", "POST", f"{_S}/gtt/v1/ruleDetails"),
    _r("ruleList", "POST", f"{_S}/gtt/v1/ruleList"),
    _r("getCandleData", "POST", f"{_S}/historical/v1/getCandleData"),
    _r("getOIData", "POST", f"{_S}/historical/v1/getOIData"),
    _r("marginBatch", "POST", f"{_S}/margin/v1/batch"),
    _r("estimateCharges", "POST", f"{_S}/brokerage/v1/estimateCharges"),
    _r("verifyDis", "POST", f"{_S}/edis/v1/verifyDis"),
    _r("generateTPIN", "POST", f"{_S}/edis/v1/generateTPIN"),
    _r("getTranStatus", "POST", f"{_S}/edis/v1/getTranStatus"),
    _r("optionGreek", "POST", f"{_S}/marketData/v1/optionGreek"),
    _r("gainersLosers", "POST", f"{_S}/marketData/v1/gainersLosers"),
    _r("putCallRatio", "GET", f"{_S}/marketData/v1/putCallRatio"),
    _r("OIBuildup", "POST", f"{_S}/marketData/v1/OIBuildup"),
    _r("nseIntraday", "GET", f"{_S}/marketData/v1/nseIntraday"),
    _r("bseIntraday", "GET", f"{_S}/marketData/v1/bseIntraday"),
    _r("cautionaryScrips", "GET", f"{_S}/securities/v1/cautionaryScrips"),
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}

# The instrument master lives on another host (margincalculator.angelone.in) behind a CDN: no
# gateway headers, no token, no rate limit. It is not in ROUTES (which go through the gateway)
# but has a name, so faults can target it and the request log can count it.
MASTER_ROUTE = Route(
    "instrumentMaster", "GET", "/OpenAPI_File/files/OpenAPIScripMaster.json", "none"
)

# Every name a fault's ``route`` filter may use.
FAULT_ROUTE_NAMES = frozenset({*ROUTES_BY_NAME, MASTER_ROUTE.name})

# Order writes checked against the account's registered static IPs
# (docs/protocol.md#static-ip-and-the-2026-algo-rules).
STATIC_IP_ROUTES = frozenset(
    {"placeOrder", "modifyOrder", "cancelOrder", "createRule", "modifyRule", "cancelRule"}
)

# Not public: users who tried these got the WAF "Request Rejected" page
# (docs/protocol.md#route-table).
WAF_PATHS = frozenset(
    {
        "/rest/auth/angelbroking/user/v1/loginByMpin",
        "/rest/auth/angelbroking/user/v1/loginByMPIN",
    }
)


def _compile(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


_PATTERNS: tuple[tuple[re.Pattern[str], Route], ...] = tuple(
    (_compile(route.path), route) for route in ROUTES
)


def normalise_path(path: str) -> str:
    """The canonical form of a request path (no query string, no legacy prefix, no trailing /)."""
    path = path.split("?", 1)[0]
    path = re.sub(r"/{2,}", "/", path)
    for prefix in _LEGACY_PREFIXES:
        if path.startswith(prefix + "/rest/"):
            path = path[len(prefix) :]
            break
    if len(path) > 1:
        path = path.rstrip("/")
    return path


def match_path(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a normalised path belongs to, with its path parameters, or None."""
    if path == MASTER_ROUTE.path:
        return MASTER_ROUTE, {}
    for pattern, route in _PATTERNS:
        found = pattern.match(path)
        if found:
            return route, found.groupdict()
    return None
