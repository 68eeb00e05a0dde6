"""The paper broker: order management, matching, books and funds behind the order routes.

Life of an order (codes: ``engine.orders``)::

    placeOrder ─ open pending (AB09) ─┬─ OMS/RMS refuses ─ rejected (AB03) + text
                                      └─ accepted ─┬─ open (AB01) ─ matching ─ complete (AB05)
                                                   └─ trigger pending (AB10) ─ LTP crosses ─ open

Where each part lives: ``broker`` (``PaperBroker``: the OMS flows — entry, modification,
cancellation, OMS latency, after-market orders, GTT firing, ``sync``/``step``), ``checks`` (OMS
checks and their refusal texts), ``matching`` (trigger, marketability, fill price and size),
``funds`` (margin and the getRMS figures), ``ledger`` (orders, working set, the append-only
events, ids, fills), ``books`` (``AccountBook``, ``OrderTicket``), ``reports`` (book, trade,
position and holding rows), ``segments`` (orders per second per segment).

Seeding for tests (``seed_position``, admin ``POST /_sandbox/positions``): a position is entered
as a complete order with one fill at the given price, so the order book, trade book and
positions agree, without touching rate limits or funds checks.

Rule: this package imports only the engine and the sandbox's shared leaves; arrows inside run
``broker`` → ``checks``/``matching``/``funds``/``reports``/``segments``/``ledger`` → ``books``.
"""

from angelctl.sandbox.engine.paper.books import AccountBook, OrderTicket
from angelctl.sandbox.engine.paper.broker import PaperBroker

__all__ = ["AccountBook", "OrderTicket", "PaperBroker"]
