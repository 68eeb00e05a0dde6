"""candles SYMBOL [--interval 5m] [--from …] [--to …] [--oi] [--table] [--csv F] [--parquet F].

Historical candles (``broker.history``, paginated and paced, with the on-disk cache of
``broker.candle_cache``). What is printed:
- ``--json``: one ``candles/1`` document (prices as plain numbers, times ISO 8601 +05:30);
- ``--csv FILE`` / ``--parquet FILE``: the candles written to FILE (Parquet through the optional
  ``pyarrow``: ``pip install 'angelctl[parquet]'``), a one-line notice on stderr;
- on a terminal: the candlestick chart with volume (``render.candles``); ``--table`` a table;
- piped: the plain table (rich is never imported on that path).

Times: ``--from``/``--to`` are IST dates (``2026-03-02``) or date-times (``2026-03-02 10:30``);
a date alone means from 00:00 / to 23:59. Default: today (IST) up to now. The heavy imports
happen inside the command, so root help stays fast.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import clock, open_session, output, profile_settings
from angelctl.cli.instruments import complete_symbol, resolve_symbols

if TYPE_CHECKING:
    from angelctl.broker.history import CandleResult
    from angelctl.instruments.model import Contract
    from angelctl.render.candle_files import PreEncoded
    from angelctl.render.candles import ChartInfo
    from angelctl.render.output import Output

_FORMS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_ist(text: str, flag: str, *, end: bool) -> datetime:
    """An IST date or date-time; a date alone is the day's start (or, for --to, its 23:59)."""
    from angelctl.clock import IST
    from angelctl.errors import UsageError

    for form in _FORMS:
        try:
            moment = datetime.strptime(text.strip(), form)
        except ValueError:
            continue
        if form == "%Y-%m-%d":
            moment = datetime.combine(moment.date(), time(23, 59) if end else time(0, 0))
        return moment.replace(tzinfo=IST)
    example = f"write {flag} 2026-03-02 or '2026-03-02 10:30' (IST)"
    raise UsageError(f"{flag} {text!r} is not a date", hint=example)


def candles(
    ctx: typer.Context,
    symbol: Annotated[
        str,
        typer.Argument(
            help="The instrument: SBIN, NSE:3045, 'NIFTY FUT', 'NIFTY 25000 CE'.",
            autocompletion=complete_symbol,
            show_default=False,
        ),
    ],
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            "-i",
            help="1m 3m 5m 10m 15m 30m 1h 1d (or the broker's ONE_MINUTE … ONE_DAY).",
        ),
    ] = "1m",
    start: Annotated[
        str | None,
        typer.Option("--from", help="IST date or date-time; default: today.", show_default=False),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="IST date or date-time; default: now.", show_default=False),
    ] = None,
    oi: Annotated[bool, typer.Option("--oi", help="Add open interest (derivatives).")] = False,
    table: Annotated[bool, typer.Option("--table", help="A table instead of the chart.")] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", metavar="FILE", help="Write the candles as CSV.")
    ] = None,
    parquet_file: Annotated[
        Path | None,
        typer.Option("--parquet", metavar="FILE", help="Write Parquet (the [parquet] extra)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the broker for every candle again.")
    ] = False,
) -> None:
    """Historical candles (getCandleData): a chart with volume, a table, JSON, CSV or Parquet."""
    from angelctl.broker.history import CandleRequest, broker_interval

    out = output(ctx)
    name = broker_interval(interval)
    if parquet_file is not None:
        _need_pyarrow()
    now = clock().now()
    first = parse_ist(start, "--from", end=False) if start else _today_start(now)
    last = parse_ist(end, "--to", end=True) if end else now
    (contract,) = resolve_symbols(ctx, out, (symbol,))
    request = CandleRequest(contract.exchange, contract.token, name, first, last, oi)
    from angelctl.broker.history import check_request

    check_request(request)
    encoded = _pre_encoded(out, request.oi)
    result = _fetch(ctx, out, request, use_cache=not no_cache, encoded=encoded)
    if encoded is not None:
        _write_json(out, _document(contract, request, result), result, encoded)
        return
    _emit(out, contract, interval, request, result, table, csv_file, parquet_file)


