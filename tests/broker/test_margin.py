"""The typed margin calculator and charges estimate: parsing the documented replies, the request
shapes sent, the 50-leg limit, and a live round trip through the sandbox over loopback; the rate
limiter shared by the confirmation's threads."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from angelctl.broker.margin import (
    MAX_LEGS,
    ChargesEstimate,
    Leg,
    MarginRequired,
    estimate_charges,
    margin_required,
)
from angelctl.broker.ratelimit import SAFETY, RateLimiter
from angelctl.errors import UnparseableResponse, UsageError
from tests.broker.test_ratelimit import max_in_window
from tests.conftest import ShiftedClock, admin, requests_seen

SBIN = Leg("NSE", "3045", "SBIN", "BUY", 10, Decimal("800"), "DELIVERY")


def test_margin_reply_parses_numbers_and_strings() -> None:
    parsed = MarginRequired.from_wire(
        {
            "totalMarginRequired": 28437.5,
            "marginComponents": {
                "netPremium": "-7500", "spanMargin": 28437.5, "marginBenefit": 0,
                "deliveryMargin": 0, "nonNFOMargin": 0, "totOptionsPremium": 0,
            },
        }
    )  # fmt: skip

    assert parsed.total == Decimal("28437.5") and parsed.net_premium == Decimal(-7500)
    assert parsed.span == Decimal("28437.5") and parsed.benefit == 0
    with pytest.raises(UnparseableResponse):
        MarginRequired.from_wire({"marginComponents": {}})


def test_charges_reply_parses_nested_breakups() -> None:
    parsed = ChargesEstimate.from_wire(
        {
            "summary": {
                "total_charges": 19.47, "trade_value": 7500.0,
                "breakup": [
                    {"name": "Taxes", "amount": 9.33, "msg": "",
                     "breakup": [{"name": "GST", "amount": 1.83, "msg": "", "breakup": []}]},
                ],
            },
            "charges": [],
        }
    )  # fmt: skip

    assert parsed.total == Decimal("19.47") and parsed.trade_value == Decimal(7500)
    (taxes,) = parsed.items
    assert taxes.name == "Taxes" and taxes.parts[0].amount == Decimal("1.83")
    with pytest.raises(UnparseableResponse):
        ChargesEstimate.from_wire({"charges": []})


@pytest.fixture
def session(sandbox: Any, sandbox_login: Any) -> Iterator[Any]:
    from angelctl.broker.api import build_session
    from angelctl.config import load_config_file, resolve_profile

    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    made = build_session(resolve_profile(load_config_file(), "sandbox"))
    yield made
    made.rest.close()


def test_round_trip_with_the_documented_request_shapes(session: Any, sandbox: Any) -> None:
    margin = margin_required(session, [SBIN])
    charges = estimate_charges(session, [SBIN])

    assert margin.total == Decimal(8000) and margin.delivery == Decimal(8000)
    assert charges.trade_value == Decimal(8000) and charges.total > 0
    bodies = {r["route"]: json.loads(r["body"]) for r in requests_seen(sandbox) if r["body"]}
    assert bodies["marginBatch"] == {
        "positions": [
            {"exchange": "NSE", "qty": 10, "price": "800", "productType": "DELIVERY",
             "token": "3045", "tradeType": "BUY", "orderType": "LIMIT"}
        ]
    }  # fmt: skip
    assert bodies["estimateCharges"] == {
        "orders": [
            {"product_type": "DELIVERY", "transaction_type": "BUY", "quantity": "10",
             "price": "800", "exchange": "NSE", "symbol_name": "SBIN", "token": "3045"}
        ]
    }  # fmt: skip


def test_more_than_50_legs_is_refused_before_sending(session: Any, sandbox: Any) -> None:
    with pytest.raises(UsageError):
        margin_required(session, [SBIN] * (MAX_LEGS + 1))
    with pytest.raises(UsageError):
        estimate_charges(session, [])
    assert not [r for r in requests_seen(sandbox) if r["route"] == "marginBatch"]


def test_threads_share_the_rate_limiter_without_exceeding_it(tmp_path: Path) -> None:
    limiter = RateLimiter(tmp_path / "rl.sqlite3", {"getRMS": ((3, 1.0),)}, ShiftedClock())
    slots: list[float] = []
    lock = threading.Lock()

    def reserve() -> None:
        for _ in range(3):
            slot = limiter.reserve("C", ("getRMS",))
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    limiter.close()

    assert len(slots) == 12
    assert max_in_window(slots, 1.0 + SAFETY) <= 3
