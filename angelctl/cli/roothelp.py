"""``angelctl --help``, kept as text: the root help is the same on every terminal at least 80
columns wide (Click wraps help at ``min(columns, 80)``), so the entry point prints it without
loading the CLI framework at all. Measured for issue 14 (medians of 21 runs, the same loaded
2-core machine, ``python -c pass`` 35 ms): 134 ms through Typer with parameterless stand-ins,
about 40 ms from this text.

``tests/test_docs.py`` fails when this text differs from what Typer renders for the full
command tree; ``python -m angelctl.cli.roothelp`` rewrites it.
"""

from __future__ import annotations

WIDTH = 80

TEXT = """\
Usage: angelctl [OPTIONS] COMMAND [ARGS]...

  Trading operations for Angel One SmartAPI: login, funds, orders, streams,
  kill switch.

Options:
  -p, --profile <str>   Profile to use (env ANGELCTL_PROFILE).
  --json                Print one JSON document (NDJSON for streams).
  --debug               HTTP traces (secrets masked) and tracebacks.
  -q, --quiet           Only data and errors.
  --log-file <file>     Append a debug log (secrets masked) to this file.
  --version             Show version.
  --install-completion  Install completion for the current shell.
  --show-completion     Show completion for the current shell, to copy it or
                        customize the installation.
  -h, --help            Show this message and exit.

Commands:
  login        Set up a profile (first time) and log in with MPIN + TOTP...
  logout       End the session at the broker and delete the cached tokens.
  whoami       Show the broker's profile for the current session...
  funds        Show funds and margins (getRMS).
  doctor       Check config, keyring, session, clock skew, reachability...
  reconcile    Settle every open intent against the broker's order book,...
  quote        Quotes for one or more symbols (market/v1/quote, 50 tokens...
  candles      Historical candles (getCandleData): a chart with volume, a...
  stream       Live ticks over the WebSocket feed: a table on a terminal,...
  chain        The option chain around the ATM strike: LTP, change, OI,...
  trades       The day's fills (getTradeBook).
  holdings     Demat holdings with P&L and the account totals...
  margin       Margin required for an order or a basket (marginBatch),...
  guard        Watch today's P&L and order rate against the profile's...
  config       Show and change configuration (profiles, URLs, IPs, limits).
  instruments  The instrument master: sync it, search it, show a contract.
  order        Place, modify, cancel and inspect orders (journalled,...
  gtt          GTT rules: a LIMIT order sent when the price reaches a...
  journal      The order journal: every intent, its tag, state and outcome.
  positions    Net and day positions with P&L; `positions convert` moves...
  sandbox      Run the loopback SmartAPI sandbox (paper broker with fault...
  calendar     Exchange sessions and holidays in IST: each segment's...
  killswitch   Emergency stop: latch, cancel every working order and GTT...
"""


def rendered() -> str:
    """The root help as Typer renders it for the full command tree on a terminal ``WIDTH``
    columns wide (Click leaves two columns free)."""
    from typer.testing import CliRunner

    from angelctl.cli.app import full_app

    result = CliRunner().invoke(
        full_app(), ["--help"], prog_name="angelctl", terminal_width=WIDTH - 2
    )
    return result.output


def main() -> None:
    from pathlib import Path

    path = Path(__file__)
    source = path.read_text(encoding="utf-8")
    start = source.index('TEXT = """\\\n') + len('TEXT = """\\\n')
    end = source.index('"""', start)
    path.write_text(
        source[:start] + rendered().replace("\\", "\\\\") + source[end:], encoding="utf-8"
    )


if __name__ == "__main__":
    main()
