"""Every command's ``--json`` once, against the sandbox, in one trading day: each document
keeps the envelope and validates against its schema file (``run_cli`` checks every ``--json``
run; see tests/json_contract.py). The figure of issue 15: 100 % of the commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests import json_contract
from tests.cli.test_json_contract import _leaf_commands
from tests.conftest import REPO, admin, run_cli, run_cli_process

HOLIDAYS = {
    "CM": [{"tradingDate": "26-Jan-2027", "weekDay": "Tuesday", "description": "Republic Day"}],
    "FO": [{"tradingDate": "26-Jan-2027", "weekDay": "Tuesday", "description": "Republic Day"}],
}


DRILLS = REPO / "angelctl" / "drills"


def _ok(ran: dict[str, Any], *args: str, code: int = 0, name: str | None = None) -> Any:
    result = run_cli(*args, "--json")
    assert result.code == code, (args, result.both)
    document = json_contract.documents(result.out)[-1]
    ran[document["schema"].partition("/")[0]] = document
    if name is not None:
        assert document["schema"].startswith(name + "/")
    return document


def _served(ran: dict[str, Any]) -> None:
    """``sandbox serve --json`` prints one ready line; ``sandbox demo --json`` one document."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "angelctl", "sandbox", "serve", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        json_contract.check(line)
        ran["sandbox.serve"] = json.loads(line)
    finally:
        proc.kill()
        proc.wait()
    demo = run_cli_process("sandbox", "demo", "--json")
    assert demo.code == 0, demo.both
    ran["sandbox.demo"] = demo.json()


def test_every_command_prints_a_document_its_schema_accepts(
    sandbox: Any, sandbox_login: Any, tmp_path: Path
) -> None:
    ran: dict[str, Any] = {"login": sandbox_login.json()}
    admin(sandbox, "POST", "market/freeze", frozen=True)
    admin(sandbox, "POST", "market/price", exch_seg="NSE", token="3045", ltp="800")
    for args in (
        ["whoami"], ["funds"], ["doctor"], ["config", "path"], ["config", "show"],
        ["config", "set", "read_timeout", "12"], ["instruments", "sync"],
        ["instruments", "search", "NIFTY"], ["instruments", "show", "SBIN"],
        ["instruments", "info"], ["quote", "SBIN"],
        ["candles", "SBIN", "-i", "1h", "--from", "2026-03-02", "--to", "2026-03-03"],
        ["calendar"], ["calendar", "status"],
        ["calendar", "holidays"], ["stream", "SBIN", "--count", "2"],
        ["chain", "NIFTY", "--strikes", "2"],
        ["margin", "BUY", "SBIN", "--qty", "2", "--charges"],
    ):  # fmt: skip
        _ok(ran, *args)
    placed = _ok(ran, "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes")
    order_id = placed["orders"][0]["order_id"]
    for args in (
        ["order", "list"], ["order", "show", order_id], ["order", "status", order_id],
        ["order", "modify", order_id, "--price", "791", "--yes"],
        ["order", "cancel", order_id, "--yes"],
        ["order", "place", "BUY", "SBIN", "--qty", "1", "--price", "801", "--yes"],
        ["trades"], ["positions"], ["holdings"], ["reconcile"], ["journal"],
        ["journal", "prune", "--before", "2026-01-01", "--yes"],
    ):  # fmt: skip
        _ok(ran, *args)
    _ok(ran, "order", "place", "BUY", "SBIN", "--qty", "2", "--price", "801", "--product",
        "INTRADAY", "--yes")  # fmt: skip
    _ok(ran, "positions", "convert", "SBIN", "--from", "INTRADAY", "--to", "DELIVERY", "--yes")
    rule = _ok(ran, "gtt", "create", "SELL", "SBIN", "--qty", "1", "--trigger", "840",
               "--price", "839", "--yes")["id"]  # fmt: skip
    for args in (
        ["gtt", "list"], ["gtt", "show", str(rule)],
        ["gtt", "modify", str(rule), "--price", "838", "--trigger", "839", "--yes"],
        ["gtt", "cancel", str(rule), "--yes"],
        ["config", "set", "profiles.sandbox.risk.max_daily_loss", "5000"],
        ["guard", "--once"], ["killswitch", "status"],
    ):  # fmt: skip
        _ok(ran, *args)
    _ok(ran, "killswitch", "--yes", "--reason", "drill")
    _ok(ran, "kill", "status", name="killswitch.status")
    _ok(ran, "killswitch", "reset", "--yes", "--reason", "drill over")
    _ok(ran, "killswitch", "--drill", str(DRILLS / "calm-index-options.toml"),
        name="killswitch.drill")  # fmt: skip
    holidays = tmp_path / "nse.json"
    holidays.write_text(json.dumps(HOLIDAYS), encoding="utf-8")
    _ok(ran, "calendar", "update", str(holidays))
    run_cli("sandbox", "fault", "clear")  # the profile's admin token comes from the login
    _ok(ran, "sandbox", "fault", "set", "http_5xx:status=503,count=1,route=getProfile")
    _ok(ran, "sandbox", "fault", "list")
    _ok(ran, "sandbox", "fault", "clear")
    _ok(ran, "logout")
    _served(ran)
    assert sorted(set(_leaf_commands()) - set(ran)) == []
