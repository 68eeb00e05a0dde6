"""trades, positions [--all], holdings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from angelctl.cli.common import open_session, output, profile_settings

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
    from angelctl.broker.orders import fetch_trades

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
) -> None:
    """Net and day positions with realised, unrealised and total P&L (getPosition)."""
    from angelctl.broker.portfolio import fetch_positions, position_totals

    out = output(ctx)
    profile, rows = _fetch(ctx, fetch_positions)
    totals = position_totals(rows)
    if out.json_mode:
        shown = [p for p in rows if show_all or p.is_open]
        out.json(
            {
                "profile": profile,
                "positions": [p.as_dict() for p in shown],
                "totals": totals.as_dict(),
            }
        )
        return
    from angelctl.render.portfolio import positions_table

    out.show(positions_table(rows, totals, show_flat=show_all))


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
