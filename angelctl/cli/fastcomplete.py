"""Completion's fast path: symbols (and the shell scripts) without loading the CLI framework.

The shell scripts in ``completions/`` (``cli.shells``) call ``angelctl`` with
``_ANGELCTL_COMPLETE=complete_{bash,zsh,fish}``; ``source_{bash,zsh,fish}`` prints the script.
When the word being completed is a symbol positional (``SYMBOL_ARGS``), this module answers
straight from the instrument index (``instruments.complete``: ranked, one indexed range scan)
in the protocol ``cli.completion`` documents; everything else falls through to that module,
which asks the command tree. Target: a symbol answer in ≤ 150 ms (bench/completion_bench.py).
It imports only the standard library, ``platformdirs`` and ``sqlite3``.

Invariant: an answer here equals the tree's (the same hook data and ranking); ``VALUED`` (the
options that take a value, skipped when counting positionals) is checked against the tree by
tests/cli/test_completion.py, so a new option cannot silently shift a positional.
"""

from __future__ import annotations

import os
import shlex
import sys

# Command paths and the index of their symbol positional (None: every positional is a symbol).
SYMBOL_ARGS: dict[tuple[str, ...], int | None] = {
    ("instruments", "show"): None,
    ("instruments", "search"): None,
    ("quote",): None,
    ("candles",): 0,  # SYMBOL
    ("stream",): None,
    ("order", "place"): 1,  # SIDE SYMBOL
    ("margin",): 1,  # SIDE SYMBOL
    ("positions", "convert"): 0,
}
# Every option of the command tree that takes a value (a test compares it with the tree).
VALUED = frozenset(
    {
        "--profile",
        "-p",
        "--log-file",
        "--exchange",
        "-x",
        "--type",
        "-t",
        "--underlying",
        "-u",
        "--expiry",
        "--limit",
        "-n",
        "--mode",
        "-m",
        "--watch",
        "-w",
        "--iterations",
        "--duration",
        "--count",
        "--record",
        "--replay",
        "--speed",
        "--from",
        "--price",
        "--trigger",
        "--variety",
        "--tag",
        "--intent-id",
        "--qty",
        "--lots",
        "--product",
        "--to",
        "--basket",
        "--disclosed",
        "--validity",
        "--status",
        "--symbol",
        "--side",
        "--days",
        "--segment",
        "-s",
        "--at",
        "--year",
        "-y",
        "--interval",
        "-i",
        "--csv",
        "--parquet",
        "--action",
        "--settle-after",
        "--settle",
        "--reason",
        "-r",
        "--budget",
        "--url",
        "--client-code",
        "--host",
        "--port",
        "--file",
        "--intent",
        "--older-than",
        "--keep-days",
        "--session-ttl",
        "--fault",
        "--before",
        "--drill",
        "--seed",
        "--recording",
        "-e",
        "--strikes",
        "--greeks-every",
    }
)

# Flags (options without a value) seen on symbol commands' lines; others defer to the tree.
FLAGS = frozenset(
    {
        "--json",
        "--debug",
        "--quiet",
        "-q",
        "--yes",
        "--dry-run",
        "--amo",
        "--slice",
        "--wait",
        "--orders",
        "--force",
        "--help",
        "-h",
    }
)


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return shlex.split(line + '"') if line.count('"') % 2 else line.split()


def request() -> tuple[str, list[str], str]:
    """(shell or '' when the request is not a completion, the words before the cursor's word
    without the program name, the word being completed)."""
    shell = os.environ.get("_ANGELCTL_COMPLETE", "").removeprefix("complete_")
    if shell == "bash":
        words = _split(os.environ.get("COMP_WORDS", ""))
        cword = int(os.environ.get("COMP_CWORD", "0") or 0)
        return shell, words[1:cword], words[cword] if cword < len(words) else ""
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    args = _split(line)[1:]
    if shell in ("powershell", "pwsh"):  # Typer's PowerShell script: the word comes apart
        word = os.environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return shell, args[:-1] if word and args and args[-1] == word else args, word
    if shell not in ("zsh", "fish"):
        return "", [], ""
    if args and not line.endswith(" "):
        return shell, args[:-1], args[-1]
    return shell, args, ""


def wants_symbol(args: list[str], incomplete: str) -> bool:
    """Whether ``incomplete`` is a symbol positional of a command in ``SYMBOL_ARGS``."""
    if incomplete.startswith("-") or (args and args[-1] in VALUED):
        return False
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUED:
            skip = True
        elif arg.startswith("-"):
            if "=" not in arg and arg not in FLAGS:
                return False  # an option this module does not know: let the tree decide
        else:
            words.append(arg)
    for path, position in SYMBOL_ARGS.items():
        if tuple(words[: len(path)]) == path:
            return position is None or len(words) - len(path) == position
    return False


_SPECIAL = frozenset(" \t\"'\\$`&;|<>()*?[]{}!#~")


def escape_bash(word: str) -> str:
    """``word`` as bash should insert it (bash puts a candidate in the line verbatim)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in word)


def try_complete() -> bool:
    """Answer the request if it is for a symbol or a script; False: ask the command tree."""
    mode = os.environ.get("_ANGELCTL_COMPLETE", "")
    if mode.startswith("source_"):
        from angelctl.cli.shells import SCRIPTS

        script = SCRIPTS.get(mode.removeprefix("source_"))
        if script is None:
            return False
        sys.stdout.write(script)
        return True
    shell, args, incomplete = request()
    if not shell or not wants_symbol(args, incomplete):
        return False
    from pathlib import Path

    from platformdirs import user_cache_path

    from angelctl.instruments.complete import complete_symbols

    symbols = complete_symbols(
        Path(user_cache_path("angelctl")) / "instruments.sqlite3", incomplete
    )
    if shell == "bash":
        symbols = [escape_bash(symbol) for symbol in symbols]
    sys.stdout.write("\n".join(symbols))
    sys.stdout.flush()
    return True
