"""What one run of the CLI gets from the world: its clock, its streams and the terminal's facts.

``cli.app.run(argv, env)`` runs the command line in an ``Environment``; without one it is the
process's (``Environment.of_process()``: the system clock, ``sys`` streams). Every command
takes time only from ``environment().clock`` (sessions, the journal, order-book read times, the
kill switch and the guard), so a test or a drill runs the real CLI on a controlled clock — one
whose ``sleep`` moves time forward instead of waiting, or one stepped by hours — without
touching the process's time.

Invariant: the environment is set for exactly the duration of ``run`` (a context variable), and
code outside a run sees the process's environment.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TextIO

from angelctl.clock import Clock, SystemClock
from angelctl.records import record


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False


@record
class Environment:
    clock: Clock
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool
    stdout_isatty: bool
    columns: int  # the terminal's width (COLUMNS, else the terminal's, else 80)

    @classmethod
    def of_process(cls, clock: Clock | None = None) -> Environment:
        """This process's streams as they are now (a test's redirection included)."""
        return cls(
            clock=clock or SystemClock(),
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            columns=shutil.get_terminal_size((80, 24)).columns,
        )


_current: ContextVar[Environment | None] = ContextVar("angelctl_environment", default=None)


def environment() -> Environment:
    """The environment of the run in progress (the process's outside a run)."""
    return _current.get() or Environment.of_process()


@contextlib.contextmanager
def running_in(env: Environment) -> Iterator[Environment]:
    token = _current.set(env)
    try:
        yield env
    finally:
        _current.reset(token)
