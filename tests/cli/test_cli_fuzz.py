"""Bad input never reaches an internal error: arbitrary strings for every option and argument of
the commands an operator types values into, run in-process against the sandbox.

Each example asserts that the exit status is one of the documented ``ExitStatus`` values and
never 1 (ERROR, "a bug"), and that stderr carries no traceback. Commands that could change
something run with ``--dry-run`` where it exists; the rest act on the sandbox's paper broker.
Every failure found here is a bug in the CLI, fixed there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from angelctl.status import ExitStatus
from tests.conftest import Result, run_cli, sandbox_admin

DOCUMENTED = frozenset(int(status) for status in ExitStatus) - {int(ExitStatus.ERROR)}

# Strings an operator (or a script gone wrong) may pass. A real argv never holds NUL, so it is
# left out; lone surrogates are what Python makes of undecodable argv bytes, so they are in.
_ALPHABET = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)) | (
    st.sampled_from(["\udcff", "\udc80", "\x1b", "\x7f", "\n", "\t", "\r"])
)
_SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "-",
        "--",
        "-0",
        "0",
        "-1",
        "1e400",
        "-1e400",
        "NaN",
        "sNaN",
        "inf",
        "-Infinity",
        "１００",
        "٣",
        "۱۲",
        "𝟗",
        "9" * 400,
        "0." + "0" * 50 + "1",
        "1_000",
        "0x10",
        "NSE:",
        ":",
        "NSE:0",
        "BSE:" + "9" * 30,
        "--yes",
        "-h",
        "2026-02-30T10:00",
        "9999-12-31T23:59",
        "0001-01-01T00:00+14:00",
        "SBIN",
        "NIFTY 25000 CE",
        "NIFTY FUT",
        "[/bold]",  # rich markup: shown text must never be parsed as markup
        "[red]x[/]",
        "[/]",
        "x [link=https://example.com]y",
    ]
)
NASTY = st.one_of(
    st.lists(_ALPHABET, max_size=24).map("".join),  # st.text would drop the surrogates
    _SPECIAL,
    st.integers().map(str),
    st.text(alphabet="0123456789.-+eE_ ", min_size=1, max_size=40),
    st.from_regex(r"-{1,2}[a-z-]{0,12}", fullmatch=True),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
# Global options the CLI hoists from anywhere: as random values they would turn on tracebacks
# (--debug), write a log file or switch to an unknown profile, so values never spell them.
NASTY = NASTY.filter(
    lambda text: text.split("=", 1)[0] not in ("--debug", "--log-file", "--profile", "-p")
)


def value(*sane: str) -> st.SearchStrategy[str]:
    """A plausible value (two times in three) or an arbitrary string."""
    if not sane:
        return NASTY
    plausible = st.sampled_from(sane)
    return st.one_of(plausible, plausible, NASTY)


def options(spec: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[str]]:
    """Any subset of ``spec``'s options, each with a drawn value, in any order."""
    names = st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=len(spec))
    return names.flatmap(
        lambda chosen: st.tuples(*(spec[n] for n in chosen)).map(
            lambda values: [part for pair in zip(chosen, values, strict=True) for part in pair]
        )
    )


def flags(*names: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names), unique=True, max_size=len(names))


def check(result: Result, argv: list[str]) -> None:
    assert result.code in DOCUMENTED, f"exit {result.code} for {argv!r}:\n{result.err[-2000:]}"
    assert "Traceback" not in result.err, f"{argv!r}:\n{result.err[-2000:]}"


def run(argv: list[str]) -> None:
    check(run_cli(*argv), argv)


# FUZZ_EXAMPLES=500 for a longer hunt; the default keeps the file well under a minute.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SYMBOL = value("SBIN", "NSE:3045", "NIFTY FUT", "NIFTY 25000 CE", "RELIANCE BSE")
PRICE = value("780", "799.95", "0.05", "25000")
COUNT = value("1", "2", "10", "0")
SIDE = value("BUY", "SELL", "b", "s")


