"""The route table (docs/protocol.md#route-table) and the documented rate limits
(docs/protocol.md#rate-limits).

``read_only`` routes may be retried after an ambiguous failure; the others may not.
``buckets`` name the rate-limit budgets a call spends: its own and, for the order routes, the
cumulative ``orders`` budget that place/modify/cancel share.
"""

from __future__ import annotations

from angelctl.records import record

SECURE = "/rest/secure/angelbroking"


@record
class Route:
    name: str
    method: str
    path: str
    auth: bool = True
    read_only: bool = True
    buckets: tuple[str, ...] = ()

    @property
    def spends(self) -> tuple[str, ...]:
        return self.buckets or (self.name,)


_ORDER = ("orders",)
ROUTES: dict[str, Route] = {
    r.name: r
    for r in (
        Route(
            "loginByPassword",
            "POST",
            "/rest/auth/angelbroking/user/v1/loginByPassword",
            auth=False,
            read_only=False,
        ),
        Route(
            "generateTokens",
            "POST",
            "/rest/auth/angelbroking/jwt/v1/generateTokens",
            read_only=False,
        ),
        Route("getProfile", "GET", f"{SECURE}/user/v1/getProfile"),
        Route("logout", "POST", f"{SECURE}/user/v1/logout", read_only=False),
        Route("getRMS", "GET", f"{SECURE}/user/v1/getRMS"),
        Route(
            "placeOrder",
            "POST",
            f"{SECURE}/order/v1/placeOrder",
            read_only=False,
            buckets=("placeOrder", *_ORDER),
        ),
        Route(
            "modifyOrder",
            "POST",
            f"{SECURE}/order/v1/modifyOrder",
            read_only=False,
            buckets=("modifyOrder", *_ORDER),
        ),
        Route(
            "cancelOrder",
            "POST",
            f"{SECURE}/order/v1/cancelOrder",
            read_only=False,
            buckets=("cancelOrder", *_ORDER),
        ),
        Route("getOrderBook", "GET", f"{SECURE}/order/v1/getOrderBook"),
        Route("getTradeBook", "GET", f"{SECURE}/order/v1/getTradeBook"),
        Route("orderDetails", "GET", f"{SECURE}/order/v1/details/{{uniqueorderid}}"),
        Route("getLtpData", "POST", f"{SECURE}/order/v1/getLtpData"),
        Route("quote", "POST", f"{SECURE}/market/v1/quote"),
        Route("searchScrip", "POST", f"{SECURE}/order/v1/searchScrip"),
        Route("getPosition", "GET", f"{SECURE}/order/v1/getPosition"),
        Route("convertPosition", "POST", f"{SECURE}/order/v1/convertPosition", read_only=False),
        Route("getHolding", "GET", f"{SECURE}/portfolio/v1/getHolding", buckets=("holdings",)),
        Route(
            "getAllHolding", "GET", f"{SECURE}/portfolio/v1/getAllHolding", buckets=("holdings",)
        ),
        Route(
            "gttCreateRule",
            "POST",
            f"{SECURE}/gtt/v1/createRule",
            read_only=False,
            buckets=("gttWrite",),
        ),
        Route(
            "gttModifyRule",
            "POST",
            f"{SECURE}/gtt/v1/modifyRule",
            read_only=False,
            buckets=("gttWrite",),
        ),
        Route(
            "gttCancelRule",
            "POST",
            f"{SECURE}/gtt/v1/cancelRule",
            read_only=False,
            buckets=("gttWrite",),
        ),
        Route("gttRuleDetails", "POST", f"{SECURE}/gtt/v1/ruleDetails", buckets=("gttRead",)),
        Route("gttRuleList", "POST", f"{SECURE}/gtt/v1/ruleList", buckets=("gttRead",)),
        Route(
            "getCandleData",
            "POST",
            f"{SECURE}/historical/v1/getCandleData",
            buckets=("historical",),
        ),
        Route("getOIData", "POST", f"{SECURE}/historical/v1/getOIData", buckets=("historical",)),
        Route("marginBatch", "POST", f"{SECURE}/margin/v1/batch"),
        Route("estimateCharges", "POST", f"{SECURE}/brokerage/v1/estimateCharges"),
        Route("optionGreek", "POST", f"{SECURE}/marketData/v1/optionGreek"),
    )
}

# Documented limits per client code (docs/protocol.md#rate-limits, 2026 docs), overridable per
# profile.
DEFAULT_LIMITS: dict[str, tuple[tuple[int, float], ...]] = {
    "loginByPassword": ((1, 1.0),),
    "generateTokens": ((1, 1.0), (1000, 3600.0)),
    "getProfile": ((3, 1.0), (1000, 3600.0)),
    "logout": ((1, 1.0),),
    "getRMS": ((2, 1.0),),
    "placeOrder": ((9, 1.0), (500, 60.0), (1000, 3600.0)),
    "modifyOrder": ((9, 1.0), (500, 60.0), (1000, 3600.0)),
    "cancelOrder": ((9, 1.0), (500, 60.0), (1000, 3600.0)),
    "orders": ((9, 1.0),),
    "getOrderBook": ((1, 1.0),),
    "getLtpData": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "getPosition": ((1, 1.0),),
    "getTradeBook": ((1, 1.0),),
    "convertPosition": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "searchScrip": ((1, 1.0),),
    "orderDetails": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "holdings": ((1, 1.0),),
    "quote": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "marginBatch": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    # no published limit: budgeted like the margin calculator beside it
    "estimateCharges": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "gttWrite": ((9, 1.0), (500, 60.0), (5000, 3600.0)),
    "gttRead": ((10, 1.0), (500, 60.0), (5000, 3600.0)),
    "historical": ((3, 1.0), (180, 60.0), (5000, 3600.0)),
    "optionGreek": ((1, 1.0),),
}
