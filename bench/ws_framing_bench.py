"""Figure: client-side WebSocket framing cost per tick — ``feed.framing.FrameParser`` (the
product: a thin adapter over wsproto's frame protocol), wsproto's own ``Connection`` events,
the hand-written parser this branch first wrote (``bench/_own_framing.py``) and main's former
inline parser (kept here verbatim) — alone and with ``feed.decode``.

How it is measured: 20,000 server frames (unmasked binary, as the sandbox and the live feed
send them) each carrying one real-size packet — QUOTE (123 bytes, what ``feed_e2e`` streams) and
SNAP_QUOTE (379 bytes) built with ``feed.encode`` — are concatenated and fed to each parser in
64 KiB chunks (one chunk = one ``recv``); every binary message is handed to a callback (a no-op,
or ``decode``). Each side reports the best of ``ROUNDS`` rounds, all in one process, one after
the other for each mode, and the ratio to ours. wsproto's ``Connection(CLIENT)`` is used
directly (no handshake: the framing layer only).

Run time: about 30 s.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _own_framing import OwnFrameParser
from decode_bench import build_packets

from angelctl.feed.decode import decode
from angelctl.feed.framing import BinaryMessage, FrameParser, FrameWriter

FRAMES = 20_000
CHUNK = 64 * 1024
ROUNDS = 5

Sink = Callable[[bytes], object]


def stream_of(packets: list[bytes]) -> list[bytes]:
    writer = FrameWriter(role="server")
    data = b"".join(writer.binary(packets[i % len(packets)]) for i in range(FRAMES))
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def run_adapter(chunks: list[bytes], sink: Sink) -> int:
    return _run_parser(FrameParser(), chunks, sink)


def run_own(chunks: list[bytes], sink: Sink) -> int:
    return _run_parser(OwnFrameParser(), chunks, sink)


def _run_parser(parser: FrameParser | OwnFrameParser, chunks: list[bytes], sink: Sink) -> int:
    n = 0
    for chunk in chunks:
        for event in parser.feed(chunk):
            if type(event) is BinaryMessage:
                sink(event.data)
                n += 1
    return n


def run_wsproto(chunks: list[bytes], sink: Sink) -> int:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage

    conn = Connection(ConnectionType.CLIENT)
    n = 0
    partial = b""  # wsproto hands over a frame cut by a chunk boundary in pieces
    for chunk in chunks:
        conn.receive_data(chunk)
        for event in conn.events():
            if type(event) is BytesMessage:
                if not event.message_finished:
                    partial += event.data
                    continue
                sink(partial + event.data if partial else bytes(event.data))
                partial = b""
                n += 1
    return n


def run_inline(chunks: list[bytes], sink: Sink) -> int:
    """main's ``ReconnectingSocket._read_loop`` parsing section (fast path of binary frames)."""
    n = 0
    buf = b""
    for data in chunks:
        buf = buf + data if buf else data
        size = len(buf)
        pos = 0
        while size - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1]
            if length & 0x80:
                raise ValueError("masked")
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > size:
                break
            pos = end
            if b0 == 0x82:
                sink(buf[start:end])
                n += 1
                continue
            raise ValueError("the bench streams only FIN binary frames")
        buf = buf[pos:] if pos < size else b""
    return n


def best_us_per_frame(
    run: Callable[[list[bytes], Sink], int], chunks: list[bytes], sink: Sink
) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        count = run(chunks, sink)
        best = min(best, time.perf_counter() - started)
        assert count == FRAMES, (run.__name__, count)
    return best / FRAMES * 1e6


RUNNERS = {
    "feed.framing": run_adapter,
    "wsproto Connection": run_wsproto,
    "own parser": run_own,
    "main inline": run_inline,
}


def main() -> int:
    import wsproto

    packets = build_packets()
    from angelctl.feed.encode import encode
    from angelctl.feed.ticks import QuoteTick

    snaps = [decode(p) for p in packets["SNAP_QUOTE"]]
    quotes = [encode(QuoteTick(2, *_quote_fields(t))) for t in snaps]
    modes = {"QUOTE": quotes, "SNAP_QUOTE": packets["SNAP_QUOTE"]}
    print(
        f"client framing per frame (one tick per frame), {FRAMES:,} frames fed in "
        f"{CHUNK // 1024} KiB chunks, best of {ROUNDS}; Python {sys.version.split()[0]}, "
        f"wsproto {wsproto.__version__}; us per frame (ratio to feed.framing)"
    )
    sinks: dict[str, Sink] = {"framing only": lambda b: None, "framing + decode": decode}
    for mode, data in modes.items():
        chunks = stream_of(data)
        for label, sink in sinks.items():
            times = {name: best_us_per_frame(run, chunks, sink) for name, run in RUNNERS.items()}
            base = times["feed.framing"]
            cells = "  ".join(f"{n} {t:5.2f} ({t / base:4.2f}x)" for n, t in times.items())
            print(f"{mode:<10} {label:<16} {cells}")
    return 0


def _quote_fields(t: object) -> tuple[object, ...]:
    from angelctl.feed.ticks import SnapQuoteTick

    assert isinstance(t, SnapQuoteTick)
    return (
        t.exchange_type, t.token, t.sequence, t.exchange_time_ms, t.ltp_raw, t.last_traded_qty,
        t.avg_price_raw, t.volume, t.total_buy_qty, t.total_sell_qty, t.open_raw, t.high_raw,
        t.low_raw, t.close_raw,
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
