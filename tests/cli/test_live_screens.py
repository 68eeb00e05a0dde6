"""The live views as a person sees them: ``stream``, ``quote --watch`` and ``positions --watch``
on a real pseudo-terminal, read through a VT100 screen model (pyte) at 80 and 120 columns.

What is asserted is the screen: the alternate screen is entered and left, a resize (the pty's
size changed and SIGWINCH sent) is followed by a frame laid out for the new width with nothing
of the old one left, the status line is on screen at 80 columns with six symbols, order updates
read in words, and ``positions --watch`` shows the day's P&L and follows a fill. Every wait is
on screen content with a deadline, never a sleep.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from typing import Any

import pyte

from tests.conftest import REPO, admin, run_cli

SIX = ("SBIN", "RELIANCE", "INFY", "TCS", "ITC", "HDFCBANK")
SIX_SHOWN = tuple(f"{name}-EQ" for name in SIX)
ENTER_ALT, LEAVE_ALT = b"\x1b[?1049h", b"\x1b[?1049l"


class PtyScreen:
    """``python -m angelctl ARGS`` on a pseudo-terminal of ``columns`` × ``lines``, its output
    fed to a pyte screen of the same size. A context manager: leaving it kills the child."""

    def __init__(self, *args: str, columns: int, lines: int, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        pid, fd = pty.fork()
        if pid == 0:  # the child: angelctl on the terminal, sized before it starts
            try:
                os.chdir(REPO)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _set_size(0, columns, lines)
                os.execvpe(sys.executable, [sys.executable, "-m", "angelctl", *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.deadline = time.monotonic() + timeout
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.status: int | None = None

    def _pump(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0.0))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            return False
        self.raw += chunk
        self.stream.feed(chunk)
        return True

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, check: Callable[[PtyScreen], bool], what: str) -> None:
        while not check(self):
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never saw {what}; the screen:\n{self.text()}")
            if not self._pump(min(remaining, 0.5)):
                raise AssertionError(f"the terminal closed before {what}:\n{self.text()}")

    def resize(self, columns: int, lines: int) -> None:
        self.raw.clear()
        _set_size(self.fd, columns, lines)
        self.screen.resize(lines, columns)
        os.kill(self.pid, signal.SIGWINCH)

    def interrupt(self) -> None:
        os.kill(self.pid, signal.SIGINT)

    def exit_code(self) -> int:
        while time.monotonic() < self.deadline and self._pump(self.deadline - time.monotonic()):
            pass
        _, status = os.waitpid(self.pid, 0)
        self.status = status
        return os.waitstatus_to_exitcode(status)

    def __enter__(self) -> PtyScreen:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def _set_size(fd: int, columns: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def header(screen: PtyScreen, first: str = "symbol") -> list[str]:
    for line in screen.lines():
        words = line.split()
        if words[:1] == [first]:
            return words
    return []


def status_is_last(screen: PtyScreen, marker: str) -> bool:
    shown = [line for line in screen.lines() if line.strip()]
    return bool(shown) and marker in shown[-1]


# --- stream ------------------------------------------------------------------------------------

AT_120 = ["symbol", "LTP", "change", "%", "bid", "qty", "bid", "ask", "ask", "qty", "volume", "OI"]


def at_80(screen: PtyScreen) -> bool:
    """The 80-column layout: the book sizes and the sparkline hidden; change, bid/ask, OI kept."""
    words = header(screen)
    return (
        "qty" not in words
        and all(w in words for w in ("symbol", "LTP", "change", "bid", "ask", "OI"))
        and "last tick" in screen.text()
    )


def test_stream_uses_the_alternate_screen_and_a_resize_leaves_no_stale_frame(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    with PtyScreen("stream", *SIX, "--mode", "snap", columns=120, lines=30) as term:
        term.wait_for(
            lambda t: header(t)[:12] == AT_120 and "last tick" in t.text(), "the 120-column frame"
        )
        assert ENTER_ALT in term.raw
        term.resize(80, 24)
        term.wait_for(at_80, "an 80-column frame")
        text = term.text()
        # one frame, laid out for 80 columns, nothing of the 120-column one left over
        assert text.count("Live feed") == 1
        assert text.count("ticks/s") == 1
        assert all(text.count(f"{name} ") == 1 for name in SIX_SHOWN), text
        assert " qty" not in text.split("hidden")[0]
        columns = len(header(term))  # every row has a cell under every header: no old row
        rows = [line for line in term.lines() if line.split()[:1] and line.split()[0] in SIX_SHOWN]
        assert [len(row.split()) for row in rows] == [columns] * 6, rows
        assert max(len(line) for line in term.lines()) <= 80
        # change, bid/ask and OI outrank the sparkline at 80 columns
        assert "trend" in text.split("hidden to fit the terminal:")[1]
        term.resize(120, 30)
        term.wait_for(lambda t: header(t)[:12] == AT_120, "the 120-column frame again")
        assert term.text().count("Live feed") == 1
        term.interrupt()
        code = term.exit_code()
    assert code == 0
    assert LEAVE_ALT in term.raw
    assert "Stream summary" in term.text()  # printed on the normal screen, after leaving


def test_stream_keeps_its_status_line_at_80_columns_with_six_symbols_on_a_short_terminal(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    with PtyScreen("stream", *SIX, "--mode", "snap", columns=80, lines=12) as term:
        term.wait_for(lambda t: status_is_last(t, "last tick"), "the status line")
        text = term.text()
        assert re.search(r"connected · .*ticks/s · dropped 0 · last tick \d\d:\d\d:\d\d IST", text)
        assert re.search(r"\+\d more", text), text  # the table gave way, not the status line
        term.resize(80, 30)
        term.wait_for(
            lambda t: all(n in t.text() for n in SIX_SHOWN) and status_is_last(t, "last tick"),
            "every row once the terminal is taller",
        )
        term.interrupt()
        assert term.exit_code() == 0


def test_stream_default_quote_mode_shows_no_empty_book_or_oi_columns(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "config", feed_ticks_per_second=20)
    with PtyScreen("stream", "SBIN", "RELIANCE", columns=120, lines=20) as term:
        term.wait_for(lambda t: "last tick" in t.text() and header(t), "the quote-mode frame")
        assert header(term) == ["symbol", "LTP", "change", "%", "volume", "trend", "age"]
        term.interrupt()
        assert term.exit_code() == 0


def test_order_updates_read_in_words(sandbox: Any, sandbox_login: Any) -> None:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    with PtyScreen("stream", "SBIN", "--orders", columns=120, lines=40) as term:
        term.wait_for(lambda t: "no order updates yet" in t.text(), "the order-updates panel")
        placed = run_cli("order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes")
        assert placed.code == 0, placed.both
        order_id = re.findall(r"\d{15}", placed.out)[0]
        term.wait_for(
            lambda t: any(order_id in line and " open" in line for line in t.lines()),
            "the order's update in words",
        )
        assert not re.search(r"\bAB\d\d\b", term.text())
        term.interrupt()
        assert term.exit_code() == 0


# --- quote --watch -----------------------------------------------------------------------------


def test_quote_watch_with_six_symbols_keeps_its_status_line_at_80_columns(
    sandbox: Any, sandbox_login: Any
) -> None:
    with PtyScreen("quote", *SIX, "--watch", "1", columns=80, lines=24) as term:
        term.wait_for(lambda t: status_is_last(t, "IST"), "the status line at the bottom")
        assert ENTER_ALT in term.raw
        assert re.search(r"updated \d\d:\d\d:\d\d IST", term.text())
        assert "Quotes (FULL)" in term.text()
        term.resize(120, 24)
        term.wait_for(lambda t: status_is_last(t, "Ctrl-C to stop"), "the status at 120 columns")
        assert term.text().count("Quotes (FULL)") == 1
        term.interrupt()
        assert term.exit_code() == 0
    assert LEAVE_ALT in term.raw


# --- positions --watch -------------------------------------------------------------------------


def test_positions_watch_shows_the_day_pnl_and_follows_a_fill(
    sandbox: Any, sandbox_login: Any
) -> None:
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    with PtyScreen("positions", "--watch", "1", columns=80, lines=30) as term:
        term.wait_for(lambda t: "No positions." in t.text(), "the empty book")
        assert ENTER_ALT in term.raw
        assert status_is_last(term, "Ctrl-C") or status_is_last(term, "IST")
        placed = run_cli("order", "place", "BUY", "SBIN", "--qty", "2", "--price", "800", "--yes")
        assert placed.code == 0, placed.both
        term.wait_for(lambda t: "NSE:SBIN-EQ" in t.text(), "the position after the fill")
        admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="810")
        term.wait_for(lambda t: "+₹20.00" in t.text(), "2 × ₹10 of unrealised profit")
        summary = next(line for line in term.lines() if line.split()[:1] == ["NSE"])
        assert summary.split() == ["NSE", "1", "₹0.00", "+₹20.00", "+₹20.00"]
        assert re.search(r"positions \d\d:\d\d:\d\d IST · every 1 s · feed", term.text())
        term.resize(120, 30)
        term.wait_for(lambda t: "realised" in header(t, "symbol"), "the 120-column table")
        assert term.text().count("Day P&L") == 1
        term.interrupt()
        assert term.exit_code() == 0
    assert LEAVE_ALT in term.raw
