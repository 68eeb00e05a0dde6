"""Symbol completion without loading the CLI framework (target: ≤ 50 ms per shell call).

The shell scripts in ``completions/`` are Typer's; they call ``angelctl`` with
``_ANGELCTL_COMPLETE=complete_{bash,zsh,fish}``. When the word being completed is the symbol
argument of a command in ``SYMBOL_COMMANDS``, this module answers straight from the instrument
index (one indexed range scan) in Typer's own output format; everything else falls through to
Typer. It imports only the standard library, ``platformdirs`` and ``sqlite3``.
"""

from __future__ import annotations

import os
import shlex
import sys

# Command paths whose positional argument is a symbol.
SYMBOL_COMMANDS = (("instruments", "show"), ("instruments", "search"), ("quote",))
# Global options that take a value (skipped when locating the command path).
_VALUED = {
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
}


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return shlex.split(line + '"') if line.count('"') % 2 else line.split()


def _args(shell: str) -> tuple[list[str], str]:
    if shell == "bash":
        words = _split(os.environ.get("COMP_WORDS", ""))
        cword = int(os.environ.get("COMP_CWORD", "0") or 0)
        return words[1:cword], words[cword] if cword < len(words) else ""
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    args = _split(line)[1:]
    if args and not line.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


def _wants_symbol(args: list[str], incomplete: str) -> bool:
    if incomplete.startswith("-"):
        return False
    path: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            path.append(arg)
    if args and args[-1] in _VALUED:
        return False
    return any(tuple(path[: len(cmd)]) == cmd for cmd in SYMBOL_COMMANDS)


def try_complete() -> bool:
    """Answer the completion request if it is for a symbol; False means 'let Typer do it'."""
    mode = os.environ.get("_ANGELCTL_COMPLETE", "")
    shell = mode.removeprefix("complete_")
    if shell not in ("bash", "zsh", "fish"):
        return False
    args, incomplete = _args(shell)
    if not _wants_symbol(args, incomplete):
        return False
    from pathlib import Path

    from platformdirs import user_cache_path

    from angelctl.instruments.complete import complete_symbols

    symbols = complete_symbols(
        Path(user_cache_path("angelctl")) / "instruments.sqlite3", incomplete
    )
    out = sys.stdout
    if shell == "bash":
        out.write("\n".join(symbols))
    elif shell == "zsh":
        if symbols:
            items = "\n".join(
                '"' + s.replace('"', '""').replace("'", "''").replace(":", r"\\:") + '"'
                for s in symbols
            )
            out.write(f"_arguments '*: :(({items}))'")
        else:
            out.write("_files")
    else:
        action = os.environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":
            sys.exit(0 if symbols else 1)
        out.write("\n".join(symbols))
    out.flush()
    return True
