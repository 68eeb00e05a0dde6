"""GTT rule operations the CLI and scripts share: the checks and the kill-switch gate around the
plain route calls of ``broker.gtt``.

A rule places a LIMIT order when its trigger is reached, so creating one adds exposure exactly
like placing that order later. Hence:

- ``prepare_create`` runs ``guard.check()`` first (no network call before it), then the same
  static pre-trade rules as orders (``orders.checks.static_checks``: lot multiple, tick for price
  and trigger, profile caps, freeze quantity — a rule cannot be sliced) on the order the rule
  would place. The price collar is not applied: a rule's price is meant for a later market.
- ``create`` sends ``createRule`` through ``guard.gate`` (the latch, checked as it leaves).
- ``modify`` passes the same gate unless it only lowers the quantity (the order rule of
  ``orders.modify``); its checks run on the rule as it will be after the change.
- Cancelling never passes the gate: it removes exposure.

Journalling (``Journal.gtt_event``, called by ``cli.gtt`` with ``create_detail`` /
``change_detail``) happens only after the broker accepted a write and named the rule: a refused
or failed write records nothing, and so does one whose answer was lost — a lost ``createRule``
answer is an ``OutcomeUnknown``-class error for the caller (``ResponseLost``) with no rule id to
record; ``list_rules`` shows whether the rule exists. The details hold the rule's fields only,
never a credential.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.gtt import DEFAULT_TIME_PERIOD, GttRequest, GttRule, create_rule, modify_rule
from angelctl.errors import UsageError
from angelctl.indian import group_indian, inr
from angelctl.orders.checks import OrderControls, PreTradeRejected, static_checks
from angelctl.orders.model import OrderRequest
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.instruments.model import Contract


@record
class PreparedGtt:
    """A checked rule: the wire request and the order it will place once triggered."""

    request: GttRequest
    order: OrderRequest

    def describe(self) -> dict[str, Any]:
        return {
            "order": self.order.describe(),
            "trigger": format(self.request.trigger, "f"),
            "time_period_days": self.request.time_period,
            "request": self.request.to_wire(),
        }

    def summary(self) -> str:
        r, o = self.request, self.order
        c = o.contract
        return (
            f"GTT: when {c.exchange}:{c.symbol} reaches {r.trigger}, {r.side} {r.quantity} "
            f"({group_indian(int(o.lots))} lots of {c.lot_size}) LIMIT @ {r.price} {r.product} "
            f"— notional {inr(r.price * r.quantity)}; valid {r.time_period} days"
        )


def _checked(order: OrderRequest, guard: OrderControls) -> None:
    if order.trigger is None or order.trigger <= 0:
        raise UsageError("a GTT rule needs --trigger (a positive price)")
    if order.disclosed_quantity > order.quantity:
        raise UsageError("--disclosed cannot be above the quantity")
    violations = static_checks(order, guard.limits, slice_allowed=False, unsliceable="a GTT rule")
    if violations:
        raise PreTradeRejected(violations)


def prepare_create(
    contract: Contract,
    guard: OrderControls,
    *,
    side: str,
    quantity: int | None,
    lots: int | None,
    price: str | None,
    trigger: str | None,
    product: str,
    disclosed: int = 0,
    days: int = DEFAULT_TIME_PERIOD,
) -> PreparedGtt:
    """Every local check, no network call; ``KillSwitchEngaged`` first if the latch is set."""
    guard.check()
    if not 1 <= days <= DEFAULT_TIME_PERIOD:
        raise UsageError(f"--days must be 1..{DEFAULT_TIME_PERIOD}, not {days}")
    order = OrderRequest.build(
        contract,
        side=side,
        quantity=quantity,
        lots=lots,
        order_type="LIMIT",
        price=price,
        trigger=trigger,
        product=product,
        variety=None,
        duration="DAY",
        disclosed=disclosed,
        tag="",
    )
    if order.product == "BO":
        raise UsageError("--product BO cannot be used for a GTT rule")
    _checked(order, guard)
    assert order.price is not None and order.trigger is not None  # checked above
    request = GttRequest(
        exchange=contract.exchange,
        symbol=contract.symbol,
        token=contract.token,
        side=order.side,
        product=order.product,
        quantity=order.quantity,
        price=order.price,
        trigger=order.trigger,
        disclosed_quantity=order.disclosed_quantity,
        time_period=days,
    )
    return PreparedGtt(request, order)


def create(session: BrokerSession, prepared: PreparedGtt, guard: OrderControls) -> str:
    """Send the checked rule through the kill-switch gate; the new rule's id."""
    guard.check()
    return create_rule(session, prepared.request, gate=guard.gate)


