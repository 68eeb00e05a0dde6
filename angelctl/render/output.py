"""The ``Output`` object every command writes through.

``show`` draws a view through rich on a terminal; off a terminal a ``render.view`` model is
written as plain text and rich is never imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import field
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

from angelctl.records import record

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


@runtime_checkable
class Viewable(Protocol):
    """What ``render.view`` models offer: their text as plain lines."""

    def plain_lines(self) -> list[str]: ...


def to_jsonable(value: Any) -> Any:
    decimal = sys.modules.get("decimal")  # no Decimal can exist unless decimal was imported
    if decimal is not None and isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


@record(frozen=False)
class Output:
    """``schema`` names the command's JSON documents (``render.contract``); ``json`` wraps each
    in the envelope."""

    json_mode: bool = False
    quiet: bool = False
    schema: str = "angelctl/1"
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    _console: Console | None = None
    _err_console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, no_color=_no_color(), highlight=False)
            # rich would exit 1 on a closed pipe; a method replaced on this one console
            self._console.on_broken_pipe = _reraise_broken_pipe  # type: ignore[method-assign]
        return self._console

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            from rich.console import Console

            self._err_console = Console(file=self.stderr, no_color=_no_color(), highlight=False)
        return self._err_console

    def json(self, document: Any) -> None:
        from angelctl.render.contract import envelope

        with _closed_pipe_is_not_an_error():
            wrapped = envelope(self.schema, to_jsonable(document))
            self.stdout.write(json.dumps(wrapped, indent=None) + "\n")
            self.stdout.flush()

    def show(self, renderable: RenderableType | Viewable) -> None:
        """A view on stdout: through rich on a terminal; a ``render.view`` model off a terminal
        as plain aligned text (no box, no colour, full width), without importing rich."""
        if isinstance(renderable, Viewable) and not self.is_terminal():
            self.line("\n".join(renderable.plain_lines()))
            return
        with _closed_pipe_is_not_an_error():
            self.console.print(renderable)

    def is_terminal(self) -> bool:
        try:
            return bool(self.stdout.isatty())
        except (ValueError, OSError):
            return False

    def line(self, text: str) -> None:
        """Plain data line on stdout (no markup interpretation)."""
        with _closed_pipe_is_not_an_error():
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def notice(self, text: str) -> None:
        """A diagnostic on stderr; silenced by --quiet."""
        if not self.quiet:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    def warn(self, text: str) -> None:
        self.stderr.write(f"warning: {text}\n")
        self.stderr.flush()


@contextlib.contextmanager
def _closed_pipe_is_not_an_error() -> Iterator[None]:
    """`angelctl … | head -1`: the reader left; stop quietly with exit 0 (EPIPE)."""
    try:
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
        import typer

        raise typer.Exit(0) from None


def _reraise_broken_pipe() -> None:
    raise BrokenPipeError


def _no_color() -> bool:
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
