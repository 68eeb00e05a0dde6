"""Orders: intents, pre-trade checks, the durable journal, placement with outcome
classification, and reconciliation. The wire is ``angelctl.broker.orders``; this package
decides what an answer means.

Modules, in the order an intent meets them:

- ``model``      ``OrderRequest``: what the operator asked for
- ``checks``     pre-trade rules, ``OrderControls`` (limits, the injected kill-switch gate,
                 market hours), protected prices and freeze slices (one implementation each)
- ``entry``      prepare → place each slice → follow; cancel (what ``order place`` does)
- ``placer``     ``OrderPlacer.place``: one intent, journalled before it is sent, never twice
- ``outcome``    what became of an intent: ``OutcomeUnknown``, ``NotPlaced``, exit statuses
- ``reconcile``  settle open intents from the order book; late landings and foreign tags
- ``journal``    the SQLite journal (numbered migrations)
- ``modify``, ``gtt``, ``scope``   modifying an order, GTT rules, ``--segment``/``--symbol`` scopes

Invariant: an intent is journalled and marked ``sending`` before its placeOrder request leaves;
an unknown outcome is settled from the broker's order book by tag, never by resending. This
package never imports ``risk``: the kill-switch latch reaches it as an ``OrderGate``.
"""
