"""Make feed recordings from the real ticks: the shipped sample, and large ones for the figure.

    python bench/make_recording.py sample OUT.rec        # angelctl/sandbox/recordings/...
    python bench/make_recording.py synthetic OUT.rec --frames 100000 --seconds 800

``sample`` (docs/recording.md, SOURCES.md next to the shipped file): the real decoded ticks in
``tests/realdata/ticks/`` are the anchors, and the frames between them are derived, seeded:

- INFY (NSE 1594) on 2024-12-20, recorded in QUOTE mode (1 frame/s) and SNAP_QUOTE mode (every
  5 s), as the JS SDK capture was: the real QUOTE ticks of 09:17:49-09:17:50 IST and the real
  SNAP_QUOTE of 09:40:00 IST are emitted exactly; between them the LTP is a Brownian bridge in
  ticks (0.05) from one real LTP to the next, volume and average price move linearly between
  the real values, the day's high/low follow the path, the depth is the real 09:40 book
  shifted with the LTP.
- three NFO index options (tokens 49697, 41735, 54786; python SDK SNAP_QUOTE captures of
  2023-01-10, 2023-07-13 and 2025-01-20) in SNAP_QUOTE mode every 4 s: each real tick opens the
  recording exactly (moved onto the INFY day's timeline: its values are real, its time is
  not), the LTP is a Brownian bridge from the real LTP back to it at the end, volume grows by
  derived trades, OI and the book's shape are the real ones shifted with the LTP.
- receive times: exchange time plus a seeded 15-80 ms latency; monotonic times follow.

``synthetic`` makes the figure's large recording with the same encoder: ``--tokens`` NSE
instruments of the sandbox's universe (a third each in LTP, QUOTE and SNAP_QUOTE mode), a seeded
random walk per token, frames spread evenly over ``--seconds``.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import random
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


from angelctl.feed.encode import encode  # noqa: E402
from angelctl.feed.recording import FRAME, LINK, SUBSCRIPTIONS, Record, write_recording  # noqa: E402
from angelctl.feed.ticks import DepthLevel, LtpTick, QuoteTick, SnapQuoteTick  # noqa: E402

TICKS = REPO / "tests" / "realdata" / "ticks"
JS_FILE = TICKS / "smartapi_js_ws2_decoded_ticks_QUOTE_SNAPQUOTE_DEPTH20_2024-12-20_Vectra.txt"
PY_FILE = (
    TICKS / "smartapi_python_ws2_decoded_SNAP_QUOTE_ticks_and_order_updates_2023-2025_index.txt"
)
SEED = 16_05
TICK = 5  # paise: 0.05 rupees
MONO0 = 1_000_000_000_000  # an arbitrary monotonic origin, ns


# ------------------------------------------------------------------ the real ticks


def js_ticks() -> list[dict[str, Any]]:
    """The JS dump's QUOTE and SNAP_QUOTE ticks as dicts of ints (DEPTH 20 is left out)."""
    text = JS_FILE.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=receiveTick|subscription_mode: '3'|subscription_mode: '4')", text)
    out = []
    for block in blocks:
        fields = dict(re.findall(r"^\s+(\w+): '([^']*)',?$", block, re.M))
        mode = re.search(r"subscription_mode: '(\d)'", block)
        if not mode or mode.group(1) not in ("2", "3"):
            continue
        tick: dict[str, Any] = {k: v.strip('"') for k, v in fields.items()}
        tick["subscription_mode"] = mode.group(1)
        for side in ("best_5_buy_data", "best_5_sell_data"):
            part = re.search(side + r": \[(.*?)\]", block, re.S)
            if part:
                rows = re.findall(
                    r"quantity: '(\d+)', price: '(\d+)', no_of_orders: '(\d+)'", part[1]
                )
                tick[side] = [(int(q), int(p), int(n)) for q, p, n in rows]
        out.append(tick)
    return out


def py_ticks() -> list[dict[str, Any]]:
    """The python dump's NFO SNAP_QUOTE dicts."""
    text = PY_FILE.read_text(encoding="utf-8")
    out = []
    for start in (m.start() for m in re.finditer(r"\{'subscription_mode'", text)):
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        tick = ast.literal_eval(text[start : end + 1].replace("\n", " "))
        if tick["exchange_type"] == 2:
            out.append(tick)
    return out


# ------------------------------------------------------------------ derivation


