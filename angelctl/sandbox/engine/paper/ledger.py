"""Every order the paper broker holds, which of them are working, and the append-only events.

The ledger is where an order's state changes are written: ``open`` (a new order, ``open
pending``), ``event`` (a status change, appended to ``events`` with the order's book row as it
is now), ``fill``, ``reject`` and ``cancel_now``. Order ids are ``YYMMDD`` (IST) plus a
9-digit sequence, exchange order ids ``11`` plus 14 digits, fill ids from 50 000 001, and
unique order ids are UUID4s from a generator seeded with ``market_seed``, so a run is
reproducible.

Invariants: events are appended in order and never changed; an order id is never reused; an
order leaves ``working`` when (and only when) it reaches a terminal status, and a terminal order
never changes.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from angelctl.sandbox.clock import IST, SandboxClock
from angelctl.sandbox.engine.orders import (
    AB_AMO_CANCELLED,
    CANCELLED,
    COMPLETE,
    OPEN,
    OPEN_PENDING,
    REJECTED,
    STATUS_CODES,
    Order,
    OrderEvent,
)
from angelctl.sandbox.engine.paper.books import AccountBook, OrderTicket
from angelctl.sandbox.engine.portfolio import Fill


class OrderLedger:
    def __init__(self, clock: SandboxClock, seed: int) -> None:
        self._clock = clock
        self.orders: dict[str, Order] = {}
        self.by_unique: dict[str, Order] = {}
        self.working: dict[str, Order] = {}
        self.events: list[OrderEvent] = []
        self._order_seq = itertools.count(1)
        self._fill_seq = itertools.count(1)
        self._exchange_seq = itertools.count(1)
        self._rng = random.Random(seed)

    # ------------------------------------------------------------------ lookups

    def order(self, client_code: str, orderid: str) -> Order | None:
        found = self.orders.get(orderid)
        return found if found is not None and found.client_code == client_code else None

    def order_by_unique(self, client_code: str, uniqueorderid: str) -> Order | None:
        found = self.by_unique.get(uniqueorderid)
        return found if found is not None and found.client_code == client_code else None

    # ----------------------------------------------------------------- writing

    def open(self, book: AccountBook, ticket: OrderTicket, now: datetime) -> Order:
        """A new ``open pending`` order in ``book`` (not yet working, no event yet)."""
        order = Order(
            client_code=book.client_code,
            orderid=f"{now.astimezone(IST):%y%m%d}{next(self._order_seq):09d}",
            uniqueorderid=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            instrument=ticket.instrument,
            variety=ticket.variety,
            ordertype=ticket.ordertype,
            producttype=ticket.producttype,
            duration=ticket.duration,
            transactiontype=ticket.transactiontype,
            price=ticket.price,
            triggerprice=ticket.triggerprice,
            quantity=ticket.quantity,
            disclosedquantity=ticket.disclosedquantity,
            ordertag=ticket.ordertag,
            status=OPEN_PENDING,
            updated_at=now,
            received_mono=self._clock.monotonic(),
            squareoff=ticket.squareoff,
            stoploss=ticket.stoploss,
            trailingstoploss=ticket.trailingstoploss,
        )
        book.orders.append(order)
        self.orders[order.orderid] = order
        self.by_unique[order.uniqueorderid] = order
        return order

    def at_exchange(self, order: Order, now: datetime) -> None:
        """The exchange has the order: it gets an exchange order id and time."""
        order.exchangeorderid = f"11{next(self._exchange_seq):014d}"
        order.exchtime = now

    def event(self, order: Order, status: str, code: str | None = None) -> None:
        order.status = status
        order.updated_at = self._clock.now()
        if order.is_terminal:
            self.working.pop(order.orderid, None)
        self.events.append(
            OrderEvent(
                seq=len(self.events) + 1,
                at=order.updated_at,
                client_code=order.client_code,
                order_status=code or STATUS_CODES.get(status),
                orderid=order.orderid,
                status=status,
                row=order.book_row(),
            )
        )

    def fill(self, book: AccountBook, order: Order, quantity: int, price: Decimal) -> None:
        now = self._clock.now()
        order.filled += quantity
        order.filled_value += price * quantity
        order.fillid = str(50_000_000 + next(self._fill_seq))
        order.filltime = order.exchorderupdatetime = now
        book.fills.append(
            Fill(
                order.fillid,
                order.orderid,
                order.instrument,
                order.producttype,
                order.transactiontype,
                quantity,
                price,
                now,
            )
        )
        book.position(order.instrument, order.producttype).add(
            order.transactiontype, quantity, price
        )
        self.event(order, COMPLETE if order.unfilled == 0 else OPEN)

    def reject(self, order: Order, text: str) -> None:
        order.text = text
        self.event(order, REJECTED)

    def cancel_now(self, order: Order) -> None:
        order.pending = None
        order.due = None
        order.cancelsize = order.unfilled
        if order.exchangeorderid:
            order.exchorderupdatetime = self._clock.now()
        self.event(order, CANCELLED, AB_AMO_CANCELLED if order.is_amo else None)

    # ----------------------------------------------------------------- reading

    def all_orders(
        self, *, tag: str | None = None, status: str | None = None, client_code: str | None = None
    ) -> list[dict[str, Any]]:
        """Every order held (admin view): book rows plus ``clientcode``."""
        rows = []
        for order in self.orders.values():
            if tag is not None and order.ordertag != tag:
                continue
            if status is not None and order.status != status:
                continue
            if client_code is not None and order.client_code != client_code.upper():
                continue
            rows.append({**order.book_row(), "clientcode": order.client_code})
        return rows

    def event_dicts(self, *, since: int = 0, orderid: str | None = None) -> list[dict[str, Any]]:
        return [
            event.as_dict()
            for event in self.events[since:]
            if orderid is None or event.orderid == orderid
        ]

    def counts(self) -> dict[str, int]:
        """Orders in total, working, and by status."""
        by_status: dict[str, int] = {}
        for order in self.orders.values():
            by_status[order.status] = by_status.get(order.status, 0) + 1
        return {"total": len(self.orders), "working": len(self.working), **by_status}
