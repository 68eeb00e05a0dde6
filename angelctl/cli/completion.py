"""Shell completion through the command tree: the value hooks options and arguments name with
``autocompletion=``, and the protocol's answer for everything the fast path
(``cli.fastcomplete``) leaves (docs/completion.md).

The protocol: the scripts in ``completions/`` run ``angelctl`` with
``_ANGELCTL_COMPLETE=complete_{bash,zsh,fish}`` and the command line (``COMP_WORDS`` and
``COMP_CWORD`` for bash, ``_TYPER_COMPLETE_ARGS`` for zsh and fish). The answer is one candidate
per line, in the order to show them (bash: spaces and shell characters backslash-escaped), or
the single line ``:files`` when the word is a path — then, and only then, the shell completes
file names. An empty answer means "nothing fits": no file-name fallback.

Invariants: every fixed set of values comes from the table its validation uses (the hooks
import it; none is typed here); a hook reads local files only (the instrument index, the config
file, the journal read-only), never the broker or the keyring. Click decides which parameter
the cursor is on; Typer filters a hook's answer case-sensitively, so the engine keeps the
hook's own answer (``_answer``) and prints that.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import typer  # the hooks' ctx annotation is evaluated by Typer at run time

FILES = ":files"  # the answer that hands the word to the shell's file-name completion
_answer: list[str] | None = None  # what the hook that ran answered, before Typer's filter


def _give(values: Iterable[str], incomplete: str) -> list[str]:
    """``values`` that start with ``incomplete`` (any case), remembered for the engine."""
    global _answer
    wanted = incomplete.casefold()
    _answer = [value for value in values if value.casefold().startswith(wanted)]
    return _answer


# Hooks for fixed sets of values: each reads the table the option's validation uses.
def complete_side(incomplete: str) -> list[str]:
    from angelctl.orders.model import SIDES

    return _give(SIDES, incomplete)


def complete_order_type(incomplete: str) -> list[str]:
    from angelctl.orders.model import ORDER_TYPES

    return _give(ORDER_TYPES, incomplete)


def complete_product(incomplete: str) -> list[str]:
    from angelctl.orders.model import PRODUCTS

    return _give(PRODUCTS, incomplete)


def complete_validity(incomplete: str) -> list[str]:
    from angelctl.orders.model import DURATIONS

    return _give(DURATIONS, incomplete)


def complete_variety(incomplete: str) -> list[str]:
    from angelctl.orders.model import VARIETIES

    return _give(VARIETIES, incomplete)


def complete_order_status(incomplete: str) -> list[str]:
    from angelctl.orders.scope import ORDER_STATUSES

    return _give(ORDER_STATUSES, incomplete)


def complete_gtt_status(incomplete: str) -> list[str]:
    """The statuses ``gtt list --status`` takes, by the names its help uses: a status that has
    a friendlier alias (FORALL: all, SENTTOEXCHANGE: triggered) is offered by that alias."""
    from angelctl.broker.gtt import STATUSES
    from angelctl.cli.gtt import STATUS_ALIASES

    aliased = set(STATUS_ALIASES.values())
    names = [s.lower() for s in STATUSES if s not in aliased]
    friendly: dict[str, str] = {}  # one alias per status: the first the table gives
    for alias, status in STATUS_ALIASES.items():
        friendly.setdefault(status, alias.lower())
    return _give(names + list(friendly.values()), incomplete)


def complete_exchange(incomplete: str) -> list[str]:
    from angelctl.instruments.model import EXCHANGES

    return _give(EXCHANGES, incomplete)


def complete_kind(incomplete: str) -> list[str]:
    from angelctl.instruments.model import KINDS

    return _give(KINDS, incomplete)


def complete_segment(incomplete: str) -> list[str]:
    """The calendar's segments (``calendar status --segment``)."""
    from angelctl.exchange.segments import SEGMENTS

    return _give(SEGMENTS, incomplete)


def complete_guard_action(incomplete: str) -> list[str]:
    from angelctl.cli.guard import ACTIONS

    return _give(ACTIONS, incomplete)


def complete_profile(incomplete: str) -> list[str]:
    """The profiles of the config file (nothing when it is missing or unreadable)."""
    from angelctl.config import load_config_file

    try:
        names = sorted(load_config_file().profiles)
    except Exception:  # a broken config file: completion offers nothing, the command explains
        names = []
    return _give(names, incomplete)


def complete_config_key(incomplete: str) -> list[str]:
    """The settings ``config set`` takes without a ``profiles.NAME.`` prefix."""
    from angelctl.config_keys import PROFILE_KEYS

    return _give([*PROFILE_KEYS, "default_profile"], incomplete)


def complete_config_value(ctx: typer.Context, incomplete: str) -> list[str]:
    """The values of a setting with a fixed set (its validator's ``choices``), or the
    profiles for ``default_profile``."""
    from angelctl.config_keys import PROFILE_KEYS

    key = str(ctx.params.get("key") or "")
    if key == "default_profile":
        return complete_profile(incomplete)
    check = PROFILE_KEYS.get(key.rsplit(".", 1)[-1])
    return _give(getattr(check, "choices", ()), incomplete)


