"""``positions`` (the list, its callback: ``angelctl positions``, ``--all`` and ``--watch`` work
as before) | ``positions convert`` (intraday ⇄ carry-forward/delivery, ``convertPosition``).

``positions convert SYMBOL --from P --to Q [--qty N | --lots N]`` is a write like ``order
place``: the kill-switch latch first (before the instrument index, the session or the journal
is opened), the local checks and one positions read (``orders.convert.prepare``), a
confirmation with the margin change (``--yes`` skips it; without a terminal and without
``--yes`` it is refused, exit 2), the journal entry, one send through the gate; a lost answer
is settled by reading positions (found moved: reported, exit 12 like a recovered order).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from angelctl.cli.common import (
    LotsOpt,
    QtyOpt,
    YesOpt,
    clock,
    confirm,
    done,
    open_session,
    output,
    profile_settings,
)
from angelctl.cli.completion import complete_product
from angelctl.cli.instruments import complete_symbol
from angelctl.cli.portfolio import positions

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.orders.convert import ConversionResult, PreparedConversion
    from angelctl.render.output import Output

Change = tuple[Decimal, Decimal] | None

app = typer.Typer(
    help="Net and day positions with P&L; `positions convert` moves one between products.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.callback()(positions)

FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        help="The product the position is in now: INTRADAY (MIS), DELIVERY (CNC), "
        "CARRYFORWARD (NRML) or MARGIN.",
        autocompletion=complete_product,
        show_default=False,
    ),
]
ToOpt = Annotated[
    str,
    typer.Option(
        "--to",
        help="The product to move it to (cash: DELIVERY, INTRADAY, MARGIN; F&O: "
        "CARRYFORWARD, INTRADAY).",
        autocompletion=complete_product,
        show_default=False,
    ),
]


@app.command("convert")
def convert(
    ctx: typer.Context,
    symbol: Annotated[
        str,
        typer.Argument(
            help="Symbol (see `instruments show`).",
            autocompletion=complete_symbol,
            show_default=False,
        ),
    ],
    from_product: FromOpt,
    to_product: ToOpt,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    yes: YesOpt = False,
) -> None:
    """Convert an open position to another product (convertPosition); by default all of its
    open quantity. Checked, confirmed and journalled like an order; refused while the kill
    switch is engaged."""
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.config import state_dir
    from angelctl.instruments.resolve import Resolver
    from angelctl.orders import convert as conversion
    from angelctl.orders.journal_files import open_journal
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    _, settings = profile_settings(ctx)
    guard = order_controls(settings, clock())
    guard.check()  # the kill-switch latch, before anything touches the network
    index = open_instruments(ctx, out)
    try:
        contract = Resolver(index, clock().now().astimezone(IST).date()).resolve(symbol)
    finally:
        index.close()
    session = open_session(settings)
    try:
        prepared = conversion.prepare(
            session, guard, contract, old=from_product, new=to_product, quantity=qty, lots=lots
        )
        change = conversion.margin_change(session, prepared)
        if not yes:
            _confirm(out, session, prepared, change)
        journal = open_journal(clock())
        try:
            locks = state_dir() / "locks"
            result = conversion.convert(session, journal, settings.name, prepared, guard, locks)
        finally:
            journal.close()
    finally:
        session.rest.close()
    _report(ctx, settings.name, result, change)


def _confirm(
    out: Output, session: BrokerSession, prepared: PreparedConversion, change: Change
) -> None:
    from angelctl.broker.models import Funds
    from angelctl.cli.common import stdin_is_tty
    from angelctl.errors import AngelctlError
    from angelctl.render.convert import conversion_confirmation

    available = None
    if stdin_is_tty():
        try:
            available = Funds.from_wire(session.call("getRMS")).net
        except AngelctlError:
            available = None
    text = conversion_confirmation(prepared, change, available)
    confirm(
        out, text, yes=False, question="Convert it?",
        refusing="refusing to convert a position without confirmation",
    )  # fmt: skip


def _report(ctx: typer.Context, profile: str, result: ConversionResult, change: Change) -> None:
    p = result.prepared
    out = output(ctx)
    if out.json_mode:
        money = (
            None if change is None else [format(v.quantize(Decimal("0.01")), "f") for v in change]
        )
        out.json(
            {
                "profile": profile,
                "conversion_id": p.conversion_id,
                "outcome": result.outcome,
                "symbol": p.contract.symbol,
                "exchange": p.contract.exchange,
                "token": p.contract.token,
                "side": p.side,
                "quantity": p.quantity,
                "lots": format(p.lots.normalize(), "f"),
                "lot_size": p.contract.lot_size,
                "from": p.old,
                "to": p.new,
                "open_quantity": p.open_qty,
                "margin_before": money[0] if money else None,
                "margin_after": money[1] if money else None,
            }
        )
    else:
        from angelctl.render.convert import converted_line

        done(out, converted_line(p, result.outcome), p.conversion_id)
    if result.outcome == "converted":
        from angelctl.status import ExitStatus

        raise typer.Exit(int(ExitStatus.RECOVERED))  # as `order place` reports a found order
