"""One table model for every static screen: described without rich, drawn two ways.

Views build a ``TableView`` (columns as ``ColumnSpec`` with a header, justification, drop
priority and kind; rows of plain strings or ``Styled`` cells), a ``KeyValueView`` or a
``Stack`` of them with lines of text. Nothing here imports rich at module level:

- ``plain_lines()`` is what ``Output.show`` writes when stdout is not a terminal: aligned
  text, no box characters, no colour, every column and every cell in full, never wrapped.
  This path never imports rich (``bench/calendar_status.py`` holds it to that).
- ``__rich_console__`` draws through rich at the console's width: the least important
  columns are hidden first (``drop``), then only ``text`` columns are cut with ``…``; prices,
  quantities, ids, symbols, money and times are never cut, and no data cell ever wraps, so a
  record is one row. If even that cannot fit, the table is drawn wider than the terminal
  rather than cut.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from angelctl.records import record
from angelctl.render.fit import PROTECTED, ColumnSpec

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.text import Text

_ELIDED_MIN = 6  # a text column cut to make room keeps at least this many cells
_GAP = 2  # cells between two columns (no edges: the table starts at the left margin)


def table_width(widths: Sequence[int]) -> int:
    """Cells a table with these column widths takes on a terminal (and in plain text)."""
    return sum(widths) + _GAP * max(len(widths) - 1, 0)


@record
class Styled:
    """A cell or line with a rich style (``"green"``, ``"bold red"``); plain text when piped."""

    text: str
    style: str = ""

    def __str__(self) -> str:
        return self.text


Cell = Union[str, Styled]  # noqa: UP007 (a run-time alias; ``X | Y`` of a str is not a type)
Row = Sequence[Cell]


def text_of(cell: Cell) -> str:
    return cell.text if isinstance(cell, Styled) else cell


def width_of(text: str) -> int:
    """Terminal cells the longest line of ``text`` takes (wide East Asian characters count 2)."""
    if text.isascii() and "\n" not in text:  # the common case, without a lookup per character
        return len(text)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
            for line in text.splitlines()
        ),
        default=0,
    )


def _rich_text(cell: Cell, style: str | None = None, *, elide: bool = False) -> Text:
    from rich.text import Text

    own = cell.style if isinstance(cell, Styled) else ""
    return Text(
        text_of(cell),
        style=" ".join(s for s in (style, own) if s),
        no_wrap=True,
        overflow="ellipsis" if elide else "fold",
    )


@dataclass
class TableView:
    title: str
    columns: Sequence[ColumnSpec]
    sections: Sequence[Sequence[Row]]  # lists of rows, a rule between them on a terminal
    caption: str = ""
    row_styles: Sequence[Sequence[str | None]] = ()
    pairs: bool = False  # columns sharing a ``drop`` number are hidden together (mirrored tables)

    def natural_widths(self) -> list[int]:
        return [
            max(
                [width_of(column.header)]
                + [width_of(text_of(row[i])) for rows in self.sections for row in rows]
            )
            for i, column in enumerate(self.columns)
        ]

    def layout(self, width: int) -> tuple[list[int], list[int]]:
        """(columns kept, their widths) for a terminal ``width`` cells wide."""
        natural = self.natural_widths()
        keep = list(range(len(self.columns)))
        total = table_width
        droppable = sorted((c.drop, i) for i, c in enumerate(self.columns) if c.drop)
        while droppable and total([natural[i] for i in keep]) > width:
            level = droppable[-1][0]
            while droppable and droppable[-1][0] == level:
                keep.remove(droppable.pop()[1])
                if not self.pairs:
                    break
        widths = [natural[i] for i in keep]
        excess = total(widths) - width
        elidable = [n for n, i in enumerate(keep) if self.columns[i].kind not in PROTECTED]
        while excess > 0 and elidable:
            widest = max(elidable, key=lambda n: widths[n])
            floor = max(_ELIDED_MIN, width_of(self.columns[keep[widest]].header))
            if widths[widest] <= floor:
                elidable.remove(widest)
                continue
            widths[widest] -= 1
            excess -= 1
        return keep, widths

    def plain_lines(self) -> list[str]:
        widths = self.natural_widths()
        lines = [self.title] if self.title else []

        def line(cells: Sequence[str]) -> str:
            parts = []
            for i, (text, w) in enumerate(zip(cells, widths, strict=True)):
                pad = " " * (w - width_of(text))
                parts.append(pad + text if self.columns[i].justify == "right" else text + pad)
            return "  ".join(parts).rstrip()

        lines.append(line([c.header for c in self.columns]))
        lines += [line([text_of(c) for c in row]) for rows in self.sections for row in rows]
        if self.caption:
            lines += self.caption.splitlines()
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich import box
        from rich.table import Table

        keep, widths = self.layout(options.max_width)
        table = Table(
            title=self.title or None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for i, w in zip(keep, widths, strict=True):
            column = self.columns[i]
            table.add_column(column.header, justify=column.justify, no_wrap=True, width=w)
        for number, rows in enumerate(self.sections):
            if number:
                table.add_section()
            styles = self.row_styles[number] if number < len(self.row_styles) else ()
            for r, row in enumerate(rows):
                style = styles[r] if r < len(styles) else None
                table.add_row(
                    *(
                        _rich_text(row[i], style, elide=self.columns[i].kind not in PROTECTED)
                        for i in keep
                    )
                )
        notes = [self.caption] if self.caption else []
        hidden = list(  # a mirrored table (the option chain) hides a header twice: say it once
            dict.fromkeys(self.columns[i].header for i in range(len(self.columns)) if i not in keep)
        )
        if hidden:
            notes.append(f"hidden to fit the terminal: {', '.join(hidden)}")
        if notes:
            table.caption = "\n".join(notes)
            table.caption_justify = "left"
        needed = table_width(widths)
        yield from console.render(table, options.update_width(max(options.max_width, needed)))


@dataclass
class KeyValueView:
    """A record as ``field  value`` lines (``whoami``, ``order show``, ``config show``)."""

    title: str
    rows: Sequence[tuple[str, Cell]]

    def plain_lines(self) -> list[str]:
        key_width = max((width_of(k) for k, _ in self.rows), default=0)
        lines = [self.title] if self.title else []
        for key, value in self.rows:
            lines.append(f"{key}{' ' * (key_width - width_of(key))}  {text_of(value)}".rstrip())
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Field names in bold, values folded (never cut) at the terminal's width."""
        from rich.text import Text

        if self.title:
            yield Text(self.title, style="italic")
        key_width = max((width_of(k) for k, _ in self.rows), default=0)
        room = max(options.max_width - key_width - 2, 10)
        for key, value in self.rows:
            chunks = _fold(text_of(value), room)
            style = value.style if isinstance(value, Styled) else ""
            for n, chunk in enumerate(chunks):
                line = Text(key.ljust(key_width) if n == 0 else " " * key_width, style="bold")
                line.append("  ")
                line.append(chunk, style=style)
                yield line


def _fold(text: str, room: int) -> list[str]:
    """``text`` in pieces of at most ``room`` cells: at spaces where it can, mid-word if not."""
    pieces: list[str] = []
    rest = text
    while width_of(rest) > room:
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:
            cut = room
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest]


Part = Union[str, Styled, TableView, KeyValueView, "Stack"]


@dataclass
class Stack:
    """Parts shown one under the other: lines of text and tables."""

    parts: list[Part] = field(default_factory=list)

    def plain_lines(self) -> list[str]:
        return [line for part in self.parts for line in _plain(part)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        for part in self.parts:
            if isinstance(part, str | Styled):
                yield Text(text_of(part), style=part.style if isinstance(part, Styled) else "")
            else:
                yield part


def _plain(part: Part) -> Iterator[str]:
    if isinstance(part, str | Styled):
        yield from text_of(part).splitlines() or [""]
    else:
        yield from part.plain_lines()


def line(text: str, style: str = "") -> Stack:
    """A single line as a view (``No positions.``)."""
    return Stack([Styled(text, style)])
