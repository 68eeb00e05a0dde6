"""Completeness: every command has help and a README entry; every exit code is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

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


def test_the_kept_root_help_is_what_typer_renders() -> None:
    """`angelctl --help` prints ``cli.roothelp.TEXT`` without loading Typer; it must read
    exactly as the full command tree's root help (`python -m angelctl.cli.roothelp` renews it)."""
    from angelctl.cli.roothelp import TEXT, rendered

    assert rendered() == TEXT
    assert "Commands:" in TEXT and "killswitch" in TEXT


@pytest.mark.parametrize("args", [["--help"], ["-h"]])
def test_root_help_loads_no_cli_framework(args: list[str]) -> None:
    """As a process: the kept text, and neither Typer nor Click nor rich imported."""
    from angelctl.cli.roothelp import TEXT

    probe = (
        "import sys; from angelctl.__main__ import main; sys.argv = ['angelctl', *sys.argv[1:]];"
        " code = main(); loaded = [m for m in ('typer', 'click', 'rich') if m in sys.modules];"
        " sys.stderr.write(repr(loaded)); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == TEXT and proc.stderr == "[]", proc.stderr
    narrow = subprocess.run(
        [sys.executable, "-m", "angelctl", *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "60"},
    )  # fmt: skip
    assert narrow.returncode == 0 and "Commands:" in narrow.stdout
    assert narrow.stdout != TEXT  # narrower than 80: Typer wraps it itself
