"""``order place``: its options, the frozen record they make, and the one path an order takes —
the kill-switch latch first, then resolve, check, journal, the money (LTP, margin, funds,
charges), confirm, send once, follow, report.

Following: ``--wait`` follows up to 30 s; without it, every placement (``--yes``, ``--json``
or confirmed at the prompt) is followed to its first definite state (open, trigger pending,
complete, rejected, cancelled) within the profile's ``order_follow_seconds`` (default 5);
``--no-wait`` sends and reports at once. A followed order the broker rejects exits 8 with the
broker's reason.

Funds: when the margin required exceeds the available funds, the confirmation says so in red;
without a prompt to answer (``--yes``, or no terminal) the order is refused (exit 2, nothing
sent) unless ``--allow-insufficient-funds``.

Invariant: the latch is checked before the instrument index, the session or the journal is
opened (nothing touches the network while the kill switch is engaged).
"""

from __future__ import annotations

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
from angelctl.cli.order_report import report_placements, show_dry_run
from angelctl.records import record

if TYPE_CHECKING:
    from collections.abc import Callable

    from angelctl.broker.session import BrokerSession
    from angelctl.instruments.model import Contract
    from angelctl.orders.entry import PreparedOrder
    from angelctl.orders.model import OrderRequest
    from angelctl.orders.money import MoneyReads, OrderMoney
    from angelctl.render.output import Output

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
ValidityOpt = Annotated[
    str, typer.Option("--validity", help="DAY or IOC.", autocompletion=complete_validity)
]
DurationOpt = Annotated[
    str | None,
    typer.Option("--duration", hidden=True, help="Deprecated: use --validity.", show_default=False),
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
    bool | None,
    typer.Option(
        "--wait/--no-wait",
        help="Follow the order until it is working, filled or rejected (up to 30 s); "
        "--no-wait reports at once. Default: follow for the profile's "
        "order_follow_seconds.",
        show_default=False,
    ),
]
AllowShortOpt = Annotated[
    bool,
    typer.Option(
        "--allow-insufficient-funds",
        help="Send even when the margin required exceeds the available funds.",
    ),
]


@record
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
    wait: bool | None
    yes: bool
    allow_short: bool = False

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
    validity: ValidityOpt = "DAY",
    duration: DurationOpt = None,
    disclosed: DisclosedOpt = 0,
    tag: TagOpt = "",
    amo: AmoOpt = False,
    intent_id: IntentOpt = None,
    slice_: SliceOpt = False,
    dry_run: DryRunOpt = False,
    wait: WaitOpt = None,
    yes: YesOpt = False,
    allow_short: AllowShortOpt = False,
) -> None:
    """Place an order: checked locally, journalled, sent once, settled by reconciling."""
    if duration is not None:
        output(ctx).warn("--duration is deprecated: write --validity instead")
    options = PlaceOptions(
        side=side, symbol=symbol, qty=qty, lots=lots, order_type=order_type, price=price,
        trigger=trigger, product=product, variety=variety, duration=duration or validity,
        disclosed=disclosed, tag=tag, amo=amo, intent_id=intent_id, slice_=slice_,
        dry_run=dry_run, wait=wait, yes=yes, allow_short=allow_short,
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
        early: list[MoneyReads] = []
        try:
            prepared = prepare(
                session, journal, request, guard,
                slice_allowed=options.slice_, intent_id=options.intent_id,
                before_quote=None if options.dry_run else _early_money(session, early),
            )  # fmt: skip
        except BaseException:
            for reads in early:
                reads.abandon()
            raise
        if options.dry_run:
            show_dry_run(out, prepared)
            return
        money = _confirm_money(out, session, prepared, options, early[0] if early else None)
        placements = place_prepared(order_placer(session, journal), prepared, guard)
        budget = _follow_budget(options, settings.order_follow_seconds)
        followed = {}
        if budget is not None:
            for p in placements:
                followed[p.order_id] = follow(session, p, timeout=budget)
        retention_quietly(journal, settings.name, settings.journal_retention_days)
    finally:
        index.close()
        journal.close()
        session.rest.close()
    report_placements(out, placements, followed, money=money.describe(), show_money=options.yes)


def _follow_budget(options: PlaceOptions, configured: float) -> float | None:
    """Seconds to follow the new order(s), or None not to follow."""
    if options.wait is True:
        return 30.0
    if options.wait is False:
        return None
    return configured


def _early_money(
    session: BrokerSession, started: list[MoneyReads]
) -> Callable[[OrderRequest], None]:
    """The hook ``prepare`` calls once every local check has passed: a priced order's margin,
    funds and charges reads start there (into ``started``), overlapping the collar's quote
    (they do not depend on it). A MARKET order's price is the checks' to decide: no early
    reads. Nothing is read for an order the local checks refuse."""
    from angelctl.orders.checks import slice_order
    from angelctl.orders.money import start_money

    def start(request: OrderRequest) -> None:
        if request.price is not None:
            started.append(start_money(session, slice_order(request), with_ltp=False))

    return start


def _confirm_money(
    out: Output,
    session: BrokerSession,
    prepared: PreparedOrder,
    options: PlaceOptions,
    early: MoneyReads | None = None,
) -> OrderMoney:
    """Collect (or fetch) the money, show it with the question (or refuse a script's unfunded
    order)."""
    from angelctl.cli.common import stdin_is_tty
    from angelctl.orders.money import check_funds, collect_money, fetch_money
    from angelctl.render.units import inr

    ltp = prepared.reference.ltp if prepared.reference else None
    if early is not None and early.children == prepared.children and ltp is not None:
        money = collect_money(early, ltp)
    else:
        if early is not None:
            early.abandon()
        money = fetch_money(session, prepared.children, ltp)
    prompting = not options.yes and stdin_is_tty()
    if not prompting and not options.allow_short:
        check_funds(money, inr)
    if options.yes:
        return money  # nothing to show: the JSON / report carries the money
    from angelctl.render.confirm import confirmation

    text = confirmation(prepared.request, len(prepared.children), money, prepared.notes)
    confirm(out, text, yes=False)
    return money
