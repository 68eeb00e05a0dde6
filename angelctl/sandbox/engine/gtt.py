"""GTT ("good till triggered") rules as the paper broker keeps them, and their wire rows.

A rule is one single-leg trigger (``gttType`` ``GENERIC``): when the instrument's LTP reaches
``triggerprice`` the rule places a LIMIT DAY order of ``qty`` at ``price`` in the paper book and
is done. Which way the LTP must move is fixed when the rule is created or modified: a trigger
above the LTP fires when the LTP rises to it, one below when it falls to it.

Statuses (docs/protocol.md#enumerations, the ``ruleList`` filter values):

==============  ===========================================================================
NEW             created or modified, waiting for its trigger (the docs' example status)
SENTTOEXCHANGE  triggered: its order went to the paper book (the nearest filter value to
                "triggered"; the order itself may still be rejected by the OMS)
CANCELLED       cancelled by the client
ACTIVE          a filter value only: the sandbox never sets it [GAP: when Angel shows it]
==============  ===========================================================================

Rows follow the live ``ruleList`` capture (docs/protocol.md#route-table #23): the documented keys
plus ``stoplossprice``, ``stoplosstriggerprice``, ``gttType`` and ``id``; ``id`` is a number, prices
are JSON numbers, quantities JSON integers, dates ISO-8601 with milliseconds and ``+05:30``.

Invariants: rule ids are never reused; a rule that is not NEW never changes again (modify and
cancel refuse it); a rule fires at most once and records the order it created.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from angelctl.sandbox.clock import IST
from angelctl.sandbox.engine.accounts import Account
from angelctl.sandbox.engine.instrument import Instrument

NEW = "NEW"
ACTIVE = "ACTIVE"
CANCELLED = "CANCELLED"
SENT = "SENTTOEXCHANGE"
FOR_ALL = "FORALL"
FILTER_STATUSES = (NEW, CANCELLED, ACTIVE, SENT, FOR_ALL)
LIVE = frozenset({NEW, ACTIVE})

FIRST_RULE_ID = 3_375_301  # the size of the live ids (a real list shows 3375316)


def iso_millis(moment: datetime) -> str:
    """``2024-10-11T17:48:26.858+05:30`` (IST, milliseconds), as the live ``ruleList``."""
    return moment.astimezone(IST).isoformat(timespec="milliseconds")


@dataclass
class GttRule:
    id: int
    account: Account
    instrument: Instrument
    transactiontype: str
    producttype: str
    price: Decimal
    qty: int
    triggerprice: Decimal
    disclosedqty: int
    timeperiod: int  # days
    created: datetime
    updated: datetime
    fires_above: bool  # True: fires when LTP >= trigger; False: when LTP <= trigger
    status: str = NEW
    orderid: str = ""

    @property
    def client_code(self) -> str:
        return self.account.client_code

    @property
    def expires(self) -> datetime:
        return self.created + timedelta(days=self.timeperiod)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    def reached(self, ltp: Decimal) -> bool:
        return ltp >= self.triggerprice if self.fires_above else ltp <= self.triggerprice

    def row(self) -> dict[str, object]:
        i = self.instrument
        return {
            "stoplossprice": 0,
            "stoplosstriggerprice": 0,
            "gttType": "GENERIC",
            "id": self.id,
            "status": self.status,
            "createddate": iso_millis(self.created),
            "updateddate": iso_millis(self.updated),
            "expirydate": iso_millis(self.expires),
            "clientid": self.client_code,
            "tradingsymbol": i.symbol,
            "symboltoken": i.token,
            "exchange": i.exch_seg,
            "transactiontype": self.transactiontype,
            "producttype": self.producttype,
            "price": float(self.price),
            "qty": self.qty,
            "triggerprice": float(self.triggerprice),
            "disclosedqty": self.disclosedqty,
        }

    def admin_row(self) -> dict[str, object]:
        """The wire row plus what only the sandbox knows: the order the rule created."""
        return {**self.row(), "orderid": self.orderid, "fires_above": self.fires_above}


class GttBook:
    """Every rule of every client, in creation order."""

    def __init__(self) -> None:
        self._rules: dict[int, GttRule] = {}
        self._ids = itertools.count(FIRST_RULE_ID)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, rule: GttRule) -> GttRule:
        self._rules[rule.id] = rule
        return rule

    def get(self, client_code: str, rule_id: int) -> GttRule | None:
        found = self._rules.get(rule_id)
        return found if found is not None and found.client_code == client_code else None

    def rules(self, client_code: str | None = None) -> list[GttRule]:
        return [r for r in self._rules.values() if client_code in (None, r.client_code)]

    @property
    def has_live(self) -> bool:
        return any(rule.is_live for rule in self._rules.values())

    def reached(self, ltp: Callable[[Instrument], Decimal]) -> Iterator[GttRule]:
        """Live rules whose trigger the current LTP has reached (oldest first)."""
        for rule in list(self._rules.values()):
            if rule.is_live and rule.reached(ltp(rule.instrument)):
                yield rule

    def stats(self) -> dict[str, int]:
        out: dict[str, int] = {"total": len(self._rules)}
        for rule in self._rules.values():
            out[rule.status] = out.get(rule.status, 0) + 1
        return out
