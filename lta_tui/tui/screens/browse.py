"""A browse list: a table of records with a `/` filter and sorting, both done in SQL by a
thread worker; `enter` opens the record.

Subclasses give the columns, the service call (`query_page`), the cells of a row and the detail
screen to open.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from lta_tui.tui.screens.base import SectionScreen
from lta_tui.tui.widgets.browse_table import BrowseTable, Cells, ColumnSpec
from lta_tui.tui.widgets.filter_input import FilterInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from lta_tui.services.browse import BrowseQuery, Page


class BrowseScreen(SectionScreen):
    CSS_PATH = Path(__file__).with_name("browse.tcss")
    AUTO_FOCUS = "#table"
    COLUMNS: ClassVar[tuple[ColumnSpec, ...]] = ()
    NOUN: ClassVar[str] = "records"
    FILTER_HINT: ClassVar[str] = "Filter…"

    BINDINGS = [
        Binding("slash", "filter", "Filter", tooltip="Filter the list (esc clears)"),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort on the next column"),
        Binding("S", "reverse_sort", "Reverse", key_display="S", tooltip="Reverse the order"),
    ]

    class Loaded(Message):
        def __init__(self, seq: int, page: Page) -> None:
            super().__init__()
            self.seq = seq
            self.page = page

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.sort = ""  # "" until the first page tells which default the list uses
        self.descending = False
        self.page: Page | None = None
        self._seq = 0

    def compose_body(self) -> ComposeResult:
        with Vertical(id="browse"):
            yield FilterInput(placeholder=self.FILTER_HINT, id="filter")
            yield BrowseTable(self.COLUMNS, id="table")
            yield Static(id="status", markup=False)

    @property
    def table(self) -> BrowseTable:
        return self.query_one("#table", BrowseTable)

    def on_mount(self) -> None:
        self.table.loading = True
        self.table.focus()
        super().on_mount()

    # --- loading ------------------------------------------------------------------------------

    def current_query(self) -> BrowseQuery:
        from lta_tui.services.browse import BrowseQuery

        agency = self.app.agency_scope if self.SCOPED else None
        return BrowseQuery(self.filter_text, self.sort, self.descending, agency)

    def reload(self) -> None:
        super().reload()
        self._seq += 1
        self._set_status("Loading…")
        self._load(self._seq, self.current_query())

    @work(thread=True, exclusive=True, group="browse", exit_on_error=False)
    def _load(self, seq: int, query: BrowseQuery) -> None:
        with self.app.engine().connect() as conn:
            page = self.query_page(conn, query)
        self.post_message(self.Loaded(seq, page))

    def query_page(self, conn: Connection, query: BrowseQuery) -> Page:
        raise NotImplementedError

    def cells(self, row: Any) -> Cells:
        raise NotImplementedError

    def row_key(self, row: Any) -> str:
        return str(row.id)

    def open_record(self, key: str) -> None:
        """Open the record whose row key is `key` (usually push a detail screen)."""

    @on(Loaded)
    def _show_page(self, message: Loaded) -> None:
        if message.seq != self._seq:
            return  # a newer filter or sort is on its way
        page = message.page
        self.page = page
        self.sort, self.descending = page.sort, page.descending
        table = self.table
        table.show(
            [(self.row_key(r), self.cells(r)) for r in page.rows], page.sort, page.descending
        )
        table.loading = False
        self._set_status(self._describe(page))

    def load_failed(self) -> None:
        self.table.loading = False
        self._set_status("Could not load the list (see the message).")

    def _describe(self, page: Page) -> str:
        shown = len(page.rows)
        count = f"{page.total:,} {self.NOUN}"
        if shown < page.total:
            count = f"first {shown:,} of {count}: filter to narrow"
        parts = [count]
        if self.SCOPED and self.app.agency_scope:
            parts.append(f"{self.app.agency_scope} only (a: all agencies)")
        if self.filter_text.strip():
            parts.append(f"filter “{self.filter_text.strip()}”")
        label = next((c.label for c in self.COLUMNS if c.key == page.sort), page.sort)
        parts.append(f"sorted by {label.lower()} {'▼' if page.descending else '▲'}")
        return " · ".join(parts)

    def _set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(Text(text))

    # --- filter -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", FilterInput)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value != self.filter_text:
            self.filter_text = event.value
            if self.app.database_ready:
                self.reload()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        box = self.query_one("#filter", FilterInput)
        if not box.value:
            box.display = False
        self.table.focus()

    @on(FilterInput.Cleared)
    def _filter_cleared(self) -> None:
        self.query_one("#filter", FilterInput).display = False
        self.table.focus()

    # --- sort ---------------------------------------------------------------------------------

    def _sortable(self) -> list[str]:
        visible = set(self.table.visible_keys())
        return [c.key for c in self.COLUMNS if c.sortable and c.key in visible]

    def action_cycle_sort(self) -> None:
        keys = self._sortable()
        if not keys:
            return
        nxt = keys[(keys.index(self.sort) + 1) % len(keys)] if self.sort in keys else keys[0]
        self._sort_on(nxt, descending=False)

    def action_reverse_sort(self) -> None:
        self._sort_on(self.sort, descending=not self.descending)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key not in self._sortable():
            return
        self._sort_on(key, descending=not self.descending if key == self.sort else False)

    def _sort_on(self, key: str, *, descending: bool) -> None:
        self.sort, self.descending = key, descending
        if self.app.database_ready:
            self.reload()

    # --- open ---------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_record(event.row_key.value)
