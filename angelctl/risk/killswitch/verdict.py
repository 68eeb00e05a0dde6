"""The kill switch's verdict: what a run may claim, from fresh reads only (the procedure's
step 4).

- ``verified_flat`` only for an unscoped, flattening run whose final positions and order book
  show no exposure; a scoped run can at most be ``done`` (scope flat), a cancel-only run at
  most "nothing working" (its open positions are listed, never called flat).
- An active GTT rule in scope, an exit sent whose answer is unknown (it may still land), or a
  book that was never read makes the run not done; a book never read makes exposure UNKNOWN.
- Belt and braces: exposure left in the final reads always overrides ``done``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from angelctl.broker import gtt
from angelctl.broker.orders import BrokerOrder
from angelctl.broker.portfolio import Position
from angelctl.broker.session import BrokerSession
from angelctl.errors import BrokerError
from angelctl.orders.journal import Journal
from angelctl.risk.killswitch.report import EXIT_INTENT_PREFIX, KillOptions, KillReport


def exit_fills(report: KillReport, book: list[BrokerOrder], positions: list[Position]) -> None:
    """Each exited position's fill price (average over this run's filled exits) and its
    realised P&L, for the summary."""
    by_id = {o.order_id: o for o in book}
    realised = {(p.exchange, p.token, p.product): p.realised for p in positions}
    for exited in report.exits.values():
        fills = [by_id[i] for i in exited.orders if i in by_id and by_id[i].filled]
        exited.filled = sum(o.filled for o in fills)
        if exited.filled:
            value = sum((o.average_price * o.filled for o in fills), Decimal(0))
            exited.exit_price = value / exited.filled
        exited.realised = realised.get((exited.exchange, exited.token, exited.product))


def _final_checks(
    session: BrokerSession,
    report: KillReport,
    options: KillOptions,
    positions: list[Position],
    read_positions: Callable[[], list[Position]],
) -> tuple[bool, list[Position]]:
    """The GTT list (and, for a scoped or cancel-only run, the positions) read once more."""
    try:
        rules = [r for r in gtt.list_rules(session) if options.in_scope(r.exchange, r.token)]
        if options.cancel_only or not options.scope.everything:
            positions = read_positions()
    except BrokerError as exc:
        report.unverified_reason = f"the final check could not read the broker: {exc}"
        return False, positions
    if rules:
        report.unverified_reason = f"{len(rules)} GTT rule(s) still active in scope"
        return False, positions
    return True, positions


def _unknown_exits(journal: Journal, profile: str) -> list[dict[str, object]]:
    return [
        {
            "intent_id": i.intent_id,
            "tag": i.tag,
            "symbol": i.request.get("symbol"),
            "side": i.request.get("side"),
            "quantity": i.request.get("quantity"),
            "state": i.state,
        }
        for i in journal.open_intents(profile)
        if i.intent_id.startswith(EXIT_INTENT_PREFIX)
    ]


def judge(
    session: BrokerSession,
    journal: Journal,
    report: KillReport,
    options: KillOptions,
    *,
    done: bool,
    book: list[BrokerOrder],
    positions: list[Position],
    read_positions: Callable[[], list[Position]],
    read_ok: dict[str, bool],
) -> None:
    """Fill in ``report``'s verdict fields from the run's last reads (and a final GTT read)."""
    report.scope_labels = list(options.scope.labels)
    report.scope_segments = sorted(options.scope.exchanges)
    report.cancel_only = options.cancel_only
    if done:
        done, positions = _final_checks(session, report, options, positions, read_positions)
    in_scope = [p for p in positions if p.net_qty != 0 and options.in_scope(p.exchange, p.token)]
    report.residual_orders = [
        o.as_dict() for o in book if o.is_working and options.in_scope(o.exchange, o.token)
    ]
    report.residual_positions = [] if options.cancel_only else [p.as_dict() for p in in_scope]
    report.positions_left_open = [p.as_dict() for p in in_scope] if options.cancel_only else []
    report.outside_scope = [
        p.as_dict()
        for p in positions
        if p.net_qty != 0 and not options.in_scope(p.exchange, p.token)
    ] + [o.as_dict() for o in book if o.is_working and not options.in_scope(o.exchange, o.token)]
    exit_fills(report, book, positions)
    report.unknown_exits = _unknown_exits(journal, session.settings.name)
    if report.unknown_exits:
        done = False
        report.unverified_reason = (
            f"{len(report.unknown_exits)} exit order(s) sent with no answer yet may still land: "
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
    if not all(read_ok[what] for what in needed):
        report.done = report.verified_flat = False
        report.exposure_unknown = True
        unknown = (
            "exposure UNKNOWN — the broker could not be read; check positions in the broker's app"
        )
        earlier = report.unverified_reason  # the budget ran out, or a signal stopped it
        report.unverified_reason = f"{earlier}; {unknown}" if earlier else unknown
    if not report.done and not report.unverified_reason:
        report.unverified_reason = "exposure remains"
