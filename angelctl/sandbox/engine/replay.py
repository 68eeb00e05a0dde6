"""Replaying a feed recording (``angelctl.feed.recording``) as the sandbox's market.

``ReplaySource(path, speed, start, loop)`` says what to replay; ``load()`` reads and decodes it
once into a ``ReplayTape`` (immutable, shared across engine resets). Each paper market gets its
own ``Replay`` cursor over the tape, started at that market's creation on the engine clock.

Timing: a frame is due when ``(clock.monotonic() - origin) × speed`` reaches its offset, the
recorded *monotonic* receive time minus that of the first frame at or after ``start`` (IST
time of day on the recording's day, the IST date of its first frame). Frames received before
``start`` are the pre-roll: their last values per token are applied silently when the replay
starts, so quotes at ``start`` are what they were then. The driver is whoever looks at the
market (``PaperBroker.sync``: every API request, admin read and feed wakeup), so there is no
thread and no sleep, and a ``ManualClock`` drives it in tests. Past the last frame the market
stays frozen at the last values (``finished``), or with ``loop`` starts again from the top.

Instruments: a recorded token the day's universe lists is that instrument (the same exchange
segment and token). One it does not list is added to the universe, from the recording header's
``instruments`` (the master's field names; a future or option the header gives no expiry, or
an option no strike, is listed with an empty instrument type, since clients refuse such a row)
or, when the header does not name it, as a cash instrument ``REPLAY-<token>`` with lot 1 and
tick 0.05; its reference price is its first LTP.

Invariants: the tape keeps every decodable frame in recorded order (an undecodable one is
counted in ``undecodable`` and skipped); ``Replay.due`` yields each frame once, in order, and
logs it for the feed (``since``); nothing here reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from angelctl.feed.decode import DecodeError, decode
from angelctl.feed.recording import FRAME, LINK, RecordingError, read_recording
from angelctl.feed.ticks import DepthTick, ExchangeType, Tick, scaled
from angelctl.sandbox.engine.instrument import OPTION_TYPES, Instrument

IST = timezone(timedelta(hours=5, minutes=30), "IST")
#: feed exchange type → the instrument master's ``exch_seg``
SEGMENTS = {
    ExchangeType.NSE_CM: "NSE",
    ExchangeType.NSE_FO: "NFO",
    ExchangeType.BSE_CM: "BSE",
    ExchangeType.BSE_FO: "BFO",
    ExchangeType.MCX_FO: "MCX",
    ExchangeType.NCX_FO: "NCDEX",
    ExchangeType.CDE_FO: "CDS",
}
LOG_LIMIT = 1_000_000  # frames kept for the feed's connections to catch up on
LOOP_PAUSE_S = 1.0  # recording time between the last frame and the first of the next loop
PACKAGED = Path(__file__).resolve().parent.parent / "recordings"


@dataclass(frozen=True, slots=True)
class TapeFrame:
    index: int
    at: float  # seconds after the replay's start, in recording time
    key: tuple[str, str]  # (exch_seg, token)
    payload: bytes  # the frame exactly as recorded
    tick: Tick


def resolve_path(name: str | Path) -> Path:
    """A path, or the name of a recording shipped in the package (``banknifty-sample``)."""
    path = Path(name)
    if path.exists() or path.suffix or "/" in str(name):
        return path
    packaged = PACKAGED / f"{name}.rec"
    return packaged if packaged.exists() else path


@dataclass(frozen=True)
class ReplaySource:
    """What to replay: a file (or a packaged name), its speed, where to start, whether to loop."""

    path: str | Path
    speed: float = 1.0
    start: time | None = None  # IST time of day on the recording's day
    loop: bool = False
    hold: bool = False  # wait at the start until ``SandboxEngine.replay_start()``

    def __post_init__(self) -> None:
        if not 0 < self.speed <= 1000:
            raise ValueError("replay speed must be in (0, 1000]")

    def load(self) -> ReplayTape:
        return ReplayTape.load(self)


@dataclass
class ReplayTape:
    source: ReplaySource
    header: dict[str, Any]
    day: date
    start_wall: datetime | None
    frames: list[TapeFrame]
    preroll: list[tuple[tuple[str, str], Tick]]
    instruments: list[Instrument]
    prices: dict[tuple[str, str], Decimal]
    torn_records: int = 0
    undecodable: int = 0
    gaps: int = 0  # ``disconnected`` records: reconnects while recording
    recorded: frozenset[tuple[int, str, int]] = frozenset()  # (exchange type, token, mode)

    @property
    def duration(self) -> float:
        return self.frames[-1].at if self.frames else 0.0

    @classmethod
    def load(cls, source: ReplaySource) -> ReplayTape:
        recording = read_recording(resolve_path(source.path))
        decoded: list[tuple[int, int, tuple[str, str], bytes, Tick]] = []
        undecodable = 0
        for record in recording.records:
            if record.type != FRAME:
                continue
            try:
                tick = decode(record.payload)
            except DecodeError:
                undecodable += 1
                continue
            key = (SEGMENTS[ExchangeType(tick.exchange_type)], tick.token)
            decoded.append((record.wall_ns, record.mono_ns, key, record.payload, tick))
        if not decoded:
            raise RecordingError(f"{recording.path}: the recording holds no feed frames")
        first_wall = datetime.fromtimestamp(decoded[0][0] / 1e9, IST)
        day = first_wall.date()
        start_wall = None
        if source.start is not None:
            start_wall = datetime.combine(day, source.start, IST)
        begin = 0
        if start_wall is not None:
            limit = int(start_wall.timestamp() * 1e9)
            while begin < len(decoded) and decoded[begin][0] < limit:
                begin += 1
            if begin == len(decoded):
                raise RecordingError(
                    f"{recording.path}: nothing recorded after {source.start:%H:%M} IST "
                    f"on {day.isoformat()}"
                )
        origin = decoded[begin][1]
        frames = [
            TapeFrame(i - begin, (mono - origin) / 1e9, key, payload, tick)
            for i, (_, mono, key, payload, tick) in enumerate(decoded[begin:], start=begin)
        ]
        last_before: dict[tuple[str, str], Tick] = {}
        for _, _, key, _, tick in decoded[:begin]:
            last_before[key] = tick
        instruments, prices = _instruments(recording.header, decoded)
        gaps = sum(
            1
            for r in recording.records
            if r.type == LINK and r.json().get("event") == "disconnected"
        )
        recorded = frozenset((t.exchange_type, t.token, t.mode) for *_, t in decoded)
        return cls(
            source, recording.header, day, start_wall, frames, list(last_before.items()),
            instruments, prices, recording.torn_records, undecodable, gaps, recorded,
        )  # fmt: skip


def _instruments(
    header: dict[str, Any], decoded: list[tuple[int, int, tuple[str, str], bytes, Tick]]
) -> tuple[list[Instrument], dict[tuple[str, str], Decimal]]:
    """An instrument and a reference price (its first LTP) for every recorded token."""
    described = {}
    for meta in header.get("instruments") or []:
        if isinstance(meta, dict) and meta.get("exch_seg") and meta.get("token"):
            described[(str(meta["exch_seg"]).upper(), str(meta["token"]))] = meta
    prices: dict[tuple[str, str], Decimal] = {}
    for _, _, key, _, tick in decoded:
        if key not in prices and not isinstance(tick, DepthTick):
            prices[key] = scaled(tick.ltp_raw, tick.divisor)
    out = [_instrument(key, described.get(key)) for key in prices]
    return out, prices


def _instrument(key: tuple[str, str], meta: dict[str, Any] | None) -> Instrument:
    exch_seg, token = key
    if meta is None:
        return Instrument(exch_seg, token, f"REPLAY-{token}", f"REPLAY-{token}", "", 1,
                          Decimal("0.05"), 0)  # fmt: skip
    expiry = meta.get("expiry")
    strike = meta.get("strike")
    kind = str(meta.get("instrumenttype") or "")
    if not expiry or (kind in OPTION_TYPES and strike is None):
        kind = ""  # clients refuse a derivative row without expiry (or strike): list it plain
    return Instrument(
        exch_seg=exch_seg,
        token=token,
        symbol=str(meta.get("symbol") or f"REPLAY-{token}"),
        name=str(meta.get("name") or meta.get("symbol") or token),
        instrumenttype=kind,
        lotsize=int(meta.get("lotsize") or 1),
        tick_size=Decimal(str(meta.get("tick_size") or "0.05")),
        freeze_qty=0,
        expiry=date.fromisoformat(expiry) if expiry else None,
        strike=Decimal(str(strike)) if strike is not None else None,
        option_type=meta.get("option_type") or None,
    )


@dataclass
class Replay:
    """One market's walk over a tape: which frames are due, and the log the feed reads."""

    tape: ReplayTape
    origin: float | None  # engine monotonic time of the replay's start; None: held
    cursor: int = 0
    loops: int = 0
    prerolled: bool = False
    _log: list[TapeFrame] = field(default_factory=list)
    _log_base: int = 0  # position of _log[0] among every frame ever due

    @property
    def speed(self) -> float:
        return self.tape.source.speed

    @property
    def finished(self) -> bool:
        return not self.tape.source.loop and self.cursor >= len(self.tape.frames)

    @property
    def position(self) -> int:
        """How many frames have been due so far (the feed's cursor space)."""
        return self._log_base + len(self._log)

    def restart(self, now: float) -> None:
        """Start again from the first frame now (tickers keep their values until it comes)."""
        self.origin, self.cursor = now, 0

    def due(self, now: float) -> Iterator[TapeFrame]:
        if self.origin is None:
            return
        frames, loop = self.tape.frames, self.tape.source.loop
        period = self.tape.duration + LOOP_PAUSE_S
        while True:
            if self.cursor >= len(frames):
                if not loop:
                    return
                self.cursor, self.loops = 0, self.loops + 1
                self.origin += period / self.speed
            frame = frames[self.cursor]
            if frame.at > (now - self.origin) * self.speed:
                return
            self.cursor += 1
            self._remember(frame)
            yield frame

    def _remember(self, frame: TapeFrame) -> None:
        self._log.append(frame)
        if len(self._log) > LOG_LIMIT:
            cut = len(self._log) // 2
            del self._log[:cut]
            self._log_base += cut

    def since(self, position: int) -> tuple[list[TapeFrame], int, int]:
        """(frames due from ``position`` on, the new position, frames already forgotten)."""
        lost = max(self._log_base - position, 0)
        start = max(position - self._log_base, 0)
        return self._log[start:], self.position, lost

    def status(self, now: float) -> dict[str, Any]:
        tape = self.tape
        at = self.tape.frames[self.cursor - 1].at if self.cursor else 0.0
        return {
            "file": str(resolve_path(tape.source.path)),
            "recorded_on": tape.day.isoformat(),
            "start": tape.start_wall.isoformat() if tape.start_wall else None,
            "speed": self.speed,
            "loop": tape.source.loop,
            "frames": len(tape.frames),
            "frames_due": self.cursor,
            "loops": self.loops,
            "recording_seconds": round(at, 3),
            "duration_seconds": round(tape.duration, 3),
            "finished": self.finished,
            "held": self.origin is None,
            "torn_records": tape.torn_records,
            "undecodable": tape.undecodable,
            "gaps": tape.gaps,
            "instruments": [f"{i.exch_seg}:{i.token}" for i in tape.instruments],
        }
