"""The config commands and the CLI's error shell, through the real CLI."""

from __future__ import annotations

from typing import Any

from angelctl.config import config_path


def test_config_path_prints_the_platform_location(cli: Any) -> None:
    result = cli("config", "path")
    assert result.code == 0
    assert result.out.strip() == str(config_path())


def test_config_set_then_show_json(cli: Any) -> None:
    assert cli("config", "set", "profiles.main.client_code", "A12345").code == 0
    assert cli("--profile", "main", "config", "set", "public_ip", "203.0.113.9").code == 0
    shown = cli("config", "show", "--profile", "main", "--json")
    assert shown.code == 0, shown.both
    doc = shown.json()
    assert doc["settings"]["public_ip"] == "203.0.113.9"
    assert doc["settings"]["client_code"] == "A12345"
    assert doc["sources"]["public_ip"] == "config"


def test_bad_config_is_two_lines_with_exit_3_and_no_traceback(cli: Any) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.main]\nread_timeout = -1\n")
    result = cli("whoami", "--profile", "main")
    assert result.code == 3
    lines = result.err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: config file {path}: profiles.main.read_timeout")
    assert lines[1].startswith("hint: ")
    assert "Traceback" not in result.err


def test_json_mode_error_document_on_stdout(cli: Any) -> None:
    result = cli("whoami", "--json", "--profile", "ghost")
    assert result.code == 3
    error = result.json()["error"]
    assert error["code"] == "config"
    assert error["exit_status"] == 3
    assert "ghost" in error["message"]


def test_unknown_setting_is_a_usage_error(cli: Any) -> None:
    result = cli("config", "set", "colour", "red")
    assert result.code == 2
    assert "unknown setting 'colour'" in result.err


def test_global_options_may_follow_the_subcommand() -> None:
    from angelctl.cli.argv import hoist as hoist_global_options

    assert hoist_global_options(["whoami", "--json", "-p", "x"]) == ["--json", "-p", "x", "whoami"]
    assert hoist_global_options(["config", "set", "--", "--json"]) == [
        "config",
        "set",
        "--",
        "--json",
    ]
