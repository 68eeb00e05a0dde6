"""The kill-switch procedure, step by step (the package docstring gives the rules).

``KillSwitch.run`` latches, cancels GTT rules, then loops: wait for order-entry requests still
on the wire, read the book, cancel every working order in scope that is not one of its own
exits, flatten (``exits.Exits``) and verify (``verdict.judge``), until done, stopped by a
signal, or out of its time budget.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from angelctl.broker import gtt
from angelctl.broker import orders as broker_orders
from angelctl.broker.orders import BrokerOrder, OrderBook
from angelctl.broker.portfolio import Position, parse_positions
from angelctl.broker.session import BrokerSession
from angelctl.errors import AngelctlError, BrokerError, RequestRejected
from angelctl.orders.checks import slice_order
from angelctl.orders.journal import Journal
from angelctl.orders.outcome import OutcomeUnknown
from angelctl.orders.placer import OrderPlacer, intent_lock
from angelctl.risk.killswitch.exits import Exits
from angelctl.risk.killswitch.report import (
    ERROR_WINDOW_SECONDS,
    INFLIGHT_WAIT_SECONDS,
    POLL_SECONDS,
    ContractLookup,
    KillOptions,
    KillReport,
    Progress,
    StopFlag,
)
from angelctl.risk.killswitch.verdict import judge
from angelctl.risk.latch import Latch, LatchState


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
        run_id: str | None = None,
    ) -> None:
        self.session = session
        self.clock = session.clock
        self.journal = journal
        self.latch = latch
        self.lock_folder = lock_folder
        self.profile = session.settings.name
        self.placer = OrderPlacer(
            session, journal, lock_folder, settle_after=session.settings.settle_after
        )
        self.run_id = run_id or uuid.uuid4().hex[:12]  # fixed by a drill, to be repeatable
        self.report = KillReport(self.run_id, self.profile)
        self.exits = Exits(
            session,
            journal,
            self.placer,
            self.report,
            contracts=contracts or (lambda exchange, token: None),
            event=self._event,
            cancel=self._cancel_orders,
            progress=on_progress,
        )
        self._on_progress = on_progress
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
                own = self.exits.own_tags()
                foreign = [o for o in self._working(book, options) if o.tag not in own]
                if foreign:
                    self._cancel_orders(foreign)
                    continue  # re-read: orders may have appeared meanwhile
                if options.cancel_only:
                    done = not self._working(book, options) and not on_wire
                else:
                    assert self._last_read is not None
                    self.exits.settle_open_intents(self._last_read)
                    positions = self._positions()
                    last_positions = positions
                    flat = self.exits.flatten(positions, self._working(book, options), options)
                    done = flat and not on_wire
                if done:
                    break
            except (BrokerError, OutcomeUnknown) as exc:
                report.errors.append(f"{type(exc).__name__}: {exc}")
                self._event("error", {"error": str(exc)})
            if self.clock.monotonic() >= deadline:
                report.unverified_reason = "the time budget ran out before flat was verified"
                break
            self.clock.sleep(POLL_SECONDS)
        judge(
            self.session,
            self.journal,
            report,
            options,
            done=done,
            book=last_book,
            positions=last_positions,
            read_positions=self._positions,
            read_ok=self._read_ok,
        )

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
                self.clock.sleep(POLL_SECONDS)

    # -- the drill ----------------------------------------------------------------------------

    def _plan(self, options: KillOptions) -> None:
        """Dry run: read everything, send nothing, list exactly what would be sent."""
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
        open_positions = [
            p for p in self._positions() if p.net_qty != 0 and options.in_scope(p.exchange, p.token)
        ]
        quotes = self.exits.quotes(
            [self.exits.contract(p.exchange, p.token, p.symbol) for p in open_positions]
        )
        for p in open_positions:
            quote = quotes.get((p.exchange, p.token))
            request = self.exits.exit_order(p, -p.net_qty, options.band_percent, quote)
            for child in slice_order(request):
                planned.append({"route": "placeOrder", **child.to_wire("KS…")})
