"""The arguments and options of ``gtt create`` and ``gtt modify`` (``cli.gtt``), as Typer
annotations: the values each takes, its help and its completion hook. Parsing only: the checks
that need the contract or the rule are ``orders.gtt``'s.
"""

from __future__ import annotations

from typing import Annotated

import typer

from angelctl.cli.common import MAX_UNITS, whole
from angelctl.cli.completion import complete_side
from angelctl.cli.instruments import complete_symbol

# The arguments and options of `gtt create`, in the order its help lists them: SIDE SYMBOL
# as `order place` takes them. `--side` is the older spelling (SYMBOL --side SIDE), hidden.
SideArg = Annotated[
    str,
    typer.Argument(
        help="BUY or SELL.", metavar="SIDE", show_default=False, autocompletion=complete_side
    ),
]
SymbolArg = Annotated[
    str | None,
    typer.Argument(
        help="Symbol (see `instruments show`).",
        autocompletion=complete_symbol,
        metavar="SYMBOL",
        show_default=False,
    ),
]
SideOpt = Annotated[
    str | None,
    typer.Option(
        "--side",
        help="Deprecated: write SIDE SYMBOL.",
        hidden=True,
        show_default=False,
        autocompletion=complete_side,
    ),
]
TriggerOpt = Annotated[
    str, typer.Option("--trigger", help="Trigger price (rupees).", show_default=False)
]
PriceOpt = Annotated[
    str, typer.Option("--price", help="Limit price of the order.", show_default=False)
]
DaysOpt = Annotated[
    int,
    typer.Option(
        "--days",
        help="Validity in days (1-365).",
        metavar="INTEGER",
        parser=whole("--days", 1, 365),
    ),
]

# The options of `gtt modify` (each one a change; none given is a usage error).
NewQtyOpt = Annotated[
    int | None,
    typer.Option(
        "--qty",
        help="New quantity in units.",
        show_default=False,
        metavar="INTEGER",
        parser=whole("--qty", 1, MAX_UNITS),
    ),
]
NewDisclosedOpt = Annotated[
    int | None,
    typer.Option(
        "--disclosed",
        help="New disclosed quantity.",
        show_default=False,
        metavar="INTEGER",
        parser=whole("--disclosed", 0, MAX_UNITS),
    ),
]
NewDaysOpt = Annotated[
    int | None,
    typer.Option(
        "--days",
        help="New validity in days.",
        show_default=False,
        metavar="INTEGER",
        parser=whole("--days", 1, 365),
    ),
]
