"""The exchange package is a leaf: importing every module of ``angelctl.exchange`` in a fresh
interpreter loads nothing of the client (broker, orders, risk, config, secrets, cli, render),
nothing of the sandbox, and neither Typer nor rich."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

FORBIDDEN = (
    "angelctl.broker",
    "angelctl.orders",
    "angelctl.risk",
    "angelctl.config",
    "angelctl.secrets",
    "angelctl.cli",
    "angelctl.render",
    "angelctl.sandbox",
    "typer",
    "rich",
)

SCRIPT = r"""
import importlib, json, pkgutil, sys
forbidden = tuple(json.loads(sys.argv[1]))

def offenders():
    return sorted(
        m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden)
    )

import angelctl.exchange
names = [m.name for m in pkgutil.walk_packages(angelctl.exchange.__path__, "angelctl.exchange.")]
for name in names:
    importlib.import_module(name)
calendar = importlib.import_module("angelctl.exchange.calendar").MarketCalendar.shipped()
before = offenders()
import angelctl.orders.market_hours  # the control: a client module does show up
print(json.dumps({"modules": names, "offenders": before, "control": offenders()}))
"""


def test_importing_the_exchange_package_loads_no_client_sandbox_typer_or_rich() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(FORBIDDEN)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {
        "angelctl.exchange.calendar",
        "angelctl.exchange.decision",
        "angelctl.exchange.holidays",
        "angelctl.exchange.nse_import",
        "angelctl.exchange.sessions",
    } <= set(result["modules"])
    assert result["offenders"] == []
    assert "angelctl.orders.market_hours" in result["control"]
    assert "angelctl.config" in result["control"]
