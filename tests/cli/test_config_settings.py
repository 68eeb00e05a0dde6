"""Settings you can see and set (issue 15 item 5): `config show` lists every effective setting
with its source, `config set` takes every key in its canonical and its short form, and
`calendar status` reports the market-hours policy the order checks really apply."""

from __future__ import annotations

import os
from typing import Any

import pyte

from angelctl.config import config_path
from angelctl.status import ExitStatus
from tests.conftest import Result, Terminal

CONFIG = """\
default_profile = "main"

[profiles.main]
environment = "sandbox"
client_code = "A12345"

[profiles.main.risk]
max_daily_loss = 5000

[profiles.main.rate_limits]
placeOrder = "5/s, 100/min"

[freeze_qty]
NIFTY = 1800
"""


def _write(text: str = CONFIG) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _entries(result: Result) -> dict[str, dict[str, Any]]:
    assert result.code == 0, result.both
    return {e["key"]: e for e in result.json()["entries"]}


def test_show_json_lists_every_setting_with_its_source(cli: Any, monkeypatch: Any) -> None:
    _write()
    monkeypatch.setenv("ANGELCTL_API_URL", "http://127.0.0.1:9")
    entries = _entries(cli("config", "show", "--json"))
    path = str(config_path())
    assert entries["profile"] == {
        "key": "profile", "name": "default_profile", "value": "main", "source": "file",
        "path": path, "section": "default_profile",
    }  # fmt: skip
    assert entries["client_code"]["source"] == "file"
    assert entries["client_code"]["section"] == "profiles.main"
    assert entries["api_url"] == {
        "key": "api_url", "name": "profiles.main.api_url", "value": "http://127.0.0.1:9",
        "source": "env", "variable": "ANGELCTL_API_URL",
    }  # fmt: skip
    assert entries["read_timeout"]["source"] == "default"
    risk = entries["risk.max_daily_loss"]
    assert (risk["value"], risk["source"], risk["section"]) == (5000, "file", "profiles.main.risk")
    assert risk["name"] == "profiles.main.risk.max_daily_loss"
    assert entries["risk.collar_percent"] == {
        "key": "risk.collar_percent", "name": "profiles.main.risk.collar_percent", "value": 5,
        "source": "default",
    }  # fmt: skip
    assert entries["risk.market_orders"]["value"] == "refuse"
    assert entries["risk.max_quantity"]["value"] is None  # no cap
    assert entries["market_hours.policy"]["value"] == "allow"  # a sandbox profile's default
    assert entries["market_hours.amo_windows.NFO"]["value"] == "15:45-09:10"
    assert entries["rate_limits.placeOrder"]["value"] == "5/s, 100/min"
    assert entries["rate_limits.placeOrder"]["source"] == "file"
    assert entries["rate_limits.getOrderBook"] == {
        "key": "rate_limits.getOrderBook", "name": "profiles.main.rate_limits.getOrderBook",
        "value": "1/s", "source": "default",
    }  # fmt: skip
    assert entries["freeze_qty.NIFTY"]["value"] == 1800
    assert entries["freeze_qty.NIFTY"]["section"] == "freeze_qty"


def test_the_profile_chosen_on_the_command_line_says_so(cli: Any, monkeypatch: Any) -> None:
    _write(CONFIG + '\n[profiles.other]\nenvironment = "live"\n')
    chosen = _entries(cli("config", "show", "--json", "--profile", "other"))["profile"]
    assert (chosen["value"], chosen["source"], chosen["option"]) == (
        "other",
        "command_line",
        "--profile",
    )
    monkeypatch.setenv("ANGELCTL_PROFILE", "other")
    by_env = _entries(cli("config", "show", "--json"))
    assert by_env["profile"]["source"] == "env"
    assert by_env["market_hours.policy"]["value"] == "refuse"  # a live profile's default


def test_show_at_80_columns_has_every_section_and_no_line_wider(monkeypatch: Any) -> None:
    """On a real 80-column terminal nothing is wider than the screen (long values fold)."""
    _write()
    monkeypatch.setenv("COLUMNS", "80")
    screen = pyte.Screen(80, 200)
    with Terminal("config", "show") as term:
        pyte.ByteStream(screen).feed(term.read_to_end())
        assert term.exit_code() == 0
    lines = [line.rstrip() for line in screen.display if line.strip()]
    for header in (
        "[profiles.main]",
        "[profiles.main.risk]",
        "[profiles.main.market_hours]",
        "[profiles.main.market_hours.amo_windows]  (times in IST)",
        "[profiles.main.rate_limits]",
        "[freeze_qty]",
    ):
        assert header in lines, header
    row = next(line for line in lines if line.strip().startswith("max_daily_loss"))
    assert row.split() == ["max_daily_loss", "5000", "(file)"]
    row = next(line for line in lines if line.strip().startswith("placeOrder"))
    assert row.split() == ["placeOrder", "5/s,", "100/min", "(file)"]
    assert any(line.split() == ["collar_percent", "5", "(default)"] for line in lines)


