"""The money behind an order before it is sent: LTP, margin required, available funds and the
estimated charges, fetched concurrently for the confirmation (``fetch_money``), and the funds
check that refuses an order the account cannot pay for (``check_funds``).

Invariants:
- Every fetch is a read; any one failing (or slower than ``MONEY_BUDGET`` seconds) leaves its
  value ``None`` with a reason in ``failures`` and never stops the order.
- The LTP comes from the quote ``prepare`` already read for the collar when there is one (no
  second quote call); otherwise one quote call joins the others.
- The session is renewed (``ensure``) before the threads start, so they never race to log in.
- A read still running when the budget ends is abandoned, not waited for: it finishes or times
  out on its own pooled connection while the order goes ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from angelctl.broker.margin import (
    ChargesEstimate,
    Leg,
    MarginRequired,
    estimate_charges,
    margin_required,
)
from angelctl.broker.models import Funds
from angelctl.broker.session import BrokerSession
from angelctl.errors import AngelctlError
from angelctl.indian import inr
from angelctl.orders.checks import PreTradeRejected, Violation
from angelctl.orders.model import OrderRequest

log = logging.getLogger("angelctl.orders.money")

MONEY_BUDGET = 5.0  # seconds the confirmation waits for its reads before showing "unavailable"


@dataclass
class OrderMoney:
    ltp: Decimal | None = None
    margin: MarginRequired | None = None
    funds: Funds | None = None
    charges: ChargesEstimate | None = None
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def available(self) -> Decimal | None:
        """What an order may use: getRMS ``net``."""
        return self.funds.net if self.funds is not None else None

    @property
    def shortfall(self) -> Decimal | None:
        """How much the margin exceeds the available funds (None when it fits or is unknown)."""
        if self.margin is None or self.available is None:
            return None
        short = self.margin.total - self.available
        return short if short > 0 else None

    def describe(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "ltp": text(self.ltp),
            "margin_required": text(self.margin.total if self.margin else None),
            "available_funds": text(self.available),
            "estimated_charges": text(self.charges.total if self.charges else None),
            "unavailable": sorted(self.failures),
        }


def legs(children: list[OrderRequest]) -> list[Leg]:
    """One leg per slice; MARKET legs (price 0) are valued at the LTP by the broker."""
    out = []
    for r in children:
        c = r.contract
        price = r.price if r.price is not None else (r.trigger or Decimal(0))
        out.append(
            Leg(
                exchange=c.exchange, token=c.token, symbol_name=c.name or c.symbol, side=r.side,
                quantity=r.quantity, price=price, product=r.product, order_type=r.order_type,
            )
        )  # fmt: skip
    return out


def fetch_money(
    session: BrokerSession, children: list[OrderRequest], ltp: Decimal | None
) -> OrderMoney:
    """Margin, funds, charges (and the LTP if not known) in parallel, one call each."""
    from angelctl.broker.models import Funds

    money = OrderMoney(ltp=ltp)
    basket = legs(children)
    jobs: dict[str, Callable[[], Any]] = {
        "margin": lambda: margin_required(session, basket),
        "funds": lambda: Funds.from_wire(session.call("getRMS")),
        "charges": lambda: estimate_charges(session, basket),
    }
    if ltp is None:
        jobs["ltp"] = lambda: _quote_ltp(session, children[0])
    try:
        session.ensure()
    except AngelctlError as exc:
        money.failures = {name: exc.message for name in jobs}
        return money
    pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="money")
    futures = {name: pool.submit(job) for name, job in jobs.items()}
    wait(futures.values(), timeout=MONEY_BUDGET)
    pool.shutdown(wait=False, cancel_futures=True)
    for name, future in futures.items():
        if not future.done():
            money.failures[name] = f"no answer within {MONEY_BUDGET:g} s"
            continue
        error = future.exception()
        if error is None:
            setattr(money, name, future.result())
        else:
            log.debug("%s unavailable: %r", name, error)
            reason = error.message if isinstance(error, AngelctlError) else str(error)
            money.failures[name] = reason or type(error).__name__
    return money


def _quote_ltp(session: BrokerSession, request: OrderRequest) -> Decimal:
    from angelctl.broker.market import fetch_quotes

    quotes, _ = fetch_quotes(session, [request.contract], "LTP")
    if not quotes:
        raise LookupError("no quote")
    return quotes[0].ltp


def _rupees(value: Decimal) -> str:
    return inr(value)


def check_funds(money: OrderMoney, shown: Callable[[Decimal], str] = _rupees) -> None:
    """Refuse (exit 2, nothing sent) when the margin required exceeds the available funds."""
    short = money.shortfall
    if short is None:
        return
    assert money.margin is not None and money.available is not None
    raise PreTradeRejected(
        [
            Violation(
                "funds",
                f"margin required {shown(money.margin.total)} exceeds the available funds "
                f"{shown(money.available)} by {shown(short)}",
            )
        ],
        hint="nothing was sent; pass --allow-insufficient-funds to send it anyway",
    )
