"""``angelctl killswitch --drill SCENARIO``: rehearse the kill on a private sandbox.

Reads the scenario (``drill.scenario``), hosts the drill (``cli.drill_host``: a private sandbox
on simulated time, a temporary home) and shows the report (``render.drill``) or prints it as
``killswitch.drill/1``. Nothing of the operator's is touched: no confirmation is asked because
no latch is written and nothing is sent to the operator's broker. Exit 0 when the sandbox's books
show the scope flat, 15 (NOT_FLAT) otherwise, 2 for a bad scenario.
"""

from __future__ import annotations

from pathlib import Path

import typer

from angelctl.cli.common import output

SCHEMA = "killswitch.drill/1"


def run_drill_command(
    ctx: typer.Context, scenario_path: Path, seed: int | None, recording: Path | None
) -> None:
    from angelctl.cli.drill_host import host_drill
    from angelctl.drill.scenario import load_scenario
    from angelctl.render.drill import render_drill
    from angelctl.status import ExitStatus

    out = output(ctx)
    scenario = load_scenario(scenario_path).with_seed(seed)
    if not out.json_mode and not out.quiet:
        out.notice(f"Drill {scenario.name}: a private sandbox on simulated time; nothing real.")
    report = host_drill(scenario, recording=recording)
    status = ExitStatus.OK if report.flat else ExitStatus.NOT_FLAT
    if out.json_mode:
        out.schema = SCHEMA
        out.json({**report.as_dict(), "exit_status": int(status)})
    else:
        out.show(render_drill(report.as_dict()))
    if status != ExitStatus.OK:
        raise typer.Exit(int(status))
