"""The ``order`` group (place | modify | cancel | show | list; ``status`` is a hidden alias of
``show``; ``journal`` is ``cli.journal_cmd``). ``order place``
lives in ``cli.order_place``, ``reconcile`` in ``cli.reconcile``; what these commands print is
in ``cli.order_report``.

Each command turns its arguments into an options record or a core request, calls the order
layer (``orders.entry``, ``orders.modify``, ``broker.orders``) and hands the result to
``cli.order_report`` / ``render.orders``. Every order-book read is watched against the journal
for late landings on the way (exit 16 after the command's own output).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from angelctl.cli.common import (
    DryRunOpt,
    LotsOpt,
    QtyOpt,
    YesOpt,
    clock,
    confirm,
    done,
    output,
    profile_settings,
)
from angelctl.cli.completion import (
    complete_order_id,
    complete_order_status,
    complete_order_type,
    complete_symbol,
    complete_validity,
)
from angelctl.cli.order_place import place
from angelctl.cli.order_report import (
    exit_if_alarming,
    report_modify,
    warn_watch,
    watch_doc,
)

if TYPE_CHECKING:
    from angelctl.broker.orders import BrokerOrder
    from angelctl.broker.session import BrokerSession
    from angelctl.config import ProfileSettings
    from angelctl.orders.journal import Journal
    from angelctl.orders.reconcile import BookWatch
    from angelctl.orders.scope import Scope
    from angelctl.render.output import Output

app = typer.Typer(
    help="Place, modify, cancel and inspect orders (journalled, never sent twice).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.command("place")(place)  # first: the group's help lists its commands in this order


def _session_and_journal(
    ctx: typer.Context,
) -> tuple[ProfileSettings, BrokerSession, Journal]:
    from angelctl.cli.common import open_session
    from angelctl.orders.journal_files import open_journal

    _, settings = profile_settings(ctx)
    return settings, open_session(settings), open_journal(clock())


ValidityOpt = typer.Option(
    "--validity", help="DAY or IOC.", show_default=False, autocompletion=complete_validity
)
OrderIdArg = Annotated[
    str,
    typer.Argument(
        help="Order id, unique order id or tag (or a unique prefix).",
        autocompletion=complete_order_id,
    ),
]


def show(
    ctx: typer.Context,
    order_id: OrderIdArg,
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
    warn_watch(out, watch)
    if out.json_mode:
        out.json(order.as_dict())
    else:
        from angelctl.render.orders import order_view

        out.show(order_view(order))
    exit_if_alarming(watch)


app.command("show")(show)  # `show` for one object, as `gtt show`
app.command("status", hidden=True, help="Alias of `order show`.")(show)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    status_filter: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="open (all working states), complete, cancelled, rejected, or any exact status.",
            show_default=False,
            autocompletion=complete_order_status,
        ),
    ] = None,
    symbol: Annotated[
        str | None,
        typer.Option(
            "--symbol",
            help="Only this trading symbol.",
            show_default=False,
            autocompletion=complete_symbol,
        ),
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
    warn_watch(out, watch)
    if out.json_mode:
        out.json({"orders": [o.as_dict() for o in orders], **watch_doc(watch)})
    elif not orders:
        out.notice("No orders match.")
    else:
        from angelctl.render.orders import orders_table

        out.show(orders_table(orders))
    exit_if_alarming(watch)


def _watched_book(
    session: BrokerSession, journal: Journal, profile: str
) -> tuple[list[BrokerOrder], BookWatch]:
    """Today's order book, checked against the journal for late landings on the way."""
    from angelctl.broker.orders import read_book
    from angelctl.orders.reconcile import watch_book

    book = read_book(session)
    return book.orders, watch_book(journal, profile, book.orders, book.read_at)


def _order_scope(
    ctx: typer.Context, out: Output, status_filter: str | None, symbol: str | None
) -> tuple[str | None, Scope]:
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


def _filter(orders: list[BrokerOrder], wanted: str | None, scope: Scope) -> list[BrokerOrder]:
    if wanted:
        orders = [o for o in orders if (o.is_working if wanted == "open" else o.status == wanted)]
    return [o for o in orders if scope.covers(o.exchange, o.token)]


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    order_id: Annotated[
        str | None,
        typer.Argument(
            help="Order id (or use --all).",
            show_default=False,
            autocompletion=complete_order_id,
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every working order.")] = False,
    symbol: Annotated[
        str | None,
        typer.Option(
            "--symbol",
            help="With --all: only this trading symbol.",
            show_default=False,
            autocompletion=complete_symbol,
        ),
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
        if targets and (all_ or targets[0].is_working):
            confirm(out, _cancel_summary(targets), yes=yes)
        for order in targets:
            sent = cancel(session, order)
            results.append({"order_id": order.order_id, "cancelled": sent, "status": order.status})
    finally:
        session.rest.close()
    warn_watch(out, watch)
    if out.json_mode:
        out.json({"ok": True, "results": results})
    elif not results:
        out.notice("No working orders to cancel.")
    for r in [] if out.json_mode else results:
        if r["cancelled"]:
            done(out, f"Cancel sent for order {r['order_id']}.", str(r["order_id"]))
        else:
            out.notice(f"Order {r['order_id']} is already {r['status']}; nothing to cancel.")
    exit_if_alarming(watch)


def _cancel_summary(targets: list[BrokerOrder]) -> str:
    if len(targets) > 1:
        return f"Cancel {len(targets)} working orders?"
    o = targets[0]
    price = f" @ {o.price}" if o.price else ""
    return (
        f"Cancel order {o.order_id}: {o.side} {o.quantity} {o.exchange}:{o.symbol} "
        f"{o.order_type}{price}, {o.status} (filled {o.filled})?"
    )


@app.command("modify")
def modify_cmd(
    ctx: typer.Context,
    order_id: OrderIdArg,
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
            autocompletion=complete_order_type,
        ),
    ] = None,
    validity: Annotated[str | None, ValidityOpt] = None,
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
            confirm(out, prepared.summary(), yes=yes)
            send_modify(session, prepared, guard)
    finally:
        index.close()
        session.rest.close()
    report_modify(out, prepared, dry_run)
