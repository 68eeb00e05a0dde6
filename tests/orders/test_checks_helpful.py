"""Checks that help: the tick error names the nearest valid prices, the collar has a floor in
ticks for cheap contracts (configurable), and the freeze limit is shown in lots."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from angelctl.instruments.resolve import Resolver
from angelctl.orders.checks import (
    Reference,
    RiskLimits,
    check_collar,
    limits_from_config,
    static_checks,
)
from angelctl.render.instruments import freeze_text, units_text
from tests.instruments.test_instruments import index, resolver  # noqa: F401  (fixtures)
from tests.orders.test_pretrade import order

NIFTY = "NIFTY01DEC2625000CE"


def test_the_tick_error_names_the_nearest_valid_prices(resolver: Resolver) -> None:  # noqa: F811
    (price,) = static_checks(
        order(resolver, NIFTY, price="100.03"), RiskLimits(), slice_allowed=False
    )
    (trigger,) = static_checks(
        order(resolver, NIFTY, order_type="STOPLOSS_LIMIT", price="101", trigger="100.97"),
        RiskLimits(),
        slice_allowed=False,
    )
    (tiny,) = static_checks(order(resolver, NIFTY, price="0.02"), RiskLimits(), slice_allowed=False)

    assert price.message.endswith("the nearest valid prices are 100.00 or 100.05")
    assert trigger.message.endswith("the nearest valid triggers are 100.95 or 101.00")
    assert tiny.message.endswith("the nearest valid prices are 0.05")


def test_the_collar_has_a_floor_in_ticks_for_cheap_contracts(resolver: Resolver) -> None:  # noqa: F811
    cheap = Reference(ltp=Decimal("1.25"))
    bid = order(resolver, NIFTY, price="1.10")  # 12 % below, but only 3 ticks
    far = order(resolver, NIFTY, price="0.95")  # 6 ticks below
    dear = order(resolver, NIFTY, price="94")  # 6 % below a ₹100 LTP: the percentage rules

    assert check_collar(bid, cheap, RiskLimits()) is None
    refused = check_collar(far, cheap, RiskLimits())
    assert refused is not None and "5 ticks, ₹0.25" in refused.message
    assert check_collar(far, cheap, RiskLimits(collar_min_ticks=6)) is None
    assert check_collar(dear, Reference(ltp=Decimal(100)), RiskLimits()) is not None
    assert limits_from_config({"collar_min_ticks": 8}).collar_min_ticks == 8
    assert RiskLimits().collar_min_ticks == 5


def test_freeze_limits_in_lots_and_never_1_units(resolver: Resolver) -> None:  # noqa: F811
    nifty = resolver.resolve(NIFTY)

    assert units_text(1, 1) == "1 unit"
    assert units_text(65, 65) == "65 units (1 lot)"
    assert units_text(1800, 75) == "1,800 units (24 lots)"
    assert units_text(1800, 65) == "1,800 units (27.69 lots)"
    assert freeze_text(nifty) == (
        f"{units_text(nifty.freeze_qty or 0, nifty.lot_size)}, from the {nifty.freeze_source}; "
        f"max {units_text(nifty.max_order_qty or 0, nifty.lot_size)} per order"
    )
    assert "lots)" in freeze_text(nifty)


def test_instruments_show_prints_the_freeze_limit_in_lots(cli: Any, tmp_path: Path) -> None:
    from tests.instruments.test_instruments import master_rows, write_master

    synced = cli(
        "instruments", "sync", "--file", str(write_master(tmp_path / "m.json", master_rows()))
    )
    shown = cli("instruments", "show", NIFTY)

    assert synced.code == 0 and shown.code == 0, shown.both
    assert "lots) per order" in shown.out and " 1 units" not in shown.out
