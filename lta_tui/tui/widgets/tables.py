"""Filling a `DataTable` whose columns fit their content from the first frame.

Textual measures auto-width columns on idle, and a frame drawn before that is cached (keyed on
the table's update count, which the measuring does not change) with the widths of the labels:
figures and PO numbers then show cut (`896,343.1`) until the table changes again. Giving each
column the width of its widest cell when it is added avoids that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text, TextType
from textual.widgets import DataTable

#: A column: its label and its key (None: Textual makes one).
Column = tuple[TextType, "str | None"]


def _width(cell: object) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    return cell_len(str(cell))


def fill_table(
    table: DataTable,
    columns: Sequence[Column],
    rows: Iterable[tuple[str | None, Sequence[object]]],
) -> None:
    """Clear `table`, columns included, and fill it: `rows` are (key, cells) in the order of
    `columns`; each column is as wide as its label or its widest cell."""
    rows = list(rows)
    widths = [_width(label) for label, _ in columns]
    for _, cells in rows:
        for i, cell in enumerate(cells):
            widths[i] = max(widths[i], _width(cell))
    table.clear(columns=True)
    for (label, key), width in zip(columns, widths, strict=True):
        table.add_column(label, key=key, width=width)
    for key, cells in rows:
        table.add_row(*cells, key=key)
