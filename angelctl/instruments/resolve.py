"""The one symbol resolver: every command turns what the operator typed into a ``Contract`` here.

Accepted forms, tried in this order:
1. ``EXCH:TOKEN`` (``NSE:2885``) and ``EXCH:SYMBOL`` (``BSE:RELIANCE``);
2. an exact Angel trading symbol, any case (``NIFTY27NOV2525000CE``, ``SBIN-EQ``,
   ``SENSEX24MAR75000PE``, ``Nifty 50``); a bare word that is an NSE ``-EQ`` stock resolves to
   NSE cash first (``RELIANCE`` → ``RELIANCE-EQ``), and an index name to the index (``NIFTY``);
3. friendly words in any order: ``NIFTY 25000 CE 27NOV25``, ``NIFTY 25000CE``,
   ``BANKNIFTY FUT``, ``RELIANCE FUT DEC``, ``SBIN BSE``, ``NIFTY INDEX``. A missing expiry
   means the nearest one that is not past (IST date); a month alone means that month's last
   expiry (the monthly contract).
More than one match is an ``AmbiguousSymbol`` listing the candidates; none is a
``SymbolNotFound`` suggesting the closest symbols. Both are usage errors (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from angelctl.errors import UsageError
from angelctl.instruments.index import InstrumentIndex
from angelctl.instruments.model import EXCHANGES, Contract
from angelctl.records import record

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_KIND_WORDS = {
    "FUT": "FUT",
    "FUTURE": "FUT",
    "FUTURES": "FUT",
    "EQ": "EQ",
    "CASH": "EQ",
    "INDEX": "INDEX",
    "IDX": "INDEX",
}
_OPTION_WORDS = {"CE": "CE", "CALL": "CE", "PE": "PE", "PUT": "PE"}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})-?([A-Z]{3})-?(\d{2}|\d{4})?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_YEAR = re.compile(r"^([A-Z]{3})(\d{2}|\d{4})?$")
_STRIKE_TYPE = re.compile(r"^(\d+(?:\.\d+)?)(CE|PE)$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_QUALIFIED = re.compile(r"^([A-Za-z]+):(.+)$")


class SymbolNotFound(UsageError):
    error_code = "symbol_not_found"

    def __init__(self, text: str, suggestions: list[str]) -> None:
        hint = (
            f"did you mean: {', '.join(suggestions)}?"
            if suggestions
            else "search with `angelctl instruments search WORDS`"
        )
        super().__init__(f"no instrument matches {text!r}", hint=hint)
        self.suggestions = suggestions


class AmbiguousSymbol(UsageError):
    error_code = "ambiguous_symbol"

    def __init__(self, text: str, candidates: list[Contract]) -> None:
        shown = ", ".join(f"{c.exchange}:{c.symbol}" for c in candidates[:6])
        more = f" and {len(candidates) - 6} more" if len(candidates) > 6 else ""
        super().__init__(
            f"{text!r} matches {len(candidates)} instruments: {shown}{more}",
            hint="name one exactly (EXCH:SYMBOL), or add the exchange, expiry or CE/PE",
        )
        self.candidates = candidates


@record
class Query:
    name: str
    kind: str | None = None
    exchange: str | None = None
    strike: Decimal | None = None
    option_type: str | None = None
    expiry: date | None = None
    month: tuple[int, int] | None = None


def _year(text: str | None, month: int, day: int, today: date) -> int:
    if text:
        return int(text) + (2000 if len(text) == 2 else 0)
    year = today.year
    if (month, day) < (today.month, today.day):
        year += 1
    return year


def parse_words(text: str, today: date) -> Query:
    """Split friendly words into a query; raises UsageError on words it cannot place."""
    name_words: list[str] = []
    kind = exchange = option_type = None
    strike = expiry = None
    month = None
    for word in text.upper().replace(",", " ").split():
        if word in EXCHANGES and name_words:
            exchange = word
        elif word in _KIND_WORDS and name_words:
            kind = _KIND_WORDS[word]
        elif word in _OPTION_WORDS and name_words:
            option_type, kind = _OPTION_WORDS[word], "OPT"
        elif (m := _STRIKE_TYPE.match(word)) and name_words:
            strike, option_type, kind = Decimal(m.group(1)), m.group(2), "OPT"
        elif _NUMBER.match(word) and name_words:
            strike = Decimal(word)
            kind = kind or "OPT"
        elif (m := _ISO.match(word)) and name_words:
            expiry = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
        elif (m := _DAY_MONTH_YEAR.match(word)) and m.group(2) in _MONTHS and name_words:
            mon, day = _MONTHS[m.group(2)], int(m.group(1))
            expiry = _date(_year(m.group(3), mon, day, today), mon, day, text)
        elif (m := _MONTH_YEAR.match(word)) and m.group(1) in _MONTHS and name_words:
            mon = _MONTHS[m.group(1)]
            year = (
                int(m.group(2)) + (2000 if len(m.group(2)) == 2 else 0)
                if m.group(2)
                else today.year + (1 if mon < today.month else 0)
            )
            month = (year, mon)
        else:
            if kind or strike or expiry or month:
                raise UsageError(
                    f"cannot read {word!r} in {text!r}",
                    hint="write the underlying first, e.g. 'NIFTY 25000 CE 27NOV25'",
                )
            name_words.append(word)
    if not name_words:
        raise UsageError(f"{text!r} names no instrument")
    return Query(" ".join(name_words), kind, exchange, strike, option_type, expiry, month)


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise UsageError(f"{text!r} has an impossible date") from None


class Resolver:
    def __init__(self, index: InstrumentIndex, today: date) -> None:
        self.index = index
        self.today = today

    def resolve(self, text: str, *, exchange: str | None = None) -> Contract:
        found = self.candidates(text, exchange=exchange)
        if len(found) == 1:
            return found[0]
        if not found:
            raise SymbolNotFound(text, self.suggest(text))
        raise AmbiguousSymbol(text, found)

    def resolve_all(self, texts: Sequence[str]) -> list[Contract | UsageError]:
        """``resolve`` of each text, in order, a failure as its ``UsageError``. ``EXCH:SYMBOL``
        forms are looked up together first (one query, not one per symbol); a text that does
        not find exactly one contract that way takes ``resolve``'s whole path, so the result is
        the same as resolving each alone."""
        pairs: dict[int, tuple[str, str]] = {}
        for position, text in enumerate(texts):
            qualified = _QUALIFIED.match(text.strip())
            if qualified and qualified.group(1).upper() in EXCHANGES:
                rest = qualified.group(2).strip()
                if rest and not rest.isdigit():
                    pairs[position] = (rest.upper(), qualified.group(1).upper())
        exact = self.index.by_symbols(list(pairs.values())) if pairs else {}
        results: list[Contract | UsageError] = []
        for position, text in enumerate(texts):
            hits = exact.get(pairs[position], []) if position in pairs else []
            if len(hits) == 1:
                results.append(hits[0])
                continue
            try:
                results.append(self.resolve(text))
            except UsageError as exc:
                results.append(exc)
        return results

    def candidates(self, text: str, *, exchange: str | None = None) -> list[Contract]:
        text = text.strip()
        if not text:
            raise UsageError("an empty symbol names no instrument")
        exchange = exchange.upper() if exchange else None
        if not text.replace(":", "").strip():
            raise UsageError(f"{text!r} names no instrument")
        if text.endswith(":") and text[:-1].strip().upper() in EXCHANGES:
            raise UsageError(
                f"{text!r} names an exchange but no instrument",
                hint=f"write {text.strip()}SYMBOL or {text.strip()}TOKEN, e.g. NSE:SBIN-EQ",
            )
        qualified = _QUALIFIED.match(text)
        if qualified and qualified.group(1).upper() in EXCHANGES:
            ex, rest = qualified.group(1).upper(), qualified.group(2).strip()
            if rest.isdigit():
                hit = self.index.by_token(ex, rest)
                return [hit] if hit else []
            return self.index.by_symbol(rest, ex) or self._friendly(rest, ex)
        if " " not in text:
            word = text.upper()
            if exchange in (None, "NSE"):
                cash = self.index.by_symbol(f"{word}-EQ", "NSE")
                if cash:
                    return cash
            exact = self.index.by_symbol(word, exchange)
            if exact:
                return exact
            indices = self.index.underlying(word, kind="INDEX", exchange=exchange)
            if indices:
                return indices
        else:
            exact = self.index.by_symbol(text, exchange)
            if exact:
                return exact
        return self._friendly(text, exchange)

    def _friendly(self, text: str, exchange: str | None) -> list[Contract]:
        query = parse_words(text, self.today)
        exchange = query.exchange or exchange
        kind = query.kind
        if (
            kind in (None, "EQ")
            and query.strike is None
            and query.expiry is None
            and query.month is None
        ):
            cash = self._cash(query.name, exchange)
            if cash or kind == "EQ":
                return cash
            return self.index.underlying(query.name, kind="INDEX", exchange=exchange)
        if kind == "INDEX":
            return self.index.underlying(query.name, kind="INDEX", exchange=exchange)
        kind = kind or ("OPT" if query.strike is not None else "FUT")
        keys = self.index.friendly_keys(
            query.name,
            kind=kind,
            exchange=exchange,
            strike=query.strike,
            option_type=query.option_type,
            expiry=query.expiry,
            expiry_from=None if query.expiry else self.today,
        )
        # The expiry is chosen on the index's keys; only the chosen contracts' rows are read.
        if query.month is not None:
            prefix = f"{query.month[0]:04d}-{query.month[1]:02d}-"
            keys = [k for k in keys if k[2].startswith(prefix)]
            last = max((k[2] for k in keys), default=None)
            keys = [k for k in keys if k[2] == last]
        elif query.expiry is None:
            nearest = min((k[2] for k in keys if k[2]), default="")
            keys = [k for k in keys if k[2] == nearest]
        return self.index.by_keys(keys)

    def _cash(self, name: str, exchange: str | None) -> list[Contract]:
        if exchange in (None, "NSE"):
            nse = self.index.by_symbol(f"{name}-EQ", "NSE")
            if nse:
                return nse
            series = [c for c in self.index.underlying(name, kind="EQ", exchange="NSE")]
            if series:
                return series
        if exchange in (None, "BSE"):
            bse = self.index.by_symbol(name, "BSE")
            if bse:
                return bse
            return self.index.underlying(name, kind="EQ", exchange="BSE")
        return []

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        words = text.strip().upper().split(":")[-1].split()
        if not words:
            return []
        word = words[0]
        import difflib  # only a miss pays for it

        pool = set(self.index.names_like(word[:2])) | set(self.index.symbols_like(word[:3], 500))
        close = difflib.get_close_matches(word, sorted(pool), n=limit, cutoff=0.6)
        if not close:
            close = sorted(self.index.symbols_like(word[:4], limit))
        return close


def parse_strike(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{text!r} is not a strike price") from None
