"""The limit watch behind ``angelctl guard``: follows P&L and order flow and fires the kill
switch on a breach.

``LimitWatch(session, limits).run(options, fire=..., on_check=...)`` polls the broker every
``interval`` seconds (positions and the order book, each within its 1 request/s limit) and
checks the profile's limits (``[profiles.NAME.risk]``):

- ``max_daily_loss``: today's realised + unrealised P&L at or below minus the limit;
- ``max_orders_per_minute``: orders that appeared in the order book during the last 60 s (from
  any platform, not only angelctl) above the limit.

On the first breach it engages the latch (``action="latch"``) or runs the whole kill switch
(``action="kill"``, the default) through the ``fire`` callback, journals the breach, and
stops. A failed read is counted and retried at the next tick; it never fires the kill by itself.

Invariants: time is the session's clock (monotonic for the schedule and the one-minute window);
the guard itself never sends an order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from angelctl.broker.orders import read_book
from angelctl.broker.portfolio import fetch_positions, position_totals
from angelctl.broker.session import BrokerSession
from angelctl.errors import BrokerError
from angelctl.indian import inr
from angelctl.orders.checks import RiskLimits
from angelctl.records import record

WINDOW_SECONDS = 60.0


@record
class GuardOptions:
    interval: float = 5.0
    action: str = "kill"  # or "latch"
    duration: float | None = None  # stop after this many seconds (None: until a breach)
    once: bool = False


@record
class GuardCheck:
    at: str
    pnl: Decimal | None
    working_orders: int | None
    orders_last_minute: int | None
    breach: str | None = None
    message: str = ""
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "pnl": format(self.pnl, "f") if self.pnl is not None else None,
            "working_orders": self.working_orders,
            "orders_last_minute": self.orders_last_minute,
            "breach": self.breach,
            "message": self.message,
            "error": self.error,
        }


@dataclass
class GuardResult:
    checks: int = 0
    errors: int = 0
    fired: GuardCheck | None = None
    fire_result: Any = None
    last: GuardCheck | None = None
    history: list[GuardCheck] = field(default_factory=list)


class LimitWatch:
    def __init__(self, session: BrokerSession, limits: RiskLimits) -> None:
        self.session = session
        self.clock = session.clock
        self.limits = limits
        self._book_sizes: deque[tuple[float, int]] = deque()  # (monotonic, orders in the book)

    def check_once(self) -> GuardCheck:
        at = self.clock.now().isoformat(timespec="milliseconds")
        try:
            pnl = position_totals(fetch_positions(self.session)).pnl
            book = read_book(self.session).orders
        except BrokerError as exc:
            return GuardCheck(at, None, None, None, error=f"{type(exc).__name__}: {exc.message}")
        now = self.clock.monotonic()
        self._book_sizes.append((now, len(book)))
        while self._book_sizes and now - self._book_sizes[0][0] > WINDOW_SECONDS:
            self._book_sizes.popleft()
        recent = len(book) - self._book_sizes[0][1]
        working = sum(1 for o in book if o.is_working)
        limits = self.limits
        if limits.max_daily_loss is not None and pnl <= -limits.max_daily_loss:
            return GuardCheck(
                at,
                pnl,
                working,
                recent,
                "daily_loss",
                f"P&L {inr(pnl)} is at or below the loss limit {inr(-limits.max_daily_loss)}",
            )
        per_minute = limits.max_orders_per_minute
        if per_minute is not None and recent > per_minute:
            return GuardCheck(
                at,
                pnl,
                working,
                recent,
                "max_orders_per_minute",
                f"{recent} new orders in the last minute; the limit is {per_minute}",
            )
        return GuardCheck(at, pnl, working, recent)

    def run(
        self,
        options: GuardOptions,
        *,
        fire: Callable[[GuardCheck], Any],
        on_check: Callable[[GuardCheck], None] | None = None,
    ) -> GuardResult:
        result = GuardResult()
        started = self.clock.monotonic()
        while True:
            tick = self.clock.monotonic()
            check = self.check_once()
            result.checks += 1
            result.errors += bool(check.error)
            result.last = check
            if on_check is not None:
                on_check(check)
            if check.breach:
                result.fired = check
                result.fire_result = fire(check)
                return result
            if options.once:
                return result
            if options.duration is not None and tick - started >= options.duration:
                return result
            self.clock.sleep(max(0.0, options.interval - (self.clock.monotonic() - tick)))
