"""GTT rules (docs/protocol.md#route-table #19-#23): typed rules parsed once from the wire, and one
function per route, each a single ``session.call``.

Entry points: ``create_rule(session, GttRequest) -> rule id``, ``modify_rule``, ``cancel_rule``
(takes the ``GttRule``: the route needs its token and exchange), ``rule_details``,
``list_rules(session, statuses)`` (every page), and ``parse_rule`` / ``parse_rules`` for captured
replies.

Invariants:
- Rule ids are strings here whatever the wire carries (live lists send numbers, the docs strings).
- Prices are ``Decimal`` rupees, quantities ``int``; status is upper-case text (``NEW``,
  ``ACTIVE``, ``CANCELLED``, ``SENTTOEXCHANGE``, …) and ``is_working`` is true for NEW and ACTIVE.
- An empty list is ``data: null`` on the wire; the docs show a single object instead of an
  array — both parse to a list.
- This module sends what it is given. The kill-switch gate and the pre-trade checks are the
  caller's (``orders.gtt``); the client's rate limiter spends the ``gttWrite``/``gttRead``
  budgets (``broker.routes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field, int_field, is_blank
from angelctl.errors import UnparseableResponse
from angelctl.records import record

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession, WriteGate

STATUSES = ("NEW", "ACTIVE", "CANCELLED", "SENTTOEXCHANGE", "FORALL")
WORKING_STATUSES = ("NEW", "ACTIVE")
PAGE_SIZE = 100
MAX_PAGES = 50
DEFAULT_TIME_PERIOD = 365


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


@record
class GttRule:
    rule_id: str
    status: str
    exchange: str
    symbol: str
    token: str
    side: str
    product: str
    price: Decimal
    trigger: Decimal
    quantity: int
    disclosed_quantity: int
    created: str  # as sent (ISO-8601)
    updated: str
    expires: str
    client_id: str
    gtt_type: str

    @classmethod
    def from_wire(cls, row: Any, rule_id: str | None = None) -> GttRule:
        if not isinstance(row, dict):
            raise UnparseableResponse("a GTT rule is not an object", route="gttRuleDetails")
        quantity_key = "quantity" if is_blank(row.get("qty")) else "qty"
        return cls(
            rule_id=_text(row, "id") or (rule_id or ""),
            status=_text(row, "status").upper(),
            exchange=_text(row, "exchange").upper(),
            symbol=_text(row, "tradingsymbol"),
            token=_text(row, "symboltoken"),
            side=_text(row, "transactiontype").upper(),
            product=_text(row, "producttype").upper(),
            price=decimal_field(row, "price"),
            trigger=decimal_field(row, "triggerprice"),
            quantity=int_field(row, quantity_key),
            disclosed_quantity=int_field(row, "disclosedqty"),
            created=_text(row, "createddate"),
            updated=_text(row, "updateddate"),
            expires=_text(row, "expirydate"),
            client_id=_text(row, "clientid"),
            gtt_type=_text(row, "gttType"),
        )

    @property
    def is_working(self) -> bool:
        return self.status in WORKING_STATUSES

    @property
    def time_period(self) -> int:
        """Days from creation to expiry (what a modification must resend to keep the expiry)."""
        from datetime import datetime

        try:
            span = datetime.fromisoformat(self.expires) - datetime.fromisoformat(self.created)
        except (ValueError, TypeError):
            return DEFAULT_TIME_PERIOD
        return max(1, min(DEFAULT_TIME_PERIOD, round(span.total_seconds() / 86400)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "status": self.status,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "token": self.token,
            "side": self.side,
            "product": self.product,
            "price": format(self.price, "f"),
            "trigger": format(self.trigger, "f"),
            "quantity": self.quantity,
            "disclosed_quantity": self.disclosed_quantity,
            "created": self.created,
            "updated": self.updated,
            "expires": self.expires,
        }


@record
class GttRequest:
    """A rule to create: when ``trigger`` is reached, a LIMIT order at ``price``."""

    exchange: str
    symbol: str
    token: str
    side: str
    product: str
    quantity: int
    price: Decimal
    trigger: Decimal
    disclosed_quantity: int = 0
    time_period: int = DEFAULT_TIME_PERIOD  # days

    def to_wire(self) -> dict[str, str]:
        """The createRule body (strings, as the SDKs send)."""
        return {
            "tradingsymbol": self.symbol,
            "symboltoken": self.token,
            "exchange": self.exchange,
            "transactiontype": self.side,
            "producttype": self.product,
            "price": format(self.price, "f"),
            "qty": str(self.quantity),
            "triggerprice": format(self.trigger, "f"),
            "disclosedqty": str(self.disclosed_quantity),
            "timeperiod": str(self.time_period),
        }


def _rule_id(data: Any, route: str) -> str:
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise UnparseableResponse(f"the broker's {route} reply has no rule id", route=route)
    return str(data["id"])


def parse_rule(data: Any, rule_id: str | None = None) -> GttRule:
    return GttRule.from_wire(data, rule_id)


def parse_rules(data: Any) -> list[GttRule]:
    if data is None or data == "":
        return []
    if isinstance(data, dict):  # the docs' single-object example
        return [GttRule.from_wire(data)]
    if not isinstance(data, list):
        raise UnparseableResponse("the GTT rule list is not a list", route="gttRuleList")
    return [GttRule.from_wire(row) for row in data]


def create_rule(
    session: BrokerSession, request: GttRequest, *, gate: WriteGate | None = None
) -> str:
    return _rule_id(session.call("gttCreateRule", request.to_wire(), gate=gate), "gttCreateRule")


def modify_rule(
    session: BrokerSession,
    rule: GttRule,
    *,
    price: Decimal | None = None,
    quantity: int | None = None,
    trigger: Decimal | None = None,
    disclosed_quantity: int | None = None,
    time_period: int | None = None,
    gate: WriteGate | None = None,
) -> str:
    """Send every field (the route wants them all); unchanged ones keep the rule's values."""
    body = {
        "id": rule.rule_id,
        "symboltoken": rule.token,
        "exchange": rule.exchange,
        "price": format(rule.price if price is None else price, "f"),
        "qty": str(rule.quantity if quantity is None else quantity),
        "triggerprice": format(rule.trigger if trigger is None else trigger, "f"),
        "disclosedqty": str(
            rule.disclosed_quantity if disclosed_quantity is None else disclosed_quantity
        ),
        "timeperiod": str(rule.time_period if time_period is None else time_period),
    }
    return _rule_id(session.call("gttModifyRule", body, gate=gate), "gttModifyRule")


def cancel_rule(session: BrokerSession, rule: GttRule) -> str:
    body = {"id": rule.rule_id, "symboltoken": rule.token, "exchange": rule.exchange}
    return _rule_id(session.call("gttCancelRule", body), "gttCancelRule")


def rule_details(session: BrokerSession, rule_id: str) -> GttRule:
    return parse_rule(session.call("gttRuleDetails", {"id": rule_id}), rule_id)


def list_rules(
    session: BrokerSession,
    statuses: Iterable[str] = WORKING_STATUSES,
    *,
    page_size: int = PAGE_SIZE,
) -> list[GttRule]:
    """Every rule in these statuses, all pages (at most ``MAX_PAGES``), in the broker's order."""
    wanted = [s.upper() for s in statuses]
    rules: list[GttRule] = []
    for page in range(1, MAX_PAGES + 1):
        body = {"status": wanted, "page": page, "count": page_size}
        batch = parse_rules(session.call("gttRuleList", body))
        rules.extend(batch)
        if len(batch) < page_size:
            break
    return rules
