"""Shell completion: the shipped scripts match the CLI, and bash really completes with them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _generated(shell: str) -> str:
    env = {**os.environ, "_ANGELCTL_COMPLETE": f"source_{shell}"}
    # Typer names the completion after the program; run it under the console-script name.
    code = "import sys; sys.argv[0] = 'angelctl'; from angelctl.__main__ import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    ).stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shipped_completion_scripts_are_current(shell: str) -> None:
    shipped = (REPO / "completions" / f"angelctl.{shell}").read_text()
    assert shipped == _generated(shell), "run completions/generate"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_subcommands_and_options(tmp_path: Path) -> None:
    shim = tmp_path / "angelctl"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m angelctl "$@"\n')
    shim.chmod(0o755)
    script = f"""
source {REPO / "completions" / "angelctl.bash"}
complete_words() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ));
  _angelctl_completion angelctl; printf '%s\\n' "${{COMPREPLY[@]}}"; echo ---; }}
complete_words angelctl wh
complete_words angelctl sandbox ''
complete_words angelctl doctor --of
complete_words angelctl config s
"""
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    blocks = [b.split() for b in out.split("---")[:4]]
    assert blocks[0] == ["whoami"]
    assert set(blocks[1]) >= {"serve", "demo", "fault"}
    assert blocks[2] == ["--offline"]
    assert set(blocks[3]) == {"show", "set"}


def _complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "angelctl"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=REPO,
    )


@pytest.fixture
def synced_index(cli: object, tmp_path: Path) -> None:
    from tests.instruments_master import write_master

    result = cli("instruments", "sync", "--file", str(write_master(tmp_path / "m.json")))  # type: ignore[operator]
    assert result.code == 0


def test_symbol_completion_answers_from_the_index_in_each_shell(synced_index: None) -> None:
    bash = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "angelctl instruments show nifty01",
            "COMP_CWORD": "3",
        }
    )
    assert bash.stdout.split("\n") == [
        "NIFTY01DEC2625000CE",
        "NIFTY01DEC2625000PE",
        "NIFTY01DEC2625050CE",
    ]
    zsh = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "angelctl --json instruments show sbi",
        }
    )
    assert zsh.stdout == '_arguments \'*: :(("SBIN"\n"SBIN-EQ"))\''
    fish = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "angelctl instruments search RELI",
        }
    )
    assert fish.stdout.split("\n") == ["RELIANCE", "RELIANCE-EQ", "RELIANCE29DEC26FUT"]


def test_option_completion_still_goes_to_typer(synced_index: None) -> None:
    result = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": "angelctl instruments show --ex",
            "COMP_CWORD": "3",
        }
    )
    assert result.stdout.split() == ["--exchange"]


def test_bash_completes_symbols_for_real(synced_index: None, tmp_path: Path) -> None:
    shim = tmp_path / "angelctl"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m angelctl "$@"\n')
    shim.chmod(0o755)
    script = (
        f"source {REPO / 'completions' / 'angelctl.bash'}\n"
        "COMP_WORDS=(angelctl instruments show CRUDE); COMP_CWORD=3\n"
        "_angelctl_completion angelctl; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
    ).stdout
    assert out.split() == ["CRUDEOIL16DEC26FUT", "CRUDEOIL26DEC5000CE"]
