"""Hosting a drill: the private sandbox on simulated time, its market source, a temporary home.

``host_drill(scenario, recording=None, folder=None)`` builds the sandbox's config from the
scenario (seed, modelled request latency, a second client's account), lets the market source
shape it, starts the server on the drill's simulated clock (``clock.ManualClock``; loopback,
a port of its own), runs ``drill.run.run_drill`` against it and stops it. Without ``folder``
every file lives in a fresh temporary folder that is removed afterwards.

The market source: ``SyntheticMarket`` (the sandbox's seeded price model, the default) or
``RecordingMarket`` (a recording of real feed frames, ``stream --record``, or a packaged one such
as ``banknifty-sample``), which the sandbox replays as ``sandbox serve --replay`` does — at
speed 1 on the drill's simulated clock, so the replayed prices depend on simulated time only and
a drill on a recording repeats exactly too. A recording that cannot be read is refused before
the sandbox starts.

This module is in the shell because it hosts the sandbox (the client's core never imports it).
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, time
from pathlib import Path
from typing import Protocol

from angelctl.clock import ManualClock
from angelctl.drill.report import DrillReport
from angelctl.drill.run import SandboxHandle, run_drill
from angelctl.drill.scenario import Scenario
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.engine.replay import ReplaySource
from angelctl.secrets import Secret

OTHER_CLIENT = "SBX0002"


class MarketSource(Protocol):
    """Where the private sandbox's prices come from."""

    @property
    def label(self) -> str:
        """For the report: ``synthetic (seed N)``, ``recording FILE``."""
        ...

    def configure(self, config: SandboxConfig) -> SandboxConfig:
        """The sandbox config with this market in it (refuse with ``UsageError`` if unable)."""
        ...

    def replay(self) -> ReplaySource | None:
        """The recording the sandbox replays (None: its own price model)."""
        ...


@dataclasses.dataclass(frozen=True)
class SyntheticMarket:
    """The sandbox's seeded, mean-reverting price model."""

    seed: int
    step_bps: float | None = None

    @property
    def label(self) -> str:
        return f"synthetic (seed {self.seed})"

    def configure(self, config: SandboxConfig) -> SandboxConfig:
        config = dataclasses.replace(config, market_seed=self.seed)
        if self.step_bps is not None:
            config = dataclasses.replace(config, market_step_bps=self.step_bps)
        return config

    def replay(self) -> ReplaySource | None:
        return None


@dataclasses.dataclass(frozen=True)
class RecordingMarket:
    """A recording of real feed frames (``stream --record``), replayed from ``start`` (HH:MM)."""

    path: Path
    start: str | None = None

    @property
    def label(self) -> str:
        return f"recording {self.path.name}" + (f" from {self.start}" if self.start else "")

    def configure(self, config: SandboxConfig) -> SandboxConfig:
        return config  # the server reads the recording as it is made, before it binds a port

    def replay(self) -> ReplaySource:
        start = None
        if self.start is not None:
            hours, minutes = self.start.split(":")
            start = time(int(hours), int(minutes))
        return ReplaySource(self.path, speed=1.0, start=start)


def market_source(scenario: Scenario, recording: Path | None = None) -> MarketSource:
    """``--recording`` beats the scenario's ``market.recording``; else the seeded market."""
    path = recording or scenario.recording
    if path is not None:
        return RecordingMarket(path, scenario.recording_from)
    return SyntheticMarket(scenario.seed, scenario.step_bps)


def sandbox_config(scenario: Scenario, source: MarketSource) -> SandboxConfig:
    base = SandboxConfig()
    other = dataclasses.replace(
        base.demo,
        client_code=OTHER_CLIENT,
        api_key="sandbox-api-key-2",
        name="Second Client",
        holdings=(),
    )
    config = dataclasses.replace(
        base,
        port=0,
        extra_accounts=[other],
        simulated_latency_ms=scenario.latency_ms,
    )
    return source.configure(config)


def host_drill(
    scenario: Scenario, *, recording: Path | None = None, folder: Path | None = None
) -> DrillReport:
    """Run one drill on a private sandbox; every file under ``folder`` (or a temporary one)."""
    from angelctl.sandbox.server import SandboxServer

    source = market_source(scenario, recording)
    config = sandbox_config(scenario, source)
    clock = ManualClock(scenario.start.astimezone(UTC))  # shared by the sandbox and the kill
    with tempfile.TemporaryDirectory(prefix="angelctl-drill-") as temporary:
        home = folder or Path(temporary)
        with SandboxServer(config, clock=clock, replay=source.replay()) as server:
            handle = SandboxHandle(
                api_url=server.rest_url,
                admin_token=Secret(server.admin_token),
                demo=server.engine.demo_account(),
                other_client=OTHER_CLIENT,
                market=source.label,
            )
            return run_drill(scenario, handle, clock, home)
