"""Orders: intents, pre-trade checks, the durable journal, placement with outcome
classification, and reconciliation.

Entry points: ``desk.prepare`` / ``desk.place_prepared`` (what ``order place`` does),
``submit.OrderDesk.place`` (one intent, never sent twice), ``submit.reconcile_intent``, and
``journal.Journal``. Invariant: an intent is journalled and marked ``sending`` before its
placeOrder request leaves; an unknown outcome is settled from the broker's order book by tag.
"""
