"""The money behind an order before it is sent: LTP, margin required, available funds and the
estimated charges, fetched concurrently for the confirmation (``fetch_money``), and the funds
check that refuses an order the account cannot pay for (``check_funds``).

Invariants:
- Every fetch is a read; any one failing (or slower than ``MONEY_BUDGET`` seconds) leaves its
  value ``None`` with a reason in ``failures`` and never stops the order.
- The LTP comes from the quote ``prepare`` already read for the collar when there is one (no
  second quote call); otherwise one quote call joins the others.
- The session is renewed (``ensure``) before the threads start, so they never race to log in.
- A LIMIT order's reads start before its collar check reads the quote (``start_money``, then
  ``collect_money``): the two overlap instead of queueing; an order refused by the checks
  abandons them (reads only).
- A read still running when the budget ends is abandoned, not waited for: it finishes or times
  out on its own pooled connection while the order goes ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import field
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
from angelctl.records import record

log = logging.getLogger("angelctl.orders.money")

MONEY_BUDGET = 5.0  # seconds the confirmation waits for its reads before showing "unavailable"


@record(frozen=False)
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


@record(frozen=False)
class MoneyReads:
    """The money reads of one order, started (``start_money``) and not yet collected: they
    may run while the order's own checks read the quote, since a LIMIT order's margin and
    charges do not depend on it."""

    session: BrokerSession
    children: list[OrderRequest]
    futures: dict[str, Future[Any]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    pool: ThreadPoolExecutor | None = None

    def abandon(self) -> None:
        """Leave the reads to finish on their own (the order was refused before sending)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def start_money(
    session: BrokerSession, children: list[OrderRequest], *, with_ltp: bool
) -> MoneyReads:
    """Start margin, funds and charges (and the LTP with ``with_ltp``), one call each, in
    parallel; ``collect_money`` waits for them."""
    basket = legs(children)
    jobs: dict[str, Callable[[], Any]] = {
        "margin": lambda: margin_required(session, basket),
        "funds": lambda: Funds.from_wire(session.call("getRMS")),
        "charges": lambda: estimate_charges(session, basket),
    }
    if with_ltp:
        jobs["ltp"] = lambda: _quote_ltp(session, children[0])
    reads = MoneyReads(session, children)
    try:
        session.ensure()
    except AngelctlError as exc:
        reads.failures = {name: exc.message for name in jobs}
        return reads
    reads.pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="money")
    reads.futures = {name: reads.pool.submit(job) for name, job in jobs.items()}
    return reads


def collect_money(reads: MoneyReads, ltp: Decimal | None) -> OrderMoney:
    """The reads' results within ``MONEY_BUDGET`` seconds; ``ltp`` when the caller has it."""
    money = OrderMoney(ltp=ltp, failures=dict(reads.failures))
    wait(reads.futures.values(), timeout=MONEY_BUDGET)
    reads.abandon()
    for name, future in reads.futures.items():
        if name == "ltp" and ltp is not None:
            continue
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


def fetch_money(
    session: BrokerSession, children: list[OrderRequest], ltp: Decimal | None
) -> OrderMoney:
    """Margin, funds, charges (and the LTP if not known) in parallel, one call each."""
    return collect_money(start_money(session, children, with_ltp=ltp is None), ltp)


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
