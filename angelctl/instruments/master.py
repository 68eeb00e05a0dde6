"""Reading the scrip master: a streaming JSON-array reader and row normalisation.

The master is one JSON array of ~150 000 objects whose fields are all strings (2026 files add
``freeze_qty`` and a boolean ``is_cas_enabled``). The reader decodes one object at a time from
1 MiB chunks, so memory stays flat whatever the file size; a file that ends before its closing
``]`` is a ``MasterFormatError`` (a truncated download), never a short but "valid" index.

``normalise`` turns a wire row into a ``NormalRow`` in rupees and units, or raises ``RowError``
with the reason; the caller counts rejects instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from angelctl.instruments.model import DEFAULT_STRIKE_SCALE, KIND_OF_TYPE, STRIKE_SCALE
from angelctl.records import record

CHUNK = 1 << 20
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_WS = " \t\r\n"


class MasterFormatError(ValueError):
    """The file is not a complete JSON array of objects."""


class RowError(ValueError):
    """One row cannot be used; the message says which field and why."""


def iter_master(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    eof = False
    started = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        chunk = stream.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buf = buf[pos:] + chunk.decode("utf-8", "replace")
        pos = 0
        return True

    def skip_ws() -> None:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            if pos < len(buf) or eof or not fill():
                return

    skip_ws()
    if pos >= len(buf) or buf[pos] != "[":
        raise MasterFormatError("the instrument master is not a JSON array")
    pos += 1
    started = True
    first = True
    while started:
        skip_ws()
        if pos >= len(buf):
            raise MasterFormatError(
                "the instrument master ends before its closing ']' (truncated download)"
            )
        if buf[pos] == "]":
            return
        if not first:
            if buf[pos] != ",":
                raise MasterFormatError(f"unexpected {buf[pos]!r} between master rows")
            pos += 1
            skip_ws()
        first = False
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError:
                if eof or not fill():
                    raise MasterFormatError(
                        "the instrument master ends inside a row (truncated download)"
                    ) from None
        pos = end
        if not isinstance(obj, dict):
            raise MasterFormatError("an instrument master row is not a JSON object")
        yield obj


@record(slots=True)
class NormalRow:
    exchange: str
    token: str
    symbol: str
    name: str
    instrument_type: str
    kind: str
    expiry: str  # ISO date or ""
    strike: str  # rupees as a decimal string, "" unless an option
    strike_num: float | None
    option_type: str
    lot_size: int
    tick_size: str  # rupees as a decimal string
    freeze_qty: int | None
    cas: int
    known_type: bool


_expiry_memo: dict[str, str] = {}
_decimal_memo: dict[tuple[str, Decimal], Decimal] = {}


def _expiry(raw: str) -> str:
    cached = _expiry_memo.get(raw)
    if cached is not None:
        return cached
    text = raw.strip().upper()
    if not text:
        return ""
    try:
        value = date(int(text[5:]), _MONTHS[text[2:5]], int(text[:2])).isoformat()
    except (KeyError, ValueError):
        raise RowError(f"expiry {raw!r} is not DDMMMYYYY") from None
    if len(text) != 9:
        raise RowError(f"expiry {raw!r} is not DDMMMYYYY")
    _expiry_memo[raw] = value
    return value


def _scaled(raw: str, scale: Decimal, field: str) -> Decimal:
    key = (raw, scale)
    cached = _decimal_memo.get(key)
    if cached is not None:
        return cached
    try:
        value = (Decimal(raw.strip()) / scale).normalize()
    except (InvalidOperation, AttributeError):
        raise RowError(f"{field} {raw!r} is not a number") from None
    if not value.is_finite():
        raise RowError(f"{field} {raw!r} is not a number")
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value
    if len(_decimal_memo) < 200_000:
        _decimal_memo[key] = value
    return value


def _text(row: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = row.get(key)
    if value is None:
        if required:
            raise RowError(f"{key} is missing")
        return ""
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise RowError(f"{key} is {type(value).__name__}, not a string")
    return value


def normalise(row: dict[str, Any]) -> NormalRow:
    exchange = _text(row, "exch_seg").strip().upper()
    token = _text(row, "token").strip()
    symbol = _text(row, "symbol").strip()
    if not exchange:
        raise RowError("exch_seg is empty")
    if not token.isdigit():
        raise RowError(f"token {token!r} is not numeric")
    if not symbol:
        raise RowError("symbol is empty")
    itype = _text(row, "instrumenttype", required=False).strip().upper()
    kind = KIND_OF_TYPE.get(itype, "OTHER")
    lot_raw = _text(row, "lotsize").strip()
    try:
        lot = int(float(lot_raw))
    except ValueError:
        raise RowError(f"lotsize {lot_raw!r} is not a number") from None
    if lot < 0:
        raise RowError(f"lotsize {lot_raw!r} is negative")
    tick = _scaled(_text(row, "tick_size"), Decimal(100), "tick_size")
    strike = ""
    strike_num = None
    option_type = ""
    if kind == "OPT":
        value = _scaled(
            _text(row, "strike"), STRIKE_SCALE.get(exchange, DEFAULT_STRIKE_SCALE), "strike"
        )
        strike, strike_num = format(value, "f"), float(value)
        option_type = symbol[-2:].upper() if symbol[-2:].upper() in ("CE", "PE") else ""
    expiry = _expiry(_text(row, "expiry", required=False))
    if kind in ("FUT", "OPT") and not expiry:
        raise RowError(f"{itype} row has no expiry")
    freeze_raw = row.get("freeze_qty")
    freeze = None
    if isinstance(freeze_raw, str) and freeze_raw.strip():
        try:
            freeze = int(float(freeze_raw)) or None
        except ValueError:
            raise RowError(f"freeze_qty {freeze_raw!r} is not a number") from None
    cas_raw = row.get("is_cas_enabled", False)
    cas = 1 if cas_raw is True or (isinstance(cas_raw, str) and cas_raw.lower() == "true") else 0
    return NormalRow(
        exchange=exchange,
        token=token,
        symbol=symbol,
        name=_text(row, "name", required=False).strip().upper(),
        instrument_type=itype,
        kind=kind,
        expiry=expiry,
        strike=strike,
        strike_num=strike_num,
        option_type=option_type,
        lot_size=lot,
        tick_size=format(tick, "f"),
        freeze_qty=freeze,
        cas=cas,
        known_type=kind != "OTHER",
    )
