"""Entry point: ``python -m angelctl`` and the ``angelctl`` console script."""

from __future__ import annotations

import sys

TOLERANT = ("replace", "backslashreplace", "xmlcharrefreplace", "namereplace", "ignore")


def tolerant_streams() -> None:
    """Output encoding must never change an exit code: a character stdout's encoding cannot
    hold (``₹`` under ``LC_ALL=C``, an undecodable argv byte) is replaced, not an error."""
    for stream, errors in ((sys.stdout, "replace"), (sys.stderr, "backslashreplace")):
        reconfigure = getattr(stream, "reconfigure", None)
        # strict, and the C locale's surrogateescape, raise on a character like ₹
        if reconfigure is not None and getattr(stream, "errors", None) not in TOLERANT:
            try:
                reconfigure(errors=errors)
            except (OSError, ValueError):  # closed or detached: nothing will be written there
                continue


def main(argv: list[str] | None = None) -> int:
    tolerant_streams()
    args = sys.argv[1:] if argv is None else argv
    if argv is None and "_ANGELCTL_COMPLETE" in __import__("os").environ:
        from angelctl.cli.fastcomplete import try_complete

        if try_complete():  # a symbol or a script: answered without loading the CLI
            return 0
        from angelctl.cli.completion import main as complete

        return complete()  # anything else: the command tree finds the parameter
    if args in (["--help"], ["-h"]) and argv is None and _root_help_fits():
        from angelctl.cli.roothelp import TEXT  # the root help needs no CLI framework either

        sys.stdout.write(TEXT)
        return 0
    if args == ["--version"]:  # the one answer that needs no CLI framework at all
        from angelctl import __version__

        print(f"angelctl {__version__}")
        return 0
    if "kill" in " ".join(args):  # the kill switch's latch, before the CLI framework loads
        from angelctl.cli.fastlatch import try_fast_latch

        try_fast_latch(args)
    from angelctl.cli.app import run

    return run(args)


def _root_help_fits() -> bool:
    """The kept root help reads as Typer's on a terminal (or a pipe) at least 80 columns
    wide; completion asks the full tree."""
    import os

    if "_ANGELCTL_COMPLETE" in os.environ:
        return False
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) >= 80
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns >= 80
    except (OSError, ValueError, AttributeError):
        return True  # not a terminal: Click wraps at 80 then too


def entry() -> int:
    """The process entry point (the console script and ``python -m angelctl``).

    After the command has finished and its files are closed, it runs the exit handlers,
    flushes stdout and stderr and ends the process without tearing the interpreter down:
    finalizing the few hundred modules a command loads costs as much as a REST call, and
    nothing in it is observable (measured for issue 14: 12–27 ms of `--help` and of
    `order place --help`). With another thread still running it exits the usual way, so that
    thread is joined as Python would."""
    code = main()
    import threading

    if threading.active_count() > 1:
        return code
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()  # logging's shutdown (flushes --log-file) and any library's
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken: nothing to add
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(entry())
