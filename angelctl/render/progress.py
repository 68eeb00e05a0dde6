"""Download progress: a rich bar on a terminal, one plain line on stderr otherwise."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from angelctl.instruments.store import Progress
from angelctl.render.output import Output


@contextlib.contextmanager
def download_progress(out: Output, label: str) -> Iterator[Progress]:
    stream = out.stderr
    if out.quiet or out.json_mode or not _isatty(stream):
        state = {"bytes": 0}

        def plain(done: int, total: int | None) -> None:
            state["bytes"] = done

        yield plain
        if state["bytes"] and not out.quiet and not out.json_mode:
            out.notice(f"{label}: {state['bytes'] / 1e6:.1f} MB received")
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import (
        Progress as RichProgress,
    )

    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=out.err_console,
        transient=True,
    )
    with _lazy_bar(bar, label) as update:
        yield update


@contextlib.contextmanager
def _lazy_bar(bar: Any, label: str, least: int = 0) -> Iterator[Callable[[int, Any], None]]:
    """``update(done, total)`` for a rich progress ``bar`` that appears at its first update
    (and only for a ``total`` of at least ``least``), and goes when the block ends."""
    task: dict[str, Any] = {}

    def update(done: int, total: Any) -> None:
        if total is not None and total < least:
            return
        if "id" not in task:
            bar.start()
            task["id"] = bar.add_task(label, total=total)
        bar.update(task["id"], completed=done, total=total)

    try:
        yield update
    finally:
        if "id" in task:
            bar.stop()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty()) and stream is sys.stderr
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def chunk_progress(out: Output, label: str) -> Iterator[Callable[[int, int], None]]:
    """Requests done of a paginated read: a rich bar on stderr when it is a terminal and there
    is more than one request; nothing otherwise (a piped run stays quiet)."""
    if out.quiet or out.json_mode or not _isatty(out.stderr):
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as RichProgress

    bar = RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("requests"),
        TimeRemainingColumn(),
        console=out.err_console,
        transient=True,
    )
    with _lazy_bar(bar, label, least=2) as update:
        yield update
