"""``render.live.frame``: the body gives way, the footer never does, and the rows shown are the
most that fit, whatever the previous frame left in the memo."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console, Group
from rich.text import Text

from angelctl.render.live import frame


def body_of(rows: int, lines_per_row: int = 1, head: int = 3):
    def body(n: int | None) -> Group:
        shown = rows if n is None else n
        parts = [Text(f"head {i}") for i in range(head)]
        parts += [Text("\n".join([f"row {r}"] * lines_per_row)) for r in range(shown)]
        if shown < rows:
            parts.append(Text(f"+{rows - shown} more"))
        return Group(*parts)

    return body


def lines_of(result: object, width: int = 40) -> list[str]:
    console = Console(file=StringIO(), width=width, record=True)
    console.print(result)
    return console.export_text().rstrip("\n").split("\n")


@pytest.mark.parametrize("lines_per_row", [1, 3])
@pytest.mark.parametrize("height", [4, 6, 12, 30, 200])
@pytest.mark.parametrize("previous", [None, 0, 5, 50])
def test_the_most_rows_that_fit_above_a_whole_footer(
    lines_per_row: int, height: int, previous: int | None
) -> None:
    console = Console(file=StringIO(), width=40)
    rows = 50
    memo = {} if previous is None else {"rows": previous}
    footer = Text("status line that stays")
    shown = lines_of(frame(console, 40, height, body_of(rows, lines_per_row), rows, footer, memo))
    assert shown[-1] == "status line that stays"
    assert len(shown) <= height
    count = len({line for line in shown if line.startswith("row ")})
    budget = height - 1
    # the best: head (3) + rows + the "+N more" line, or every row without it
    best = rows if 3 + rows * lines_per_row <= budget else max((budget - 4) // lines_per_row, 0)
    if budget >= 3:
        assert count == best
        assert memo["rows"] == best
    if count < rows and budget >= 4 + count * lines_per_row:
        assert f"+{rows - count} more" in shown
