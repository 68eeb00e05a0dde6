"""instruments sync | search | show | info."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import clock, done, output, profile_settings, whole
from angelctl.cli.completion import complete_exchange, complete_kind, complete_path

if TYPE_CHECKING:
    from datetime import date

    from angelctl.instruments.index import InstrumentIndex
    from angelctl.instruments.model import Contract
    from angelctl.render.output import Output

app = typer.Typer(
    help="The instrument master: sync it, search it, show a contract.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def complete_symbol(incomplete: str) -> list[str]:
    """Shell completion for symbol arguments (the fast path in __main__ answers first)."""
    from angelctl.cli.completion import complete_symbol as ranked

    return ranked(incomplete)


SymbolArg = Annotated[
    str,
    typer.Argument(
        help="Symbol: SBIN-EQ, NSE:2885, 'NIFTY 25000 CE 27NOV25', 'BANKNIFTY FUT', RELIANCE.",
        autocompletion=complete_symbol,
        show_default=False,
    ),
]
ExchangeOpt = Annotated[
    str | None,
    typer.Option(
        "--exchange",
        "-x",
        help="Only this exchange (NSE, BSE, NFO, BFO, MCX, CDS).",
        show_default=False,
        autocompletion=complete_exchange,
    ),
]


def open_instruments(ctx: typer.Context, out: Output) -> InstrumentIndex:
    """The index every command uses: refreshed once per trading day, offline-tolerant."""
    from angelctl.instruments.store import open_index

    cfg, settings = profile_settings(ctx, require_existing=False)
    with _progress(out, "Refreshing the instrument master") as progress:
        return open_index(
            settings,
            clock(),
            warn=out.warn,
            progress=progress,
            freeze_overrides=cfg.freeze_qty,
        )


def _progress(out: Output, label: str) -> Any:
    from angelctl.render.progress import download_progress

    return download_progress(out, label)


@app.command("sync")
def sync(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Ingest a saved master file instead of downloading.",
            dir_okay=False,
            autocompletion=complete_path,
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a master much smaller than the current index.")
    ] = False,
) -> None:
    """Download the instrument master, validate it and rebuild the local index atomically."""
    from angelctl.instruments.sync import sync_master

    out = output(ctx)
    _, settings = profile_settings(ctx, require_existing=False)
    with _progress(out, "Downloading the instrument master") as progress:
        result = sync_master(settings, clock(), file=file, progress=progress, force=force)
    if out.json_mode:
        out.json({"ok": True, **result.as_dict()})
        return
    report = result.report
    done(
        out,
        f"Instrument index rebuilt: {result.rows} contracts from {result.source} "
        f"({result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s).",
    )
    if report.rejected_total:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.rejected.items()))
        out.warn(
            f"{report.rejected_total} malformed rows skipped ({reasons}); e.g. {report.examples[0]}"
        )
    if report.unknown_types:
        kinds = ", ".join(f"{k or '(blank)'} {v}" for k, v in sorted(report.unknown_types.items()))
        out.warn(f"rows with unknown instrument types kept: {kinds}")
    if report.duplicates:
        out.warn(f"{report.duplicates} duplicate exchange:token rows ignored")


@app.command("show")
def show(ctx: typer.Context, symbol: SymbolArg, exchange: ExchangeOpt = None) -> None:
    """Everything known about one contract: token, lot, tick, freeze limit, expiry, feed type."""
    from angelctl.clock import IST
    from angelctl.instruments.resolve import Resolver

    out = output(ctx)
    index = open_instruments(ctx, out)
    try:
        contract = Resolver(index, clock().now().astimezone(IST).date()).resolve(
            symbol, exchange=exchange
        )
    finally:
        index.close()
    if out.json_mode:
        out.json(contract.as_dict())
        return
    from angelctl.render.instruments import contract_view

    out.show(contract_view(contract))


SearchWords = Annotated[
    list[str],
    typer.Argument(
        help="Words that must all appear in the symbol or underlying.",
        show_default=False,
        autocompletion=complete_symbol,
    ),
]
KindOpt = Annotated[
    str | None,
    typer.Option(
        "--type",
        "-t",
        help="EQ, INDEX, FUT or OPT.",
        show_default=False,
        autocompletion=complete_kind,
    ),
]
UnderlyingOpt = Annotated[
    str | None,
    typer.Option(
        "--underlying", "-u", help="Only contracts on this underlying.", show_default=False
    ),
]
ExpiryOpt = Annotated[
    str | None,
    typer.Option("--expiry", help="Only this expiry (2025-11-27 or 27NOV25).", show_default=False),
]
LimitOpt = Annotated[
    int,
    typer.Option(
        "--limit",
        "-n",
        metavar="INTEGER",
        parser=whole("-n/--limit", 1, 1000),
        help="At most this many rows (1-1000).",
    ),
]


@app.command("search")
def search(
    ctx: typer.Context,
    words: SearchWords,
    exchange: ExchangeOpt = None,
    kind: KindOpt = None,
    underlying: UnderlyingOpt = None,
    expiry: ExpiryOpt = None,
    limit: LimitOpt = 20,
) -> None:
    """Fuzzy search of the index with filters."""
    from angelctl.clock import IST
    from angelctl.errors import UsageError
    from angelctl.instruments.model import KINDS
    from angelctl.instruments.resolve import Resolver

    out = output(ctx)
    if kind and kind.upper() not in KINDS:
        raise UsageError(f"--type must be one of {', '.join(KINDS)}, not {kind!r}")
    today = clock().now().astimezone(IST).date()
    expiry_date = _expiry_date(expiry, today) if expiry else None
    index = open_instruments(ctx, out)
    try:
        rows = index.search(
            [w for text in words for w in text.split()],
            exchange=exchange,
            kind=kind.upper() if kind else None,
            name=underlying,
            expiry=expiry_date,
            limit=limit,
        )
        suggestions = [] if rows else Resolver(index, today).suggest(" ".join(words))
    finally:
        index.close()
    if out.json_mode:
        out.json({"results": [c.as_dict() for c in rows], "suggestions": suggestions})
        return
    if not rows:
        out.notice(
            "No instrument matches."
            + (f" Did you mean: {', '.join(suggestions)}?" if suggestions else "")
        )
        return
    from angelctl.render.instruments import contracts_table

    out.show(contracts_table(rows))


def _expiry_date(expiry: str, today: date) -> date:
    from angelctl.errors import UsageError
    from angelctl.instruments.resolve import parse_words

    found = parse_words(f"X {expiry}", today).expiry
    if found is None:
        raise UsageError(f"--expiry {expiry!r} is not a date (2025-11-27 or 27NOV25)")
    return found


@app.command("info")
def info(ctx: typer.Context) -> None:
    """The index's date, row count, source and freshness."""
    from angelctl.instruments.index import IndexUnusable, InstrumentIndex
    from angelctl.instruments.store import index_path, is_stale

    out = output(ctx)
    path = index_path()
    try:
        index = InstrumentIndex(path)
    except IndexUnusable as exc:
        from angelctl.instruments.store import InstrumentsUnavailable

        raise InstrumentsUnavailable(str(exc), hint="run `angelctl instruments sync`") from None
    try:
        meta = index.meta
        stale = is_stale(index, clock().now())
        count = index.count()
        search_method = index.search_method
    finally:
        index.close()
    import json

    document = {
        "index": str(path),
        "source": meta.get("source"),
        "trading_day": meta.get("trading_day"),
        "downloaded_at": meta.get("downloaded_at"),
        "rows": count,
        "stale": stale,
        "search": search_method,
        "report": json.loads(meta.get("report", "{}")),
    }
    if out.json_mode:
        out.json(document)
        return
    from angelctl.render.instruments import index_info_view

    out.show(index_info_view(document))


def resolve_symbols(ctx: typer.Context, out: Output, symbols: tuple[str, ...]) -> list[Contract]:
    """Every symbol through the one resolver; all failures reported before any network call."""
    from angelctl.clock import IST
    from angelctl.errors import UsageError
    from angelctl.instruments.resolve import Resolver

    index = open_instruments(ctx, out)
    contracts: list[Contract] = []
    failures: list[UsageError] = []
    try:
        resolver = Resolver(index, clock().now().astimezone(IST).date())
        for result in resolver.resolve_all(symbols):
            if isinstance(result, UsageError):
                failures.append(result)
            else:
                contracts.append(result)
    finally:
        index.close()
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise UsageError(
            f"{len(failures)} symbols did not resolve: "
            + "; ".join(f.message + (f" ({f.hint})" if f.hint else "") for f in failures),
            hint="search with `angelctl instruments search WORDS`",
        )
    return contracts
