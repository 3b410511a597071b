"""The table of a browse list: a stock `DataTable` whose columns fit the terminal.

Columns have a priority: on a narrow terminal the least important ones drop out, and the one
flexible column (usually a title) takes whatever width is left. Cells are `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from lta_tui.tui.widgets.column_layout import fit_middle

CELL_PADDING = 1
SCROLLBAR = 2


@dataclass(frozen=True)
class ColumnSpec:
    key: str  # also the service's sort key when sortable
    label: str
    width: int = 0  # 0: flexible, takes the width left over (at least `min_width`)
    priority: int = 0  # lower numbers stay longest on a narrow terminal
    right: bool = False
    sortable: bool = True
    min_width: int = 12


Cells = dict[str, Text]


def fit_columns(
    specs: Sequence[ColumnSpec], available: int, natural: dict[str, int] | None = None
) -> list[tuple[ColumnSpec, int]]:
    """The columns that fit in `available` cells, in display order, with their widths.

    `natural` holds the width each column's content needs; a fixed column takes no more than
    that (nor more than its `width`).
    """
    natural = natural or {}
    chosen: dict[str, int] = {}
    used = 0
    for spec in sorted(specs, key=lambda s: s.priority):
        width = min(spec.width, natural.get(spec.key, spec.width)) if spec.width else 0
        need = (width or spec.min_width) + 2 * CELL_PADDING
        if used + need <= available or not chosen:
            chosen[spec.key] = width or spec.min_width
            used += need
    flexible = [s.key for s in specs if s.key in chosen and not s.width]
    spare = max(0, available - used)
    for i, key in enumerate(flexible):
        share = spare // len(flexible) + (1 if i < spare % len(flexible) else 0)
        chosen[key] += share
    return [(s, chosen[s.key]) for s in specs if s.key in chosen]


class BrowseTable(DataTable):
    BINDINGS = [Binding("enter", "select_cursor", "Open", show=True)]

    def __init__(self, specs: Sequence[ColumnSpec], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.specs = list(specs)
        self._rows: list[tuple[str, Cells]] = []
        self._sort: tuple[str, bool] = ("", False)
        self._layout: list[tuple[str, int]] = []
        self._natural: dict[str, int] = {}

    def show(self, rows: list[tuple[str, Cells]], sort: str, descending: bool) -> None:
        """Replace the rows, keeping the cursor on the same record when it is still there."""
        self._rows = rows
        self._sort = (sort, descending)
        self._natural = {
            spec.key: max(
                [
                    len(spec.label) + 2,
                    *(cells[spec.key].cell_len for _, cells in rows if spec.key in cells),
                ]
            )
            for spec in self.specs
        }
        self._rebuild(force=True)

    def visible_keys(self) -> list[str]:
        return [key for key, _ in self._layout]

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild(force=False)

    def _rebuild(self, *, force: bool) -> None:
        available = max(10, self.size.width - SCROLLBAR)
        layout = fit_columns(self.specs, available, self._natural)
        shape = [(spec.key, width) for spec, width in layout]
        if not force and shape == self._layout:
            return
        self._layout = shape
        current = None
        if self.row_count and 0 <= self.cursor_row < self.row_count:
            current = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        with self.app.batch_update():
            self.clear(columns=True)
            sort, descending = self._sort
            for spec, width in layout:
                label = spec.label
                if spec.key == sort:
                    label += " ▼" if descending else " ▲"
                self.add_column(
                    Text(label, justify="right" if spec.right else "left"),
                    width=width,
                    key=spec.key,
                )
            blank = Text("")
            for key, cells in self._rows:
                self.add_row(
                    *(
                        _fit(cells.get(spec.key, blank), width, first=n == 0)
                        for n, (spec, width) in enumerate(layout)
                    ),
                    key=key,
                )
        if current is not None:
            try:
                self.move_cursor(row=self.get_row_index(current))
            except RowDoesNotExist:  # the record is no longer in the list
                self.move_cursor(row=0)


def _fit(cell: Text, width: int, *, first: bool) -> Text:
    """`cell` cut to `width` cells with a visible "…" (the table would cut it silently); the
    first column, the record's identifier, is cut in the middle so that its end stays."""
    if cell.cell_len <= width:
        return cell
    plain = cell.plain
    if first and not cell.spans and plain.isascii() and plain.isprintable() and width >= 8:
        return Text(fit_middle(plain, width), style=cell.style, justify=cell.justify)
    cut = cell.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut
