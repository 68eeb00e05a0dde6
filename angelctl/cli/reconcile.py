"""``angelctl reconcile``: settle every open intent against the broker's order book, watch
today's settled intents for late landings (exit 16) and foreign angelctl-shaped tags, and settle
today's unfinished position conversions from one positions read
(``orders.convert.settle_conversions``).

Invariant: an intent another process holds (its lock taken) is reported "in progress", never
settled here; any intent or conversion still unsettled at the end makes the exit 10
(OUTCOME_UNKNOWN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import clock, open_session, output, profile_settings, seconds
from angelctl.cli.order_report import warn_watch, watch_doc

if TYPE_CHECKING:
    from angelctl.broker.orders import OrderBook
    from angelctl.broker.session import BrokerSession
    from angelctl.orders.journal import Intent, Journal
    from angelctl.orders.reconcile import BookWatch
    from angelctl.render.output import Output

UNSETTLED = ("sending", "unknown", "journalled", "in progress")


def reconcile(
    ctx: typer.Context,
    settle_after: Annotated[
        float | None,
        typer.Option(
            "--settle-after",
            "--settle",
            metavar="SECONDS",
            parser=seconds("--settle-after", 0, 3600),
            help="Seconds after its send from which an intent absent from the order book counts "
            "as not placed (default: the profile's settle_after, 60).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Settle every open intent against the broker's order book, watch today's settled
    intents for late landings (exit 16) and foreign angelctl-shaped tags, and settle today's
    unfinished position conversions from the positions."""
    from angelctl.broker.orders import read_book
    from angelctl.config import state_dir
    from angelctl.orders.convert import settle_conversions
    from angelctl.orders.journal_files import open_journal
    from angelctl.orders.reconcile import trading_day_start, watch_book
    from angelctl.orders.retention import retention_quietly
    from angelctl.status import ExitStatus

    out = output(ctx)
    _, settings = profile_settings(ctx)
    session, journal = open_session(settings), open_journal(clock())
    after = settings.settle_after if settle_after is None else settle_after
    try:
        pending = journal.open_intents(settings.name)
        book = read_book(session)
        watch = watch_book(journal, settings.name, book.orders, book.read_at)
        results = [_settle(session, journal, intent, book, after) for intent in pending]
        conversions = settle_conversions(
            session, journal, settings.name, since=trading_day_start(session.clock.now()),
            settle_after=after, lock_folder=state_dir() / "locks",
        )  # fmt: skip
        retention_quietly(journal, settings.name, settings.journal_retention_days)
    finally:
        journal.close()
        session.rest.close()
    _report_reconcile(out, results, watch, conversions)
    if watch.alarming:
        raise typer.Exit(int(ExitStatus.LATE_LANDING))
    if any(r["state"] in UNSETTLED for r in [*results, *conversions]):
        raise typer.Exit(int(ExitStatus.OUTCOME_UNKNOWN))


def _settle(
    session: BrokerSession, journal: Journal, intent: Intent, book: OrderBook, after: float
) -> dict[str, Any]:
    """One open intent settled under its lock (or "in progress" when another process holds it)."""
    from angelctl.config import state_dir
    from angelctl.orders.outcome import settle_time
    from angelctl.orders.placer import intent_lock
    from angelctl.orders.reconcile import reconcile_intent

    with intent_lock(state_dir() / "locks", intent.tag, wait=0) as locked:
        if not locked:
            return {"intent_id": intent.intent_id, "state": "in progress"}
        settled = reconcile_intent(
            session, journal, intent.intent_id, book=book, settle_after=after
        )
        when = settle_time(settled, after) if settled.is_open else None
        return {
            "intent_id": settled.intent_id,
            "tag": settled.tag,
            "state": settled.state,
            "order_id": settled.order_id,
            "error_code": settled.error_code,
            "error_text": settled.error_text,
            "settle_after": when.isoformat() if when else None,
        }


def _report_reconcile(
    out: Output, results: list[dict[str, Any]], watch: BookWatch, conversions: list[dict[str, Any]]
) -> None:
    unsettled = [r for r in [*results, *conversions] if r["state"] in UNSETTLED]
    warn_watch(out, watch)
    if out.json_mode:
        out.json(
            {"ok": not unsettled and not watch.alarming, "settled": results, **watch_doc(watch),
             "conversions": conversions}
        )  # fmt: skip
        return
    if not results and not conversions:
        out.notice("Nothing to reconcile: no open intents, no unfinished conversions.")
    for r in results:
        out.line(_result_line(r))
    for c in conversions:
        out.line(_conversion_line(c))


def _conversion_line(c: dict[str, Any]) -> str:
    """``conversion 3f2a9c1e SBIN-EQ BUY 10 INTRADAY → DELIVERY: converted``."""
    line = (
        f"conversion {c['conversion_id'][:8]} {c['symbol']} {c['side']} {c['quantity']} "
        f"{c['from']} → {c['to']}: {c['state']}"
    )
    if c["state"] == "in progress":
        line += "\n  it may still be running elsewhere: run `angelctl reconcile` again later"
    if c["state"] == "unknown":
        line += "\n  positions cannot tell: check `angelctl positions`; do not resend blindly"
    return line


def _result_line(r: dict[str, Any]) -> str:
    from angelctl.clock import IST

    line = f"{r['intent_id']}: {r['state']}"
    if r.get("order_id"):
        line += f" (order {r['order_id']})"
    if r.get("error_code") or r.get("error_text"):
        line += f" — broker said {r.get('error_code') or ''} {r.get('error_text') or ''}"
    if r.get("settle_after"):
        from datetime import datetime

        at = datetime.fromisoformat(r["settle_after"]).astimezone(IST)
        line += f" — may still land; settles after {at:%H:%M:%S} IST"
    return line
