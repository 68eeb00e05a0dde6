"""gtt create | list | show | modify | cancel: GTT rules (a LIMIT order placed when the LTP
reaches a trigger). Creating a rule, or modifying one in any way but lowering its quantity,
passes the kill-switch gate and the orders' static checks (``orders.gtt``). Every write the
broker accepted is journalled (``gtt_events``, ``cli.gtt_ids``) on the run's clock; a refused or
failed write records nothing, nor does one whose answer was lost (no id came back to record)."""

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
    done,
    output,
    profile_settings,
)
from angelctl.cli.completion import complete_gtt_status
from angelctl.cli.gtt_ids import RuleIdArg, note_write, read_rule
from angelctl.cli.gtt_options import (
    DaysOpt,
    NewDaysOpt,
    NewDisclosedOpt,
    NewQtyOpt,
    PriceOpt,
    SideArg,
    SideOpt,
    SymbolArg,
    TriggerOpt,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from decimal import Decimal

    from angelctl.broker.gtt import GttRule
    from angelctl.broker.session import BrokerSession
    from angelctl.config import ProfileSettings
    from angelctl.instruments.model import Contract
    from angelctl.orders.gtt import PreparedGtt
    from angelctl.render.output import Output

app = typer.Typer(
    help="GTT rules: a LIMIT order sent when the price reaches a trigger.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

STATUS_ALIASES = {"ALL": "FORALL", "TRIGGERED": "SENTTOEXCHANGE", "SENT": "SENTTOEXCHANGE"}


def _confirm(out: Output, summary: str, yes: bool) -> None:
    confirm(out, summary, yes=yes, refusing="refusing to act on GTT rules without confirmation")


def _session(ctx: typer.Context) -> tuple[ProfileSettings, BrokerSession]:
    from angelctl.cli.common import open_session

    _, settings = profile_settings(ctx)
    return settings, open_session(settings)


def _contract(
    ctx: typer.Context, out: Output, text: str, clock_now: Callable[[], datetime]
) -> Contract:
    from angelctl.cli.instruments import open_instruments
    from angelctl.clock import IST
    from angelctl.instruments.resolve import Resolver

    index = open_instruments(ctx, out)
    try:
        return Resolver(index, clock_now().astimezone(IST).date()).resolve(text)
    finally:
        index.close()


def _decimal(value: str | None, flag: str) -> Decimal | None:
    from angelctl.numbers import parse_price

    return None if value is None else parse_price(value, flag)


@app.command("create")
def create(
    ctx: typer.Context,
    side: SideArg,
    symbol: SymbolArg = None,
    *,
    trigger: TriggerOpt,
    price: PriceOpt,
    qty: QtyOpt = None,
    lots: LotsOpt = None,
    product: ProductOpt = None,
    disclosed: DisclosedOpt = 0,
    days: DaysOpt = 365,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    side_option: SideOpt = None,
) -> None:
    """Create a GTT rule: checked like an order, refused while the kill switch is engaged."""
    from angelctl.orders import gtt
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    side, symbol = _side_and_symbol(out, side, symbol, side_option)
    settings, session = _session(ctx)
    guard = order_controls(settings, clock())
    try:
        guard.check()  # before the instrument download or any broker call
        contract = _contract(ctx, out, symbol, session.clock.now)
        prepared = gtt.prepare_create(
            contract,
            guard,
            side=side,
            quantity=qty,
            lots=lots,
            price=price,
            trigger=trigger,
            product=product or ("DELIVERY" if contract.kind == "EQ" else "CARRYFORWARD"),
            disclosed=disclosed,
            days=days,
        )
        if dry_run:
            _show_dry_run(out, prepared)
            return
        _confirm(out, prepared.summary(), yes)
        rule_id = gtt.create(session, prepared, guard)
    finally:
        session.rest.close()
    wire, detail = prepared.request, gtt.create_detail(prepared)
    note_write(out, settings.name, rule_id, "create", wire.symbol, wire.side, detail)
    if out.json_mode:
        out.json({"ok": True, "id": rule_id, **prepared.describe()})
    else:
        done(out, f"GTT rule {rule_id} created. {prepared.summary()}", rule_id)


def _side_and_symbol(
    out: Output, first: str, second: str | None, side_option: str | None
) -> tuple[str, str]:
    """SIDE SYMBOL; or, the older form, SYMBOL --side SIDE (a notice says it is deprecated)."""
    from angelctl.errors import UsageError

    usage = (
        "usage: angelctl gtt create [OPTIONS] SIDE SYMBOL --trigger PRICE --price PRICE "
        "(see `angelctl gtt create -h`)"
    )
    if side_option is None:
        if second is None:
            raise UsageError("missing argument 'SYMBOL'", hint=usage)
        return first, second
    if second is not None:
        raise UsageError("the side is given twice (SIDE and --side)", hint=usage)
    out.notice(f"--side is deprecated: write `angelctl gtt create {side_option} {first} …`")
    return side_option, first


def _show_dry_run(out: Output, prepared: PreparedGtt) -> None:
    if out.json_mode:
        out.json({"ok": True, "dry_run": True, **prepared.describe()})
        return
    out.line("Dry run — nothing sent. " + prepared.summary())
    body = prepared.request.to_wire()
    out.line("  createRule " + " ".join(f"{k}={v}" for k, v in body.items()))


def _statuses(values: list[str] | None) -> list[str]:
    from angelctl.broker.gtt import STATUSES, WORKING_STATUSES
    from angelctl.errors import UsageError

    if not values:
        return list(WORKING_STATUSES)
    out = []
    for value in values:
        upper = value.strip().upper()
        upper = STATUS_ALIASES.get(upper, upper)
        if upper not in STATUSES:
            raise UsageError(
                f"--status must be one of {', '.join(s.lower() for s in STATUSES)}, "
                f"all or triggered, not {value!r}"
            )
        out.append(upper)
    return out


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="new, active, cancelled, triggered (sent to exchange) or all; repeatable. "
            "Default: new and active.",
            show_default=False,
            autocompletion=complete_gtt_status,
        ),
    ] = None,
) -> None:
    """List GTT rules (working ones by default)."""
    from angelctl.broker.gtt import list_rules

    out = output(ctx)
    wanted = _statuses(status)
    _, session = _session(ctx)
    try:
        rules = list_rules(session, wanted)
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"rules": [r.as_dict() for r in rules]})
        return
    if not rules:
        out.notice("No GTT rules match.")
        return
    from angelctl.render.gtt import rules_table

    out.show(rules_table(rules))