def _today_start(now: datetime) -> datetime:
    from angelctl.clock import IST

    return datetime.combine(now.astimezone(IST).date(), time(0, 0), IST)


def _need_pyarrow() -> None:
    from angelctl.errors import UsageError

    try:
        import pyarrow  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        raise UsageError(
            "--parquet needs pyarrow, which is not installed",
            hint="pip install 'angelctl[parquet]' (or pip install pyarrow)",
        ) from None


def _pre_encoded(out: Output, oi: bool) -> PreEncoded | None:
    """Under ``--json`` the rows are encoded chunk by chunk while the fetch waits on the rate
    limit (a year of minutes: about 0.2–0.5 s that would otherwise follow the last answer)."""
    if not out.json_mode:
        return None
    from angelctl.render.candle_files import PreEncoded

    return PreEncoded(oi)


def _fetch(
    ctx: typer.Context,
    out: Output,
    request: Any,
    *,
    use_cache: bool,
    encoded: PreEncoded | None = None,
) -> CandleResult:
    from angelctl.broker.candle_cache import CandleCache, cache_path
    from angelctl.broker.history import fetch_candles
    from angelctl.config import cache_dir
    from angelctl.render.progress import chunk_progress

    _, settings = profile_settings(ctx)
    session = open_session(settings)
    cache = CandleCache(cache_path(cache_dir()), f"{settings.name}@{settings.api_url}")
    try:
        with chunk_progress(out, "candles") as progress:
            held = cache if use_cache else None
            on_rows = encoded.add if encoded is not None else None
            return fetch_candles(session, request, cache=held, progress=progress, on_rows=on_rows)
    finally:
        cache.close()
        session.rest.close()


def _emit(
    out: Output,
    contract: Contract,
    interval: str,
    request: Any,
    result: CandleResult,
    table: bool,
    csv_file: Path | None,
    parquet_file: Path | None,
) -> None:
    from angelctl.render.candles import ChartInfo

    info = ChartInfo(contract.symbol, contract.exchange, interval, contract.tick_size or None)
    if csv_file is not None or parquet_file is not None:
        from angelctl.render.candle_files import write_csv, write_parquet

        for path, write in ((csv_file, write_csv), (parquet_file, write_parquet)):
            if path is not None:
                write(path, result.candles, request.oi)
                out.notice(f"wrote {len(result.candles)} candles to {path}")
        if not table:
            return
    _show(out, info, result, table, request.oi)


def _show(out: Output, info: ChartInfo, result: CandleResult, table: bool, oi: bool) -> None:
    from angelctl.render.candles import CandleChart, candles_table

    if table or not out.is_terminal():
        out.show(candles_table(result.candles, info, oi))
    else:
        out.show(CandleChart(result.candles, info))
    if not result.candles:
        out.notice("no candles in this range (a holiday, a weekend, or before the session)")


def _write_json(
    out: Output, document: dict[str, Any], result: CandleResult, encoded: PreEncoded
) -> None:
    """The envelope through ``json.dumps``; the candle array spliced in as text built row by
    row (``render.candle_files``, mostly while fetching): for ~93 k candles that is several
    times faster than a dict per candle through the encoder, and prints the same document."""
    import json

    from angelctl.render.contract import envelope

    head = json.dumps(envelope(out.schema, {**document, "candles": []}))
    assert head.endswith('"candles": []}')
    out.line(head[: -len("[]}")] + encoded.text(result.candles) + "}")


def _document(contract: Contract, request: Any, result: CandleResult) -> dict[str, Any]:
    return {
        "symbol": contract.symbol,
        "exchange": contract.exchange,
        "token": contract.token,
        "interval": request.interval,
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "calls": result.calls,
        "cached_days": result.cached_days,
        "candles": [],  # spliced in by _write_json
    }
