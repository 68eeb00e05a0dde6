"""The kill switch: latch, cancel everything that can create exposure, flatten, verify.

``KillSwitch(session, journal, latch, ...).run(options)`` is the procedure behind
``angelctl killswitch``; a cron script can call it the same way. Steps, each journalled in
``risk_events``:

1. **Latch** (``risk.latch``) — written and fsynced before any network call. From then on no
   angelctl process sends an exposure-adding request; this procedure's own exits bypass the
   gate because they only reduce exposure.
2. **Cancel** every working order in scope (open, open pending, trigger pending, modify
   pending, AMO received, …) except this procedure's own exits, and every active GTT rule;
   the order book is re-read until no such order is left, so orders that appear while the
   kill runs are cancelled too. A cancel refused because the order just became terminal is
   not an error: the next book read decides.
3. **Flatten** (unless ``cancel_only``) from a *fresh* positions read, net of exits already
   working: ``needed = -net_qty - Σ unfilled quantity of working KS-tagged exits``. A re-run,
   a crash-and-restart (open KS intents are reconciled first; an unsettled one counts as
   working) or a second concurrent kill (serialised by a per-profile run lock) therefore never
   exits twice and never flips a position's sign. Exits are protected LIMIT orders priced inside
   the circuit band on the tick, split at the freeze limit, journalled like every order (tag
   prefix ``KS``) and re-priced by ``reprice_step_percent`` after ``reprice_after`` seconds.
4. **Verify** — success only when a fresh positions read shows every in-scope position flat and
   a fresh order-book read shows no working in-scope order. Otherwise, or when the time budget
   runs out (reads failing, exits not filling), the report carries the residual exposure and
   the last known state; the latch stays engaged either way.

Pacing comes from the shared cross-process rate limiter every broker call goes through
(order routes 9/s cumulative, below the 10 orders/s per-segment ceiling). Time comes from the
session's clock (monotonic for the budget, so a wall-clock step changes nothing).
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from angelctl.broker import orders as broker_orders
from angelctl.broker.orders import BrokerOrder, OrderBook
from angelctl.broker.portfolio import Position, parse_positions
from angelctl.broker.session import BrokerSession
from angelctl.errors import AngelctlError, BrokerError, RequestRejected
from angelctl.instruments.model import Contract
from angelctl.orders.checks import protected_price, slice_order
from angelctl.orders.journal import Journal
from angelctl.orders.model import OrderRequest
from angelctl.orders.outcome import NotPlaced, OutcomeUnknown
from angelctl.orders.placer import OrderPlacer, intent_lock
from angelctl.orders.reconcile import reconcile_intent, trading_day_start
from angelctl.orders.scope import Scope
from angelctl.records import record
from angelctl.risk.latch import Latch, LatchState

EXIT_TAG_PREFIX = "KS"  # on the wire only: the kill knows its exits by its journal
EXIT_INTENT_PREFIX = "kill-"
DEFAULT_BUDGET_SECONDS = 120.0
DEFAULT_REPRICE_AFTER = 2.0
DEFAULT_BAND_PERCENT = Decimal("0.5")
DEFAULT_REPRICE_STEP_PERCENT = Decimal("0.5")
MAX_BAND_PERCENT = Decimal(20)
_POLL_SECONDS = 0.25
ERROR_WINDOW_SECONDS = 5.0  # a repeating failure is shown once per this many seconds
INFLIGHT_WAIT_SECONDS = 12.0  # > the read timeout: a request on the wire ends by then


@record
class KillOptions:
    reason: str = ""
    cancel_only: bool = False
    scope: Scope = field(default_factory=Scope)  # resolved segments and instruments
    dry_run: bool = False
    all_profiles: bool = False
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    reprice_after: float = DEFAULT_REPRICE_AFTER
    band_percent: Decimal = DEFAULT_BAND_PERCENT
    reprice_step_percent: Decimal = DEFAULT_REPRICE_STEP_PERCENT
    source: str = "killswitch"

    def in_scope(self, exchange: str, token: str) -> bool:
        return self.scope.covers(exchange, token)


@dataclass
class ExitRecord:
    exchange: str
    symbol: str
    token: str
    product: str
    start_qty: int  # signed net quantity when the kill first saw it
    sent: int = 0  # units sent in exit orders (all rounds)
    slices: int = 0
    reprices: int = 0
    orders: list[str] = field(default_factory=list)
    filled: int = 0  # units of this run's exits that filled
    exit_price: Decimal | None = None  # their average fill price
    realised: Decimal | None = None  # the position's realised P&L after the run

    def as_dict(self) -> dict[str, Any]:
        return {
            "filled": self.filled,
            "exit_price": None if self.exit_price is None else format(self.exit_price, "f"),
            "realised": None if self.realised is None else format(self.realised, "f"),
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "product": self.product,
            "start_qty": self.start_qty,
            "sent": self.sent,
            "slices": self.slices,
            "reprices": self.reprices,
            "orders": self.orders,
        }


@dataclass
class KillReport:
    run_id: str
    profile: str
    latch: LatchState | None = None
    newly_latched: bool = False
    dry_run: bool = False
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    gtt_cancelled: list[dict[str, Any]] = field(default_factory=list)
    exits: dict[str, ExitRecord] = field(default_factory=dict)
    planned: list[dict[str, Any]] = field(default_factory=list)  # dry run: what would be sent
    residual_positions: list[dict[str, Any]] = field(default_factory=list)
    residual_orders: list[dict[str, Any]] = field(default_factory=list)
    verified_flat: bool = False  # the whole account: flat, nothing working (unscoped runs only)
    done: bool = False  # what was asked is verified: scope flat, or (cancel-only) nothing working
    cancel_only: bool = False
    scope_labels: list[str] = field(default_factory=list)
    scope_segments: list[str] = field(default_factory=list)
    positions_left_open: list[dict[str, Any]] = field(default_factory=list)  # cancel-only
    exposure_unknown: bool = False  # the broker's books could never be read
    unknown_exits: list[dict[str, Any]] = field(default_factory=list)  # sent, outcome unknown
    outside_scope: list[dict[str, Any]] = field(default_factory=list)  # left as it is
    unverified_reason: str = ""
    calls: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "profile": self.profile,
            "latch": self.latch.as_dict() if self.latch else None,
            "newly_latched": self.newly_latched,
            "dry_run": self.dry_run,
            "verified_flat": self.verified_flat,
            "scope_flat": self.done and not self.cancel_only,
            "nothing_working": self.done if self.cancel_only else None,
            "scope": {"segments": self.scope_segments, "symbols": self.scope_labels},
            "positions_left_open": self.positions_left_open,
            "exposure_unknown": self.exposure_unknown,
            "unknown_exits": self.unknown_exits,
            "outside_scope": self.outside_scope,
            "unverified_reason": self.unverified_reason,
            "cancelled": self.cancelled,
            "gtt_cancelled": self.gtt_cancelled,
            "exits": [e.as_dict() for e in self.exits.values()],
            "planned": self.planned,
            "residual_positions": self.residual_positions,
            "residual_orders": self.residual_orders,
            "calls": dict(sorted(self.calls.items())),
            "errors": self.errors[-20:],
            "elapsed_seconds": round(self.elapsed, 3),
        }


Progress = Callable[[str, dict[str, Any]], None]


class StopFlag:
    """Set to a signal's name to end a run after its current step (with its summary)."""

    name: str | None = None