def test_show_piped_is_plain_and_whole(cli: Any, monkeypatch: Any) -> None:
    """Piped, every setting is one line in full, whatever the terminal width says."""
    _write()
    monkeypatch.setenv("COLUMNS", "40")
    shown = cli("config", "show")
    assert shown.code == 0, shown.both
    lines = shown.out.splitlines()
    assert any(line.split() == ["max_daily_loss", "5000", "(file)"] for line in lines)
    url = next(line for line in lines if line.strip().startswith("instruments_url"))
    assert url.split()[1].startswith("http") and url.split()[1].endswith(".json")
    assert "─" not in shown.out and "\x1b" not in shown.out


def _set(cli: Any, *args: str) -> Result:
    result: Result = cli("config", "set", *args, "--json")
    assert result.code == 0, result.both
    return result


def test_set_takes_short_and_canonical_keys_and_echoes_the_canonical_one(cli: Any) -> None:
    _write()
    assert _set(cli, "market_orders", "protect").json()["key"] == "profiles.main.risk.market_orders"
    assert _set(cli, "risk.collar_percent", "2.5").json()["key"] == (
        "profiles.main.risk.collar_percent"
    )
    _set(cli, "profiles.main.risk.max_daily_loss", "7500")
    _set(cli, "profiles.main.risk.trip_latch", "daily_loss, max_open_orders")
    _set(cli, "market_hours.policy", "refuse")
    _set(cli, "market_hours.amo_windows.NSE", "none")
    _set(cli, "rate_limits.getLtpData", "5/s")
    assert _set(cli, "freeze_qty.banknifty", "900").json()["key"] == "freeze_qty.BANKNIFTY"
    entries = _entries(cli("config", "show", "--json"))
    assert entries["risk.market_orders"]["value"] == "protect"
    assert entries["risk.collar_percent"]["value"] == 2.5
    assert entries["risk.max_daily_loss"]["value"] == 7500
    assert entries["risk.trip_latch"]["value"] == ["daily_loss", "max_open_orders"]
    assert entries["market_hours.policy"] == {
        "key": "market_hours.policy", "name": "profiles.main.market_hours.policy",
        "value": "refuse", "source": "file", "path": str(config_path()),
        "section": "profiles.main.market_hours",
    }  # fmt: skip
    assert entries["market_hours.amo_windows.NSE"]["value"] == "none"
    assert entries["rate_limits.getLtpData"]["value"] == "5/s"
    assert entries["freeze_qty.BANKNIFTY"]["value"] == 900
    assert entries["rate_limits.placeOrder"]["value"] == "5/s, 100/min"  # kept


def test_set_refuses_unknown_keys_and_bad_values(cli: Any) -> None:
    _write()
    unknown = cli("config", "set", "risk.max_colour", "1")
    assert unknown.code == ExitStatus.USAGE
    assert unknown.err.startswith("error: unknown setting 'risk.max_colour'\nhint: ")
    bad = cli("config", "set", "risk.max_quantity", "lots")
    assert bad.code == ExitStatus.CONFIG and "expected a whole number" in bad.err
    negative = cli("config", "set", "risk.max_daily_loss", "0")
    assert negative.code == ExitStatus.CONFIG and "above 0" in negative.err
    assert config_path().read_text() == CONFIG  # nothing written


def test_calendar_status_reports_the_policy_the_orders_apply(cli: Any) -> None:
    _write()
    shown = cli("calendar", "status", "--json")
    assert shown.code == 0, shown.both
    assert shown.json()["policy"] == "allow"  # a sandbox profile without a policy allows
    assert "market-hours policy: allow" in cli("calendar", "status").out
    _set(cli, "market_hours.policy", "refuse")
    assert cli("calendar", "status", "--json").json()["policy"] == "refuse"


def test_a_market_refusal_hints_the_canonical_set_command_which_works(
    cli: Any, sandbox: Any, sandbox_login: Any
) -> None:
    refused = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--type", "MARKET", "--yes")
    assert refused.code == ExitStatus.USAGE, refused.both
    hint = "`angelctl config set profiles.sandbox.risk.market_orders protect`"
    assert hint in refused.err
    words = hint.strip("`").split()[1:]
    assert cli(*words).code == 0
    placed = cli("order", "place", "BUY", "SBIN", "--qty", "1", "--type", "MARKET", "--yes")
    assert placed.code == 0, placed.both


def test_hints_carry_the_profile_chosen_with_the_option(cli: Any) -> None:
    _write(CONFIG.replace('default_profile = "main"\n', ""))
    missing = cli("whoami", "--profile", "ghost")
    assert missing.code == ExitStatus.CONFIG
    assert "`angelctl login --profile ghost`" in missing.err
    assert "`angelctl login --sandbox --profile ghost`" in missing.err
    assert os.environ.get("ANGELCTL_PROFILE") is None
