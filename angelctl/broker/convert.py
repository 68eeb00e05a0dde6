"""The ``convertPosition`` route (docs/protocol.md#route-table #16), typed: move quantity of an
open position from one product to another.

The body is the documented full field set: the position row's own fields as ``getPosition``
returned them (``ECHO_FIELDS``, sent back unchanged) plus ``oldproducttype``,
``newproducttype``, ``transactiontype``, ``quantity`` (an int) and ``type`` ("DAY").

Invariants: a write (never retried on a lost answer: the caller settles it by reading
positions); it passes the caller's ``gate`` as it leaves; success is ``data: null`` — any other
success body is accepted too (the route documents nothing else to read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession, SendHook, WriteGate

ECHO_FIELDS = (
    "exchange", "symboltoken", "tradingsymbol", "symbolname", "instrumenttype", "priceden",
    "pricenum", "genden", "gennum", "precision", "multiplier", "boardlotsize", "buyqty",
    "sellqty", "buyamount", "sellamount",
)  # fmt: skip


def convert_body(
    row: Mapping[str, Any], *, side: str, quantity: int, old: str, new: str
) -> dict[str, Any]:
    """The documented request for converting ``quantity`` of the position ``row``."""
    body: dict[str, Any] = {key: str(row.get(key) or "") for key in ECHO_FIELDS}
    body.update(
        oldproducttype=old, newproducttype=new, transactiontype=side, quantity=quantity,
        type="DAY",
    )  # fmt: skip
    return body


def convert_position(
    session: BrokerSession,
    body: Mapping[str, Any],
    *,
    gate: WriteGate | None = None,
    on_send: SendHook | None = None,
) -> None:
    """Send one conversion; an ``ApiError`` when the broker refuses it."""
    session.call("convertPosition", body, gate=gate, on_send=on_send)
