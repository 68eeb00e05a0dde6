"""The local instrument index on disk: where it lives, when it is stale, and opening it.

The index is refreshed at most once per trading day: it is stale when it was downloaded
before the most recent weekday's ``REFRESH_AFTER`` (IST). Angel publishes the master daily at
an undocumented time [GAP]; the default is 08:00 IST. Offline, a stale index keeps working and
the caller is warned with the index's date. Downloading and ingesting live in ``sync`` and are
imported only when a refresh is due, so commands that merely resolve symbols stay light. The
arrow runs one way: ``store`` → ``sync``; both take the file's place from ``location``.

Clock steps: ``downloaded_at`` is wall time stored by the process that synced. One later than
now by more than ``FUTURE_MARGIN`` is impossible (that process's clock was ahead, or ours
stepped back) and the index counts as stale, so a master fetched before Angel published the
day's is never taken for today's; the cost is one extra download. One from the "past" can
only make the index stale early (the same cost). Nothing here waits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

from angelctl.clock import IST, Clock
from angelctl.config import ProfileSettings
from angelctl.errors import AngelctlError, BrokerError, ConfigError
from angelctl.instruments.index import IndexUnusable, InstrumentIndex
from angelctl.instruments.location import INDEX_FILE, Progress, index_path
from angelctl.status import ExitStatus

__all__ = ["INDEX_FILE", "InstrumentsUnavailable", "Progress", "index_path", "open_index"]
REFRESH_AFTER = dtime(8, 0)
FUTURE_MARGIN = timedelta(minutes=5)


class InstrumentsUnavailable(AngelctlError):
    error_code = "instruments_unavailable"
    exit_status = ExitStatus.CONFIG


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
    return downloaded < refresh_boundary(now) or downloaded > now + FUTURE_MARGIN


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
    from angelctl.instruments.sync import sync_master

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
