"""Downloading the master, validating it and ingesting it into the local index atomically.

A download is written to a temporary file and checked (complete JSON array, byte count equal
to the advertised length, at least ``MIN_FRACTION`` of the previous index's rows) before the
new index replaces the old one; any failure leaves the previous index untouched. When a
refresh is due and how the index is opened: ``store`` (which imports this module, never the
reverse; the index's place comes from ``location``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from angelctl.clock import IST, Clock
from angelctl.config import ProfileSettings
from angelctl.errors import (
    BrokerError,
    UnparseableResponse,
    UsageError,
)
from angelctl.instruments.build import BuildReport, build_index
from angelctl.instruments.index import IndexUnusable, InstrumentIndex
from angelctl.instruments.location import Progress, index_path
from angelctl.instruments.master import (
    MasterFormatError,
    NormalRow,
    RowError,
    iter_master,
    normalise,
)
from angelctl.status import ExitStatus

MIN_FRACTION = 0.5
CHUNK = 1 << 18


class MasterRejected(BrokerError):
    """The downloaded master failed validation; the previous index is kept."""

    error_code = "master_rejected"
    exit_status = ExitStatus.BROKER_ERROR


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
        received = _write_body(reply, target, total, progress)
        if total is not None and received != total:
            raise MasterRejected(
                f"the instrument master download is incomplete ({received} of {total} bytes)",
                route="instrumentMaster",
                hint="the previous index is kept; retry later",
            )
        if encoded:
            _decode_in_place(target, reply.headers["Content-Encoding"])
    return received


def _write_body(reply: Any, target: Path, total: int | None, progress: Progress | None) -> int:
    """The body, as sent (decoded later), to ``target``; a broken stream is a refusal, a disk
    that refuses is the disk's error."""
    import requests

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

        try:
            with open(path, "rb") as stream:
                accept = _acceptance(previous, force)
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


def _acceptance(previous: int, force: bool) -> Callable[[BuildReport], None]:
    """The check a new master must pass before it replaces the index: some rows, and (unless
    ``force``) not a sudden fall under ``MIN_FRACTION`` of the previous index's rows."""

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

    return accept


def _previous_rows(dest: Path) -> int:
    try:
        index = InstrumentIndex(dest)
    except IndexUnusable:
        return 0
    try:
        return int(index.meta.get("rows", "0"))
    finally:
        index.close()
