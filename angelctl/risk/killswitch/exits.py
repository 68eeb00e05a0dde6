"""Flattening: the kill switch's exit orders, net of the exits already working.

Rules (the procedure's step 3):
- ``needed = -net_qty - Σ signed unfilled of working own exits - Σ unsettled own exit intents``;
  an exit never flips a position's sign: an over-covered position has its exits cancelled and
  is recomputed from fresh books next round.
- The kill's own exits are known by its journal (intent prefix ``kill-``), never by the shape
  of a tag: another app's ``KS…`` order is cancelled like any other.
- Exits are protected LIMIT orders (``orders.checks.protected_price``) split at the freeze
  limit (``orders.checks.slice_order``), each slice an intent placed by ``OrderPlacer`` (never
  twice), and re-priced by ``reprice_step_percent`` once ``reprice_after`` seconds pass.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from angelctl.broker import orders as broker_orders
from angelctl.broker.market import fetch_quotes
from angelctl.broker.orders import BrokerOrder, OrderBook
from angelctl.broker.portfolio import Position
from angelctl.broker.session import BrokerSession
from angelctl.errors import RequestRejected
from angelctl.instruments.model import Contract
from angelctl.orders.checks import slice_order
from angelctl.orders.journal import Journal
from angelctl.orders.model import OrderRequest
from angelctl.orders.outcome import NotPlaced
from angelctl.orders.placer import OrderPlacer
from angelctl.orders.reconcile import reconcile_intent, trading_day_start
from angelctl.risk.killswitch.report import (
    EXIT_INTENT_PREFIX,
    EXIT_TAG_PREFIX,
    MAX_BAND_PERCENT,
    ContractLookup,
    ExitRecord,
    KillOptions,
    KillReport,
    bare_contract,
    exit_key,
    exit_price,
    sign,
)

Key = tuple[str, str, str]  # (exchange, token, product)
Event = Callable[[str, dict[str, Any]], None]


class Exits:
    """The exits of one kill run: what it placed, when, and at which band."""

    def __init__(
        self,
        session: BrokerSession,
        journal: Journal,
        placer: OrderPlacer,
        report: KillReport,
        *,
        contracts: ContractLookup,
        event: Event,
        cancel: Callable[[list[BrokerOrder]], None],
        progress: Event | None,
    ) -> None:
        self.session = session
        self.clock = session.clock
        self.journal = journal
        self.placer = placer
        self.report = report
        self.profile = session.settings.name
        self.contracts = contracts
        self._event = event
        self._cancel = cancel
        self._progress = progress
        self._round = 0
        self._placed_at: dict[str, float] = {}  # order id → monotonic time placed/repriced
        self._band: dict[str, Decimal] = {}  # order id → band percent it was priced with

    def own_tags(self) -> frozenset[str]:
        """The tags of the exits this kill journalled today, in this run or a crashed earlier
        one: the only orders it treats as its own."""
        since = trading_day_start(self.clock.now())
        return frozenset(
            tag
            for tag, intent_id in self.journal.tags_since(self.profile, since).items()
            if intent_id.startswith(EXIT_INTENT_PREFIX)
        )

    def settle_open_intents(self, book: OrderBook) -> None:
        """Exits of a crashed run whose answer was never recorded: settle them by tag first."""
        for intent in self.journal.open_intents(self.profile):
            if intent.intent_id.startswith(EXIT_INTENT_PREFIX):
                reconcile_intent(
                    self.session,
                    self.journal,
                    intent.intent_id,
                    book=book,
                    settle_after=self.placer.settle_after,
                )

    def unsettled_qty(self) -> dict[Key, int]:
        """Signed quantity of exit intents still open (sent, answer unknown): they may fill."""
        pending: dict[Key, int] = {}
        for intent in self.journal.open_intents(self.profile):
            if not intent.intent_id.startswith(EXIT_INTENT_PREFIX):
                continue
            req = intent.request
            key = (str(req["exchange"]), str(req["token"]), str(req["product"]))
            signed = 1 if req["side"] == "BUY" else -1
            pending[key] = pending.get(key, 0) + signed * int(req["quantity"])
        return pending

    def flatten(
        self, positions: list[Position], working: list[BrokerOrder], options: KillOptions
    ) -> bool:
        """One round over the in-scope working orders and positions; True when every in-scope
        position is flat and no exit is working or unsettled."""
        own = self.own_tags()
        exits_by_key: dict[Key, list[BrokerOrder]] = {}
        for order in working:
            if order.tag in own:
                exits_by_key.setdefault((order.exchange, order.token, order.product), []).append(
                    order
                )
        unsettled = self.unsettled_qty()
        open_positions = [
            p for p in positions if p.net_qty != 0 and options.in_scope(p.exchange, p.token)
        ]
        if self._progress is not None:  # the live view's figure; not a journalled step
            self._progress(
                "remaining", {f"{p.exchange}:{p.symbol}": p.net_qty for p in open_positions}
            )
        if not open_positions and not exits_by_key and not unsettled:
            return True
        to_exit, to_reprice = self._plan_round(open_positions, exits_by_key, unsettled, options)
        if to_exit or to_reprice:
            quotes = self.quotes(
                [self.contract(p.exchange, p.token, p.symbol) for p, _ in to_exit]
                + [self.contract(o.exchange, o.token, o.symbol) for o in to_reprice]
            )
            for position, needed in to_exit:
                self._place(position, needed, options, quotes)
            self._reprice(to_reprice, options, quotes)
        return False

    def _plan_round(
        self,
        open_positions: list[Position],
        exits_by_key: dict[Key, list[BrokerOrder]],
        unsettled: dict[Key, int],
        options: KillOptions,
    ) -> tuple[list[tuple[Position, int]], list[BrokerOrder]]:
        by_key: dict[Key, int] = {}
        meta: dict[Key, Position] = {}
        for p in open_positions:
            key = (p.exchange, p.token, p.product)
            by_key[key] = by_key.get(key, 0) + p.net_qty
            meta.setdefault(key, p)
        to_exit: list[tuple[Position, int]] = []
        to_reprice: list[BrokerOrder] = []
        # in the books' order, never a set's (hash-seeded per process): a drill of one
        # scenario must send the same requests in the same order every time
        for key in dict.fromkeys([*by_key, *exits_by_key, *unsettled]):
            net = by_key.get(key, 0)
            working = exits_by_key.get(key, [])
            pending = sum(o.signed_unfilled for o in working) + unsettled.get(key, 0)
            needed = -net - pending
            if (net == 0 and working) or (needed != 0 and sign(needed) != sign(-net)):
                # over-covered (the position shrank some other way): cancel our exits and
                # recompute from fresh books next round; never let an exit flip the sign
                self._cancel(working)
                continue
            if needed != 0 and key not in unsettled:
                to_exit.append((meta[key], needed))
            to_reprice.extend(self._due_for_reprice(working, options))
        return to_exit, to_reprice

    def contract(self, exchange: str, token: str, symbol: str) -> Contract:
        return self.contracts(exchange, token) or bare_contract(exchange, token, symbol)

    def quotes(self, contracts: list[Contract]) -> dict[tuple[str, str], Any]:
        """One batched FULL quote (LTP and circuit band) for every contract about to be priced."""
        unique = list({(c.exchange, c.token): c for c in contracts}.values())
        quotes, _ = fetch_quotes(self.session, unique, "FULL")
        return {(q.exchange, q.token): q for q in quotes}

    def exit_order(
        self, position: Position, needed: int, band_percent: Decimal, quote: Any | None
    ) -> OrderRequest:
        """The exit for ``needed`` units (signed: + buys) of ``position``: a LIMIT order priced
        ``band_percent`` through the quote's LTP inside its circuit band, on the contract's
        tick; without a quote it has no price (the dry run shows it so)."""
        contract = self.contract(position.exchange, position.token, position.symbol)
        side = "BUY" if needed > 0 else "SELL"
        price = None
        if quote is not None:
            price = exit_price(
                side,
                quote.ltp,
                band_percent,
                contract.tick_size,
                quote.lower_circuit,
                quote.upper_circuit,
            )
        return OrderRequest(
            contract=contract,
            side=side,
            quantity=abs(needed),
            order_type="LIMIT",
            price=price,
            product=position.product or "INTRADAY",
        )

    def _place(
        self,
        position: Position,
        needed: int,
        options: KillOptions,
        quotes: dict[tuple[str, str], Any],
    ) -> None:
        quote = quotes.get((position.exchange, position.token))
        if quote is None:
            self._event("no_quote", {"symbol": position.symbol})  # retried next round
            return
        request = self.exit_order(position, needed, options.band_percent, quote)
        record = self.report.exits.setdefault(
            exit_key(position.exchange, position.token, position.product),
            ExitRecord(
                position.exchange,
                position.symbol,
                position.token,
                position.product,
                position.net_qty,
            ),
        )
        self._round += 1
        for index, child in enumerate(slice_order(request)):
            intent_id = (
                f"{EXIT_INTENT_PREFIX}{self.report.run_id}-{position.exchange}-{position.token}"
                f"-{self._round}-{index}"
            )
            try:
                placement = self.placer.place(child, intent_id, tag_prefix=EXIT_TAG_PREFIX)
            except (RequestRejected, NotPlaced) as exc:
                self._event("exit_rejected", {"symbol": position.symbol, "error": exc.message})
                continue
            record.sent += child.quantity
            record.slices += 1
            record.orders.append(placement.order_id)
            self._placed_at[placement.order_id] = self.clock.monotonic()
            self._band[placement.order_id] = options.band_percent
            self._event(
                "exit_sent",
                {
                    "symbol": position.symbol,
                    "side": child.side,
                    "quantity": child.quantity,
                    "price": format(child.price, "f"),
                    "order_id": placement.order_id,
                },
            )

    def _due_for_reprice(self, exits: list[BrokerOrder], options: KillOptions) -> list[BrokerOrder]:
        now = self.clock.monotonic()
        return [
            o
            for o in exits
            if o.status in ("open", "open pending")
            and now - self._placed_at.setdefault(o.order_id, now) >= options.reprice_after
        ]

    def _reprice(
        self,
        due: list[BrokerOrder],
        options: KillOptions,
        quotes: dict[tuple[str, str], Any],
    ) -> None:
        for order in due:
            quote = quotes.get((order.exchange, order.token))
            if quote is None:
                continue
            tick = self.contract(order.exchange, order.token, order.symbol).tick_size
            band = min(
                self._band.get(order.order_id, options.band_percent) + options.reprice_step_percent,
                MAX_BAND_PERCENT,
            )
            price = exit_price(
                order.side, quote.ltp, band, tick, quote.lower_circuit, quote.upper_circuit
            )
            if price == order.price:
                continue
            change = order.change(order_type="LIMIT", duration="DAY", price=price, trigger=None)
            try:
                broker_orders.modify(self.session, change)
            except RequestRejected as exc:
                self._event("reprice_refused", {"order_id": order.order_id, "error": exc.message})
                continue
            self._band[order.order_id] = band
            self._placed_at[order.order_id] = self.clock.monotonic()
            key = exit_key(order.exchange, order.token, order.product)
            if key in self.report.exits:
                self.report.exits[key].reprices += 1
            self._event("repriced", {"order_id": order.order_id, "price": format(price, "f")})
