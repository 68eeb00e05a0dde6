"""``candles --json`` encodes each fetched chunk while the next request waits
(``render.candle_files.PreEncoded``): the document must be exactly what encoding the final
candles afresh gives, and the pre-encoded rows are used only when they are those candles."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from angelctl.broker.history import Candle
from angelctl.clock import IST
from angelctl.render.candle_files import PreEncoded, json_rows

START = datetime(2026, 3, 2, 9, 15, tzinfo=IST)


def bars(first: int, count: int) -> list[Candle]:
    return [
        Candle(START + timedelta(minutes=n), Decimal("100.05"), Decimal("101"),
               Decimal("99.5"), Decimal(f"{100 + n % 7}.25"), n * 10, oi=None if n % 3 else n)
        for n in range(first, first + count)
    ]  # fmt: skip


def test_chunks_in_order_are_the_document_and_are_used() -> None:
    chunks = [bars(0, 5), bars(5, 3), bars(8, 4)]
    encoded = PreEncoded(with_oi=True)
    for chunk in chunks:
        encoded.add(chunk)
    final = [c for chunk in chunks for c in chunk]

    assert encoded.text(final) == json_rows(final, True)
    assert encoded.usable and len(encoded.pieces) == 3


def test_anything_else_is_encoded_afresh_and_still_right() -> None:
    chunks = [bars(0, 5), bars(5, 3)]
    encoded = PreEncoded(with_oi=False)
    for chunk in chunks:
        encoded.add(chunk)
    cached = bars(8, 2)  # days the cache held, merged after the fetched ones
    with_cache = [*chunks[0], *chunks[1], *cached]
    trimmed = [*chunks[0][1:], *chunks[1]]  # the range starts after the first bar
    equal_but_new = bars(0, 8)  # same values, other objects: not the rows that were encoded

    for final in (with_cache, trimmed, equal_but_new, []):
        assert encoded.text(final) == json_rows(final, False)


def test_a_chunk_out_of_order_or_with_a_repeated_bar_is_never_trusted() -> None:
    for chunk in ([*bars(0, 3)[::-1]], [*bars(0, 2), bars(1, 1)[0]]):
        encoded = PreEncoded(with_oi=False)
        encoded.add(chunk)
        assert not encoded.usable
        final = sorted({c.at: c for c in chunk}.values())
        assert encoded.text(final) == json_rows(final, False)
