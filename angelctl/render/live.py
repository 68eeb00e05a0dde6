"""Full-screen live views (``stream``, ``quote --watch``, ``positions --watch``): the alternate
screen, repaints that survive a resize, and a status line that is never cropped.

``LiveScreen`` is a context manager around rich's ``Live(screen=True)``; ``frame`` fits one
repaint into the terminal.

Invariants:
- The alternate screen is entered on ``__enter__`` and left (cursor shown again) by
  ``__exit__`` however the block ends: normally, by Ctrl-C (``KeyboardInterrupt``) or by an
  error. The previous SIGWINCH handler is restored too.
- Every frame is laid out for the size the terminal reports at that moment (``TIOCGWINSZ`` on
  stdout, never ``COLUMNS``, which a resize does not change), and rich's screen mode pads every
  line to the full width and height, so a repaint after a resize overwrites every cell: no
  stale frame survives it.
- The SIGWINCH handler only sets a ``Wakeup`` (the repaint loop waits on it, so a resize is
  redrawn at once): a byte down a pipe, no lock. A handler runs in the main thread between any
  two of its bytecodes, and a ``threading.Event`` there deadlocked when the signal landed while
  the loop held the event's lock (``tests/render/test_live_signals.py``). Nothing is drawn
  from a signal handler.
- The footer (the status line) is always drawn whole; the body gives way: ``frame`` asks the
  body builder for fewer rows (it says "+N more") until it fits, and crops whatever still does
  not.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import TracebackType

    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
    from rich.live import Live
    from rich.segment import Segment

MIN_WIDTH = 20
MIN_HEIGHT = 4


class Wakeup:
    """``threading.Event``'s ``set``/``clear``/``wait``/``is_set`` over a pipe, so that ``set``
    takes no lock and may be called from a signal handler (as well as from any thread): the
    flag is "a byte is waiting in the pipe". A ``set`` after ``close`` does nothing."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._closed = False

    def set(self) -> None:
        with contextlib.suppress(OSError):  # BlockingIOError: full, so it is set; EPIPE: closed
            os.write(self._write, b"\0")

    def clear(self) -> None:
        # one read of a pipe's whole capacity: a loop could chase a stream of set() for ever
        with contextlib.suppress(OSError):  # BlockingIOError: nothing to drain
            os.read(self._read, 1 << 16)

    def is_set(self) -> bool:
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> bool:
        """True once set (at once if it is), False when ``timeout`` seconds passed first."""
        if self._closed:
            return False
        ready, _, _ = select.select([self._read], [], [], timeout)
        return bool(ready)

    def close(self) -> None:
        """Close the read end. The write end is closed with the object, once nothing can call
        ``set`` any more: a thread's late ``set`` then fails quietly (EPIPE) instead of writing
        into whatever file reused the descriptor's number."""
        if not self._closed:
            self._closed = True
            os.close(self._read)

    def __del__(self) -> None:
        for fd in (self._write,) if self._closed else (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


class LiveScreen:
    """``with LiveScreen(console) as screen: … screen.show(build)`` where ``build(width,
    height)`` returns the frame (usually ``frame(…)``). ``screen.wake`` is set on a resize;
    loops wait on it instead of sleeping so a resize repaints at once."""

    def __init__(self, console: Console, wake: Wakeup | None = None) -> None:
        self.console = console
        self._own_wake = wake is None
        self.wake = wake or Wakeup()
        self.resized = 0
        self._live: Live | None = None
        self._previous: Any = None
        self._size: tuple[int, int] | None = None
        self._fallback = console.size  # COLUMNS/LINES or rich's default, before we set it
        self.memo: dict[str, int] = {}  # ``frame``'s rows from one frame to the next

    def __enter__(self) -> LiveScreen:
        from rich.live import Live

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGWINCH, self._on_winch)
        self._live = Live(
            console=self.console,
            screen=True,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        try:
            self._live.__enter__()
        except BaseException:
            self._restore_handler()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._live is not None:
                self._live.__exit__(exc_type, exc, tb)
        finally:
            self._restore_handler()
            if self._own_wake:
                self.wake.close()

    def _restore_handler(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGWINCH, self._previous)
            self._previous = None

    def _on_winch(self, _signum: int, _frame: Any) -> None:
        self.resized += 1
        self.wake.set()

    def size(self) -> tuple[int, int]:
        """The terminal's size now (columns, lines), and the console laid out for it."""
        try:
            columns, lines = os.get_terminal_size(self.console.file.fileno())
        except (AttributeError, ValueError, OSError):
            columns, lines = 0, 0
        if columns <= 0 or lines <= 0:  # a terminal that reports no size (0 × 0)
            columns, lines = self._fallback
        size = (max(columns, MIN_WIDTH), max(lines, MIN_HEIGHT))
        if size != self._size:
            self.console.size = size
            self._size = size
        return size

    def show(self, build: Callable[[int, int], RenderableType]) -> None:
        """Draw ``build(width, height)`` now, for the terminal's current size."""
        assert self._live is not None, "LiveScreen.show outside its with-block"
        self.wake.clear()
        width, height = self.size()
        self._live.update(build(width, height), refresh=True)


class Frame:
    """Pre-rendered lines: the body's (cropped to fit) above the footer's."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.segment import Segment

        for number, line in enumerate(self.lines):
            if number:
                yield Segment.line()
            yield from line


def frame(
    console: Console,
    width: int,
    height: int,
    body: Callable[[int | None], RenderableType],
    rows: int,
    footer: RenderableType,
    memo: dict[str, int] | None = None,
) -> Frame:
    """The screen for ``width`` × ``height``: ``body(n)`` with the most rows ``n ≤ rows`` that
    fit above ``footer`` (``body(None)`` would show every row), the footer always whole.

    The body's height grows with its rows. The first guess is the rows the last frame showed
    (``memo``, kept by the caller across frames), or every row, or as many as there are lines:
    in steady state it fits exactly and costs one render. Spare lines grow it, lines too many
    drop one row each (rows are usually one line), and taller rows fall back to a bisection."""
    options = console.options.update(width=width, height=None)
    footer_lines = console.render_lines(footer, options, pad=False)
    budget = max(height - len(footer_lines), 0)

    def lines_for(n: int) -> list[list[Segment]]:
        return console.render_lines(body(None if n >= rows else n), options, pad=False)

    guess = min(rows, budget, memo.get("rows", budget) if memo is not None else budget)
    best = lines_for(guess)
    if len(best) > budget and guess > 0:
        # rows are usually one line each: drop as many rows as there are lines too many
        guess = max(guess - (len(best) - budget), 0)
        best = lines_for(guess)
    if len(best) > budget and guess > 0:  # taller rows: the most in [0, guess - 1]
        guess, best = _most_that_fit(lines_for, budget, 0, guess - 1, lines_for(0))
    elif len(best) < budget and guess < rows:  # lines to spare: one more row per spare line
        grown = min(rows, guess + budget - len(best))
        candidate = lines_for(grown)
        if len(candidate) <= budget:
            guess, best = grown, candidate
        elif grown - 1 > guess:
            guess, best = _most_that_fit(lines_for, budget, guess, grown - 1, best)
    if memo is not None:
        memo["rows"] = guess
    return Frame(best[:budget] + footer_lines)


def _most_that_fit(
    lines_for: Callable[[int], list[list[Segment]]],
    budget: int,
    low: int,
    high: int,
    best: list[list[Segment]],
) -> tuple[int, list[list[Segment]]]:
    """Bisection: the largest n in [low, high] whose lines fit ``budget`` (``low`` if none
    does; ``best`` is ``lines_for(low)``)."""
    while low < high:
        middle = (low + high + 1) // 2
        candidate = lines_for(middle)
        if len(candidate) <= budget:
            low, best = middle, candidate
        else:
            high = middle - 1
    return low, best
