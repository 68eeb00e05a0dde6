"""Position conversion (``positions convert``): intraday ⇄ carry-forward/delivery, with the
same rules as any write — the kill-switch latch first, every local check before a call, a
journal entry committed before the request leaves, one send, and an unknown outcome settled by
reading positions, never by sending again.

Steps: ``prepare`` (latch, products, one positions read: the position must exist in the source
product with enough quantity on its side), ``margin_change`` (two margin-calculator reads:
the quantity margined under each product; optional), ``convert`` (journal, send through the
gate, settle).

Products: cash (NSE/BSE) converts among DELIVERY, INTRADAY and MARGIN; derivatives among
CARRYFORWARD and INTRADAY (the broker refuses DELIVERY on NFO).

Invariants: nothing is sent unless ``prepare`` passed; the latch is checked before the first
call and again as the request leaves (``OrderControls.gate``); a lost answer (timeout, reset,
5xx, an unreadable body) is settled from one positions read against the one ``prepare`` made:
moved → ``converted``, unchanged → ``not_converted``, anything else stays ``unknown``
(``OutcomeUnknown``, exit 10).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from angelctl.broker.convert import convert_body, convert_position
from angelctl.broker.fields import wire_rows
from angelctl.broker.margin import Leg, margin_required
from angelctl.broker.portfolio import Position
from angelctl.broker.session import BrokerSession
from angelctl.errors import AngelctlError, ResponseLost, ServerError, UsageError
from angelctl.instruments.model import Contract
from angelctl.orders.checks import OrderControls
from angelctl.orders.journal import Journal
from angelctl.orders.model import PRODUCTS, choice
from angelctl.orders.outcome import OutcomeUnknown
from angelctl.orders.placer import crash_point, intent_lock

CASH_PRODUCTS = ("DELIVERY", "INTRADAY", "MARGIN")
DERIVATIVE_PRODUCTS = ("CARRYFORWARD", "INTRADAY")


def products_for(contract: Contract) -> tuple[str, ...]:
    return CASH_PRODUCTS if contract.exchange in ("NSE", "BSE") else DERIVATIVE_PRODUCTS


@dataclass
class PreparedConversion:
    contract: Contract
    row: dict[str, Any]  # the source position as getPosition returned it
    side: str  # BUY: a long position, SELL: a short one
    quantity: int  # units
    old: str
    new: str
    open_qty: int  # the source position's open quantity (units, positive)
    before: dict[str, int]  # net quantity per product of this instrument, before
    conversion_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def body(self) -> dict[str, Any]:
        return convert_body(
            self.row, side=self.side, quantity=self.quantity, old=self.old, new=self.new
        )

    @property
    def lots(self) -> Decimal:
        return Decimal(self.quantity) / max(self.contract.lot_size, 1)

    def detail(self) -> dict[str, Any]:
        """What the journal keeps (no credential, no client code), with the net quantity per
        product before (what ``reconcile`` judges a lost answer against)."""
        c = self.contract
        return {"exchange": c.exchange, "token": c.token, "side": self.side,
                "quantity": self.quantity, "from": self.old, "to": self.new,
                "before": self.before}  # fmt: skip


def _nets(rows: list[dict[str, Any]], exchange: str, token: str) -> dict[str, int]:
    nets: dict[str, int] = {}
    for row in rows:
        p = Position.from_wire(row)
        if p.exchange == exchange and p.token == token:
            nets[p.product] = nets.get(p.product, 0) + p.net_qty
    return nets


def judge(
    before: dict[str, int], after: dict[str, int], *, side: str, quantity: int, old: str, new: str
) -> str | None:
    """What positions say of a conversion whose answer was lost: ``converted`` (the quantity
    moved from ``old`` to ``new``), ``not_converted`` (nothing moved), or None (they changed
    some other way since, so they cannot tell)."""
    moved = (1 if side == "BUY" else -1) * quantity
    if (
        after.get(old, 0) == before.get(old, 0) - moved
        and after.get(new, 0) == before.get(new, 0) + moved
    ):
        return "converted"
    if after.get(old, 0) == before.get(old, 0) and after.get(new, 0) == before.get(new, 0):
        return "not_converted"
    return None


def _key(p: Position) -> tuple[str, str, str]:
    return p.exchange, p.token, p.product


def read_rows(session: BrokerSession) -> list[dict[str, Any]]:
    return wire_rows(session.call("getPosition"), "getPosition")


def prepare(
    session: BrokerSession,
    guard: OrderControls,
    contract: Contract,
    *,
    old: str,
    new: str,
    quantity: int | None = None,
    lots: int | None = None,
) -> PreparedConversion:
    """The latch, the products, then one positions read: a conversion the broker should take."""
    guard.check()
    old, new = choice(old, PRODUCTS, "--from"), choice(new, PRODUCTS, "--to")
    if old == new:
        raise UsageError(f"--from and --to are both {old}: nothing to convert")
    allowed = products_for(contract)
    for flag, product in (("--from", old), ("--to", new)):
        if product not in allowed:
            raise UsageError(
                f"{flag} {product}: a {contract.exchange} position converts only between "
                f"{', '.join(allowed)}"
            )
    if quantity is not None and lots is not None:
        raise UsageError("give the size as --qty UNITS or --lots N, not both")
    rows = read_rows(session)
    nets = _nets(rows, contract.exchange, contract.token)
    key = (contract.exchange, contract.token, old)
    row = next((r for r in rows if _key(Position.from_wire(r)) == key), None)
    net = nets.get(old, 0)
    if row is None or net == 0:
        raise UsageError(
            f"no open {old} position in {contract.exchange}:{contract.symbol}",
            hint="see `angelctl positions`",
        )
    lot = max(contract.lot_size, 1)
    wanted = abs(net) if quantity is None and lots is None else (quantity or (lots or 0) * lot)
    if wanted <= 0:
        raise UsageError("the quantity to convert must be positive")
    if wanted % lot:
        raise UsageError(f"{wanted} is not a multiple of the lot size {lot}")
    if wanted > abs(net):
        raise UsageError(
            f"{wanted} is more than the open {old} quantity {abs(net)} of {contract.symbol}"
        )
    side = "BUY" if net > 0 else "SELL"
    return PreparedConversion(contract, row, side, wanted, old, new, abs(net), nets)


def margin_change(
    session: BrokerSession, prepared: PreparedConversion
) -> tuple[Decimal, Decimal] | None:
    """(margin of the quantity under the old product, under the new) at the LTP; None when
    the calculator cannot say (the conversion goes ahead either way)."""
    c = prepared.contract

    def leg(product: str) -> Leg:
        return Leg(exchange=c.exchange, token=c.token, symbol_name=c.name or c.symbol,
                   side=prepared.side, quantity=prepared.quantity, price=Decimal(0),
                   product=product, order_type="MARKET")  # fmt: skip

    try:
        before = margin_required(session, [leg(prepared.old)]).total
        after = margin_required(session, [leg(prepared.new)]).total
    except AngelctlError:
        return None
    return before, after


@dataclass
class ConversionResult:
    prepared: PreparedConversion
    outcome: str  # accepted, or converted (an unknown answer settled by reading positions)
    after: dict[str, int]  # net quantity per product after, when a read was made


def conversion_lock(cid: str) -> str:
    """The lock file's name (in the intents' lock folder) a running conversion holds."""
    return f"conversion-{cid}"


def convert(
    session: BrokerSession,
    journal: Journal,
    profile: str,
    prepared: PreparedConversion,
    guard: OrderControls,
    lock_folder: Path,
) -> ConversionResult:
    """Journal, send once through the gate, settle; raises on a refusal or an unknown end.
    The conversion holds its lock in ``lock_folder`` throughout (the kernel drops it if the
    process dies): ``reconcile`` leaves a locked conversion alone."""
    with intent_lock(lock_folder, conversion_lock(prepared.conversion_id), wait=0):
        return _convert(session, journal, profile, prepared, guard)


def _convert(
    session: BrokerSession,
    journal: Journal,
    profile: str,
    prepared: PreparedConversion,
    guard: OrderControls,
) -> ConversionResult:
    cid, symbol = prepared.conversion_id, prepared.contract.symbol
    journal.conversion_event(profile, cid, "journalled", symbol=symbol, detail=prepared.detail())
    crash_point("conversion_after_journal")

    def sending(attempt: int, reason: str) -> None:
        journal.conversion_event(
            profile, cid, "sending", symbol=symbol, detail={"attempt": attempt, "why": reason}
        )
        crash_point("conversion_before_send")

    guard.check()
    try:
        convert_position(session, prepared.body, gate=guard.gate, on_send=sending)
    except (ResponseLost, ServerError) as exc:
        cause = {"error_code": exc.error_code, "broker_code": exc.code, "message": exc.message}
        journal.conversion_event(profile, cid, "unknown", symbol=symbol, detail=cause)
        return _settle(session, journal, profile, prepared, exc)
    except AngelctlError as exc:
        journal.conversion_event(
            profile, cid, "rejected", symbol=symbol,
            detail={"error_code": exc.error_code, "broker_code": exc.code, "message": exc.message},
        )  # fmt: skip
        raise
    crash_point("conversion_after_send")  # answered, not yet journalled: reconcile settles it
    journal.conversion_event(profile, cid, "accepted", symbol=symbol, detail={})
    return ConversionResult(prepared, "accepted", {})


def _settle(
    session: BrokerSession,
    journal: Journal,
    profile: str,
    prepared: PreparedConversion,
    lost: AngelctlError,
) -> ConversionResult:
    """One positions read decides a lost answer: moved, unchanged, or still unknown."""
    cid, symbol = prepared.conversion_id, prepared.contract.symbol
    try:
        after = _nets(read_rows(session), prepared.contract.exchange, prepared.contract.token)
    except AngelctlError as exc:
        raise OutcomeUnknown(
            f"the conversion was sent and its answer lost ({lost.message}); positions could "
            f"not be read to settle it ({exc.message})",
            hint="run `angelctl positions` to see whether it moved; do not resend blindly",
        ) from None
    verdict = judge(prepared.before, after, side=prepared.side, quantity=prepared.quantity,
                    old=prepared.old, new=prepared.new)  # fmt: skip
    if verdict == "converted":
        journal.conversion_event(profile, cid, "converted", symbol=symbol, detail=after)
        return ConversionResult(prepared, "converted", after)
    if verdict == "not_converted":
        journal.conversion_event(profile, cid, "not_converted", symbol=symbol, detail=after)
        lost.hint = "positions show nothing moved: it is safe to try again"
        raise lost
    raise OutcomeUnknown(
        f"the conversion was sent and its answer lost ({lost.message}); positions changed in "
        "another way since, so whether it went through is unknown",
        hint="run `angelctl positions` to check; do not resend blindly",
    )


def settle_conversions(
    session: BrokerSession,
    journal: Journal,
    profile: str,
    *,
    since: datetime,
    settle_after: float,
    lock_folder: Path,
) -> list[dict[str, Any]]:
    """``reconcile``'s part for conversions: every conversion of ``profile`` begun since
    ``since`` whose last step is not settled, settled where the journal and one positions read
    prove it, else left (and reported) as it is.

    - last step ``journalled``: the request never left (``sending`` is committed before it
      does) → ``not_converted``;
    - ``sending`` or ``unknown``: judged by one positions read against the net quantities the
      conversion recorded before it was sent (``judge``); positions that changed some other way
      since leave it ``unknown``;
    - a conversion whose lock another process holds, or whose last step is younger than
      ``settle_after`` seconds, may still be running: reported ``in progress``, not touched."""
    now = session.clock.now()
    positions = functools.cache(lambda: read_rows(session))  # one read, and only if needed
    results = []
    for cid in journal.unsettled_conversions(profile, since):
        with intent_lock(lock_folder, conversion_lock(cid), wait=0) as free:
            steps = journal.conversion_events(cid)  # read under the lock: its last word
            detail, symbol = steps[0]["detail"], str(steps[0]["symbol"])
            young = (now - datetime.fromisoformat(steps[-1]["at"])).total_seconds()
            if not free or young < settle_after:
                state = "in progress"
            else:
                state = _settle_one(journal, profile, cid, steps, positions)
        results.append(
            {"conversion_id": cid, "symbol": symbol, "side": detail.get("side"),
             "quantity": detail.get("quantity"), "from": detail.get("from"),
             "to": detail.get("to"), "state": state}
        )  # fmt: skip
    return results


def _settle_one(
    journal: Journal,
    profile: str,
    cid: str,
    steps: list[dict[str, Any]],
    positions: Callable[[], list[dict[str, Any]]],
) -> str:
    """One unlocked, unsettled conversion's state now (``positions``: the getPosition rows)."""
    detail, symbol, state = steps[0]["detail"], str(steps[0]["symbol"]), str(steps[-1]["kind"])
    if state == "journalled":  # `sending` is committed before the request leaves
        journal.conversion_event(profile, cid, "not_converted", symbol=symbol,
                                 detail={"reason": "never sent"})  # fmt: skip
        return "not_converted"
    if not isinstance(detail.get("before"), dict):  # journalled before quantities were kept
        return "unknown"
    after = _nets(positions(), str(detail["exchange"]), str(detail["token"]))
    verdict = judge(
        {str(k): int(v) for k, v in detail["before"].items()}, after,
        side=str(detail["side"]), quantity=int(detail["quantity"]),
        old=str(detail["from"]), new=str(detail["to"]),
    )  # fmt: skip
    if verdict is None:
        return "unknown"
    journal.conversion_event(profile, cid, verdict, symbol=symbol, detail=after)
    return verdict
