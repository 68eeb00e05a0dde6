"""Tables that fit the terminal by hiding their least important columns, never by squeezing.

rich shrinks an over-wide table by cutting every column to ``…``, which turns prices into
nonsense. ``fit_table`` instead hides whole columns, least important first (``drop`` order),
until the table fits ``width``, and says which ones it hid in the caption. Cells never wrap.

``ColumnSpec.kind`` says what a column holds; prices, quantities, ids and symbols are never
elided (``PROTECTED``). Views describe their tables with the rich-free models in
``render.view``, which use these specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from angelctl.records import record

if TYPE_CHECKING:
    from rich.table import Table

# A SIMPLE_HEAD table spends 2 cells of padding per column, 1 separator between columns and
# 1 edge on each side.
_PADDING = 2
_SEPARATOR = 1
_EDGES = 2


Kind = Literal["price", "quantity", "id", "symbol", "money", "time", "text"]
# Kinds whose cells are never cut to "…": only ``text`` may be elided as a last resort.
PROTECTED: frozenset[str] = frozenset({"price", "quantity", "id", "symbol", "money", "time"})


@record
class ColumnSpec:
    header: str
    justify: Literal["left", "right", "center"] = "right"
    drop: int = 0  # 0: always shown; otherwise the highest number is hidden first
    kind: Kind = "text"


def _cell_width(cell: Any) -> int:
    from rich.cells import cell_len

    plain = cell.plain if hasattr(cell, "plain") else str(cell)
    return max((cell_len(line) for line in plain.splitlines()), default=0)


def table_width(columns: Sequence[ColumnSpec], sections: Sequence[Sequence[Sequence[Any]]]) -> int:
    widths = [
        max(
            [_cell_width(column.header)]
            + [_cell_width(row[i]) for rows in sections for row in rows]
        )
        for i, column in enumerate(columns)
    ]
    return sum(w + _PADDING for w in widths) + _SEPARATOR * (len(widths) - 1) + _EDGES


def fit_table(
    title: str,
    columns: Sequence[ColumnSpec],
    *sections: Sequence[Sequence[Any]],
    width: int | None = None,
    caption: str = "",
    row_styles: Sequence[Sequence[str | None]] = (),
    pairs: bool = False,
) -> Table:
    """A rich table of ``sections`` (lists of rows, drawn with a rule between them). With
    ``pairs``, columns that share a ``drop`` number are hidden together (bid with ask)."""
    from rich import box
    from rich.table import Table

    keep = list(range(len(columns)))
    hidden: list[int] = []
    if width is not None:
        droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop)
        while (
            droppable
            and table_width(
                [columns[i] for i in keep], [[[r[i] for i in keep] for r in s] for s in sections]
            )
            > width
        ):
            level, index = droppable.pop()
            group = [index]
            while pairs and droppable and droppable[-1][0] == level:
                group.append(droppable.pop()[1])
            for index in group:
                keep.remove(index)
                hidden.append(index)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for i in keep:
        table.add_column(columns[i].header, justify=columns[i].justify, no_wrap=True)
    for number, rows in enumerate(sections):
        if number:
            table.add_section()
        styles = row_styles[number] if number < len(row_styles) else ()
        for r, row in enumerate(rows):
            table.add_row(*(row[i] for i in keep), style=styles[r] if r < len(styles) else None)
    notes = [caption] if caption else []
    if hidden:
        names = ", ".join(columns[i].header for i in sorted(hidden))
        notes.append(f"hidden to fit the terminal: {names}")
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table
