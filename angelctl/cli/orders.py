"""order place | modify | cancel | status | list, and reconcile (journal: ``journal_cmd``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import (
    DisclosedOpt,
    DryRunOpt,
    LotsOpt,
    ProductOpt,
    QtyOpt,
    YesOpt,
    clock,
    confirm,
    output,
    profile_settings,
    seconds,
)
from angelctl.cli.instruments import complete_symbol

if TYPE_CHECKING:
    from angelctl.render.output import Output

app = typer.Typer(
    help="Place, modify, cancel and inspect orders (journalled, never sent twice).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _session_and_journal(ctx: typer.Context) -> tuple[Any, Any, Any]:
    from angelctl.cli.common import open_session
    from angelctl.orders.journal import open_journal

    _, settings = profile_settings(ctx)
    return settings, open_session(settings), open_journal(clock())


def _retention(journal: Any, settings: Any) -> None:
    """The profile's journal retention, once a day, after the command's own work."""
    from angelctl.orders.retention import retention_quietly

    retention_quietly(journal, settings.name, settings.journal_retention_days)


def _confirm(out: Output, summary: str, yes: bool) -> None:
    confirm(out, summary, yes=yes)


@app.command("place")
def place(
    ctx: typer.Context,
    side: Annotated[str, typer.Argument(help="BUY or SELL.", show_default=False)],
    symbol: Annotated[
        str,
        typer.Argument(
            help="Symbol (see `instruments show`).",
            autocompletion=complete_symbol,
            show_default=False,
        ),
    ],
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    order_type: Annotated[
        str,
        typer.Option(
            "--type", help="LIMIT, STOPLOSS_LIMIT (SL), STOPLOSS_MARKET (SL-M) or MARKET."
        ),
    ] = "LIMIT",
    price: Annotated[
        str | None, typer.Option("--price", help="Limit price (rupees).", show_default=False)
    ] = None,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="Stop-loss trigger price.", show_default=False)
    ] = None,
    product: ProductOpt = None,
    variety: Annotated[
        str | None, typer.Option("--variety", help="NORMAL, STOPLOSS or ROBO.", show_default=False)
    ] = None,
    duration: Annotated[str, typer.Option("--duration", help="DAY or IOC.")] = "DAY",
    disclosed: DisclosedOpt = 0,
    tag: Annotated[str, typer.Option("--tag", help="Your label, kept in the journal.")] = "",
    amo: Annotated[
        bool,
        typer.Option("--amo", help="Outside market hours, send it as an after-market order."),
    ] = False,
    intent_id: Annotated[
        str | None,
        typer.Option(
            "--intent-id",
            help="Idempotency key: the same id never places a second order.",
            show_default=False,
        ),
    ] = None,
    slice_: Annotated[
        bool, typer.Option("--slice", help="Split above the freeze limit into at most 10 orders.")
    ] = False,
    dry_run: DryRunOpt = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the order until it is working, filled or rejected."),
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Place an order: checked locally, journalled, sent once, settled by reconciling."""
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.instruments.resolve import Resolver
    from angelctl.orders.entry import follow, order_placer, place_prepared, prepare
    from angelctl.orders.model import OrderRequest
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    _, settings = profile_settings(ctx)
    guard = order_controls(settings, clock())
    guard.check()  # the kill-switch latch, before anything touches the network
    index = open_instruments(ctx, out)
    _, session, journal = _session_and_journal(ctx)
    try:
        contract = Resolver(index, session.clock.now().astimezone(IST).date()).resolve(symbol)
        default_product = "DELIVERY" if contract.kind == "EQ" else "CARRYFORWARD"
        request = OrderRequest.build(
            contract,
            side=side,
            quantity=qty,
            lots=lots,
            order_type=order_type,
            price=price,
            trigger=trigger,
            product=product or default_product,
            variety=variety,
            duration=duration,
            disclosed=disclosed,
            tag=tag,
            amo=amo,
        )
        prepared = prepare(
            session, journal, request, guard, slice_allowed=slice_, intent_id=intent_id
        )
        if dry_run:
            _show_dry_run(out, prepared)
            return
        _confirm(out, _summary(prepared), yes)
        placements = place_prepared(order_placer(session, journal), prepared, guard)
        followed = {}
        if wait:
            for p in placements:
                followed[p.order_id] = follow(session, p, timeout=30.0)
        _retention(journal, settings)
    finally:
        index.close()
        journal.close()
        session.rest.close()
    _report_placements(out, placements, followed)


