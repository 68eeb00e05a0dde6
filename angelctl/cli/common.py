"""Shared plumbing for command modules: the typed context, output, profile and session."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

# Options shared by the order-entry commands (order place, gtt create, killswitch …).
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
QtyOpt = Annotated[int | None, typer.Option("--qty", help="Quantity in units.", show_default=False)]
LotsOpt = Annotated[
    int | None, typer.Option("--lots", help="Quantity in lots.", show_default=False)
]
ProductOpt = Annotated[
    str | None,
    typer.Option(
        "--product",
        help="DELIVERY (CNC), CARRYFORWARD (NRML), INTRADAY (MIS), MARGIN; "
        "default DELIVERY for cash, CARRYFORWARD for F&O.",
        show_default=False,
    ),
]
DisclosedOpt = Annotated[int, typer.Option("--disclosed", help="Disclosed quantity.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check and show; send nothing.")]

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession
    from angelctl.cli.app import AppContext
    from angelctl.config import ConfigFile, ProfileSettings
    from angelctl.render.output import Output


def app_ctx(ctx: typer.Context) -> AppContext:
    from angelctl.cli.app import AppContext

    root = ctx.find_root()
    obj = root.obj
    return obj if isinstance(obj, AppContext) else AppContext()


def output(ctx: typer.Context) -> Output:
    from angelctl.clock import announce_waits
    from angelctl.render.output import Output

    actx = app_ctx(ctx)
    announce_waits(not actx.quiet)  # the "waiting 3.2 s for …" notices are diagnostics too
    return Output(json_mode=actx.json, quiet=actx.quiet)


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
        cfg = load_config_file()
        name = selected_profile_name(actx.profile, cfg)
        cached = (cfg, resolve_profile(cfg, name, require_existing=require_existing))
        actx.settings_cache[require_existing] = cached
    return cached


def open_session(settings: ProfileSettings, **kwargs: Any) -> BrokerSession:
    from angelctl.broker.api import build_session

    return build_session(settings, **kwargs)


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False