def bridge(rng: random.Random, a: int, b: int, steps: int, sigma: float) -> list[int]:
    """``steps + 1`` prices in ticks from ``a`` to ``b`` (both exact), a Brownian bridge."""
    walk = [0.0]
    for _ in range(steps):
        walk.append(walk[-1] + rng.gauss(0.0, sigma))
    out = []
    for i in range(steps + 1):
        f = i / steps if steps else 1.0
        x = a / TICK + (b - a) / TICK * f + walk[i] - f * walk[-1]
        out.append(max(round(x), 1) * TICK)
    out[0], out[-1] = a, b
    return out


def levels(book: list[tuple[int, int, int]], shift: int) -> tuple[DepthLevel, ...]:
    return tuple(DepthLevel(q, max(p + shift, TICK), n) for q, p, n in book)


def infy_frames(rng: random.Random) -> tuple[list[tuple[int, Any]], int, int]:
    """(exchange ms, tick) for INFY and the recording's first and last exchange ms."""
    real = js_ticks()
    quotes = [t for t in real if t["subscription_mode"] == "2"]
    snap = next(t for t in real if t["subscription_mode"] == "3")
    anchors = [(int(t["exchange_timestamp"]), t) for t in [*quotes, snap]]
    begin, end = anchors[0][0], anchors[-1][0]
    bids, asks = snap["best_5_buy_data"], snap["best_5_sell_data"]
    snap_ltp = int(snap["last_traded_price"])
    frames: list[tuple[int, Any]] = []
    seq = int(quotes[0]["sequence_number"])
    high, low = int(quotes[0]["high_price_day"]), int(quotes[0]["low_price_day"])
    for (t0, a), (t1, b) in itertools.pairwise(anchors):
        steps = max((t1 - t0) // 1000, 1)
        path = bridge(rng, int(a["last_traded_price"]), int(b["last_traded_price"]), steps, 0.9)
        for i in range(steps):
            ms = t0 + i * 1000
            src = a if i == 0 else None
            ltp = path[i]
            high, low = max(high, ltp), min(low, ltp)
            f = i / steps
            vol = round(int(a["vol_traded"]) + f * (int(b["vol_traded"]) - int(a["vol_traded"])))
            avg = round(
                int(a["avg_traded_price"])
                + f * (int(b["avg_traded_price"]) - int(a["avg_traded_price"]))
            )
            seq += 1 + rng.randrange(40)
            quote = QuoteTick(
                2, 1, "1594", seq if src is None else int(src["sequence_number"]), ms, ltp,
                int(src["last_traded_quantity"]) if src else 1 + rng.randrange(60),
                avg if src is None else int(src["avg_traded_price"]),
                vol if src is None else int(src["vol_traded"]),
                float(src["total_buy_quantity"]) if src else 150_000.0 + rng.randrange(150_000),
                float(src["total_sell_quantity"]) if src else 200_000.0 + rng.randrange(100_000),
                int(a["open_price_day"]), high, low, int(a["close_price"]),
            )  # fmt: skip
            frames.append((ms, quote))
            if (ms - begin) // 1000 % 5 == 0:
                shift = ltp - snap_ltp
                frames.append(
                    (ms + 1, snap_tick(quote, snap, levels(bids, shift), levels(asks, shift)))
                )
    final = real_snap(snap)
    frames.append((end, final))
    return frames, begin, end


def snap_tick(quote: QuoteTick, snap: dict[str, Any], bids: Any, asks: Any) -> SnapQuoteTick:
    return SnapQuoteTick(
        3, quote.exchange_type, quote.token, quote.sequence, quote.exchange_time_ms, quote.ltp_raw,
        quote.last_traded_qty, quote.avg_price_raw, quote.volume, quote.total_buy_qty,
        quote.total_sell_qty, quote.open_raw, quote.high_raw, quote.low_raw, quote.close_raw,
        quote.exchange_time_ms // 1000, int(snap["open_interest"]),
        float(snap["open_interest_change"]), bids, asks,
        int(snap["upper_circuit"]), int(snap["lower_circuit"]),
        int(snap["fiftytwo_week_high"]), int(snap["fiftytwo_week_low"]),
    )  # fmt: skip


def real_snap(s: dict[str, Any]) -> SnapQuoteTick:
    ms = int(s["exchange_timestamp"])
    quote = QuoteTick(
        3, 1, "1594", int(s["sequence_number"]), ms, int(s["last_traded_price"]),
        int(s["last_traded_quantity"]), int(s["avg_traded_price"]), int(s["vol_traded"]),
        float(s["total_buy_quantity"]), float(s["total_sell_quantity"]), int(s["open_price_day"]),
        int(s["high_price_day"]), int(s["low_price_day"]), int(s["close_price"]),
    )  # fmt: skip
    tick = snap_tick(quote, s, levels(s["best_5_buy_data"], 0), levels(s["best_5_sell_data"], 0))
    tick.last_traded_time_s = int(s["last_traded_timestamp"])
    return tick


def option_frames(rng: random.Random, real: dict[str, Any], begin: int, end: int) -> list[Any]:
    """SNAP_QUOTE every 4 s from ``begin`` to ``end`` (ms), the real tick first."""
    steps = max((end - begin) // 4000, 1)
    ltp0 = int(real["last_traded_price"])
    path = bridge(rng, ltp0, ltp0, steps, 1.5)
    bids = [(d["quantity"], d["price"], d["no of orders"]) for d in real["best_5_buy_data"]]
    asks = [(d["quantity"], d["price"], d["no of orders"]) for d in real["best_5_sell_data"]]
    bids.sort(key=lambda r: -r[1])  # one capture lists the sides the other way round
    asks.sort(key=lambda r: r[1])
    if asks and bids and asks[0][1] < bids[0][1]:
        bids, asks = [(q, p, n) for q, p, n in asks], [(q, p, n) for q, p, n in bids]
        bids.sort(key=lambda r: -r[1])
        asks.sort(key=lambda r: r[1])
    token, lot = str(real["token"]), int(real["last_traded_quantity"])
    vol, seq = int(real["volume_trade_for_the_day"]), int(real["sequence_number"])
    high, low = int(real["high_price_of_the_day"]), int(real["low_price_of_the_day"])
    out = []
    for i in range(steps + 1):
        ms = begin + i * 4000 + 2
        ltp = path[i]
        high, low = max(high, ltp), min(low, ltp)
        if i:
            vol += lot * (1 + rng.randrange(40))
            seq += 1 + rng.randrange(200)
        quote = QuoteTick(
            3, 2, token, seq, ms, ltp, lot, int(real["average_traded_price"]), vol,
            float(real["total_buy_quantity"]), float(real["total_sell_quantity"]),
            int(real["open_price_of_the_day"]), high, low, int(real["closed_price"]),
        )  # fmt: skip
        shift = ltp - ltp0
        out.append((ms, SnapQuoteTick(
            3, 2, token, seq, ms, ltp, lot, quote.avg_price_raw, vol, quote.total_buy_qty,
            quote.total_sell_qty, quote.open_raw, high, low, quote.close_raw, ms // 1000,
            int(real["open_interest"]), 0.0, levels(bids, shift), levels(asks, shift),
            int(real["upper_circuit_limit"]), int(real["lower_circuit_limit"]),
            int(real["52_week_high_price"]), int(real["52_week_low_price"]),
        )))  # fmt: skip
    return out


def to_records(
    rng: random.Random, frames: list[tuple[int, Any]], subs: list[list[Any]]
) -> list[Record]:
    frames.sort(key=lambda f: f[0])
    first = frames[0][0]
    received = []
    for ms, tick in frames:
        wall = ms * 1_000_000 + rng.randrange(15, 80) * 1_000_000
        received.append((wall, encode(tick)))
    received.sort(key=lambda r: r[0])  # arrival order
    wall0 = first * 1_000_000
    out = [
        Record(LINK, wall0 - 2_000_000, MONO0 - 2_000_000, b'{"event":"connected"}'),
        Record(SUBSCRIPTIONS, wall0 - 1_000_000, MONO0 - 1_000_000, _json(subs)),
    ]
    out += [Record(FRAME, wall, MONO0 + wall - wall0, data) for wall, data in received]
    return out


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value, separators=(",", ":")).encode()


OPTIONS_META = {
    "49697": ("NIFTY", "captured 2023-01-10; lot 50 as traded"),
    "41735": ("BANKNIFTY", "captured 2023-07-13; lot 25 as traded"),
    "54786": ("NIFTY", "captured 2025-01-20; the author calls it NIFTY 23200"),
}


def sample(path: Path) -> int:
    rng = random.Random(SEED)
    frames, begin, end = infy_frames(rng)
    instruments = [{
        "exch_seg": "NSE", "token": "1594", "symbol": "INFY-EQ", "name": "INFY",
        "instrumenttype": "", "lotsize": 1, "tick_size": "0.05", "expiry": None, "strike": None,
        "option_type": None,
    }]  # fmt: skip
    subs: list[list[Any]] = [[2, 1, "1594"], [3, 1, "1594"]]
    for real in py_ticks():
        token = str(real["token"])
        name, note = OPTIONS_META[token]
        frames += option_frames(random.Random(SEED ^ int(token)), real, begin, end)
        subs.append([3, 2, token])
        instruments.append({
            "exch_seg": "NFO", "token": token, "symbol": f"{name}-REC{token}", "name": name,
            "instrumenttype": "", "lotsize": int(real["last_traded_quantity"]),
            "tick_size": "0.05", "expiry": None, "strike": None, "option_type": None,
            "note": f"an index option {note}; expiry and strike unknown, so listed plain",
        })  # fmt: skip
    header = {
        "created_at": datetime.fromtimestamp(begin / 1000, UTC).isoformat(),
        "tool": "bench/make_recording.py sample",
        "derived": "real ticks as anchors, seeded frames between them: docs/recording.md",
        "instruments": instruments,
    }
    return write_recording(path, header, to_records(rng, frames, subs))


def synthetic(path: Path, frames: int, seconds: float, tokens: int) -> int:
    """``frames`` frames over ``seconds`` for ``tokens`` NSE stocks of the sandbox's universe."""
    from datetime import date

    from angelctl.sandbox import build_universe

    universe = build_universe(date(2026, 12, 7))
    stocks = [i for i in universe.find(exch_seg="NSE") if i.symbol.endswith("-EQ")][:tokens]
    rng = random.Random(SEED)
    modes = [(1, 2, 3)[i % 3] for i in range(len(stocks))]
    prices = [int(universe.reference_price("NSE", s.token) * 100) for s in stocks]
    gap_ms = seconds * 1000 / frames
    begin = 1_734_666_300_000  # 2024-12-20 09:15:00 IST
    out: list[tuple[int, Any]] = []
    volume = [100_000] * len(stocks)
    for n in range(frames):
        k = n % len(stocks)
        prices[k] = max(prices[k] + TICK * round(rng.gauss(0, 1.2)), TICK)
        volume[k] += 1 + rng.randrange(500)
        ms = begin + int(n * gap_ms)
        base = LtpTick(1, 1, stocks[k].token, n, ms, prices[k])
        mode = modes[k]
        if mode == 1:
            out.append((ms, base))
            continue
        p = prices[k]
        quote = QuoteTick(2, 1, base.token, n, ms, p, 1 + n % 50, p, volume[k], 1e5, 2e5,
                          p, p + 500, max(p - 500, TICK), p)  # fmt: skip
        if mode == 2:
            out.append((ms, quote))
            continue
        book = [(10 + i, -TICK * (i + 1), 1 + i) for i in range(5)]
        out.append((ms, SnapQuoteTick(
            3, 1, base.token, n, ms, p, quote.last_traded_qty, p, volume[k], 1e5, 2e5, p,
            p + 500, max(p - 500, TICK), p, ms // 1000, 0, 0.0, levels(book, p),
            tuple(replace(level, price_raw=2 * p - level.price_raw) for level in levels(book, p)),
            p * 2, TICK, p * 2, TICK,
        )))  # fmt: skip
    subs = [[modes[i], 1, s.token] for i, s in enumerate(stocks)]
    header = {
        "tool": "bench/make_recording.py synthetic",
        "derived": "synthetic: a seeded random walk per token",
        "instruments": [{"exch_seg": "NSE", "token": s.token, "symbol": s.symbol} for s in stocks],
    }
    records = to_records(rng, out, subs)
    # receive order = generation order for the figure: spread 1 ms latency keeps it
    return write_recording(path, header, records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("sample", "synthetic"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=800.0)
    parser.add_argument("--tokens", type=int, default=12)
    args = parser.parse_args()
    if args.kind == "sample":
        size = sample(args.out)
    else:
        size = synthetic(args.out, args.frames, args.seconds, args.tokens)
    print(f"{args.out}: {size:,} bytes")


if __name__ == "__main__":
    main()
