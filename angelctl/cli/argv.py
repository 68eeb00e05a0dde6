"""The command line before any framework reads it: global options, the command's words, and the
command table. Imports nothing but the standard library, so the entry point's fast paths (the
kill switch's latch, completion) and the Typer app read argv the same way.

Global options (``--profile``, ``--json``, ``--debug``, ``--quiet``, ``--log-file``) may be
written anywhere on the command line; ``hoist`` moves them in front of the sub-command.
"""

from __future__ import annotations

import os
from typing import NamedTuple

GLOBAL_FLAGS = frozenset({"--json", "--debug", "--quiet", "-q"})
GLOBAL_VALUED = frozenset({"--profile", "-p", "--log-file"})


class Command(NamedTuple):
    """One entry of the command table. ``broker``: the command always calls the broker, so the
    app loads its HTTP stack early (``cli.app._run`` says why and what it saves)."""

    name: str
    module: str  # in angelctl.cli
    attr: str
    kind: str  # "command" or "group"
    broker: bool = False
    hidden: bool = False
    help: str | None = None


# Modules are imported only for the command being run; root help, completion and the docs test
# register them all.
COMMANDS: tuple[Command, ...] = (
    Command("login", "login", "login", "command", broker=True),
    Command("logout", "auth", "logout", "command", broker=True),
    Command("whoami", "auth", "whoami", "command", broker=True),
    Command("funds", "auth", "funds", "command", broker=True),
    Command("doctor", "doctor", "doctor", "command"),
    Command("config", "config_cmd", "app", "group"),
    Command("instruments", "instruments", "app", "group"),
    Command("order", "orders", "app", "group", broker=True),
    Command("gtt", "gtt", "app", "group", broker=True),
    Command("reconcile", "reconcile", "reconcile", "command", broker=True),
    Command("journal", "journal_cmd", "app", "group"),
    Command("quote", "quote", "quote", "command", broker=True),
    Command("candles", "candles", "candles", "command", broker=True),
    Command("stream", "stream", "stream", "command", broker=True),
    Command("chain", "chain", "chain", "command", broker=True),
    Command("trades", "portfolio", "trades", "command", broker=True),
    Command("positions", "positions_cmd", "app", "group", broker=True),
    Command("holdings", "portfolio", "holdings", "command", broker=True),
    Command("margin", "margin_cmd", "margin", "command", broker=True),
    Command("sandbox", "sandbox_cmd", "app", "group"),
    Command("calendar", "calendar_cmd", "app", "group"),
    Command("killswitch", "killswitch", "app", "group", broker=True),
    Command("kill", "killswitch", "app", "group", True, True, "Alias of `killswitch`."),
    Command("guard", "guard", "guard", "command", broker=True),
)
COMMAND_NAMES = frozenset(c.name for c in COMMANDS)
BROKER_COMMANDS = frozenset(c.name for c in COMMANDS if c.broker)


def hoist(argv: list[str]) -> list[str]:
    """Move global options written after the sub-command in front of it."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_VALUED and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_VALUED and i + 1 < len(argv):
            front.extend(argv[i : i + 2])
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


def split(args: list[str]) -> tuple[str | None, list[str]]:
    """(the ``--profile`` given, else ``ANGELCTL_PROFILE``; the words without global options)."""
    profile = os.environ.get("ANGELCTL_PROFILE") or None
    words: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if arg in GLOBAL_VALUED:
            if arg in ("--profile", "-p") and i + 1 < len(args):
                profile = args[i + 1]
            i += 2
            continue
        if eq and name in GLOBAL_VALUED:
            if name == "--profile":
                profile = value
        elif arg not in GLOBAL_FLAGS:
            words.append(arg)
        i += 1
    return profile, words


def words(args: list[str]) -> list[str]:
    """The command line without its global options."""
    return split(args)[1]


def subcommand(args: list[str]) -> str | None:
    """The sub-command a command line runs, or None for root help, version or completion."""
    found = words(args)
    if not found or found[0].startswith("-"):
        return None  # --help, --version, --install-completion …: the whole tree
    return found[0]


def values(found: list[str], names: tuple[str, ...]) -> list[str]:
    """Every value given to an option in ``names`` (``--x V`` or ``--x=V``)."""
    out = []
    for i, word in enumerate(found):
        name, eq, value = word.partition("=")
        if eq and name in names:
            out.append(value)
        elif word in names and i + 1 < len(found):
            out.append(found[i + 1])
    return out
