"""trades, positions [--all] [--watch SECONDS] (the callback of the ``positions`` group,
``cli.positions_cmd``), holdings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from angelctl.cli.common import (
    IterationsOpt,
    open_session,
    output,
    profile_settings,
    seconds,
)

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession

T = TypeVar("T")


def _fetch(ctx: typer.Context, fetch: Callable[[BrokerSession], T]) -> tuple[str, T]:
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        return settings.name, fetch(session)
    finally:
        session.rest.close()


def trades(ctx: typer.Context) -> None:
    """The day's fills (getTradeBook)."""
    from angelctl.broker.trades import fetch_trades

    out = output(ctx)
    profile, rows = _fetch(ctx, fetch_trades)
    if out.json_mode:
        out.json({"profile": profile, "trades": [t.as_dict() for t in rows]})
        return
    from angelctl.render.portfolio import trades_table

    out.show(trades_table(rows))


def positions(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Include flat (closed) positions.")
    ] = False,
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            "-w",
            metavar="SECONDS",
            parser=seconds("--watch", 1.0, 86_400),
            help=(
                "Keep the positions and the day's P&L on screen: re-read them every SECONDS "
                "(at least 1, the broker's getPosition limit) and mark open positions to live "
                "prices from the market feed in between (NDJSON snapshots with --json)."
            ),
            show_default=False,
        ),
    ] = None,
    iterations: IterationsOpt = None,
) -> None:
    """Net and day positions with realised, unrealised and total P&L (getPosition), and the
    day's P&L by segment under them."""
    if ctx.invoked_subcommand is not None:
        return  # `positions convert`: this is its group's callback (``cli.positions_cmd``)
    from angelctl.broker.portfolio import fetch_positions, position_totals
    from angelctl.portfolio_pnl import day_pnl

    out = output(ctx)
    if watch is not None:
        _watch_positions(ctx, watch, show_all, iterations)
        return
    profile, rows = _fetch(ctx, fetch_positions)
    totals = position_totals(rows)
    if out.json_mode:
        shown = [p for p in rows if show_all or p.is_open]
        out.json(
            {
                "profile": profile,
                "positions": [p.as_dict() for p in shown],
                "totals": totals.as_dict(),
                "day_pnl": day_pnl(rows).as_dict(),
            }
        )
        return
    from angelctl.render.pnl import pnl_line
    from angelctl.render.portfolio import positions_table

    out.show(positions_table(rows, totals, show_flat=show_all))
    if rows:
        out.show(pnl_line(day_pnl(rows)))


def _watch_positions(
    ctx: typer.Context, interval: float, show_all: bool, iterations: int | None
) -> None:
    from angelctl.cli.positions_watch import watch_positions

    out = output(ctx)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        watch_positions(
            out, session, settings.name, interval, show_flat=show_all, iterations=iterations
        )
    finally:
        session.rest.close()


def holdings(ctx: typer.Context) -> None:
    """Demat holdings with P&L and the account totals (getAllHolding)."""
    from angelctl.broker.portfolio import fetch_holdings

    out = output(ctx)
    profile, result = _fetch(ctx, fetch_holdings)
    if out.json_mode:
        out.json(
            {
                "profile": profile,
                "holdings": [h.as_dict() for h in result.rows],
                "totals": result.totals.as_dict(),
            }
        )
        return
    from angelctl.render.portfolio import holdings_table

    out.show(holdings_table(result))