def create_detail(prepared: PreparedGtt) -> dict[str, Any]:
    """What the journal keeps of a created rule (no credential: the wire body's fields)."""
    r = prepared.request
    return {"exchange": r.exchange, "token": r.token, "product": r.product,
            "quantity": r.quantity, "price": format(r.price, "f"),
            "trigger": format(r.trigger, "f"), "disclosed_quantity": r.disclosed_quantity,
            "time_period_days": r.time_period}  # fmt: skip


def change_detail(rule: GttRule, change: GttChange) -> dict[str, Any]:
    """What the journal keeps of a modification: each changed field, old and new."""
    fields: dict[str, tuple[Decimal | int, Decimal | int | None]] = {
        "price": (rule.price, change.price),
        "quantity": (rule.quantity, change.quantity),
        "trigger": (rule.trigger, change.trigger),
        "disclosed_quantity": (rule.disclosed_quantity, change.disclosed_quantity),
        "time_period_days": (rule.time_period, change.time_period),
    }
    return {
        key: {"old": _plain(old), "new": _plain(new)}
        for key, (old, new) in fields.items()
        if new is not None
    }


def cancel_detail(rule: GttRule) -> dict[str, Any]:
    """What the journal keeps of a cancelled rule: its status before, and where it traded."""
    return {"status_before": rule.status, "exchange": rule.exchange, "token": rule.token}


def _plain(value: Decimal | int) -> str | int:
    return format(value, "f") if isinstance(value, Decimal) else value


@record
class GttChange:
    price: Decimal | None = None
    quantity: int | None = None
    trigger: Decimal | None = None
    disclosed_quantity: int | None = None
    time_period: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(
            value is None
            for value in (
                self.price,
                self.quantity,
                self.trigger,
                self.disclosed_quantity,
                self.time_period,
            )
        )

    @property
    def only_quantity(self) -> bool:
        """Only the quantity changes: whether that adds exposure depends on the rule's."""
        return self.quantity is not None and all(
            value is None
            for value in (self.price, self.trigger, self.disclosed_quantity, self.time_period)
        )

    def may_add_exposure(self, rule: GttRule) -> bool:
        """False only for a pure quantity reduction."""
        return not self.only_quantity or (self.quantity or 0) >= rule.quantity


def check_modify(
    rule: GttRule, contract: Contract, change: GttChange, guard: OrderControls
) -> None:
    """The static checks on the rule as it will be; the gate check if it may add exposure."""
    if change.is_empty:
        raise UsageError("nothing to change: give --price, --qty, --trigger, --disclosed or --days")
    if not rule.is_working:
        raise UsageError(f"GTT rule {rule.rule_id} is {rule.status}; it cannot be modified")
    if change.may_add_exposure(rule):
        guard.check()
    if change.time_period is not None and not 1 <= change.time_period <= DEFAULT_TIME_PERIOD:
        raise UsageError(f"--days must be 1..{DEFAULT_TIME_PERIOD}")
    if change.quantity is not None and change.quantity <= 0:
        raise UsageError("the quantity must be positive")
    order = OrderRequest(
        contract=contract,
        side=rule.side,
        quantity=rule.quantity if change.quantity is None else change.quantity,
        order_type="LIMIT",
        price=rule.price if change.price is None else change.price,
        trigger=rule.trigger if change.trigger is None else change.trigger,
        product=rule.product,
        disclosed_quantity=(
            rule.disclosed_quantity
            if change.disclosed_quantity is None
            else change.disclosed_quantity
        ),
    )
    _checked(order, guard)


def modify(session: BrokerSession, rule: GttRule, change: GttChange, guard: OrderControls) -> str:
    """Send a checked modification; through the gate unless it only lowers the quantity."""
    kwargs: dict[str, Any] = {
        "price": change.price,
        "quantity": change.quantity,
        "trigger": change.trigger,
        "disclosed_quantity": change.disclosed_quantity,
        "time_period": change.time_period,
    }
    if not change.may_add_exposure(rule):
        return modify_rule(session, rule, **kwargs)
    guard.check()
    return modify_rule(session, rule, **kwargs, gate=guard.gate)
