"""Shell completion: the shipped scripts match the CLI, and bash really completes with them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, FixedClock


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
    assert zsh.stdout == "SBIN\nSBIN-EQ"  # the protocol: one candidate a line, every shell
    fish = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_fish",
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


# ------------------------------------------------------------- the protocol, value by value


def _bash(line: str) -> list[str]:
    words = line.split(" ")
    result = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        }
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n") if result.stdout else []


def _tables() -> dict[str, list[str]]:
    """Each fixed set of values from the table its validation reads."""
    from angelctl.cli.guard import ACTIONS
    from angelctl.config_keys import CREDENTIAL_STORES, ENVIRONMENTS, PROFILE_KEYS, SESSION_RULES
    from angelctl.exchange.segments import SEGMENTS
    from angelctl.instruments.model import EXCHANGES, KINDS
    from angelctl.orders.model import DURATIONS, ORDER_TYPES, PRODUCTS, SIDES, VARIETIES
    from angelctl.orders.scope import ORDER_STATUSES

    return {
        "angelctl order place ": list(SIDES),
        "angelctl order place BUY SBIN --type ": list(ORDER_TYPES),
        "angelctl order place BUY SBIN --product ": list(PRODUCTS),
        "angelctl order place BUY SBIN --validity ": list(DURATIONS),
        "angelctl order place BUY SBIN --variety ": list(VARIETIES),
        "angelctl order modify 1 --type ": list(ORDER_TYPES),
        "angelctl order modify 1 --validity ": list(DURATIONS),
        "angelctl order list --status ": [s.replace(" ", "\\ ") for s in ORDER_STATUSES],
        "angelctl gtt create ": list(SIDES),
        "angelctl gtt create SBIN --product ": list(PRODUCTS),
        "angelctl gtt list --status ": ["new", "active", "cancelled", "all", "triggered"],
        "angelctl instruments search x --exchange ": list(EXCHANGES),
        "angelctl instruments search x --type ": list(KINDS),
        "angelctl killswitch engage --segment ": list(EXCHANGES),
        "angelctl calendar status --segment ": list(SEGMENTS),
        "angelctl guard --action ": list(ACTIONS),
        "angelctl stream SBIN --mode ": ["ltp", "quote", "snap"],
        "angelctl config set ": [*PROFILE_KEYS, "default_profile"],
        "angelctl config set environment ": list(ENVIRONMENTS),
        "angelctl config set profiles.paper.credential_store ": list(CREDENTIAL_STORES),
        "angelctl config set session_rule ": list(SESSION_RULES),
    }


def test_every_fixed_set_of_values_completes_from_its_validation_table() -> None:
    for line, values in _tables().items():
        assert _bash(line) == values, line


def test_a_prefix_in_any_case_narrows_and_keeps_the_table_spelling() -> None:
    assert _bash("angelctl order place s") == ["SELL"]
    assert _bash("angelctl order place BUY SBIN --type stop") == [
        "STOPLOSS_LIMIT",
        "STOPLOSS_MARKET",
    ]
    assert _bash("angelctl order list --status TRIG") == ["trigger\\ pending"]


def test_file_names_only_where_the_value_is_a_path() -> None:
    for line in (
        "angelctl instruments sync --file ",
        "angelctl --log-file ",
        "angelctl order list --log-file ",
        "angelctl calendar update ",
    ):
        assert _bash(line) == [":files"], line
    for line in (
        "angelctl order place BUY SBIN --price ",
        "angelctl order place BUY SBIN --tag ",
        "angelctl gtt show ",
        "angelctl --profile ",  # no config file: no profile, and no file names either
    ):
        assert _bash(line) == [], line


def test_profiles_come_from_the_config_file(cli: Any) -> None:
    from angelctl.config import config_path

    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(
        'default_profile = "paper"\n[profiles.paper]\nenvironment = "sandbox"\n'
        '[profiles.live-main]\nenvironment = "live"\n'
    )
    assert _bash("angelctl --profile ") == ["live-main", "paper"]
    assert _bash("angelctl order list --profile p") == ["paper"]


def test_order_ids_are_todays_journalled_orders_newest_first() -> None:
    from datetime import UTC, datetime, timedelta

    from angelctl.config import state_dir
    from angelctl.orders.journal import Journal

    now = datetime.now(UTC)  # today's entries milliseconds apart: today even just after midnight
    placed = [("old", now - timedelta(days=2)), ("a", now - timedelta(milliseconds=3))]
    placed += [("b", now - timedelta(milliseconds=2)), ("other", now - timedelta(milliseconds=1))]
    for name, moment in placed:
        journal = Journal(state_dir() / "journal.sqlite3", FixedClock(moment))
        profile = "elsewhere" if name == "other" else "default"
        journal.record(name, f"AC{name}", profile, "C1", {})
        journal.move(name, "sending")
        journal.move(name, "accepted", order_id=f"2612{name}")
        journal.close()
    assert _bash("angelctl order cancel ") == ["2612b", "2612a"]
    assert _bash("angelctl --profile elsewhere order status ") == ["2612other"]
    assert _bash("angelctl order modify 2612a") == ["2612a"]


def test_fast_path_valued_options_match_the_command_tree() -> None:
    """The fast path counts positionals by skipping option values: its table of options that
    take a value must hold every such option of the tree."""
    import typer.main

    from angelctl.cli.app import full_app
    from angelctl.cli.fastcomplete import FLAGS, VALUED

    def walk(command: Any) -> set[str]:
        names: set[str] = set()
        for param in command.params:
            if param.param_type_name == "option" and not param.is_flag and not param.count:
                names.update(param.opts + param.secondary_opts)
        for sub in getattr(command, "commands", {}).values():
            names |= walk(sub)
        return names

    valued = walk(typer.main.get_command(full_app()))
    assert valued <= VALUED
    assert not valued & FLAGS  # a flag the fast path skips alone really takes no value


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_typer_show_and_install_completion_write_the_shipped_scripts(shell: str) -> None:
    from typer._completion_shared import get_completion_script

    from angelctl.cli.app import full_app

    full_app()
    script = get_completion_script(
        prog_name="angelctl", complete_var="_ANGELCTL_COMPLETE", shell=shell
    )
    assert script == (REPO / "completions" / f"angelctl.{shell}").read_text().strip()


def test_powershell_gets_plain_candidates() -> None:
    result = _complete(
        {
            "_ANGELCTL_COMPLETE": "complete_powershell",
            "_TYPER_COMPLETE_ARGS": "angelctl order place BUY SBIN --type S",
            "_TYPER_COMPLETE_WORD_TO_COMPLETE": "S",
        }
    )
    assert result.stdout.split("\n") == ["STOPLOSS_LIMIT", "STOPLOSS_MARKET"]


def test_gtt_rule_ids_are_todays_journalled_events_newest_first() -> None:
    from datetime import UTC, datetime, timedelta

    from angelctl.config import state_dir
    from angelctl.orders.journal import Journal

    now = datetime.now(UTC)
    journal = Journal(state_dir() / "journal.sqlite3")
    for rule_id, profile, action, ago in (
        ("3375300", "default", "create", timedelta(days=2)),  # yesterday's or older: not offered
        # today's, milliseconds apart: still today when the test runs just after midnight IST
        ("3375301", "default", "create", timedelta(milliseconds=4)),
        ("3375302", "default", "create", timedelta(milliseconds=4)),
        ("3375303", "default", "create", timedelta(milliseconds=3)),
        ("3375301", "default", "modify", timedelta(milliseconds=2)),
        ("4400001", "elsewhere", "create", timedelta(milliseconds=1)),
    ):
        journal.gtt_event(profile, rule_id, action, symbol="SBIN-EQ", side="BUY", detail={})
        stamp = (now - ago).isoformat(timespec="milliseconds")
        journal.db.execute("UPDATE gtt_events SET at = ? WHERE seq = last_insert_rowid()", (stamp,))
    journal.close()
    assert _bash("angelctl gtt cancel ") == ["3375301", "3375303", "3375302"]
    assert _bash("angelctl gtt show 33753") == ["3375301", "3375303", "3375302"]
    assert _bash("angelctl gtt modify 3375302") == ["3375302"]
    assert _bash("angelctl --profile elsewhere gtt show ") == ["4400001"]
    assert _bash("angelctl gtt list --status ") != ["3375301", "3375302"]
