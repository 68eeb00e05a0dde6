"""doctor: what is set up, what works, and which credential path a cron job would use."""

from __future__ import annotations

from typing import Annotated

import typer

from angelctl.cli.common import app_ctx, output


def doctor(
    ctx: typer.Context,
    offline: Annotated[
        bool, typer.Option("--offline", help="Make no network connection at all.")
    ] = False,
) -> None:
    """Check config, keyring, session, clock skew, reachability and the static IP."""
    from angelctl.diagnose import run_checks

    out = output(ctx)
    report = run_checks(app_ctx(ctx).profile, offline=offline)
    if out.json_mode:
        out.json(report.as_dict())
    else:
        from angelctl.render.tables import checks_view

        out.show(checks_view(report.checks))
    if report.exit_status:
        raise typer.Exit(int(report.exit_status))