def _show(out: Output, rule: GttRule) -> None:
    if out.json_mode:
        out.json(rule.as_dict())
        return
    from angelctl.render.gtt import rule_view

    out.show(rule_view(rule))


@app.command("show")
def show(
    ctx: typer.Context,
    rule_id: RuleIdArg,
) -> None:
    """One GTT rule's details."""

    out = output(ctx)
    settings, session = _session(ctx)
    try:
        rule = read_rule(session, settings.name, rule_id)
    finally:
        session.rest.close()
    _show(out, rule)


@app.command("modify")
def modify(
    ctx: typer.Context,
    rule_id: RuleIdArg,
    price: Annotated[
        str | None, typer.Option("--price", help="New limit price.", show_default=False)
    ] = None,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="New trigger price.", show_default=False)
    ] = None,
    qty: NewQtyOpt = None,
    disclosed: NewDisclosedOpt = None,
    days: NewDaysOpt = None,
    yes: YesOpt = False,
) -> None:
    """Modify a working GTT rule; only lowering the quantity skips the kill-switch gate."""
    from angelctl.errors import UsageError
    from angelctl.orders import gtt
    from angelctl.risk.controls import order_controls

    out = output(ctx)
    change = gtt.GttChange(
        price=_decimal(price, "--price"),
        quantity=qty,
        trigger=_decimal(trigger, "--trigger"),
        disclosed_quantity=disclosed,
        time_period=days,
    )
    if change.is_empty:
        raise UsageError("nothing to change: give --price, --qty, --trigger, --disclosed or --days")
    settings, session = _session(ctx)
    guard = order_controls(settings, clock())
    try:
        if not change.only_quantity:
            guard.check()  # before any broker call; a quantity change is judged on the rule
        rule = read_rule(session, settings.name, rule_id)
        contract = _contract(ctx, out, f"{rule.exchange}:{rule.token}", session.clock.now)
        gtt.check_modify(rule, contract, change, guard)
        _confirm(out, f"Modify GTT rule {rule.rule_id} ({rule.exchange}:{rule.symbol})?", yes)
        gtt.modify(session, rule, change, guard)
    finally:
        session.rest.close()
    detail = gtt.change_detail(rule, change)
    note_write(out, settings.name, rule.rule_id, "modify", rule.symbol, rule.side, detail)
    if out.json_mode:
        out.json({"ok": True, "id": rule.rule_id})
    else:
        done(out, f"Modify sent for GTT rule {rule.rule_id}.", rule.rule_id)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    rule_id: RuleIdArg,
    yes: YesOpt = False,
) -> None:
    """Cancel a GTT rule; one that is no longer working exits 0 with a notice."""
    from angelctl.broker.gtt import cancel_rule
    from angelctl.orders import gtt

    out = output(ctx)
    settings, session = _session(ctx)
    try:
        rule = read_rule(session, settings.name, rule_id)
        cancelled = rule.is_working
        if cancelled:
            _confirm(out, f"Cancel GTT rule {rule.rule_id} ({rule.exchange}:{rule.symbol})?", yes)
            cancel_rule(session, rule)
    finally:
        session.rest.close()
    if cancelled:
        detail = gtt.cancel_detail(rule)
        note_write(out, settings.name, rule.rule_id, "cancel", rule.symbol, rule.side, detail)
    if out.json_mode:
        out.json({"ok": True, "id": rule.rule_id, "cancelled": cancelled, "status": rule.status})
    elif cancelled:
        done(out, f"Cancel sent for GTT rule {rule.rule_id}.", rule.rule_id)
    else:
        out.notice(f"GTT rule {rule.rule_id} is already {rule.status}; nothing to cancel.")
