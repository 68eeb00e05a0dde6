"""Shared plumbing for command modules: the typed context, output, profile and session."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.completion import complete_product
from angelctl.cli.environment import environment

# The largest quantity, in units or lots, an order-entry option takes (numbers.MAX_UNITS; not
# imported here so that loading a command does not load the number parsers).
MAX_UNITS = 100_000_000


def whole(flag: str, low: int, high: int) -> Callable[[str | int], int]:
    """A Typer ``parser`` for a whole-number option: ASCII digits only, ``low``..``high``.

    Click's own ``int`` takes full-width digits, underscores and numbers too large for SQLite
    or C; this refuses them with a usage error (exit 2)."""

    def parse(value: str | int) -> int:
        from angelctl.numbers import parse_whole

        return parse_whole(value, flag, low=low, high=high)

    parse.__name__ = "integer"
    return parse


def seconds(flag: str, low: float, high: float) -> Callable[[str | float], float]:
    """A Typer ``parser`` for a duration option: a plain decimal, finite, ``low``..``high``."""

    def parse(value: str | float) -> float:
        from angelctl.numbers import parse_seconds

        return parse_seconds(value, flag, low=low, high=high)

    parse.__name__ = "seconds"
    return parse


# Options shared by the order-entry commands (order place, gtt create, killswitch …).
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
QtyOpt = Annotated[
    int | None,
    typer.Option(
        "--qty",
        help="Quantity in units.",
        show_default=False,
        metavar="INTEGER",
        parser=whole("--qty", 1, MAX_UNITS),
    ),
]
LotsOpt = Annotated[
    int | None,
    typer.Option(
        "--lots",
        help="Quantity in lots.",
        show_default=False,
        metavar="INTEGER",
        parser=whole("--lots", 1, MAX_UNITS),
    ),
]
ProductOpt = Annotated[
    str | None,
    typer.Option(
        "--product",
        help="DELIVERY (CNC), CARRYFORWARD (NRML), INTRADAY (MIS), MARGIN; "
        "default DELIVERY for cash, CARRYFORWARD for F&O.",
        show_default=False,
        autocompletion=complete_product,
    ),
]
DisclosedOpt = Annotated[
    int,
    typer.Option(
        "--disclosed",
        help="Disclosed quantity.",
        metavar="INTEGER",
        parser=whole("--disclosed", 0, MAX_UNITS),
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check and show; send nothing.")]
# A watch's hidden stop (tests, scripts): after N refreshes.
IterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--iterations",
        hidden=True,
        metavar="N",
        parser=whole("--iterations", 1, 1_000_000),
        help="Stop after N refreshes.",
    ),
]

if TYPE_CHECKING:
    from rich.text import Text

    from angelctl.broker.session import BrokerSession
    from angelctl.cli.app import AppContext
    from angelctl.clock import Clock
    from angelctl.config import ConfigFile, ProfileSettings
    from angelctl.render.output import Output


def app_ctx(ctx: typer.Context) -> AppContext:
    from angelctl.cli.app import AppContext

    root = ctx.find_root()
    obj = root.obj
    return obj if isinstance(obj, AppContext) else AppContext()


def output(ctx: typer.Context) -> Output:
    from angelctl.clock import announce_waits
    from angelctl.render.contract import schema_id, schema_name
    from angelctl.render.output import Output

    actx = app_ctx(ctx)
    announce_waits(not actx.quiet)  # the "waiting 3.2 s for …" notices are diagnostics too
    env = actx.env
    return Output(
        json_mode=actx.json,
        quiet=actx.quiet,
        schema=schema_id(schema_name(ctx.command_path)),
        stdout=env.stdout,
        stderr=env.stderr,
    )


def profile_settings(
    ctx: typer.Context, *, require_existing: bool = True
) -> tuple[ConfigFile, ProfileSettings]:
    """The config file and the selected profile, read once per invocation.

    ``require_existing=False`` also accepts a profile the file does not define yet (commands
    that work without one: instruments, calendar).
    """
    from angelctl.config import load_config_file, resolve_profile, selected_profile_name

    actx = app_ctx(ctx)
    cached = actx.settings_cache.get(require_existing)
    if cached is None:
        from angelctl.cli.hints import remember

        cfg = load_config_file()
        name = selected_profile_name(actx.profile, cfg)
        remember(name, from_command_line=bool(actx.profile))
        cached = (cfg, resolve_profile(cfg, name, require_existing=require_existing))
        actx.settings_cache[require_existing] = cached
    return cached


def open_session(settings: ProfileSettings, **kwargs: Any) -> BrokerSession:
    """A session on the run's clock (``cli.environment``) unless ``clock`` is given."""
    from angelctl.broker.api import build_session

    kwargs.setdefault("clock", environment().clock)
    return build_session(settings, **kwargs)


def clock() -> Clock:
    """The run's clock: every read time, journal stamp and wait of a command comes from it."""
    return environment().clock


def confirm(
    out: Output,
    summary: str | Text,
    *,
    yes: bool,
    question: str = "Send it?",
    refusing: str = "refusing to act on orders without confirmation",
    script_hint: str = "pass --yes in scripts (nothing was sent)",
    declined: str = "declined: nothing was sent",
) -> None:
    """The one confirmation every command that sends, latches or clears something asks.

    ``--yes`` skips it; without a terminal it is a usage error (exit 2, nothing prompts); on a
    terminal it shows ``summary`` and asks ``question`` on stderr. "No" (the default) raises
    ``Declined``: exit 18 with one line saying nothing was sent."""
    from angelctl.errors import Declined, UsageError

    if yes:
        return
    if not stdin_is_tty():
        raise UsageError(refusing, hint=script_hint)
    out.err_console.print(summary, markup=False)  # symbols and tags are text, never markup
    if not typer.confirm(question, default=False, err=True):
        raise Declined(declined)


def done(out: Output, sentence: str, *ids: str) -> None:
    """What a write reports when it is done: ``sentence`` on stdout; under ``--quiet`` only
    the ids it made or touched, one a line (what a script captures), or nothing."""
    if not out.quiet:
        out.line(sentence)
    else:
        for ident in ids:
            out.line(ident)


def stdin_is_tty() -> bool:
    return environment().stdin_isatty


@contextlib.contextmanager
def stopped_like_ctrl_c() -> Iterator[None]:
    """Inside it, SIGTERM (a supervisor's stop) and SIGHUP (a closed terminal) end a
    long-running view as Ctrl-C does: its ``except KeyboardInterrupt`` path runs (a recording
    flushed and closed, the alternate screen left, the summary), instead of Python dying at
    once. The handler only raises: it takes no lock and writes nothing. Main thread only;
    the previous handlers come back on the way out."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
