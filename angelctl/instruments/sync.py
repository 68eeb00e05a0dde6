"""Downloading and ingesting the master, and opening a fresh-enough index.

Rules:
- A download is written to a temporary file and checked (complete JSON array, byte count equal
  to the advertised length, at least ``MIN_FRACTION`` of the previous index's rows) before the
  new index replaces the old one; any failure leaves the previous index untouched.
- The index is refreshed at most once per trading day: it is stale when it was downloaded
  before the most recent weekday's ``REFRESH_AFTER`` (IST). Angel publishes the file daily at
  an undocumented time [GAP]; the default is 08:00 IST.
- Offline, a stale index keeps working; the caller is warned with the index's date.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any

from angelctl.clock import IST, Clock
from angelctl.config import ProfileSettings, cache_dir
from angelctl.errors import (
    AngelctlError,
    BrokerError,
    ConfigError,
    UnparseableResponse,
    UsageError,
)
from angelctl.instruments.index import BuildReport, IndexUnusable, InstrumentIndex, build_index
from angelctl.instruments.master import (
    MasterFormatError,
    NormalRow,
    RowError,
    iter_master,
    normalise,
)
from angelctl.status import ExitStatus

INDEX_FILE = "instruments.sqlite3"
REFRESH_AFTER = dtime(8, 0)
MIN_FRACTION = 0.5
CHUNK = 1 << 18
Progress = Callable[[int, int | None], None]


class InstrumentsUnavailable(AngelctlError):
    exit_status = ExitStatus.CONFIG


class MasterRejected(BrokerError):
    """The downloaded master failed validation; the previous index is kept."""

    exit_status = ExitStatus.BROKER_ERROR


def index_path() -> Path:
    return cache_dir() / INDEX_FILE


@dataclass
class SyncResult:
    source: str
    rows: int
    bytes: int
    seconds: float
    downloaded_at: datetime
    report: BuildReport = field(default_factory=BuildReport)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "downloaded_at": self.downloaded_at.isoformat(),
            "rejected": self.report.rejected_total,
            "rejected_by_reason": self.report.rejected,
            "unknown_types": self.report.unknown_types,
            "duplicates": self.report.duplicates,
            "examples": self.report.examples,
            "index": str(index_path()),
        }


def _normalised(stream: IO[bytes], report: BuildReport) -> Iterator[NormalRow]:
    for raw in iter_master(stream):
        try:
            yield normalise(raw)
        except RowError as exc:
            report.reject(str(exc), str(raw.get("symbol") or raw.get("token") or "?")[:40])


def _download(settings: ProfileSettings, target: Path, progress: Progress | None) -> int:
    import requests

    from angelctl.errors import ConnectFailed, ResponseLost

    session = requests.Session()
    session.trust_env = False
    url = settings.instruments_url
    try:
        reply = session.get(
            url,
            stream=True,
            allow_redirects=False,
            verify=True,
            timeout=(settings.connect_timeout, max(settings.read_timeout, 30)),
        )
    except requests.ConnectionError as exc:
        raise ConnectFailed(
            f"cannot download the instrument master: {type(exc).__name__}",
            route="instrumentMaster",
            hint="check the network, or use `instruments sync --file PATH`",
        ) from None
    except requests.Timeout:
        raise ResponseLost(
            "the instrument master download timed out", route="instrumentMaster"
        ) from None
    with reply:
        if reply.status_code != 200:
            raise MasterRejected(
                f"the instrument master URL answered HTTP {reply.status_code}",
                route="instrumentMaster",
                http_status=reply.status_code,
                hint="the previous index is kept; retry later",
            )
        encoded = bool(reply.headers.get("Content-Encoding"))
        length = reply.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        try:
            with open(target, "wb") as handle:
                for chunk in reply.raw.stream(CHUNK, decode_content=False):
                    handle.write(chunk)
                    received += len(chunk)
                    if progress:
                        progress(received, total)
        except (requests.RequestException, OSError, Exception) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
                raise
            raise MasterRejected(
                f"the instrument master download broke off after {received} bytes",
                route="instrumentMaster",
                hint="the previous index is kept; retry later",
            ) from None
        if total is not None and received != total:
            raise MasterRejected(
                f"the instrument master download is incomplete ({received} of {total} bytes)",
                route="instrumentMaster",
                hint="the previous index is kept; retry later",
            )
        if encoded:
            _decode_in_place(target, reply.headers["Content-Encoding"])
    return received


def _decode_in_place(path: Path, encoding: str) -> None:
    if encoding.lower() not in ("gzip", "x-gzip"):
        raise MasterRejected(
            f"unsupported Content-Encoding {encoding!r} for the master", route="instrumentMaster"
        )
    import gzip
    import shutil

    plain = path.with_suffix(".plain")
    try:
        with gzip.open(path, "rb") as source, open(plain, "wb") as dest:
            shutil.copyfileobj(source, dest, CHUNK)
    except (OSError, EOFError):
        plain.unlink(missing_ok=True)
        raise MasterRejected(
            "the compressed instrument master is damaged or incomplete", route="instrumentMaster"
        ) from None
    os.replace(plain, path)


def sync_master(
    settings: ProfileSettings,
    clock: Clock,
    *,
    file: Path | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> SyncResult:
    from angelctl.fsutil import ensure_private_dir

    dest = index_path()
    ensure_private_dir(dest.parent)
    started = time.monotonic()
    download = dest.with_name(f".master.{os.getpid()}.download")
    try:
        if file is not None:
            try:
                size = file.stat().st_size
            except OSError as exc:
                raise UsageError(f"cannot read {file}: {exc.strerror}") from None
            source, path = str(file), file
        else:
            source = settings.instruments_url
            size = _download(settings, download, progress)
            path = download
        previous = _previous_rows(dest)
        now = clock.now()
        report = BuildReport()
        meta = {
            "source": source,
            "downloaded_at": now.isoformat(),
            "trading_day": now.astimezone(IST).date().isoformat(),
        }

        def accept(built: BuildReport) -> None:
            if built.rows == 0:
                raise MasterRejected(
                    "the instrument master has no usable rows; the previous index is kept"
                )
            if previous and not force and built.rows < previous * MIN_FRACTION:
                raise MasterRejected(
                    f"the new master has {built.rows} rows, under {MIN_FRACTION:.0%} of the "
                    f"previous index's {previous}: refusing it as partial",
                    hint="use --force if the exchange really delisted that much",
                )

        try:
            with open(path, "rb") as stream:
                build_index(_normalised(stream, report), dest, meta, report, accept)
        except MasterFormatError as exc:
            raise UnparseableResponse(
                f"{exc}; the previous index is kept", route="instrumentMaster"
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            download.unlink()
    return SyncResult(
        source=source,
        rows=report.rows,
        bytes=size,
        seconds=time.monotonic() - started,
        downloaded_at=now,
        report=report,
    )


def _previous_rows(dest: Path) -> int:
    try:
        index = InstrumentIndex(dest)
    except IndexUnusable:
        return 0
    try:
        return int(index.meta.get("rows", "0"))
    finally:
        index.close()


def refresh_boundary(now: datetime) -> datetime:
    """The most recent weekday REFRESH_AFTER (IST) at or before ``now``."""
    local = now.astimezone(IST)
    day = local.date()
    candidate = datetime.combine(day, REFRESH_AFTER, IST)
    while candidate > local or candidate.weekday() >= 5:
        day -= timedelta(days=1)
        candidate = datetime.combine(day, REFRESH_AFTER, IST)
    return candidate.astimezone(UTC)


def is_stale(index: InstrumentIndex, now: datetime) -> bool:
    try:
        downloaded = datetime.fromisoformat(index.meta["downloaded_at"])
    except (KeyError, ValueError):
        return True
    return downloaded < refresh_boundary(now)


def index_date(index: InstrumentIndex) -> str:
    return index.meta.get("trading_day", "an unknown date")


def open_index(
    settings: ProfileSettings,
    clock: Clock,
    *,
    warn: Callable[[str], None],
    auto_refresh: bool = True,
    progress: Progress | None = None,
    freeze_overrides: dict[str, int] | None = None,
) -> InstrumentIndex:
    """The index, synced first when it is missing or stale and the network allows."""
    path = index_path()
    index: InstrumentIndex | None = None
    problem = ""
    try:
        index = InstrumentIndex(path, freeze_overrides)
    except IndexUnusable as exc:
        problem = str(exc)
    if index is not None and not is_stale(index, clock.now()):
        return index
    if not auto_refresh:
        if index is not None:
            warn(
                f"the instrument index is from {index_date(index)}; run "
                "`angelctl instruments sync` to refresh it"
            )
            return index
        raise InstrumentsUnavailable(problem, hint="run `angelctl instruments sync`")
    try:
        sync_master(settings, clock, progress=progress)
    except (BrokerError, ConfigError) as exc:
        if index is not None:
            warn(
                f"using the instrument index from {index_date(index)}: refresh failed "
                f"({exc.message})"
            )
            return index
        raise InstrumentsUnavailable(
            f"no usable instrument index ({problem}) and the download failed: {exc.message}",
            hint="run `angelctl instruments sync` when online, or `--file PATH` with a saved "
            "master",
        ) from None
    if index is not None:
        index.close()
    return InstrumentIndex(path, freeze_overrides)
