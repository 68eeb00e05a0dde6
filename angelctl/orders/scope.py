"""What a scoped command (``killswitch --segment/--symbol``, ``order cancel --all --symbol``,
``order list --symbol/--status``) applies to, resolved before anything is sent.

A symbol is resolved through the same resolver as ``order place`` (every form it takes:
``SBIN``, ``SBIN-EQ``, ``NSE:3045``, ``NIFTY 25000 CE``…) to instruments, matched by exchange
and token — never by comparing text with the broker's trading symbol. A segment must be one of
the exchanges the broker trades; a near miss is suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from angelctl.errors import UsageError
from angelctl.instruments.model import EXCHANGES

if TYPE_CHECKING:
    from angelctl.instruments.index import InstrumentIndex

# Names people write for a segment, and the exchange the broker means.
SEGMENT_ALIASES = {
    "NSEFO": "NFO",
    "NSE_FO": "NFO",
    "NSECM": "NSE",
    "NSE_CM": "NSE",
    "BSEFO": "BFO",
    "BSE_FO": "BFO",
    "BSECM": "BSE",
    "MCXFO": "MCX",
    "MCX_FO": "MCX",
    "CDSFO": "CDS",
    "CDE_FO": "CDS",
    "NCX_FO": "NCDEX",
}

ORDER_STATUSES = (
    "open",  # every working state
    "complete",
    "cancelled",
    "rejected",
    "trigger pending",
    "open pending",
    "validation pending",
    "put order req received",
    "modify pending",
    "cancel pending",
    "after market order req received",
)


@dataclass(frozen=True)
class Scope:
    """Exchanges and instruments a command is limited to; empty means everything."""

    exchanges: frozenset[str] = frozenset()
    instruments: frozenset[tuple[str, str]] = frozenset()  # (exchange, token)
    labels: tuple[str, ...] = field(default=())  # the resolved symbols, for people

    @property
    def everything(self) -> bool:
        return not self.exchanges and not self.instruments

    def covers(self, exchange: str, token: str) -> bool:
        exchange = exchange.upper()
        if self.exchanges and exchange not in self.exchanges:
            return False
        return not self.instruments or (exchange, str(token)) in self.instruments


def segment(text: str) -> str:
    """One ``--segment`` value, checked against the real exchanges (exit 2 otherwise)."""
    name = text.strip().upper()
    if name in EXCHANGES:
        return name
    if name in SEGMENT_ALIASES and SEGMENT_ALIASES[name] in EXCHANGES:
        raise UsageError(
            f"--segment {text!r} is not a segment name angelctl knows",
            hint=f"did you mean --segment {SEGMENT_ALIASES[name]}? "
            f"(segments: {', '.join(EXCHANGES)})",
        )
    close = difflib.get_close_matches(name, EXCHANGES, n=1, cutoff=0.5)
    raise UsageError(
        f"--segment {text!r} is not a segment",
        hint=(f"did you mean --segment {close[0]}? " if close else "")
        + f"segments: {', '.join(EXCHANGES)}",
    )


def resolve_scope(
    segments: Iterable[str],
    symbols: Iterable[str],
    index: InstrumentIndex | None,
    today: date,
) -> Scope:
    """Every ``--segment`` checked and every ``--symbol`` resolved to instruments (exit 2 when
    one matches nothing). Without an instrument index only ``EXCH:TOKEN`` can be resolved."""
    exchanges = frozenset(segment(s) for s in segments)
    instruments: set[tuple[str, str]] = set()
    labels: list[str] = []
    for text in symbols:
        exchange, token, label = _one_symbol(text, index, today)
        if exchanges and exchange not in exchanges:
            raise UsageError(
                f"--symbol {text!r} is on {exchange}, outside --segment "
                f"{', '.join(sorted(exchanges))}",
                hint="drop --segment, or name a symbol on that segment",
            )
        instruments.add((exchange, token))
        labels.append(label)
    return Scope(exchanges, frozenset(instruments), tuple(labels))


def _one_symbol(text: str, index: InstrumentIndex | None, today: date) -> tuple[str, str, str]:
    if index is None:
        exchange, _, token = text.strip().partition(":")
        if exchange.upper() in EXCHANGES and token.strip().isdigit():
            return exchange.upper(), token.strip(), text.strip()
        raise UsageError(
            f"cannot resolve --symbol {text!r} without the instrument index",
            hint="run `angelctl instruments sync`, or name it as EXCH:TOKEN (e.g. NSE:3045)",
        )
    from angelctl.instruments.resolve import Resolver

    contract = Resolver(index, today).resolve(text)
    return contract.exchange, str(contract.token), f"{contract.exchange}:{contract.symbol}"


def order_status(text: str) -> str:
    """One ``--status`` value, checked (exit 2 otherwise)."""
    wanted = " ".join(text.strip().lower().split())
    if wanted in ORDER_STATUSES:
        return wanted
    close = difflib.get_close_matches(wanted, ORDER_STATUSES, n=1, cutoff=0.5)
    raise UsageError(
        f"--status {text!r} is not an order status",
        hint=(f"did you mean --status {close[0]!r}? " if close else "")
        + "statuses: "
        + ", ".join(ORDER_STATUSES),
    )
