"""Entry point: ``python -m angelctl`` and the ``angelctl`` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if argv is None and "_ANGELCTL_COMPLETE" in __import__("os").environ:
        from angelctl.cli.fastcomplete import try_complete

        if try_complete():  # a symbol: answered from the index without loading the CLI
            return 0
    if args == ["--version"]:  # the one answer that needs no CLI framework at all
        from angelctl import __version__

        print(f"angelctl {__version__}")
        return 0
    from angelctl.cli.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
