"""The ``positions convert`` confirmation stays within 80 columns for a 30-character symbol and
crore-sized money, says lots × lot size, and flags a margin increase the funds cannot carry."""

from __future__ import annotations

from decimal import Decimal

from angelctl.instruments.model import Contract
from angelctl.orders.convert import PreparedConversion
from angelctl.render.convert import conversion_confirmation, converted_line

SYMBOL = "MIDCPNIFTY30DEC2612500CE" + "X" * 6  # 30 characters


def prepared(quantity: int = 12_000, lot: int = 120) -> PreparedConversion:
    contract = Contract(
        exchange="NFO", token="99", symbol=SYMBOL, name="MIDCPNIFTY", instrument_type="OPTIDX",
        kind="OPT", expiry=None, strike=Decimal(12500), option_type="CE", lot_size=lot,
        tick_size=Decimal("0.05"), freeze_qty=None, freeze_source="none",
    )  # fmt: skip
    return PreparedConversion(
        contract, {}, "SELL", quantity, "INTRADAY", "CARRYFORWARD", 24_000,
        {"INTRADAY": -24_000}, conversion_id="c1",
    )  # fmt: skip


def test_eighty_columns_with_lots_and_crores() -> None:
    change = (Decimal("12345678.90"), Decimal("98765432.10"))

    text = conversion_confirmation(prepared(), change, Decimal("123456789.00")).plain
    lines = text.splitlines()

    assert lines[0] == f"Convert NFO:{SYMBOL}: 12,000 (100 lots of 120), short"
    assert lines[1] == "  INTRADAY → CARRYFORWARD · open INTRADAY quantity 24,000"
    assert lines[2] == "  margin ₹1,23,45,678.90 → ₹9,87,65,432.10 (+₹8,64,19,753.20)"
    assert all(len(line) <= 80 for line in lines), [len(line) for line in lines]
    assert "INSUFFICIENT" not in text


def test_an_increase_above_the_funds_is_flagged_and_unknown_margin_says_so() -> None:
    short = conversion_confirmation(prepared(), (Decimal(100), Decimal(5000)), Decimal(10))
    unknown = conversion_confirmation(prepared(), None, None)

    assert "INSUFFICIENT FUNDS" in short.plain
    assert "margin change unavailable" in unknown.plain and "funds" not in unknown.plain
    assert converted_line(prepared(120), "converted").endswith(
        "(its answer was lost; positions show it moved)."
    )
