"""order place | modify | cancel | status | list, and reconcile, journal."""

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
    confirm,
    output,
    profile_settings,
    whole,
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
    return settings, open_session(settings), open_journal()


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
    from angelctl.orders.desk import follow, order_desk, order_guard, place_prepared, prepare
    from angelctl.orders.model import OrderRequest

    out = output(ctx)
    _, settings = profile_settings(ctx)
    guard = order_guard(settings)
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
        placements = place_prepared(order_desk(session, journal), prepared, guard)
        followed = {}
        if wait:
            for p in placements:
                followed[p.order_id] = follow(session, p, timeout=30.0)
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
                "status": final.status if final else None,
                "text": final.text if final else None,
            }
        )
        if p.recovered:
            status = max(status, ExitStatus.RECOVERED)
    rejected = [d for d in docs if d["status"] == "rejected"]
    if out.json_mode:
        out.json({"ok": not rejected, "orders": docs})
    else:
        for d in docs:
            how = " (recovered by reconciling: its answer was lost)" if d["recovered"] else ""
            how += " (already placed earlier with this intent id)" if d["reused"] else ""
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
    from angelctl.orders.desk import find_order, order_details

    out = output(ctx)
    _, session, journal = _session_and_journal(ctx)
    journal.close()
    try:
        order = find_order(session, order_id)
        if order.unique_order_id:
            order = order_details(session, order.unique_order_id)
    finally:
        session.rest.close()
    if out.json_mode:
        out.json(order.as_dict())
        return
    from angelctl.render.orders import order_view

    out.show(order_view(order))


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
    from angelctl.orders.desk import order_book

    out = output(ctx)
    _, session, journal = _session_and_journal(ctx)
    journal.close()
    try:
        orders = _filter(order_book(session), status_filter, symbol)
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"orders": [o.as_dict() for o in orders]})
        return
    if not orders:
        out.notice("No orders match.")
        return
    from angelctl.render.orders import orders_table

    out.show(orders_table(orders))


def _filter(orders: list[Any], status_filter: str | None, symbol: str | None) -> list[Any]:
    if status_filter:
        wanted = status_filter.lower()
        orders = [o for o in orders if (o.is_working if wanted == "open" else o.status == wanted)]
    if symbol:
        orders = [o for o in orders if o.symbol.upper() == symbol.upper()]
    return orders


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
    from angelctl.errors import UsageError
    from angelctl.orders.desk import cancel, find_order, order_book

    out = output(ctx)
    if bool(order_id) == all_:
        raise UsageError("give one ORDER_ID or --all")
    _, session, journal = _session_and_journal(ctx)
    journal.close()
    results = []
    try:
        targets = (
            [find_order(session, order_id)]
            if order_id
            else _filter(order_book(session), "open", symbol)
        )
        if all_ and targets:
            _confirm(out, f"Cancel {len(targets)} working orders?", yes)
        for order in targets:
            done = cancel(session, order)
            results.append({"order_id": order.order_id, "cancelled": done, "status": order.status})
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"ok": True, "results": results})
        return
    if not results:
        out.notice("No working orders to cancel.")
    for r in results:
        if r["cancelled"]:
            out.line(f"Cancel sent for order {r['order_id']}.")
        else:
            out.notice(f"Order {r['order_id']} is already {r['status']}; nothing to cancel.")


