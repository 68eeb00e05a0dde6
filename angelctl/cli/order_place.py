"""``order place``: its options, the frozen record they make, and the one path an order takes —
the kill-switch latch first, then resolve, check, journal, confirm, send once, follow, report.

Invariant: the latch is checked before the instrument index, the session or the journal is
opened (nothing touches the network while the kill switch is engaged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

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
    open_session,
    output,
    profile_settings,
)
from angelctl.cli.completion import (
    complete_order_type,
    complete_side,
    complete_validity,
    complete_variety,
)
from angelctl.cli.instruments import complete_symbol
from angelctl.cli.order_report import report_placements, show_dry_run, summary

if TYPE_CHECKING:
    from angelctl.instruments.model import Contract
    from angelctl.orders.model import OrderRequest

# The options of `order place`, in the order its help lists them.
SideArg = Annotated[
    str, typer.Argument(help="BUY or SELL.", show_default=False, autocompletion=complete_side)
]
SymbolArg = Annotated[
    str,
    typer.Argument(
        help="Symbol (see `instruments show`).",
        autocompletion=complete_symbol,
        show_default=False,
    ),
]
TypeOpt = Annotated[
    str,
    typer.Option(
        "--type",
        help="LIMIT, STOPLOSS_LIMIT (SL), STOPLOSS_MARKET (SL-M) or MARKET.",
        autocompletion=complete_order_type,
    ),
]
PriceOpt = Annotated[
    str | None, typer.Option("--price", help="Limit price (rupees).", show_default=False)
]
TriggerOpt = Annotated[
    str | None, typer.Option("--trigger", help="Stop-loss trigger price.", show_default=False)
]
VarietyOpt = Annotated[
    str | None,
    typer.Option(
        "--variety",
        help="NORMAL, STOPLOSS or ROBO.",
        show_default=False,
        autocompletion=complete_variety,
    ),
]
DurationOpt = Annotated[
    str, typer.Option("--duration", help="DAY or IOC.", autocompletion=complete_validity)
]
TagOpt = Annotated[str, typer.Option("--tag", help="Your label, kept in the journal.")]
AmoOpt = Annotated[
    bool, typer.Option("--amo", help="Outside market hours, send it as an after-market order.")
]
IntentOpt = Annotated[
    str | None,
    typer.Option(
        "--intent-id",
        help="Idempotency key: the same id never places a second order.",
        show_default=False,
    ),
]
SliceOpt = Annotated[
    bool, typer.Option("--slice", help="Split above the freeze limit into at most 10 orders.")
]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Follow the order until it is working, filled or rejected.")
]


@dataclass(frozen=True)
class PlaceOptions:
    """`order place`'s arguments as given (checked by ``OrderRequest.build``)."""

    side: str
    symbol: str
    qty: int | None
    lots: int | None
    order_type: str
    price: str | None
    trigger: str | None
    product: str | None
    variety: str | None
    duration: str
    disclosed: int
    tag: str
    amo: bool
    intent_id: str | None
    slice_: bool
    dry_run: bool
    wait: bool
    yes: bool

    def request(self, contract: Contract) -> OrderRequest:
        from angelctl.orders.model import OrderRequest

        default_product = "DELIVERY" if contract.kind == "EQ" else "CARRYFORWARD"
        return OrderRequest.build(
            contract, side=self.side, quantity=self.qty, lots=self.lots,
            order_type=self.order_type, price=self.price, trigger=self.trigger,
            product=self.product or default_product, variety=self.variety,
            duration=self.duration, disclosed=self.disclosed, tag=self.tag, amo=self.amo,
        )  # fmt: skip


def place(
    ctx: typer.Context,
    side: SideArg,
    symbol: SymbolArg,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    order_type: TypeOpt = "LIMIT",
    price: PriceOpt = None,
    trigger: TriggerOpt = None,
    product: ProductOpt = None,
    variety: VarietyOpt = None,
    duration: DurationOpt = "DAY",
    disclosed: DisclosedOpt = 0,
    tag: TagOpt = "",
    amo: AmoOpt = False,
    intent_id: IntentOpt = None,
    slice_: SliceOpt = False,
    dry_run: DryRunOpt = False,
    wait: WaitOpt = False,
    yes: YesOpt = False,
) -> None:
    """Place an order: checked locally, journalled, sent once, settled by reconciling."""
    options = PlaceOptions(
        side=side, symbol=symbol, qty=qty, lots=lots, order_type=order_type, price=price,
        trigger=trigger, product=product, variety=variety, duration=duration,
        disclosed=disclosed, tag=tag, amo=amo, intent_id=intent_id, slice_=slice_,
        dry_run=dry_run, wait=wait, yes=yes,
    )  # fmt: skip
    _place(ctx, options)


def _place(ctx: typer.Context, options: PlaceOptions) -> None:
    """The latch first, then resolve, check and journal; confirm, send once, follow, report."""
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.instruments.resolve import Resolver
    from angelctl.orders.entry import follow, order_placer, place_prepared, prepare
    from angelctl.orders.journal_files import open_journal
    from angelctl.orders.retention import retention_quietly
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    _, settings = profile_settings(ctx)
    guard = order_controls(settings, clock())
    guard.check()  # the kill-switch latch, before anything touches the network
    index = open_instruments(ctx, out)
    session, journal = open_session(settings), open_journal(clock())
    try:
        today = session.clock.now().astimezone(IST).date()
        request = options.request(Resolver(index, today).resolve(options.symbol))
        prepared = prepare(
            session, journal, request, guard,
            slice_allowed=options.slice_, intent_id=options.intent_id,
        )  # fmt: skip
        if options.dry_run:
            show_dry_run(out, prepared)
            return
        confirm(out, summary(prepared), yes=options.yes)
        placements = place_prepared(order_placer(session, journal), prepared, guard)
        followed = {}
        if options.wait:
            for p in placements:
                followed[p.order_id] = follow(session, p, timeout=30.0)
        retention_quietly(journal, settings.name, settings.journal_retention_days)
    finally:
        index.close()
        journal.close()
        session.rest.close()
    report_placements(out, placements, followed)
