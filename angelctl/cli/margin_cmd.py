"""``angelctl margin``: the margin one order, or a basket of orders read from a file, needs —
per leg and together, the hedge benefit between the two, the funds and whether it fits, and
(``--charges``) the estimated charges. Nothing is ever placed or journalled.

An order is written exactly as for ``order place`` (SIDE SYMBOL --qty/--lots --type --price
--trigger --product): the command line and every basket line are parsed by the same Typer
parameter types ``cli.order_place`` and ``cli.common`` declare (``_order_params``) and built by
``PlaceOptions.request``. The one difference: without ``--type`` an order with ``--price`` is a
LIMIT and one without is a MARKET order (valued by the broker at the LTP), so a price is
optional. A basket file (docs/margin-command.md) holds one order per line in that syntax; blank
lines and ``#`` comments are skipped; an error names its line.

Invariants: read-only (no latch, no journal); more than 50 orders is a usage error before any
call; the instrument index and the session are opened only after the file parsed.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import LotsOpt, ProductOpt, QtyOpt, output, profile_settings
from angelctl.cli.completion import complete_side
from angelctl.cli.instruments import complete_symbol
from angelctl.cli.order_place import PlaceOptions, PriceOpt, SideArg, SymbolArg, TriggerOpt

if TYPE_CHECKING:
    from angelctl.instruments.resolve import Resolver
    from angelctl.orders.margin_basket import BasketOrder

MarginTypeOpt = Annotated[
    str | None,
    typer.Option(
        "--type",
        help="LIMIT, STOPLOSS_LIMIT (SL), STOPLOSS_MARKET (SL-M) or MARKET. Default: LIMIT "
        "with --price, else MARKET (valued at the LTP).",
        show_default=False,
    ),
]
OptionalSide = Annotated[
    str | None,
    typer.Argument(
        help="BUY or SELL (omit with --basket).", show_default=False, autocompletion=complete_side
    ),
]
OptionalSymbol = Annotated[
    str | None,
    typer.Argument(
        help="Symbol (see `instruments show`).", show_default=False, autocompletion=complete_symbol
    ),
]
BasketOpt = Annotated[
    Path | None,
    typer.Option(
        "--basket",
        help="A file of orders, one per line in `order place` syntax (SIDE SYMBOL --lots N …); "
        "# starts a comment. At most 50 orders.",
        show_default=False,
        dir_okay=False,
    ),
]
ChargesOpt = Annotated[bool, typer.Option("--charges", help="Add the estimated charges.")]


def _order_params(
    side: SideArg,
    symbol: SymbolArg,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    order_type: MarginTypeOpt = None,
    price: PriceOpt = None,
    trigger: TriggerOpt = None,
    product: ProductOpt = None,
) -> None:
    """One order of a basket (the parameters ``order place`` declares)."""


_LINE_APP = typer.Typer(add_completion=False)
_LINE_APP.command()(_order_params)


def margin(
    ctx: typer.Context,
    side: OptionalSide = None,
    symbol: OptionalSymbol = None,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    order_type: MarginTypeOpt = None,
    price: PriceOpt = None,
    trigger: TriggerOpt = None,
    product: ProductOpt = None,
    basket: BasketOpt = None,
    charges: ChargesOpt = False,
) -> None:
    """Margin required for an order or a basket (marginBatch), with the hedge benefit; nothing
    is placed."""
    from angelctl.errors import UsageError

    if basket is not None:
        if side is not None or symbol is not None:
            raise UsageError("give either an order or --basket FILE, not both")
        lines = read_basket(basket)
    elif side is None or symbol is None:
        raise UsageError(
            "give an order (SIDE SYMBOL --lots N …) or --basket FILE",
            hint="e.g. `angelctl margin BUY SBIN --qty 10`",
        )
    else:
        params = {"side": side, "symbol": symbol, "qty": qty, "lots": lots,
                  "order_type": order_type, "price": price, "trigger": trigger,
                  "product": product}  # fmt: skip
        lines = [(0, params)]
    _run(ctx, lines, charges=charges, label=str(basket) if basket else "")


def read_basket(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, the order's parameters) for every order line of the file."""
    from typer._click.exceptions import ClickException  # Typer's own copy of Click

    from angelctl.broker.margin import MAX_LEGS
    from angelctl.errors import UsageError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the basket {path}: {exc}") from None
    command = typer.main.get_command(_LINE_APP)
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(raw, comments=True)
        except ValueError as exc:
            raise UsageError(f"{path}, line {number}: {exc}") from None
        if not words:
            continue
        try:
            with command.make_context("order", words, resilient_parsing=False) as parsed:
                found.append((number, dict(parsed.params)))
        except ClickException as exc:
            message = exc.format_message()
            raise UsageError(
                f"{path}, line {number}: {message[:1].lower()}{message[1:]}",
                hint="write each line as on the command line; quote a symbol with spaces: "
                "'NIFTY 24500 CE'",
            ) from None
    if not found:
        raise UsageError(f"the basket {path} has no orders")
    if len(found) > MAX_LEGS:
        raise UsageError(
            f"the basket {path} has {len(found)} orders: the broker's margin calculator takes "
            f"at most {MAX_LEGS}",
            hint="split it into files of at most 50 orders",
        )
    return found


def _order(resolver: Resolver, number: int, params: dict[str, Any], label: str) -> BasketOrder:
    from angelctl.errors import AngelctlError
    from angelctl.orders.margin_basket import BasketOrder

    options = PlaceOptions(
        side=params["side"], symbol=params["symbol"], qty=params["qty"], lots=params["lots"],
        order_type=params["order_type"] or ("LIMIT" if params["price"] else "MARKET"),
        price=params["price"], trigger=params["trigger"],
        product=params["product"], variety=None, duration="DAY", disclosed=0, tag="",
        amo=False, intent_id=None, slice_=False, dry_run=False, wait=None, yes=False,
    )  # fmt: skip
    try:
        return BasketOrder(options.request(resolver.resolve(options.symbol)), number)
    except AngelctlError as exc:
        if number:
            exc.message = f"{label}, line {number}: {exc.message}"
            exc.args = (exc.message,)
        raise


def _run(
    ctx: typer.Context, lines: list[tuple[int, dict[str, Any]]], *, charges: bool, label: str
) -> None:
    from angelctl.cli.common import clock, open_session
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.instruments.resolve import Resolver
    from angelctl.orders.margin_basket import price_basket

    out = output(ctx)
    _, settings = profile_settings(ctx)
    index = open_instruments(ctx, out)
    try:
        resolver = Resolver(index, clock().now().astimezone(IST).date())
        orders = [_order(resolver, number, params, label) for number, params in lines]
    finally:
        index.close()
    session = open_session(settings)
    try:
        result = price_basket(session, orders, charges=charges)
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"profile": settings.name, **result.describe()})
        return
    from angelctl.render.margin import margin_view

    out.show(margin_view(result))