@app.command("modify")
def modify_cmd(
    ctx: typer.Context,
    order_id: Annotated[str, typer.Argument(help="Order id.")],
    price: Annotated[str | None, typer.Option("--price", show_default=False)] = None,
    qty: Annotated[int | None, typer.Option("--qty", show_default=False)] = None,
    trigger: Annotated[str | None, typer.Option("--trigger", show_default=False)] = None,
    order_type: Annotated[str | None, typer.Option("--type", show_default=False)] = None,
    yes: YesOpt = False,
) -> None:
    """Modify a working order's price, quantity, trigger or type."""
    from decimal import Decimal, InvalidOperation

    from angelctl.errors import UsageError
    from angelctl.orders.desk import find_order, modify, order_guard

    out = output(ctx)

    def dec(value: str | None, flag: str) -> Decimal | None:
        try:
            return Decimal(value) if value is not None else None
        except InvalidOperation:
            raise UsageError(f"{flag} {value!r} is not a number") from None

    if price is None and qty is None and trigger is None and order_type is None:
        raise UsageError("nothing to change: give --price, --qty, --trigger or --type")
    if price is not None or trigger is not None or order_type is not None:
        order_guard(profile_settings(ctx)[1]).check()  # only a quantity cut passes the latch
    settings, session, journal = _session_and_journal(ctx)
    journal.close()
    try:
        order = find_order(session, order_id)
        _confirm(out, f"Modify order {order.order_id} ({order.symbol})?", yes)
        modify(
            session,
            order,
            price=dec(price, "--price"),
            quantity=qty,
            trigger=dec(trigger, "--trigger"),
            order_type=order_type,
            guard=order_guard(settings),
        )
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"ok": True, "order_id": order.order_id})
    else:
        out.line(f"Modify sent for order {order.order_id}.")


def reconcile(
    ctx: typer.Context,
    settle: Annotated[
        float,
        typer.Option(
            "--settle",
            min=0,
            help="Seconds after which an intent absent from the order book counts as not placed.",
        ),
    ] = 10.0,
) -> None:
    """Settle every open intent in the journal against the broker's order book."""
    from datetime import UTC, datetime

    from angelctl.config import state_dir
    from angelctl.orders.desk import order_book
    from angelctl.orders.submit import intent_lock, reconcile_intent
    from angelctl.status import ExitStatus

    out = output(ctx)
    settings, session, journal = _session_and_journal(ctx)
    results = []
    try:
        pending = journal.open_intents(settings.name)
        book_at = datetime.now(UTC)  # an intent stepped after this is not judged by this book
        book = order_book(session) if pending else []
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
                    book_at=book_at,
                    settle_seconds=settle,
                )
                results.append(
                    {
                        "intent_id": settled.intent_id,
                        "tag": settled.tag,
                        "state": settled.state,
                        "order_id": settled.order_id,
                    }
                )
    finally:
        journal.close()
        session.rest.close()
    unsettled = [
        r for r in results if r["state"] in ("sending", "unknown", "journalled", "in progress")
    ]
    if out.json_mode:
        out.json({"ok": not unsettled, "settled": results})
    elif not results:
        out.notice("Nothing to reconcile: no open intents.")
    else:
        for r in results:
            out.line(
                f"{r['intent_id']}: {r['state']}"
                + (f" (order {r['order_id']})" if r.get("order_id") else "")
            )
    if unsettled:
        raise typer.Exit(int(ExitStatus.OUTCOME_UNKNOWN))


def journal_cmd(
    ctx: typer.Context,
    intent: Annotated[
        str | None, typer.Option("--intent", help="Show one intent's events.", show_default=False)
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            help="Newest N intents (1-100000).",
            metavar="INTEGER",
            parser=whole("-n/--limit", 1, 100_000),
        ),
    ] = 30,
) -> None:
    """The order journal: every intent, its tag, state and outcome."""
    from angelctl.errors import UsageError
    from angelctl.orders.journal import open_journal

    out = output(ctx)
    _, settings = profile_settings(ctx)
    journal = open_journal()
    try:
        if intent:
            found = journal.get(intent)
            if found is None:
                raise UsageError(f"no intent {intent!r} in the journal")
            events = journal.events(intent)
            if out.json_mode:
                out.json({"intent": found.__dict__, "events": events})
            else:
                from angelctl.render.orders import events_table

                out.show(events_table(found, events))
            return
        intents = journal.recent(limit, settings.name)
    finally:
        journal.close()
    if out.json_mode:
        out.json({"intents": [i.__dict__ for i in intents]})
        return
    from angelctl.render.orders import journal_table

    out.show(journal_table(intents))