def _summary(prepared: Any) -> str:
    r = prepared.request
    c = r.contract
    notional = f"₹{r.notional:,.2f}" if r.notional is not None else "market"
    slices = f" in {len(prepared.children)} slices" if len(prepared.children) > 1 else ""
    price = f" @ {r.price}" if r.price is not None else ""
    trig = f" trigger {r.trigger}" if r.trigger is not None else ""
    return (
        f"{r.side} {r.quantity} ({r.lots.normalize()} lots of {c.lot_size}) "
        f"{c.exchange}:{c.symbol} {r.order_type}{price}{trig} {r.product} {r.duration}"
        f"{slices} — notional {notional}"
    )


def _show_dry_run(out: Output, prepared: Any) -> None:
    bodies = [child.to_wire("(tag at send)") for child in prepared.children]
    if out.json_mode:
        out.json({"ok": True, "dry_run": True, **prepared.describe(), "requests": bodies})
        return
    out.line("Dry run — nothing sent. " + _summary(prepared))
    for note in prepared.notes:
        out.line(f"  note: {note}")
    for body in bodies:
        out.line("  placeOrder " + " ".join(f"{k}={v}" for k, v in body.items()))


def _report_placements(out: Output, placements: list[Any], followed: dict[str, Any]) -> None:
    from angelctl.errors import RequestRejected
    from angelctl.status import ExitStatus

    docs = []
    status = ExitStatus.OK
    for p in placements:
        final = followed.get(p.order_id)
        docs.append(
            {
                "intent_id": p.intent.intent_id,
                "tag": p.intent.tag,
                "order_id": p.order_id,
                "recovered": p.recovered,
                "reused": p.reused,
                "late_landing": p.late,
                "status": final.status if final else None,
                "text": final.text if final else None,
            }
        )
        status = max(status, p.exit_status)
    rejected = [d for d in docs if d["status"] == "rejected"]
    if out.json_mode:
        out.json({"ok": not rejected, "orders": docs})
    else:
        for d in docs:
            how = " (recovered by reconciling: its answer was lost)" if d["recovered"] else ""
            how += " (already placed earlier with this intent id)" if d["reused"] else ""
            how += (
                " — LATE LANDING: it had been settled as not placed; check the position"
                if d["late_landing"]
                else ""
            )
            state = f" — {d['status']}" if d["status"] else ""
            out.line(f"Order {d['order_id']} placed, tag {d['tag']}{how}{state}")
    if rejected:
        raise RequestRejected(
            f"order {rejected[0]['order_id']} was rejected: "
            f"{rejected[0]['text'] or 'no reason given'}",
            route="placeOrder",
        )
    if status != ExitStatus.OK:
        raise typer.Exit(int(status))


@app.command("status")
def status(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="Order id, unique order id or tag.")],
) -> None:
    """One order's details from the broker (individual order details)."""
    from angelctl.broker.orders import find_order, order_details

    out = output(ctx)
    settings, session, journal = _session_and_journal(ctx)
    try:
        book, watch = _watched_book(session, journal, settings.name)
        order = find_order(session, order_id, book)
        if order.unique_order_id:
            order = order_details(session, order.unique_order_id)
    finally:
        journal.close()
        session.rest.close()
    _warn_watch(out, watch)
    if out.json_mode:
        out.json(order.as_dict())
    else:
        from angelctl.render.orders import order_view

        out.show(order_view(order))
    _exit_if_alarming(watch)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    status_filter: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="open (all working states), complete, cancelled, rejected, or any exact status.",
            show_default=False,
        ),
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Only this trading symbol.", show_default=False)
    ] = None,
) -> None:
    """Today's order book, with filters."""

    out = output(ctx)
    wanted, scope = _order_scope(ctx, out, status_filter, symbol)
    settings, session, journal = _session_and_journal(ctx)
    try:
        book, watch = _watched_book(session, journal, settings.name)
        orders = _filter(book, wanted, scope)
    finally:
        journal.close()
        session.rest.close()
    _warn_watch(out, watch)
    if out.json_mode:
        out.json({"orders": [o.as_dict() for o in orders], **_watch_doc(watch)})
    elif not orders:
        out.notice("No orders match.")
    else:
        from angelctl.render.orders import orders_table

        out.show(orders_table(orders))
    _exit_if_alarming(watch)