@pytest.fixture
def market(
    sandbox: Any, sandbox_login: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A logged-in sandbox profile with a still market (SBIN ₹800) and no rate limits to wait
    for, run from an empty folder (nothing an example does lands in the repository)."""
    from angelctl.broker.routes import DEFAULT_LIMITS
    from angelctl.config import config_path
    from angelctl.config_edit import write_profile_values

    def admin(path: str, **body: Any) -> None:
        sandbox_admin(sandbox, "POST", path, body)

    unlimited = {bucket: [[10_000, 1]] for bucket in DEFAULT_LIMITS}
    admin("config", rate_limits=unlimited, segment_ops_limit=None)
    write_profile_values(
        config_path(), "sandbox", {"rate_limits": {b: "10000/s" for b in DEFAULT_LIMITS}}
    )
    admin("market/freeze", frozen=True)
    admin("market/price", exch_seg="NSE", token="3045", ltp="800")
    monkeypatch.chdir(tmp_path)
    assert run_cli("instruments", "sync").code == 0  # the index, once per test
    yield sandbox


@pytest.fixture
def resting(market: Any) -> str:
    """A working BUY LIMIT order below the market."""
    return resting_order()


def resting_order() -> str:
    placed = run_cli(
        "order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780", "--yes", "--json"
    )
    assert placed.code == 0, placed.both
    order_id: str = placed.json()["orders"][0]["order_id"]
    return order_id


# --------------------------------------------------------------------------------- orders

PLACE_OPTIONS = {
    "--qty": COUNT,
    "--lots": COUNT,
    "--type": value("LIMIT", "MARKET", "SL", "SL-M", "STOPLOSS_LIMIT"),
    "--price": PRICE,
    "--trigger": PRICE,
    "--product": value("DELIVERY", "INTRADAY", "CNC", "NRML", "BO"),
    "--variety": value("NORMAL", "STOPLOSS", "ROBO"),
    "--duration": value("DAY", "IOC"),
    "--disclosed": COUNT,
    "--tag": NASTY,
    "--intent-id": NASTY,
}


@FUZZ
@given(
    side=SIDE,
    symbol=SYMBOL,
    opts=options(PLACE_OPTIONS),
    extra=flags("--amo", "--slice", "--wait", "--json"),
)
def test_order_place(
    market: Any, side: str, symbol: str, opts: list[str], extra: list[str]
) -> None:
    valid = ["--qty", "1", "--price", "780"]  # then the drawn options: the last value wins
    run(["order", "place", side, symbol, *valid, *opts, *extra, "--dry-run"])


@FUZZ
@given(
    target=st.one_of(st.just("ORDER"), NASTY),
    opts=options(
        {
            "--price": PRICE,
            "--qty": COUNT,
            "--trigger": PRICE,
            "--type": value("LIMIT", "STOPLOSS_LIMIT", "MARKET"),
        }
    ),
    extra=flags("--json"),
)
def test_order_modify(
    market: Any, resting: str, target: str, opts: list[str], extra: list[str]
) -> None:
    # a filled or cancelled order still parses every value before refusing (exit 2)
    run(["order", "modify", resting if target == "ORDER" else target, *opts, *extra, "--yes"])


@FUZZ
@given(
    target=st.one_of(st.just("ORDER"), st.just(""), NASTY),
    opts=options({"--symbol": SYMBOL}),
    extra=flags("--all", "--json", "--yes"),
)
def test_order_cancel(
    market: Any, resting: str, target: str, opts: list[str], extra: list[str]
) -> None:
    order_id = resting if target == "ORDER" else target  # once cancelled: a notice, exit 0
    run(["order", "cancel", *([order_id] if order_id else []), *opts, *extra])


@FUZZ
@given(
    side=SIDE,
    symbol=SYMBOL,
    opts=options(
        {
            "--trigger": PRICE,
            "--price": PRICE,
            "--qty": COUNT,
            "--lots": COUNT,
            "--product": value("DELIVERY", "CARRYFORWARD", "BO"),
            "--disclosed": COUNT,
            "--days": value("1", "30", "365", "366"),
        }
    ),
    extra=flags("--json"),
)
def test_gtt_create(market: Any, side: str, symbol: str, opts: list[str], extra: list[str]) -> None:
    valid = ["--qty", "1", "--trigger", "840", "--price", "839"]
    run(["gtt", "create", side, symbol, *valid, *opts, *extra, "--dry-run"])


# ---------------------------------------------------------------------------- market data


@FUZZ
@given(
    symbols=st.lists(SYMBOL, min_size=0, max_size=3),
    opts=options({"--mode": value("ltp", "ohlc", "full", "FULL")}),
    extra=flags("--json"),
)
def test_quote(market: Any, symbols: list[str], opts: list[str], extra: list[str]) -> None:
    run(["quote", *symbols, *opts, *extra])


@FUZZ
@given(watch=value("0.1", "1", "86400"), extra=flags("--json"))
def test_quote_watch_values(market: Any, watch: str, extra: list[str]) -> None:
    run(["quote", "SBIN", "--watch", watch, "--iterations", "1", *extra])  # one refresh only


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(
    symbols=st.lists(SYMBOL, min_size=0, max_size=2),
    opts=options({"--mode": value("ltp", "quote", "snap")}),
    extra=flags("--json", "--orders"),
)
def test_stream(market: Any, symbols: list[str], opts: list[str], extra: list[str]) -> None:
    run(["stream", *symbols, *opts, *extra, "--duration", "0.1"])  # the last --duration wins


@FUZZ
@given(opts=options({"--duration": value("0.1", "5"), "--count": COUNT}))
def test_stream_stop_values(market: Any, opts: list[str]) -> None:
    run(["stream", "NOSUCHSYMBOLZZ", *opts])  # the values are parsed before the symbol


@FUZZ
@given(
    words=st.lists(value("NIFTY", "SBIN", "25000", "CE"), min_size=0, max_size=3),
    opts=options(
        {
            "--type": value("EQ", "INDEX", "FUT", "OPT"),
            "--underlying": value("NIFTY", "BANKNIFTY"),
            "--expiry": value("2025-11-27", "27NOV25", "DEC"),
            "--limit": value("1", "1000", "1001"),
        }
    ),
    extra=flags("--json"),
)
def test_instruments_search(
    market: Any, words: list[str], opts: list[str], extra: list[str]
) -> None:
    run(["instruments", "search", *words, *opts, *extra])


@FUZZ
@given(
    symbol=SYMBOL, opts=options({"--exchange": value("NSE", "NFO", "BSE")}), extra=flags("--json")
)
def test_instruments_show(market: Any, symbol: str, opts: list[str], extra: list[str]) -> None:
    run(["instruments", "show", symbol, *opts, *extra])


# ------------------------------------------------------------------------ local commands


@FUZZ
@given(
    opts=options(
        {
            "--segment": value("NSE", "MCX", "cds"),
            "--at": value("2026-11-24T09:15", "2026-11-24T03:45Z"),
        }
    ),
    extra=flags("--json"),
)
def test_calendar_status(opts: list[str], extra: list[str]) -> None:
    run(["calendar", "status", *opts, *extra])


@FUZZ
@given(
    opts=options({"--year": value("2025", "2026", "1990"), "--segment": value("NSE", "MCX")}),
    extra=flags("--json"),
)
def test_calendar_holidays(opts: list[str], extra: list[str]) -> None:
    run(["calendar", "holidays", *opts, *extra])


@FUZZ
@given(
    opts=options({"--intent": value("j1", "nope"), "-n": value("1", "30")}), extra=flags("--json")
)
def test_journal(market: Any, opts: list[str], extra: list[str]) -> None:
    run(["journal", *opts, *extra])


@FUZZ
@given(
    words=st.lists(NASTY, max_size=1),
    opts=options(
        {
            "--reason": NASTY,
            "--segment": value("NSE", "NFO"),
            "--symbol": value("SBIN-EQ", "SBIN"),
            "--budget": value("1", "120", "3600"),
        }
    ),
    extra=flags("--cancel-only", "--all-profiles", "--json"),
)
def test_killswitch_dry_run(
    market: Any, words: list[str], opts: list[str], extra: list[str]
) -> None:
    run(["killswitch", *words, *opts, *extra, "--dry-run"])
    assert run_cli("killswitch", "status", "--offline", "--json").json()["engaged"] is False


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 1))
@given(text=NASTY)
def test_text_kept_and_shown_later(market: Any, text: str) -> None:
    """An intent id, a tag or a kill-switch reason is stored and rendered by later commands."""
    place = ["order", "place", "BUY", "SBIN", "--qty", "1", "--price", "780"]
    run([*place, "--intent-id", text, "--tag", text, "--yes"])
    run(["journal"])
    run(["journal", "--intent", text])
    run(["killswitch", "--yes", "--cancel-only", "--reason", text])
    run(["killswitch", "status", "--offline"])
    run(["killswitch", "reset", "--yes", "--reason", text])


# ------------------------------------------------- one bad value in an otherwise valid command

# A valid command line per command; "@" marks a positional argument that may be replaced, and
# the options listed after it are the ones an example sets again (the last value wins). Each
# example so reaches the parsing and checks of exactly one arbitrary value.
ONE_BAD: dict[str, tuple[list[str], list[str]]] = {
    "order place": (
        ["order", "place", "@BUY", "@SBIN", "--qty", "1", "--price", "780", "--dry-run"],
        [
            *("--qty", "--type", "--price", "--trigger", "--product", "--variety"),
            *("--duration", "--disclosed", "--tag", "--intent-id"),
        ],
    ),
    "order modify": (
        ["order", "modify", "@ORDER", "--price", "781", "--yes"],
        ["--price", "--qty", "--trigger", "--type"],
    ),
    "order cancel": (["order", "cancel", "@ORDER", "--yes"], ["--symbol"]),
    "gtt create": (
        [
            *("gtt", "create", "@SELL", "@SBIN", "--qty", "1"),
            *("--trigger", "840", "--price", "839", "--dry-run"),
        ],
        ["--qty", "--lots", "--trigger", "--price", "--product", "--disclosed", "--days"],
    ),
    "quote": (["quote", "@SBIN", "--mode", "ltp"], ["--mode"]),
    "quote --watch": (["quote", "@SBIN", "--iterations", "1"], ["--watch", "--iterations"]),
    "stream": (["stream", "@SBIN", "--count", "1", "--duration", "0.1"], ["--mode", "--count"]),
    "instruments search": (
        ["instruments", "search", "@NIFTY", "--limit", "5"],
        ["--type", "--underlying", "--expiry", "--limit"],
    ),
    "instruments show": (["instruments", "show", "@SBIN"], ["--exchange"]),
    "calendar status": (["calendar", "status"], ["--segment", "--at"]),
    "calendar holidays": (["calendar", "holidays", "--year", "2026"], ["--year", "--segment"]),
    "journal": (["journal"], ["--intent", "-n"]),
    "killswitch": (["killswitch", "--dry-run"], ["--reason", "--segment", "--symbol", "--budget"]),
}


@pytest.mark.parametrize("command", sorted(ONE_BAD))
@settings(FUZZ, max_examples=max(EXAMPLES * 5 // 8, 1))
@given(data=st.data())
def test_one_arbitrary_value_in_a_valid_command(
    resting: str, command: str, data: st.DataObject
) -> None:
    template, names = ONE_BAD[command]
    argv = [resting if part == "@ORDER" else part.lstrip("@") for part in template]
    slots = [i for i, part in enumerate(template) if part.startswith("@")] + names
    slot = data.draw(st.sampled_from(slots), label="where")
    bad = data.draw(NASTY, label="value")
    if isinstance(slot, int):
        argv[slot] = bad
    else:
        argv += [slot, bad]
    run([*argv, *data.draw(flags("--json"), label="flags")])


def test_the_fuzzed_cli_runs_against_the_sandbox_not_a_real_broker(market: Any) -> None:
    """The profile the examples use points at the loopback sandbox, and they run from an
    empty folder: nothing reaches a real broker or lands in the repository."""
    result = run_cli("config", "show", "--json")
    assert result.code == 0, result.both
    assert "127.0.0.1" in result.out
    assert os.getcwd() != str(Path(__file__).resolve().parents[2])
