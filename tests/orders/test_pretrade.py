"""Pre-trade checks (docs/scenarios.md#a6--pre-trade-checks-before-any-network-call) and slicing, on
contracts from the test master."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from angelctl.errors import UsageError
from angelctl.instruments.resolve import Resolver
from angelctl.orders.checks import (
    MAX_SLICES,
    Reference,
    RiskLimits,
    check_collar,
    protect_market,
    slice_order,
    static_checks,
)
from angelctl.orders.model import OrderRequest
from tests.instruments.test_instruments import index, resolver  # noqa: F401  (fixtures)


def order(resolver: Resolver, symbol: str, **kw: object) -> OrderRequest:  # noqa: F811
    values: dict[str, object] = {
        "side": "BUY",
        "quantity": None,
        "lots": 1,
        "order_type": "LIMIT",
        "price": "100",
        "trigger": None,
        "product": "CARRYFORWARD",
        "variety": None,
        "duration": "DAY",
        "disclosed": 0,
        "tag": "",
    }
    values.update(kw)
    return OrderRequest.build(resolver.resolve(symbol), **values)  # type: ignore[arg-type]


def rules(
    req: OrderRequest, limits: RiskLimits | None = None, slice_allowed: bool = False
) -> list[str]:
    return [v.rule for v in static_checks(req, limits or RiskLimits(), slice_allowed=slice_allowed)]


def test_each_static_rule_rejects(resolver: Resolver) -> None:  # noqa: F811
    nifty = "NIFTY01DEC2625000CE"
    caps = RiskLimits(max_quantity=650, max_notional=Decimal(50_000))
    assert rules(order(resolver, nifty, lots=None, quantity=100)) == ["lot"]
    assert rules(order(resolver, nifty, price="100.03")) == ["tick"]
    assert rules(order(resolver, nifty, lots=11), caps) == ["max_quantity"]
    assert rules(order(resolver, nifty, lots=8, price="100"), caps) == ["max_notional"]
    assert rules(order(resolver, nifty, order_type="MARKET", price=None)) == ["market"]
    assert rules(order(resolver, nifty, duration="IOC")) == ["market"]
    assert rules(order(resolver, nifty, lots=28)) == ["freeze"]  # 1820 > 1755
    assert rules(order(resolver, nifty)) == []


def test_price_collar_and_circuit_band(resolver: Resolver) -> None:  # noqa: F811
    req = order(resolver, "SBIN", lots=None, quantity=1, price="900", product="DELIVERY")
    limits = RiskLimits(collar_percent=Decimal(5))
    assert check_collar(req, Reference(Decimal("800")), limits) is not None  # 12.5 % away
    assert check_collar(req, Reference(Decimal("880")), limits) is None
    band = Reference(Decimal("880"), upper_circuit=Decimal("890"), lower_circuit=Decimal("700"))
    assert check_collar(req, band, limits).rule == "collar"  # type: ignore[union-attr]


def test_slicing_splits_at_the_freeze_limit_in_whole_lots(resolver: Resolver) -> None:  # noqa: F811
    req = order(resolver, "NIFTY01DEC2625000CE", lots=60)  # 3900 units, 1755 per order
    assert rules(req, slice_allowed=True) == []
    children = slice_order(req)
    assert [c.quantity for c in children] == [1755, 1755, 390]
    assert all(c.quantity % 65 == 0 for c in children)
    too_many = order(resolver, "NIFTY01DEC2625000CE", lots=27 * MAX_SLICES + 1)
    assert rules(too_many, slice_allowed=True) == ["freeze"]


def test_market_protection_converts_to_a_tick_rounded_limit(resolver: Resolver) -> None:  # noqa: F811
    req = order(resolver, "NIFTY01DEC2625000CE", order_type="MARKET", price=None)
    ref = Reference(Decimal("101.33"), upper_circuit=Decimal("102"))
    protected = protect_market(req, ref, RiskLimits(market_orders="protect"))
    assert protected.order_type == "LIMIT"
    assert protected.price == Decimal("102.00")  # capped at the circuit, on the 0.05 tick
    sell = protect_market(
        order(resolver, "NIFTY01DEC2625000CE", side="SELL", order_type="MARKET", price=None),
        ref,
        RiskLimits(market_orders="protect"),
    )
    assert sell.price is not None and sell.price % Decimal("0.05") == 0
    assert sell.price < Decimal("101.33")


def test_size_must_be_given_once(resolver: Resolver) -> None:  # noqa: F811
    with pytest.raises(UsageError):
        order(resolver, "SBIN", quantity=1, lots=1)
    with pytest.raises(UsageError):
        order(resolver, "SBIN", lots=0)
    with pytest.raises(UsageError):
        order(resolver, "SBIN", side="HOLD")


def test_wire_body_uses_strings_and_the_tag(resolver: Resolver) -> None:  # noqa: F811
    body = order(resolver, "NIFTY01DEC2625000CE", lots=2).to_wire("ACABCDEFGHIJKLM")
    assert body["quantity"] == "130" and body["price"] == "100"
    assert body["symboltoken"] == "40002" and body["ordertag"] == "ACABCDEFGHIJKLM"
    assert all(isinstance(v, str) for v in body.values())


def test_stop_loss_limit_trigger_sits_on_the_exchange_side_of_the_limit(
    resolver: Resolver,  # noqa: F811
) -> None:
    from angelctl.orders.checks import check_prices_present

    sbin = resolver.resolve("SBIN")

    def sl(side: str, price: str, trigger: str) -> OrderRequest:
        return OrderRequest(
            contract=sbin,
            side=side,
            quantity=1,
            order_type="STOPLOSS_LIMIT",
            price=Decimal(price),
            trigger=Decimal(trigger),
            variety="STOPLOSS",
        )

    assert check_prices_present(sl("BUY", "806", "805")) is None
    assert check_prices_present(sl("BUY", "805", "805")) is None
    assert check_prices_present(sl("SELL", "794", "795")) is None
    wrong_buy = check_prices_present(sl("BUY", "804", "805"))
    assert wrong_buy is not None and "at or below" in wrong_buy.message
    wrong_sell = check_prices_present(sl("SELL", "796", "795"))
    assert wrong_sell is not None and "at or above" in wrong_sell.message


def test_stop_loss_market_is_protected_around_its_trigger(resolver: Resolver) -> None:  # noqa: F811
    sbin = resolver.resolve("SBIN")
    far = OrderRequest(
        contract=sbin,
        side="BUY",
        quantity=1,
        order_type="STOPLOSS_MARKET",
        trigger=Decimal("900"),
        variety="STOPLOSS",
    )
    protected = protect_market(
        far, Reference(ltp=Decimal("800")), RiskLimits(market_orders="protect")
    )
    assert protected.order_type == "STOPLOSS_LIMIT"
    assert protected.price == Decimal("918.00")  # 900 + 2 %, above the trigger as a BUY needs
    sell = protect_market(
        replace(far, side="SELL", trigger=Decimal("700")),
        Reference(ltp=Decimal("800")),
        RiskLimits(market_orders="protect"),
    )
    assert sell.price == Decimal("686.00")
