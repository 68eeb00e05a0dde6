"""Entry point: ``python -m angelctl`` and the ``angelctl`` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from angelctl.cli.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
