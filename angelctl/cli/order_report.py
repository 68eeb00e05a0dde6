"""What the order commands print: the confirmation summary, dry runs, placements, modifications,
and the order-book watch (late landings, duplicates, foreign tags).

Invariant: nothing here calls the broker or the journal; each function turns a core result into
lines on ``Output`` (or one JSON document) and, where the command's exit status depends on what
it shows, raises ``typer.Exit`` / ``RequestRejected`` after showing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from angelctl.broker.orders import BrokerOrder
    from angelctl.orders.entry import PreparedOrder
    from angelctl.orders.modify import PreparedModify
    from angelctl.orders.outcome import Placement
    from angelctl.orders.reconcile import BookWatch
    from angelctl.render.output import Output


def summary(prepared: PreparedOrder) -> str:
    """The one line a person confirms (and a dry run shows): rupees grouped the Indian way,
    prices at the contract's tick precision, lots only where a lot is more than one unit."""
    from angelctl.render.confirm import order_line, price_text
    from angelctl.render.units import inr

    r = prepared.request
    notional = inr(r.notional) if r.notional is not None else "market"
    slices = f" in {len(prepared.children)} slices" if len(prepared.children) > 1 else ""
    price = f" @ {price_text(r.price, r.contract)}" if r.price is not None else ""
    trig = f" trigger {price_text(r.trigger, r.contract)}" if r.trigger is not None else ""
    return (
        f"{order_line(r)} {r.order_type}{price}{trig} {r.product} {r.duration}"
        f"{slices} — notional {notional}"
    )


def show_dry_run(out: Output, prepared: PreparedOrder) -> None:
    bodies = [child.to_wire("(tag at send)") for child in prepared.children]
    if out.json_mode:
        out.json({"ok": True, "dry_run": True, **prepared.describe(), "requests": bodies})
        return
    out.line("Dry run — nothing sent. " + summary(prepared))
    for note in prepared.notes:
        out.line(f"  note: {note}")
    for body in bodies:
        out.line("  placeOrder " + " ".join(f"{k}={v}" for k, v in body.items()))


def _placement_doc(p: Placement, final: BrokerOrder | None) -> dict[str, Any]:
    return {
        "intent_id": p.intent.intent_id,
        "tag": p.intent.tag,
        "order_id": p.order_id,
        "recovered": p.recovered,
        "reused": p.reused,
        "late_landing": p.late,
        "status": final.status if final else None,
        "text": final.text if final else None,
        "filled_quantity": final.filled if final else None,
        "average_price": format(final.average_price, "f") if final else None,
    }


def _placement_line(d: dict[str, Any]) -> str:
    how = " (recovered by reconciling: its answer was lost)" if d["recovered"] else ""
    how += " (already placed earlier with this intent id)" if d["reused"] else ""
    how += (
        " — LATE LANDING: it had been settled as not placed; check the position"
        if d["late_landing"]
        else ""
    )
    state = f" — {d['status']}" if d["status"] else ""
    return f"Order {d['order_id']} placed, tag {d['tag']}{how}{state}"


def money_line(money: dict[str, Any]) -> str:
    """``margin ₹1,580.00 of ₹2,50,000.00 available · charges ≈ ₹15.23 · LTP ₹800.00``."""
    from decimal import Decimal

    from angelctl.render.units import inr

    def rupees(key: str) -> str:
        value = money.get(key)
        return "unavailable" if value is None else inr(Decimal(value))

    return (
        f"margin {rupees('margin_required')} of {rupees('available_funds')} available"
        f" · charges ≈ {rupees('estimated_charges')} · LTP {rupees('ltp')}"
    )


def report_placements(
    out: Output,
    placements: list[Placement],
    followed: dict[str, BrokerOrder],
    *,
    money: dict[str, Any] | None = None,
    show_money: bool = False,
) -> None:
    """Each placement, then exit: rejected (a followed order) > the worst placement's status.
    ``money``: the confirmation's LTP, margin, funds and charges (JSON ``money``); with
    ``show_money`` (``--yes``: no confirmation showed it) also one line of it on stderr."""
    from angelctl.errors import RequestRejected
    from angelctl.status import ExitStatus

    docs = [_placement_doc(p, followed.get(p.order_id)) for p in placements]
    status = max([ExitStatus.OK, *(p.exit_status for p in placements)])
    rejected = [d for d in docs if d["status"] == "rejected"]
    if out.json_mode:
        out.json({"ok": not rejected, "orders": docs, **({"money": money} if money else {})})
    else:
        from angelctl.cli.common import done

        for d in docs:
            done(out, _placement_line(d), str(d["order_id"]))
        if show_money and money:
            out.notice(money_line(money))
    if rejected:
        raise RequestRejected(
            f"order {rejected[0]['order_id']} was rejected: "
            f"{rejected[0]['text'] or 'no reason given'}",
            route="placeOrder",
        )
    if status != ExitStatus.OK:
        raise typer.Exit(int(status))


def report_modify(out: Output, prepared: PreparedModify, dry_run: bool) -> None:
    body = prepared.change().to_wire()
    if out.json_mode:
        out.json({"ok": True, "dry_run": dry_run, **prepared.describe(), "request": body})
        return
    if not dry_run:
        from angelctl.cli.common import done

        order_id = prepared.order.order_id
        done(out, f"Modify sent for order {order_id}: {prepared.change_text()}.", order_id)
        return
    out.line("Dry run — nothing sent. " + prepared.summary())
    for note in prepared.notes:
        out.line(f"  note: {note}")
    out.line("  modifyOrder " + " ".join(f"{k}={v}" for k, v in body.items()))


def watch_doc(watch: BookWatch) -> dict[str, Any]:
    """The watch's findings as JSON fields (merged into a command's document)."""
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


def warn_watch(out: Output, watch: BookWatch) -> None:
    from angelctl.orders.reconcile import describe_watch

    for line in describe_watch(watch):
        out.warn(line)


def exit_if_alarming(watch: BookWatch) -> None:
    """A late landing or a duplicate found on the way: exit 16 after the command's output."""
    if watch.alarming:
        from angelctl.status import ExitStatus

        raise typer.Exit(int(ExitStatus.LATE_LANDING))
