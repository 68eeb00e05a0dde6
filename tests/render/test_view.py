"""The table model and the Indian units: plain text off a terminal (no rich imported), columns
hidden by priority on a terminal with prices, quantities, ids and symbols never cut, and the
lakh/crore grouping and tick precision an Indian operator reads."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from io import StringIO

from rich.console import Console

from angelctl.render.fit import ColumnSpec
from angelctl.render.output import Output
from angelctl.render.units import group_indian, inr, inr_compact, lots, price, quantity
from angelctl.render.view import KeyValueView, Stack, Styled, TableView
from tests.conftest import REPO

COLUMNS = [
    ColumnSpec("order id", "left", kind="id"),
    ColumnSpec("symbol", "left", kind="symbol"),
    ColumnSpec("qty", kind="quantity"),
    ColumnSpec("price", kind="price"),
    ColumnSpec("note", "left"),
    ColumnSpec("tag", "left", drop=1),
]
ROW = ["261207000000001", "NIFTY08DEC2625000CE", "1,30,000", "1,051.30", "x" * 40, "T" * 15]


def on_terminal(view: object, width: int) -> str:
    console = Console(file=StringIO(), width=width, color_system=None)
    console.print(view)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_indian_grouping_and_tick_precision() -> None:
    assert group_indian(3646500) == "36,46,500" and group_indian(-1234) == "-1,234"
    assert group_indian(999) == "999" and group_indian(100000) == "1,00,000"
    assert inr(Decimal("250000")) == "₹2,50,000.00" and inr(Decimal("-1250.5")) == "-₹1,250.50"
    assert inr_compact(Decimal("3350000")) == "₹33.5 L" and inr_compact(12000000) == "₹1.2 Cr"
    assert inr_compact(Decimal("99999")) == "₹99,999.00"
    assert [price(Decimal(v)) for v in ("1.2", "24700.0", "399")] == ["1.20", "24,700.00", "399.00"]
    assert price(Decimal("83.25"), "CDS") == "83.2500"
    assert price(Decimal("1051.3"), tick_size=Decimal("0.05")) == "1,051.30"
    assert quantity(3646500) == "36,46,500" and quantity(None) == "-"
    assert lots(Decimal("1E+1")) == "10"


def test_piped_output_is_plain_aligned_text() -> None:
    out = Output(stdout=StringIO())
    table = TableView("Orders", COLUMNS, [[ROW, ["2", "SBIN-EQ", "5", "1.20", "y", "t"]]])
    out.show(Stack([Styled("heading", "bold"), table, KeyValueView("kv", [("Key", "v")])]))
    text = out.stdout.getvalue()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert lines[0] == "heading" and lines[1] == "Orders"
    assert lines[2].split() == ["order", "id", "symbol", "qty", "price", "note", "tag"]
    assert ROW[4] in lines[3] and ROW[5] in lines[3]  # full width: nothing hidden or cut
    assert lines[4].endswith("1.20  y                                         t")
    assert lines[3].index("1,051.30") + 8 == lines[4].index("1.20") + 4  # right-aligned
    assert not set(text) & set("─│┏┃…") and "\x1b" not in text
    assert lines[-2:] == ["kv", "Key  v"]


def test_a_narrow_terminal_hides_then_elides_text_but_never_data() -> None:
    table = TableView("Orders", COLUMNS, [[ROW]])
    wide = on_terminal(table, 200)
    assert "T" * 15 in wide and "…" not in wide
    narrow = on_terminal(table, 80)
    assert "hidden to fit the terminal: tag" in narrow
    for cell in ROW[:4]:
        assert cell in narrow
    (row,) = [line for line in narrow.splitlines() if ROW[0] in line]
    assert "…" in row and len(row.rstrip()) <= 80  # only the note was cut


def test_piped_views_never_import_rich() -> None:
    """``calendar status | cat`` (the start-up figure) and a table through ``Output.show``."""
    code = (
        "import io, sys\n"
        "from angelctl.cli.app import run\n"
        "from angelctl.cli.environment import Environment\n"
        "sys.stdout = io.StringIO()\n"
        "status = run(['calendar', 'status'], Environment.of_process(None))\n"
        "text = sys.stdout.getvalue()\n"
        "sys.stdout = sys.__stdout__\n"
        "print(status, 'rich' in sys.modules, '│' in text, 'NSE' in text)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.stdout.split() == ["0", "False", "False", "True"], done.stderr