def _watched_book(session: Any, journal: Any, profile: str) -> tuple[list[Any], Any]:
    """Today's order book, checked against the journal for late landings on the way."""
    from angelctl.broker.orders import read_book
    from angelctl.orders.reconcile import watch_book

    book = read_book(session)
    return book.orders, watch_book(journal, profile, book.orders, book.read_at)


def _exit_if_alarming(watch: Any) -> None:
    """A late landing or a duplicate found on the way: exit 16 after the command's output."""
    if watch.alarming:
        from angelctl.status import ExitStatus

        raise typer.Exit(int(ExitStatus.LATE_LANDING))


def _order_scope(
    ctx: typer.Context, out: Output, status_filter: str | None, symbol: str | None
) -> tuple[str | None, Any]:
    """``--status`` checked and ``--symbol`` resolved like an order's symbol (every form the
    resolver takes, matched by exchange and token), before any network call (exit 2)."""
    from angelctl.orders.scope import Scope, order_status, resolve_scope

    wanted = order_status(status_filter) if status_filter else None
    if not symbol:
        return wanted, Scope()
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST

    index = open_instruments(ctx, out)
    try:
        today = clock().now().astimezone(IST).date()
        return wanted, resolve_scope((), [symbol], index, today)
    finally:
        index.close()