def complete_symbol(incomplete: str) -> list[str]:
    """Ranked symbols from the instrument index (``instruments.complete``)."""
    from angelctl.instruments.complete import complete_symbols
    from angelctl.instruments.store import index_path

    return _give(complete_symbols(index_path(), incomplete), incomplete)


def complete_path(incomplete: str) -> list[str]:
    """A file name: the shell completes it."""
    global _answer
    _answer = [FILES]
    return []


def complete_order_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Order ids the journal holds for orders placed today (IST) by the profile in use, newest
    first: one read-only query, no broker call, no keyring."""
    return _give(todays_order_ids(_profile(ctx)), incomplete)


def _profile(ctx: typer.Context) -> str | None:
    from angelctl.config import load_config_file, selected_profile_name

    given = ctx.find_root().params.get("profile")
    try:
        return selected_profile_name(given if isinstance(given, str) else None, load_config_file())
    except Exception:  # a broken config file: every profile's orders
        return given if isinstance(given, str) else os.environ.get("ANGELCTL_PROFILE")


def complete_gtt_rule_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """GTT rule ids the profile in use created, modified or cancelled today (IST), newest
    first, from the journal's ``gtt_events``: the same read-only query path as order ids."""
    return _give(todays_gtt_rule_ids(_profile(ctx)), incomplete)


def todays_order_ids(profile: str | None, now_utc: str | None = None) -> list[str]:
    """Broker order ids of today's (IST) journalled orders, newest first (``profile`` None:
    every profile's)."""
    sql = "SELECT order_id FROM intents WHERE order_id != '' AND created_at >= ? AND created_at < ?"
    return _todays(sql, "created_at DESC", profile, now_utc)


def todays_gtt_rule_ids(profile: str | None, now_utc: str | None = None) -> list[str]:
    """GTT rule ids with a journalled event today (IST), newest first (``profile`` None: every
    profile's)."""
    sql = "SELECT rule_id FROM gtt_events WHERE at >= ? AND at < ?"
    return _todays(sql, "at DESC, seq DESC", profile, now_utc)


def _todays(sql: str, newest_first: str, profile: str | None, now_utc: str | None) -> list[str]:
    """The first column of ``sql`` (two placeholders: the start and end of today, IST, as UTC
    stamps), for ``profile`` if given, in ``newest_first`` order, distinct; read-only, and empty
    when there is no journal or it has another shape."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from angelctl.clock import IST, utc_stamp
    from angelctl.config import state_dir

    now = datetime.fromisoformat(now_utc) if now_utc else datetime.now(UTC)
    midnight = now.astimezone(IST).replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = utc_stamp(midnight), utc_stamp(midnight + timedelta(days=1))
    params: tuple[str, ...] = (since, until)
    if profile is not None:
        sql, params = sql + " AND profile = ?", (*params, profile)
    try:
        db = sqlite3.connect(f"file:{state_dir() / 'journal.sqlite3'}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        rows = db.execute(f"{sql} ORDER BY {newest_first}", params).fetchall()
    except sqlite3.Error:  # no journal yet, or one of an unknown shape: nothing to offer
        return []
    finally:
        db.close()
    return list(dict.fromkeys(str(row[0]) for row in rows))


def candidates(args: list[str], incomplete: str) -> list[str]:
    """What to offer for ``incomplete`` after ``args``: Click finds the parameter (or command,
    or option name), the hook answers, a path parameter answers ``[FILES]``."""
    global _answer
    import typer.main
    from typer._click.shell_completion import ShellComplete  # Typer's own copy of Click

    from angelctl.cli.app import full_app
    from angelctl.cli.argv import GLOBAL_VALUED, hoist

    _answer = None
    if args and args[-1] in GLOBAL_VALUED:  # a global option's value, wherever it is written
        args = args[-1:]
    args = hoist(args)  # global options may follow the sub-command, as when it runs
    cli = typer.main.get_command(full_app())

    class Tree(ShellComplete):
        """Click's search for the parameter under the cursor, without its output formats."""

        def source_vars(self) -> dict[str, Any]:
            return {}

        def get_completion_args(self) -> tuple[list[str], str]:
            return args, incomplete

        def format_completion(self, item: Any) -> str:
            return str(item.value)

    items = Tree(cli, {}, "angelctl", "_ANGELCTL_COMPLETE").get_completions(args, incomplete)
    if _answer is not None:
        return _answer
    if any(item.type in ("file", "dir") for item in items):
        return [FILES]
    return [str(item.value) for item in items]


def format_answer(shell: str, values: list[str]) -> str:
    """The protocol's text for ``values`` (bash inserts words verbatim: escape them)."""
    from angelctl.cli.fastcomplete import escape_bash

    if shell in ("powershell", "pwsh") and values == [FILES]:
        return ""  # Typer's PowerShell script has no file-name branch
    if shell != "bash" or values == [FILES]:
        return "\n".join(values)
    return "\n".join(escape_bash(value) for value in values)


def main() -> int:
    """Answer one completion request (the entry point calls this when the fast path did not)."""
    import sys

    from angelctl.cli.fastcomplete import request

    shell, args, incomplete = request()
    if not shell:
        sys.stderr.write("_ANGELCTL_COMPLETE: complete_bash, complete_zsh or complete_fish\n")
        return 1
    sys.stdout.write(format_answer(shell, candidates(args, incomplete)))
    sys.stdout.flush()
    return 0