ContractLookup = Callable[[str, str], Contract | None]


class KillSwitch:
    """One kill of one profile. Not reusable: make a new one per run."""

    def __init__(
        self,
        session: BrokerSession,
        journal: Journal,
        latch: Latch,
        *,
        contracts: ContractLookup | None = None,
        lock_folder: Path,
        on_progress: Progress | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        self.session = session
        self.clock = session.clock
        self.journal = journal
        self.latch = latch
        self.contracts = contracts or (lambda exchange, token: None)
        self.lock_folder = lock_folder
        self.profile = session.settings.name
        self.placer = OrderPlacer(
            session, journal, lock_folder, settle_after=session.settings.settle_after
        )
        self.run_id = uuid.uuid4().hex[:12]
        self.report = KillReport(self.run_id, self.profile)
        self._on_progress = on_progress
        self._exit_round = 0
        self._exit_placed_at: dict[str, float] = {}  # order id → monotonic time placed/repriced
        self._band: dict[str, Decimal] = {}  # order id → band percent it was priced with
        self._last_read: OrderBook | None = None  # the last order book, with its read time
        self._read_ok = {"book": False, "positions": False}  # has each read ever succeeded?
        self._last_error = ("", 0.0, 0)  # (text, monotonic time shown, repeats since)
        # Set (to the signal's name) by a SIGTERM/SIGHUP/Ctrl-C handler: the current step
        # finishes, then the run ends with its summary.
        self.stop = stop or StopFlag()

    # -- plumbing -----------------------------------------------------------------------------

    def _event(self, kind: str, detail: dict[str, Any]) -> None:
        if not self.report.dry_run:
            self.journal.risk_event(self.profile, self.run_id, kind, detail)
        if self._on_progress is not None and self._worth_showing(kind, detail):
            self._on_progress(kind, detail)

    def _worth_showing(self, kind: str, detail: dict[str, Any]) -> bool:
        """One line per retry window for a failure that keeps repeating, not one per attempt."""
        if kind != "error":
            return True
        text, shown_at, repeats = self._last_error
        now = self.clock.monotonic()
        if detail.get("error") == text and now - shown_at < ERROR_WINDOW_SECONDS:
            self._last_error = (text, shown_at, repeats + 1)
            return False
        if detail.get("error") == text and repeats:
            detail["repeated"] = f"{repeats + 1} times in {now - shown_at:.0f} s"
        self._last_error = (str(detail.get("error")), now, 0)
        return True

    def _book(self) -> list[BrokerOrder]:
        self._last_read = broker_orders.read_book(self.session)
        self._read_ok["book"] = True
        return self._last_read.orders

    def _positions(self) -> list[Position]:
        positions = parse_positions(self.session.call("getPosition"))
        self._read_ok["positions"] = True
        return positions

    # -- the procedure ------------------------------------------------------------------------

    def run(
        self, options: KillOptions, *, latched: tuple[LatchState, bool] | None = None
    ) -> KillReport:
        """The whole procedure. ``latched`` is the caller's own ``Latch.engage`` result when it
        engaged the latch itself before building the session (as the CLI does)."""
        report = self.report
        report.dry_run = options.dry_run
        started = self.clock.monotonic()
        deadline = started + options.budget_seconds
        if not options.dry_run:
            state, new = latched or self.latch.engage(
                options.reason,
                at=self.clock.now().isoformat(timespec="milliseconds"),
                source=options.source,
                all_profiles=options.all_profiles,
            )
            report.latch, report.newly_latched = state, new
            self._event("latched", {"new": new, "reason": options.reason, "by": state.by})
        sent_before = Counter(self.session.rest.stats)
        self.session.rest.deadline = deadline  # no request starts, or waits, past the budget
        try:
            with self._run_lock(deadline):
                if options.dry_run:
                    self._plan(options)
                else:
                    self._execute(options, deadline)
        finally:
            self.session.rest.deadline = None
            report.calls = {
                key.removeprefix("sent:"): count - sent_before[key]
                for key, count in sorted(self.session.rest.stats.items())
                if key.startswith("sent:") and count > sent_before[key]
            }
            report.elapsed = self.clock.monotonic() - started
            self._event(
                "finished",
                {
                    "verified_flat": report.verified_flat,
                    "done": report.done,
                    "reason": report.unverified_reason,
                    "elapsed": round(report.elapsed, 3),
                },
            )
        return report

    @contextlib.contextmanager
    def _run_lock(self, deadline: float) -> Iterator[None]:
        """One kill per profile at a time; a second one waits, then verifies what is left."""
        wait = max(0.0, deadline - self.clock.monotonic())
        with intent_lock(self.lock_folder, f"killswitch-{self.profile}", wait=wait) as locked:
            if not locked:
                raise AngelctlError(
                    "another kill switch run for this profile did not finish in time",
                    hint="`angelctl killswitch status` shows the exposure left",
                )
            yield

    def _execute(self, options: KillOptions, deadline: float) -> None:
        report = self.report
        self._cancel_gtt(options, deadline)
        last_positions: list[Position] = []
        last_book: list[BrokerOrder] = []
        done = False
        while True:
            if self.stop.name:
                report.unverified_reason = f"stopped by {self.stop.name} before flat was verified"
                break
            try:
                # Order-entry requests that passed the latch check before it was written may
                # still be on the wire: each book read starts once they are done (bounded).
                on_wire = self.latch.wait_inflight(
                    max(0.0, min(INFLIGHT_WAIT_SECONDS, deadline - self.clock.monotonic()))
                )
                book = self._book()
                last_book = book
                own = self._own_exit_tags()
                foreign = [o for o in self._working(book, options) if o.tag not in own]
                if foreign:
                    self._cancel_orders(foreign)
                    continue  # re-read: orders may have appeared meanwhile
                if options.cancel_only:
                    done = not self._working(book, options) and not on_wire
                else:
                    self._settle_open_exit_intents(book)
                    positions = self._positions()
                    last_positions = positions
                    done = self._flatten(positions, book, options) and not on_wire
                if done:
                    break
            except (BrokerError, OutcomeUnknown) as exc:
                report.errors.append(f"{type(exc).__name__}: {exc}")
                self._event("error", {"error": str(exc)})
            if self.clock.monotonic() >= deadline:
                report.unverified_reason = "the time budget ran out before flat was verified"
                break
            self.clock.sleep(_POLL_SECONDS)
        self._verdict(options, done, last_book, last_positions)

    def _exit_fills(self, book: list[BrokerOrder], positions: list[Position]) -> None:
        """Each exited position's fill price (average over this run's filled exits) and its
        realised P&L, for the summary."""
        by_id = {o.order_id: o for o in book}
        realised = {(p.exchange, p.token, p.product): p.realised for p in positions}
        for exited in self.report.exits.values():
            fills = [by_id[i] for i in exited.orders if i in by_id and by_id[i].filled]
            exited.filled = sum(o.filled for o in fills)
            if exited.filled:
                value = sum((o.average_price * o.filled for o in fills), Decimal(0))
                exited.exit_price = value / exited.filled
            exited.realised = realised.get((exited.exchange, exited.token, exited.product))

    def _verdict(
        self,
        options: KillOptions,
        done: bool,
        book: list[BrokerOrder],
        positions: list[Position],
    ) -> None:
        """What may be claimed, from fresh reads only: the GTT list, and for a cancel-only run
        the positions it leaves open. Never "flat" for a scope or a cancel-only run."""
        from angelctl.broker import gtt

        report = self.report
        report.scope_labels = list(options.scope.labels)
        report.scope_segments = sorted(options.scope.exchanges)
        report.cancel_only = options.cancel_only
        if done:
            try:
                rules = [
                    r for r in gtt.list_rules(self.session) if options.in_scope(r.exchange, r.token)
                ]
                if options.cancel_only or not options.scope.everything:
                    positions = self._positions()
            except BrokerError as exc:
                done = False
                report.unverified_reason = f"the final check could not read the broker: {exc}"
            else:
                if rules:
                    done = False
                    report.unverified_reason = f"{len(rules)} GTT rule(s) still active in scope"
        in_scope = [
            p for p in positions if p.net_qty != 0 and options.in_scope(p.exchange, p.token)
        ]
        report.residual_orders = [o.as_dict() for o in self._working(book, options)]
        report.residual_positions = [] if options.cancel_only else [p.as_dict() for p in in_scope]
        report.positions_left_open = [p.as_dict() for p in in_scope] if options.cancel_only else []
        report.outside_scope = [
            p.as_dict()
            for p in positions
            if p.net_qty != 0 and not options.in_scope(p.exchange, p.token)
        ] + [
            o.as_dict() for o in book if o.is_working and not options.in_scope(o.exchange, o.token)
        ]
        self._exit_fills(book, positions)
        report.unknown_exits = [
            {
                "intent_id": i.intent_id,
                "tag": i.tag,
                "symbol": i.request.get("symbol"),
                "side": i.request.get("side"),
                "quantity": i.request.get("quantity"),
                "state": i.state,
            }
            for i in self.journal.open_intents(self.profile)
            if i.intent_id.startswith(EXIT_INTENT_PREFIX)
        ]
        if report.unknown_exits:
            done = False
            report.unverified_reason = (
                f"{len(report.unknown_exits)} exit order(s) sent with no answer yet may still "
                "land: "
                + ", ".join(
                    f"{e['side']} {e['quantity']} {e['symbol']} (tag {e['tag']})"
                    for e in report.unknown_exits
                )
                + "; run the kill again after it settles, never exit that quantity by hand"
            )
        if done and (report.residual_positions or report.residual_orders):
            done = False  # belt and braces: never claim flat with exposure left
        report.done = done
        report.verified_flat = done and not options.cancel_only and options.scope.everything
        needed = ("book",) if options.cancel_only else ("book", "positions")
        if not all(self._read_ok[what] for what in needed):
            done = False
            report.done = report.verified_flat = False
            report.exposure_unknown = True
            unknown = (
                "exposure UNKNOWN — the broker could not be read; check positions in the "
                "broker's app"
            )
            earlier = report.unverified_reason  # the budget ran out, or a signal stopped it
            report.unverified_reason = f"{earlier}; {unknown}" if earlier else unknown
        if not done and not report.unverified_reason:
            report.unverified_reason = "exposure remains"

    # -- cancelling ---------------------------------------------------------------------------

    def _working(self, book: list[BrokerOrder], options: KillOptions) -> list[BrokerOrder]:
        return [o for o in book if o.is_working and options.in_scope(o.exchange, o.token)]

    def _cancel_orders(self, orders: list[BrokerOrder]) -> None:
        for order in orders:
            if order.status == "cancel pending":
                continue
            try:
                broker_orders.cancel(self.session, order.variety, order.order_id)
            except RequestRejected as exc:
                # most often: it filled or was cancelled a moment ago; the next read decides
                self._event("cancel_refused", {"order_id": order.order_id, "error": exc.message})
                continue
            entry = {"order_id": order.order_id, "symbol": order.symbol, "status": order.status}
            self.report.cancelled.append(entry)
            self._event("cancelled", entry)

    def _cancel_gtt(self, options: KillOptions, deadline: float) -> None:
        from angelctl.broker import gtt

        while self.clock.monotonic() < deadline and not self.stop.name:
            try:
                rules = [
                    r for r in gtt.list_rules(self.session) if options.in_scope(r.exchange, r.token)
                ]
                for rule in rules:
                    try:
                        gtt.cancel_rule(self.session, rule)
                    except RequestRejected as exc:
                        self._event(
                            "gtt_cancel_refused", {"id": rule.rule_id, "error": exc.message}
                        )
                        continue
                    entry = {"id": rule.rule_id, "symbol": rule.symbol}
                    self.report.gtt_cancelled.append(entry)
                    self._event("gtt_cancelled", entry)
                return
            except BrokerError as exc:
                self.report.errors.append(f"{type(exc).__name__}: {exc}")
                self._event("error", {"step": "gtt", "error": str(exc)})
                self.clock.sleep(_POLL_SECONDS)

    # -- flattening ---------------------------------------------------------------------------

    def _own_exit_tags(self) -> frozenset[str]:
        """The tags of the exits this kill journalled today, in this run or a crashed earlier
        one: the only orders it treats as its own. A tag that merely looks like one (another
        app's ``KS…``) is someone else's order, cancelled like any other."""
        since = trading_day_start(self.clock.now()).isoformat(timespec="milliseconds")
        return frozenset(
            tag
            for tag, intent_id in self.journal.tags_since(self.profile, since).items()
            if intent_id.startswith(EXIT_INTENT_PREFIX)
        )

    def _settle_open_exit_intents(self, book: list[BrokerOrder]) -> None:
        """Exits of a crashed run whose answer was never recorded: settle them by tag first."""
        for intent in self.journal.open_intents(self.profile):
            if intent.intent_id.startswith(EXIT_INTENT_PREFIX):
                reconcile_intent(
                    self.session,
                    self.journal,
                    intent.intent_id,
                    book=self._last_read,
                    settle_after=self.placer.settle_after,
                )

    def _unsettled_exit_qty(self) -> dict[tuple[str, str, str], int]:
        """Signed quantity of KS intents still open (sent, answer unknown): they may fill."""
        pending: dict[tuple[str, str, str], int] = {}
        for intent in self.journal.open_intents(self.profile):
            if not intent.intent_id.startswith(EXIT_INTENT_PREFIX):
                continue
            req = intent.request
            key = (str(req["exchange"]), str(req["token"]), str(req["product"]))
            sign = 1 if req["side"] == "BUY" else -1
            pending[key] = pending.get(key, 0) + sign * int(req["quantity"])
        return pending

    def _flatten(
        self, positions: list[Position], book: list[BrokerOrder], options: KillOptions
    ) -> bool:
        """One round; True when every in-scope position is flat and nothing is working."""
        exits_by_key: dict[tuple[str, str, str], list[BrokerOrder]] = {}
        own = self._own_exit_tags()
        for order in self._working(book, options):
            if order.tag in own:
                key = (order.exchange, order.token, order.product)
                exits_by_key.setdefault(key, []).append(order)
        unsettled = self._unsettled_exit_qty()
        open_positions = [
            p for p in positions if p.net_qty != 0 and options.in_scope(p.exchange, p.token)
        ]
        if self._on_progress is not None:  # the live view's figure; not a journalled step
            self._on_progress(
                "remaining", {f"{p.exchange}:{p.symbol}": p.net_qty for p in open_positions}
            )
        if not open_positions and not exits_by_key and not unsettled:
            return True
        by_key: dict[tuple[str, str, str], int] = {}
        meta: dict[tuple[str, str, str], Position] = {}
        for p in open_positions:
            key = (p.exchange, p.token, p.product)
            by_key[key] = by_key.get(key, 0) + p.net_qty
            meta.setdefault(key, p)
        to_exit: list[tuple[Position, int]] = []
        to_reprice: list[BrokerOrder] = []
        for key in set(by_key) | set(exits_by_key) | set(unsettled):
            net = by_key.get(key, 0)
            working = exits_by_key.get(key, [])
            pending = sum(o.signed_unfilled for o in working) + unsettled.get(key, 0)
            needed = -net - pending
            if (net == 0 and working) or (needed != 0 and _sign(needed) != _sign(-net)):
                # over-covered (the position shrank some other way): cancel our exits and
                # recompute from fresh books next round; never let an exit flip the sign
                self._cancel_orders(working)
                continue
            if needed != 0 and key not in unsettled:
                to_exit.append((meta[key], needed))
            to_reprice.extend(self._due_for_reprice(working, options))
        if to_exit or to_reprice:
            quotes = self._quotes(
                [self._contract(p.exchange, p.token, p.symbol) for p, _ in to_exit]
                + [self._contract(o.exchange, o.token, o.symbol) for o in to_reprice]
            )
            for position, needed in to_exit:
                self._place_exits(position, needed, options, quotes)
            self._reprice(to_reprice, options, quotes)
        return False

    def _contract(self, exchange: str, token: str, symbol: str) -> Contract:
        return self.contracts(exchange, token) or _bare_contract(exchange, token, symbol)

    def _quotes(self, contracts: list[Contract]) -> dict[tuple[str, str], Any]:
        """One batched FULL quote (LTP and circuit band) for every contract about to be priced."""
        from angelctl.broker.market import fetch_quotes

        unique = list({(c.exchange, c.token): c for c in contracts}.values())
        quotes, _ = fetch_quotes(self.session, unique, "FULL")
        return {(q.exchange, q.token): q for q in quotes}

    def _place_exits(
        self,
        position: Position,
        needed: int,
        options: KillOptions,
        quotes: dict[tuple[str, str], Any],
    ) -> None:
        contract = self._contract(position.exchange, position.token, position.symbol)
        side = "BUY" if needed > 0 else "SELL"
        quote = quotes.get((position.exchange, position.token))
        if quote is None:
            self._event("no_quote", {"symbol": position.symbol})  # retried next round
            return
        price = exit_price(
            side,
            quote.ltp,
            options.band_percent,
            contract.tick_size,
            quote.lower_circuit,
            quote.upper_circuit,
        )
        record = self.report.exits.setdefault(
            _exit_key(position.exchange, position.token, position.product),
            ExitRecord(
                position.exchange,
                position.symbol,
                position.token,
                position.product,
                position.net_qty,
            ),
        )
        self._exit_round += 1
        request = OrderRequest(
            contract=contract,
            side=side,
            quantity=abs(needed),
            order_type="LIMIT",
            price=price,
            product=position.product or "INTRADAY",
        )
        for index, child in enumerate(slice_order(request)):
            intent_id = (
                f"{EXIT_INTENT_PREFIX}{self.run_id}-{position.exchange}-{position.token}"
                f"-{self._exit_round}-{index}"
            )
            try:
                placement = self.placer.place(child, intent_id, tag_prefix=EXIT_TAG_PREFIX)
            except (RequestRejected, NotPlaced) as exc:
                self._event("exit_rejected", {"symbol": position.symbol, "error": exc.message})
                continue
            record.sent += child.quantity
            record.slices += 1
            record.orders.append(placement.order_id)
            self._exit_placed_at[placement.order_id] = self.clock.monotonic()
            self._band[placement.order_id] = options.band_percent
            self._event(
                "exit_sent",
                {
                    "symbol": position.symbol,
                    "side": side,
                    "quantity": child.quantity,
                    "price": format(price, "f"),
                    "order_id": placement.order_id,
                },
            )

    def _due_for_reprice(self, exits: list[BrokerOrder], options: KillOptions) -> list[BrokerOrder]:
        now = self.clock.monotonic()
        return [
            o
            for o in exits
            if o.status in ("open", "open pending")
            and now - self._exit_placed_at.setdefault(o.order_id, now) >= options.reprice_after
        ]

    def _reprice(
        self,
        due: list[BrokerOrder],
        options: KillOptions,
        quotes: dict[tuple[str, str], Any],
    ) -> None:
        for order in due:
            quote = quotes.get((order.exchange, order.token))
            if quote is None:
                continue
            tick = self._contract(order.exchange, order.token, order.symbol).tick_size
            band = min(
                self._band.get(order.order_id, options.band_percent) + options.reprice_step_percent,
                MAX_BAND_PERCENT,
            )
            price = exit_price(
                order.side, quote.ltp, band, tick, quote.lower_circuit, quote.upper_circuit
            )
            if price == order.price:
                continue
            change = order.change(order_type="LIMIT", duration="DAY", price=price, trigger=None)
            try:
                broker_orders.modify(self.session, change)
            except RequestRejected as exc:
                self._event("reprice_refused", {"order_id": order.order_id, "error": exc.message})
                continue
            self._band[order.order_id] = band
            self._exit_placed_at[order.order_id] = self.clock.monotonic()
            key = _exit_key(order.exchange, order.token, order.product)
            if key in self.report.exits:
                self.report.exits[key].reprices += 1
            self._event("repriced", {"order_id": order.order_id, "price": format(price, "f")})

    # -- the drill ----------------------------------------------------------------------------

    def _plan(self, options: KillOptions) -> None:
        """Dry run: read everything, send nothing, list exactly what would be sent."""
        from angelctl.broker import gtt
        from angelctl.broker.market import fetch_quotes

        planned = self.report.planned
        for rule in gtt.list_rules(self.session):
            if options.in_scope(rule.exchange, rule.token):
                planned.append(
                    {"route": "gttCancelRule", "id": rule.rule_id, "symbol": rule.symbol}
                )
        book = self._book()
        for order in self._working(book, options):
            if order.status != "cancel pending":
                planned.append(
                    {"route": "cancelOrder", "orderid": order.order_id, "symbol": order.symbol}
                )
        if options.cancel_only:
            return
        for p in self._positions():
            if p.net_qty == 0 or not options.in_scope(p.exchange, p.token):
                continue
            contract = self._contract(p.exchange, p.token, p.symbol)
            side = "SELL" if p.net_qty > 0 else "BUY"
            quotes, _ = fetch_quotes(self.session, [contract], "FULL")
            price = None
            if quotes:
                q = quotes[0]
                price = exit_price(
                    side,
                    q.ltp,
                    options.band_percent,
                    contract.tick_size,
                    q.lower_circuit,
                    q.upper_circuit,
                )
            request = OrderRequest(
                contract=contract,
                side=side,
                quantity=abs(p.net_qty),
                order_type="LIMIT",
                price=price,
                product=p.product or "INTRADAY",
            )
            for child in slice_order(request):
                planned.append({"route": "placeOrder", **child.to_wire("KS…")})


# -- pure helpers -------------------------------------------------------------------------------


def exit_price(
    side: str,
    ltp: Decimal,
    band_percent: Decimal,
    tick: Decimal,
    lower_circuit: Decimal | None,
    upper_circuit: Decimal | None,
) -> Decimal:
    """An exit's protected LIMIT price: ``orders.checks.protected_price`` around the LTP."""
    return protected_price(side, ltp, band_percent, tick, lower_circuit, upper_circuit)


def _exit_key(exchange: str, token: str, product: str) -> str:
    return f"{exchange}:{token}:{product}"


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _bare_contract(exchange: str, token: str, symbol: str) -> Contract:
    """A stand-in when the instrument index lacks the contract: ₹0.05 tick, no freeze split."""
    return Contract(
        exchange=exchange,
        token=token,
        symbol=symbol,
        name=symbol,
        instrument_type="",
        kind="",
        expiry=None,
        strike=None,
        option_type="",
        lot_size=1,
        tick_size=Decimal("0.05"),
        freeze_qty=None,
        freeze_source="none",
    )