def _filter(orders: list[Any], wanted: str | None, scope: Any) -> list[Any]:
    if wanted:
        orders = [o for o in orders if (o.is_working if wanted == "open" else o.status == wanted)]
    return [o for o in orders if scope.covers(o.exchange, o.token)]


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    order_id: Annotated[
        str | None, typer.Argument(help="Order id (or use --all).", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every working order.")] = False,
    symbol: Annotated[
        str | None,
        typer.Option("--symbol", help="With --all: only this trading symbol.", show_default=False),
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Cancel one order, or every working order (--all). Already-final orders exit 0."""
    from angelctl.broker.orders import find_order
    from angelctl.errors import UsageError
    from angelctl.orders.entry import cancel

    out = output(ctx)
    if bool(order_id) == all_:
        raise UsageError("give one ORDER_ID or --all")
    _, scope = _order_scope(ctx, out, None, symbol if all_ else None)
    settings, session, journal = _session_and_journal(ctx)
    results = []
    try:
        book, watch = _watched_book(session, journal, settings.name)
        journal.close()
        targets = (
            [find_order(session, order_id, book)] if order_id else _filter(book, "open", scope)
        )
        if all_ and targets:
            _confirm(out, f"Cancel {len(targets)} working orders?", yes)
        for order in targets:
            done = cancel(session, order)
            results.append({"order_id": order.order_id, "cancelled": done, "status": order.status})
    finally:
        session.rest.close()
    _warn_watch(out, watch)
    if out.json_mode:
        out.json({"ok": True, "results": results})
    elif not results:
        out.notice("No working orders to cancel.")
    for r in [] if out.json_mode else results:
        if r["cancelled"]:
            out.line(f"Cancel sent for order {r['order_id']}.")
        else:
            out.notice(f"Order {r['order_id']} is already {r['status']}; nothing to cancel.")
    _exit_if_alarming(watch)


@app.command("modify")
def modify_cmd(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="Order id, unique order id or tag.")],
    price: Annotated[
        str | None, typer.Option("--price", help="New limit price.", show_default=False)
    ] = None,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="New stop-loss trigger.", show_default=False)
    ] = None,
    order_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="New type: LIMIT, STOPLOSS_LIMIT (SL), STOPLOSS_MARKET (SL-M) or MARKET.",
            show_default=False,
        ),
    ] = None,
    validity: Annotated[
        str | None, typer.Option("--validity", help="DAY or IOC.", show_default=False)
    ] = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
) -> None:
    """Modify a working order: checked like a new order, shown old → new, sent once."""
    from angelctl.broker.orders import find_order
    from angelctl.cli.common import open_session
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.orders.modify import ModifyRequest, order_contract, prepare_modify, send_modify
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    change = ModifyRequest.build(
        price=price, trigger=trigger, quantity=qty, lots=lots, order_type=order_type,
        validity=validity,
    )  # fmt: skip
    _, settings = profile_settings(ctx)
    guard = order_controls(settings, clock())
    if not change.only_size:
        guard.check()  # the latch before any network call; a size change is judged on the order
    index = open_instruments(ctx, out)
    session = open_session(settings)
    try:
        order = find_order(session, order_id)
        today = session.clock.now().astimezone(IST).date()
        prepared = prepare_modify(
            session, order, order_contract(index, order, today), change, guard
        )
        if not dry_run:
            _confirm(out, prepared.summary(), yes)
            send_modify(session, prepared, guard)
    finally:
        index.close()
        session.rest.close()
    _report_modify(out, prepared, dry_run)


def _report_modify(out: Output, prepared: Any, dry_run: bool) -> None:
    body = prepared.change().to_wire()
    if out.json_mode:
        out.json({"ok": True, "dry_run": dry_run, **prepared.describe(), "request": body})
        return
    if not dry_run:
        out.line(f"Modify sent for order {prepared.order.order_id}: {prepared.change_text()}.")
        return
    out.line("Dry run — nothing sent. " + prepared.summary())
    for note in prepared.notes:
        out.line(f"  note: {note}")
    out.line("  modifyOrder " + " ".join(f"{k}={v}" for k, v in body.items()))


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
    """Settle every open intent against the broker's order book, and watch today's settled
    intents for late landings (exit 16) and foreign angelctl-shaped tags."""
    from angelctl.broker.orders import read_book
    from angelctl.config import state_dir
    from angelctl.orders.outcome import settle_time
    from angelctl.orders.placer import intent_lock
    from angelctl.orders.reconcile import reconcile_intent, watch_book
    from angelctl.status import ExitStatus

    out = output(ctx)
    settings, session, journal = _session_and_journal(ctx)
    after = settings.settle_after if settle_after is None else settle_after
    results = []
    try:
        pending = journal.open_intents(settings.name)
        book = read_book(session)
        watch = watch_book(journal, settings.name, book.orders, book.read_at)
        for intent in pending:
            with intent_lock(state_dir() / "locks", intent.tag, wait=0) as locked:
                if not locked:
                    results.append({"intent_id": intent.intent_id, "state": "in progress"})
                    continue
                settled = reconcile_intent(
                    session,
                    journal,
                    intent.intent_id,
                    book=book,
                    settle_after=after,
                )
                when = settle_time(settled, after) if settled.is_open else None
                results.append(
                    {
                        "intent_id": settled.intent_id,
                        "tag": settled.tag,
                        "state": settled.state,
                        "order_id": settled.order_id,
                        "error_code": settled.error_code,
                        "error_text": settled.error_text,
                        "settle_after": when.isoformat() if when else None,
                    }
                )
        _retention(journal, settings)
    finally:
        journal.close()
        session.rest.close()
    _report_reconcile(out, results, watch)
    if watch.alarming:
        raise typer.Exit(int(ExitStatus.LATE_LANDING))
    if any(r["state"] in ("sending", "unknown", "journalled", "in progress") for r in results):
        raise typer.Exit(int(ExitStatus.OUTCOME_UNKNOWN))


def _watch_doc(watch: Any) -> dict[str, Any]:
    return {
        "late_landings": [
            {"intent_id": i.intent_id, "order_id": o.order_id, "tag": o.tag, "status": o.status}
            for i, o in watch.adopted
        ],
        "duplicates": [
            {"intent_id": i.intent_id, "order_id": o.order_id, "placed_as": i.order_id}
            for i, o in watch.duplicates
        ],
        "foreign_tags": [{"order_id": o.order_id, "tag": o.tag} for o in watch.foreign],
    }


def _warn_watch(out: Output, watch: Any) -> None:
    from angelctl.orders.reconcile import describe_watch

    for line in describe_watch(watch):
        out.warn(line)


def _report_reconcile(out: Output, results: list[dict[str, Any]], watch: Any) -> None:
    from angelctl.clock import IST

    unsettled = [
        r for r in results if r["state"] in ("sending", "unknown", "journalled", "in progress")
    ]
    _warn_watch(out, watch)
    if out.json_mode:
        out.json(
            {"ok": not unsettled and not watch.alarming, "settled": results, **_watch_doc(watch)}
        )
        return
    if not results:
        out.notice("Nothing to reconcile: no open intents.")
    for r in results:
        line = f"{r['intent_id']}: {r['state']}"
        if r.get("order_id"):
            line += f" (order {r['order_id']})"
        if r.get("error_code") or r.get("error_text"):
            line += f" — broker said {r.get('error_code') or ''} {r.get('error_text') or ''}"
        if r.get("settle_after"):
            from datetime import datetime

            at = datetime.fromisoformat(r["settle_after"]).astimezone(IST)
            line += f" — may still land; settles after {at:%H:%M:%S} IST"
        out.line(line)
