"""Completeness: every command has help and a README entry; every exit code is documented."""

from __future__ import annotations

import re
from typing import Any

from angelctl.status import ExitStatus
from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def all_commands() -> list[str]:
    import typer.main

    from angelctl.cli.app import full_app

    root = typer.main.get_command(full_app())
    found: list[str] = []

    def walk(group: Any, prefix: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if getattr(command, "hidden", False):
                continue  # an alias (`kill` for `killswitch`), documented with its command
            path = f"{prefix} {name}".strip()
            if getattr(command, "commands", None):
                walk(command, path)
            else:
                found.append(path)
            assert command.help or command.short_help, f"{path} has no help text"

    walk(root, "")
    return found


def test_every_command_is_in_the_readme_with_an_example() -> None:
    commands = all_commands()
    assert {"login", "whoami", "funds", "config set", "sandbox serve"} <= set(commands)
    for command in commands:
        group = command.split()[0]
        assert f"`{command}" in README or f"`{group} " in README, command
        assert f"angelctl {command}" in README or f"angelctl {group}" in README, command


def test_every_exit_status_is_in_the_readme_table() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", README, flags=re.MULTILINE))
    assert {int(k): v for k, v in rows.items()} == {s.value: s.name for s in ExitStatus}


def test_every_environment_variable_is_documented() -> None:
    from angelctl.config import ENV_OVERRIDES

    for var in [*ENV_OVERRIDES.values(), "ANGELCTL_PROFILE", "ANGELCTL_CONFIG"]:
        assert f"`{var}`" in README, var


def test_root_help_from_stand_ins_is_the_full_trees_root_help() -> None:
    """`angelctl --help` renders from parameterless stand-ins (faster); it must read exactly
    as the full command tree's root help, for `--help`, `-h` and no arguments at all."""
    from typer.testing import CliRunner

    from angelctl.cli.app import full_app, root_help_app

    runner = CliRunner()
    for args in (["--help"], ["-h"], []):
        fast = runner.invoke(root_help_app(), args, prog_name="angelctl")
        full = runner.invoke(full_app(), args, prog_name="angelctl")
        assert fast.output == full.output and fast.exit_code == full.exit_code, args
        assert "Commands:" in fast.output and "killswitch" in fast.output
