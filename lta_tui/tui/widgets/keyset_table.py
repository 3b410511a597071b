"""A virtual table for lists of any length, fed page by page from keyset queries.

The widget holds a window of a few pages around the cursor (memory does not depend on the row
count); a page is fetched by the source's `fetch` callable in a thread worker when the cursor
nears the edge of the window, and `home`/`end` jump to the first/last page. Rows are drawn with
the Line API (`render_line`), one plain-text segment per line: cell text is never markup.

Line 0 is the header (sort column marked ▲/▼, click to sort), the last line a status line
("row x of N", the sort, loading or error), the lines between are rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NamedTuple, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from lta_tui.tui.widgets.column_layout import (
    ColumnLike,
    Layout,
    fit_cell,
    fit_columns,
    join_cells,
)

Direction = Literal["first", "after", "before", "last"]


class RowLike(Protocol):
    """A display-ready row (`store.paging.Row` is one)."""

    id: int
    key: tuple[Any, ...]
    cells: tuple[str, ...]
    ref: int


class PageRequest(NamedTuple):
    direction: Direction
    key: tuple[Any, ...] | None  # the boundary row's key for "after"/"before"
    limit: int
    sort_key: str
    descending: bool


@dataclass(frozen=True)
class TableSource:
    """What to show: columns, how to fetch a page and count rows (both run in threads)."""

    columns: Sequence[ColumnLike]
    fetch: Callable[[PageRequest], Sequence[RowLike]]
    count: Callable[[], int]
    sort_key: str
    descending: bool = False
    empty_message: str = "No rows."
    caption: str = ""  # shown at the right of the status line (e.g. the view and scope)


class KeysetTable(Widget, can_focus=True):
    """Browse a `TableSource`; posts `RowSelected` on enter or double click."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
        Binding("enter", "select", "Open"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyset-table--header",
        "keyset-table--sorted",
        "keyset-table--cursor",
        "keyset-table--status",
        "keyset-table--message",
        "keyset-table--error",
    }
    DEFAULT_CSS = """
    KeysetTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .keyset-table--header { background: $panel; color: $foreground; text-style: bold; }
        & > .keyset-table--sorted { background: $panel; color: $accent; text-style: bold; }
        & > .keyset-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        & > .keyset-table--status { background: $panel; color: $text-muted; }
        & > .keyset-table--message { color: $text-muted; text-style: italic; }
        & > .keyset-table--error { color: $error; text-style: bold; }
        &:focus > .keyset-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class RowSelected(Message):
        """Enter (or a double click) on a row: `row_id` is the row, `ref` what it refers to."""

        def __init__(self, table: KeysetTable, row_id: int, ref: int) -> None:
            super().__init__()
            self.table = table
            self.row_id = row_id
            self.ref = ref

        @property
        def control(self) -> KeysetTable:
            return self.table

    class SortChanged(Message):
        def __init__(self, table: KeysetTable, sort_key: str, descending: bool) -> None:
            super().__init__()
            self.table = table
            self.sort_key = sort_key
            self.descending = descending

        @property
        def control(self) -> KeysetTable:
            return self.table

    class LoadFailed(Message):
        """A page or the count could not be read; `error` is meant for the user."""

        def __init__(self, table: KeysetTable, error: str) -> None:
            super().__init__()
            self.table = table
            self.error = error

        @property
        def control(self) -> KeysetTable:
            return self.table

    class _PageLoaded(Message, bubble=False):
        def __init__(self, generation: int, request: PageRequest, rows: list[RowLike]) -> None:
            super().__init__()
            self.generation, self.request, self.rows = generation, request, rows

    class _Counted(Message, bubble=False):
        def __init__(self, generation: int, total: int) -> None:
            super().__init__()
            self.generation, self.total = generation, total

    class _Failed(Message, bubble=False):
        def __init__(self, generation: int, request: PageRequest | None, error: str) -> None:
            super().__init__()
            self.generation, self.request, self.error = generation, request, error

    def __init__(
        self,
        *,
        page_size: int = 100,
        max_pages: int = 5,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.page_size = page_size
        self.max_pages = max(max_pages, 3)
        self._source: TableSource | None = None
        self._sort_key = ""
        self._descending = False
        self._generation = 0
        self._rows: list[RowLike] = []
        self._at_start = self._at_end = False
        self._start_index: int | None = None  # absolute index of _rows[0], when known
        self._end_gap: int | None = None  # rows after the window's last row, when known
        self._top = 0  # window index of the first visible row
        self._cursor = 0  # window index of the cursor row
        self._count: int | None = None
        self._pending: PageRequest | None = None
        self._pending_move = 0  # cursor movement waiting for the page being fetched
        self._cursor_ref: int | None = None  # `put_cursor_on`: wanted on the next first page
        self._error: str | None = None
        self._layout_for: tuple[int, int] | None = None
        self._layout = Layout(1, ())
        self._lines: dict[int, str] = {}  # row id -> line text for the current layout
        self._styles: dict[str, Style] = {}
        self._size = Size(0, 0)  # `Widget.size` is costly per line: kept from the last resize

    # --- public API -------------------------------------------------------------------------

    def load(self, source: TableSource) -> None:
        """Show `source` from its first row (the previous rows stay until the page arrives,
        unless the columns changed)."""
        same_columns = self._source is not None and self._source.columns is source.columns
        self._source = source
        self._sort_key, self._descending = source.sort_key, source.descending
        if self.is_mounted:
            self._restart(clear=not same_columns)

    def on_mount(self) -> None:
        if self._source is not None and self._pending is None and not self._rows:
            self._restart(clear=True)

    def reload(self) -> None:
        """Read the source again from its first row."""
        if self._source is not None:
            self._restart(clear=False)

    @property
    def source(self) -> TableSource | None:
        return self._source

    @property
    def sort(self) -> tuple[str, bool]:
        """(column key, descending) of the current sort."""
        return self._sort_key, self._descending

    @property
    def is_loading(self) -> bool:
        return self._pending is not None

    @property
    def total(self) -> int | None:
        """Rows in the source, once counted."""
        return self._count

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def cursor_row(self) -> RowLike | None:
        return self._rows[self._cursor] if self._rows else None

    @property
    def cursor_position(self) -> int | None:
        """0-based position of the cursor row in the whole list, when known."""
        start = self._known_start()
        return None if start is None or not self._rows else start + self._cursor

    @property
    def window_size(self) -> int:
        """Rows held in memory (a few pages)."""
        return len(self._rows)

    def visible_rows(self) -> list[RowLike]:
        return self._rows[self._top : self._top + self._body_height()]

    def put_cursor_on(self, ref: int) -> None:
        """When the next first page arrives (after `load` or `reload`), put the cursor on the
        first row whose `ref` is `ref`, if that page holds one; else it stays on row one."""
        self._cursor_ref = ref

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        """Sort on column `key` (`descending` None: the column's natural first direction)."""
        if self._source is None:
            return
        column = self._column(key)
        if not column.sortable:
            return
        if descending is None:
            descending = bool(getattr(column, "descending_first", False))
        self._sort_key, self._descending = key, descending
        self.post_message(self.SortChanged(self, key, descending))
        self._restart(clear=False)

    # --- actions ----------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(self._body_height(), scroll=True)

    def action_page_up(self) -> None:
        self._move(-self._body_height(), scroll=True)

    def action_first(self) -> None:
        if self._at_start:
            self._place(0, 0)
        elif self._rows:
            self._request("first")

    def action_last(self) -> None:
        if self._at_end:
            last = len(self._rows) - 1
            self._place(max(0, last), max(0, len(self._rows) - self._body_height()))
        elif self._rows:
            self._request("last")

    def action_select(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowSelected(self, row.id, row.ref))

    def action_cycle_sort(self) -> None:
        if self._source is None:
            return
        columns = self._source.columns
        shown = {slot.index for slot in self._current_layout().slots}
        # Only the columns on screen: sorting on a hidden one would look like a random order.
        keys = [c.key for i, c in enumerate(columns) if c.sortable and i in shown]
        keys = keys or [c.key for c in columns if c.sortable]
        if keys:
            at = keys.index(self._sort_key) if self._sort_key in keys else -1
            self.sort_by(keys[(at + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        if self._source is not None and self._sort_key:
            self.sort_by(self._sort_key, not self._descending)

    # --- loading ----------------------------------------------------------------------------

    def _restart(self, *, clear: bool) -> None:
        self._generation += 1
        self._pending = None
        self._pending_move = 0
        self._count = None
        self._error = None
        self._lines.clear()  # the same row may read differently after a reload
        if clear:
            self._rows = []
            self._top = self._cursor = 0
            self._layout_for = None
        self._request("first")
        self._count_rows(self._generation, self._source.count)  # type: ignore[union-attr]
        self.refresh()

    def _page_limit(self) -> int:
        return max(self.page_size, 2 * self._body_height())

    def _request(self, direction: Direction) -> None:
        if self._source is None:
            return
        key = None
        if direction == "after":
            key = self._rows[-1].key
        elif direction == "before":
            key = self._rows[0].key
        request = PageRequest(direction, key, self._page_limit(), self._sort_key, self._descending)
        if request == self._pending:
            return
        self._pending = request
        self._fetch_page(self._generation, request, self._source.fetch)
        self._refresh_status()

    @work(thread=True, exclusive=True, exit_on_error=False, group="keyset-page")
    def _fetch_page(
        self,
        generation: int,
        request: PageRequest,
        fetch: Callable[[PageRequest], Sequence[RowLike]],
    ) -> None:
        try:
            rows = list(fetch(request))
        except Exception as exc:  # shown to the user in the table; never kills the app
            self.post_message(self._Failed(generation, request, _describe(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self._PageLoaded(generation, request, rows))

    @work(thread=True, exclusive=True, exit_on_error=False, group="keyset-count")
    def _count_rows(self, generation: int, count: Callable[[], int]) -> None:
        try:
            total = count()
        except Exception as exc:
            self.post_message(self._Failed(generation, None, _describe(exc)))
            return
        self.post_message(self._Counted(generation, total))

    @on(_Counted)
    def _on_counted(self, message: _Counted) -> None:
        if message.generation == self._generation:
            self._count = message.total
            self._refresh_status()

    @on(_Failed)
    def _on_failed(self, message: _Failed) -> None:
        if message.generation != self._generation:
            return
        if message.request is not None:
            if message.request != self._pending:
                return
            self._pending = None
        self._error = message.error
        self.refresh()
        self.post_message(self.LoadFailed(self, message.error))

    @on(_PageLoaded)
    def _on_page_loaded(self, message: _PageLoaded) -> None:
        request = message.request
        if message.generation != self._generation or request != self._pending:
            return
        self._pending = None
        self._error = None
        rows, full = message.rows, len(message.rows) >= request.limit
        height = self._body_height()
        if request.direction == "first":
            self._rows, self._top, self._cursor = rows, 0, 0
            self._at_start, self._at_end = True, not full
            self._start_index, self._end_gap = 0, (0 if not full else None)
            wanted, self._cursor_ref = self._cursor_ref, None
            at = next((n for n, row in enumerate(rows) if row.ref == wanted), None)
            if wanted is not None and at is not None:
                self._place(at, at - height // 2)
        elif request.direction == "last":
            self._rows, self._cursor = rows, max(0, len(rows) - 1)
            self._top = max(0, len(rows) - height)
            self._at_start, self._at_end = not full, True
            self._start_index, self._end_gap = (0 if not full else None), 0
        elif request.direction == "after":
            self._rows.extend(rows)
            if self._end_gap is not None:
                self._end_gap = max(0, self._end_gap - len(rows))
            if not full:
                self._at_end, self._end_gap = True, 0
            self._trim_front()
        else:
            self._rows[:0] = rows
            self._top += len(rows)
            self._cursor += len(rows)
            if self._start_index is not None:
                self._start_index = max(0, self._start_index - len(rows))
            if not full:
                self._at_start, self._start_index = True, 0
            self._trim_back()
        pending, self._pending_move = self._pending_move, 0
        if pending and request.direction in ("after", "before"):
            self._move(pending, scroll=abs(pending) > 1)
        else:
            self.refresh()
            self._prefetch(request.direction != "before")

    def _trim_front(self) -> None:
        excess = min(len(self._rows) - self.max_pages * self._page_limit(), self._top)
        if excess > 0:
            del self._rows[:excess]
            self._top -= excess
            self._cursor -= excess
            self._at_start = False
            if self._start_index is not None:
                self._start_index += excess

    def _trim_back(self) -> None:
        visible_end = self._top + self._body_height()
        excess = min(
            len(self._rows) - self.max_pages * self._page_limit(), len(self._rows) - visible_end
        )
        if excess > 0:
            del self._rows[-excess:]
            self._at_end = False
            if self._end_gap is not None:
                self._end_gap += excess

    def _prefetch(self, forward: bool) -> None:
        """Fetch the next page before the cursor reaches the edge of the window."""
        if self._pending is not None or not self._rows:
            return
        height = self._body_height()
        margin = max(2 * height, self.page_size // 2)
        need_after = not self._at_end and len(self._rows) - (self._top + height) < margin
        need_before = not self._at_start and self._top < margin
        if need_after and (forward or not need_before):
            self._request("after")
        elif need_before:
            self._request("before")

    def _known_start(self) -> int | None:
        if self._start_index is not None:
            return self._start_index
        if self._end_gap is not None and self._count is not None:
            return max(0, self._count - self._end_gap - len(self._rows))
        return None

    # --- movement ---------------------------------------------------------------------------

    def _move(self, delta: int, *, scroll: bool = False) -> None:
        rows = self._rows
        if not rows or delta == 0:
            return
        if self._pending_move and (self._pending_move > 0) != (delta > 0):
            self._pending_move = 0
        target = self._cursor + delta
        if target >= len(rows):
            if not self._at_end:
                self._pending_move += target - (len(rows) - 1)
                self._request("after")
            target = len(rows) - 1
        elif target < 0:
            if not self._at_start:
                self._pending_move += target
                self._request("before")
            target = 0
        top = self._top + (target - self._cursor) if scroll else self._top
        self._place(target, top)
        self._prefetch(delta > 0)

    def _place(self, cursor: int, top: int) -> None:
        """Move the cursor and the viewport (kept around the cursor), repainting what changed."""
        height = self._body_height()
        top = min(max(0, top), max(0, len(self._rows) - height))
        top = min(max(top, cursor - height + 1), cursor)
        old_cursor, old_top = self._cursor, self._top
        self._cursor, self._top = cursor, max(0, top)
        if self._top != old_top:
            self.refresh()
            return
        if old_cursor != cursor:
            self._refresh_row(old_cursor)
            self._refresh_row(cursor)
        self._refresh_status()

    def _refresh_row(self, index: int) -> None:
        y = index - self._top + 1
        if 1 <= y <= self._body_height():
            self.refresh(Region(0, y, self._size.width, 1))

    def _refresh_status(self) -> None:
        if self._size.height >= 2:
            self.refresh(Region(0, self._size.height - 1, self._size.width, 1))

    def _body_height(self) -> int:
        return max(1, self._size.height - 2)

    # --- mouse ------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._source is None:
            return
        if offset.y == 0:
            for slot in self._current_layout().slots:
                if slot.x <= offset.x < slot.x + slot.width + self._layout.gap:
                    key = self._source.columns[slot.index].key
                    if key == self._sort_key:
                        self.sort_by(key, not self._descending)
                    else:
                        self.sort_by(key)
                    return
            return
        index = self._top + offset.y - 1
        if 1 <= offset.y <= self._body_height() and index < len(self._rows):
            self._place(index, self._top)
            if event.chain >= 2:
                self.action_select()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._move(3, scroll=True)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._move(-3, scroll=True)

    def on_resize(self, event: events.Resize) -> None:
        self._size = self.size
        self._lines.clear()
        self.refresh()
        if self._rows:
            self._place(self._cursor, self._top)
            self._prefetch(True)

    # --- rendering --------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            base = self.rich_style
            style = base if not component else base + self.get_component_rich_style(component)
            self._styles[component] = style
        return style

    def _column(self, key: str) -> ColumnLike:
        assert self._source is not None
        for column in self._source.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def _current_layout(self) -> Layout:
        width = self._size.width
        columns = self._source.columns if self._source else ()
        marker = (width, id(columns))
        if marker != self._layout_for:
            self._layout = fit_columns(columns, width)
            self._layout_for = marker
            self._lines.clear()
        return self._layout

    def render_line(self, y: int) -> Strip:
        if not self._size.width:
            self._size = self.size
        width, height = self._size
        if y == 0:
            return self._header(width)
        if y == height - 1 and height >= 2:
            return self._status(width)
        index = self._top + y - 1
        if index < len(self._rows):
            return self._row(index, width)
        if y == 1:
            return self._message(width)
        return Strip.blank(width, self._style(""))

    def _row(self, index: int, width: int) -> Strip:
        row = self._rows[index]
        layout = self._current_layout()
        text = self._lines.get(row.id)
        if text is None:
            text = join_cells(row.cells, layout)
            text = fit_cell(text, width)
            if len(self._lines) > 1024:
                self._lines.clear()
            self._lines[row.id] = text
        style = self._style("keyset-table--cursor" if index == self._cursor else "")
        return Strip([Segment(text, style)], width)

    def _header(self, width: int) -> Strip:
        layout = self._current_layout()
        header, sorted_style = self._style("keyset-table--header"), None
        segments, x = [], 0
        for slot in layout.slots:
            column = self._source.columns[slot.index]  # type: ignore[union-attr]
            title = column.title
            if column.key == self._sort_key:
                title = f"{title} {'▼' if self._descending else '▲'}"
                sorted_style = self._style("keyset-table--sorted")
            segments.append(Segment(" " * (slot.x - x), header))
            cell = fit_cell(title, slot.width, column.right)
            is_sorted = column.key == self._sort_key
            segments.append(Segment(cell, sorted_style if is_sorted else header))
            x = slot.x + slot.width
        segments.append(Segment(" " * max(0, width - x), header))
        return Strip(segments).crop(0, width)

    def _message(self, width: int) -> Strip:
        if self._error:
            text, component = self._error, "keyset-table--error"
        elif self._pending is not None or self._source is None:
            text, component = "Loading…", "keyset-table--message"
        else:
            text, component = self._source.empty_message, "keyset-table--message"
        return Strip([Segment(fit_cell(f" {text}", width), self._style(component))], width)

    def _status(self, width: int) -> Strip:
        total = self._count
        position = self.cursor_position
        if not self._rows:
            left = "0 rows" if total == 0 else ""
        else:
            at = f"{position + 1:,}" if position is not None else "…"
            left = f"row {at} of {total:,}" if total is not None else f"row {at} of …"
        notes = []
        if self._source is not None and self._source.caption:
            notes.append(self._source.caption)
        if self._source is not None and self._sort_key:
            title = self._column(self._sort_key).title
            notes.append(f"sorted by {title} {'▼' if self._descending else '▲'}")
        if self._pending is not None:
            notes.append("loading…")
        elif self._error:
            notes.append("error")
        right = " · ".join(notes)
        room = width - len(left) - 2
        text = f" {left}{fit_cell(right, room, right=True) if room > 0 else ''} "
        return Strip([Segment(fit_cell(text, width), self._style("keyset-table--status"))], width)


def _describe(exc: BaseException) -> str:
    """One line for the user: the message of errors meant for them, else the error's kind."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or exc.__class__.__name__
