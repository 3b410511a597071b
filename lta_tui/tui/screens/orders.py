"""The Orders section: every order (or every order line) in a virtual keyset table, with a `/`
filter box, sorting, and `enter` to open an order."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from lta_tui.services.order_filter import (
    FilterError,
    OrderFilter,
    Vocabulary,
    filter_help,
    parse_filter,
)
from lta_tui.tui.widgets.keyset_table import KeysetTable, PageRequest, TableSource

FILTER_DEBOUNCE = 0.2  # seconds after the last keystroke before the filter applies


class OrderFilterInput(Input):
    """The `/` box: `esc` clears and closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Clear filter"),
    ]

    class Closed(Message):
        """`esc` in the box: the filter is cleared and the box hidden."""

    def action_close(self) -> None:
        self.value = ""
        self.post_message(self.Closed())


class _Footer(Footer):
    """A `Footer` rebuilt once for a burst of binding changes: Textual's queues one rebuild per
    change (four as the screen first shows: stack, focus, bindings), each remounting every key."""

    _rebuild_queued = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._rebuild_queued:
            return
        super().bindings_changed(screen)
        # queued by `Footer.bindings_changed` under exactly these conditions
        self._rebuild_queued = bool(
            screen.app.app_focus and self.is_attached and screen is self.screen
        )

    async def recompose(self) -> None:
        self._rebuild_queued = False
        await super().recompose()


class OrdersScreen(Screen):
    """Orders (or all order lines with `l`), newest first. `enter` opens the order.

    Follows the app's agency scope when the app has one (`app.agency_scope`, a code or None for
    all agencies; `app.set_agency_scope(all_agencies=...)` calls `reload()` on SCOPED screens).
    """

    CSS_PATH = "orders.tcss"
    SUB_TITLE: ClassVar[str | None] = "Orders"  # None: leave the app's sub-title alone
    AUTO_FOCUS = "#orders-table"
    SCOPED: ClassVar[bool] = True
    HELP: ClassVar[str] = (
        "Every order, newest first, read from the database a page at a time. "
        "l switches between orders and all order lines; enter opens the order (esc comes back). "
        "s sorts on the next column, S reverses, a click on a title sorts on it. "
        "/ filters: a PO number prefix, and agency:UNDP cons:CONS-A lot:2 status:issued "
        "channel:direct cur:EUR country:KE from:2024-01-01 to:2024-12-31 year:2024, "
        "asr:goods or asr:services (the order's ASR classification by its lines, R21), "
        "and in the lines view unspsc:4321; commas list alternatives (agency:UNDP,UNICEF). "
        "enter applies the filter, esc clears it. n opens a new order."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_order", "New order", tooltip="Type a new order"),
        Binding("slash", "filter", "Filter", tooltip="Filter the list (esc clears)"),
        Binding("l", "toggle_lines", "Lines", tooltip="Show all order lines"),
        Binding("l", "toggle_lines('orders')", "Orders", tooltip="Show the orders"),
        Binding("a", "all_agencies", "All agencies", tooltip="Show every agency's orders"),
        Binding("a", "own_agency", "Own agency", tooltip="Show only your agency's orders"),
    ]

    class _Ready(Message):
        """The browse module is imported (off the UI thread)."""

        def __init__(self, browse) -> None:
            super().__init__()
            self.browse = browse

    class _Known(Message):
        """The agency and consolidator codes and lot numbers, to check filters as typed."""

        def __init__(self, vocabulary: Vocabulary) -> None:
            super().__init__()
            self.vocabulary = vocabulary

    def __init__(self, filter_text: str = "") -> None:
        """`filter_text`: a filter to start with, as typed in the `/` box (a spend drill-down);
        a mistake in it raises `FilterError`."""
        super().__init__()
        self._lines_view = False
        self._filter = parse_filter(filter_text) if filter_text else OrderFilter()
        self._vocabulary: Vocabulary | None = None
        self._browse = None  # lta_tui.services.order_browse, imported by a worker
        self._sorts: dict[bool, tuple[str, bool]] = {}
        self._debounce: Timer | None = None
        self._error = ""
        self._shown_scope: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        # The filter box is mounted on the first `/`: the first paint does not wait for it.
        yield Vertical(id="orders-filter-box", classes="-hidden")
        yield KeysetTable(id="orders-table")
        yield _Footer()

    def on_mount(self) -> None:
        self._prepare(self.app)

    @work(thread=True, exit_on_error=False, group="orders-prepare")
    def _prepare(self, app) -> None:
        # The database stack takes ~0.6 s to import: never on the UI thread.
        from lta_tui.services import order_browse

        self.post_message(self._Ready(order_browse))
        try:
            self.post_message(self._Known(order_browse.load_vocabulary(app.engine())))
        except Exception:  # the table shows why the database cannot be read
            pass

    @on(_Ready)
    def _ready(self, message: _Ready) -> None:
        self._browse = message.browse
        self._show()

    @on(_Known)
    def _known(self, message: _Known) -> None:
        self._vocabulary = message.vocabulary

    # --- the table ------------------------------------------------------------------------

    @property
    def table(self) -> KeysetTable:
        return self.query_one("#orders-table", KeysetTable)

    @property
    def lines_view(self) -> bool:
        return self._lines_view

    def _show(self) -> None:
        """Point the table at the current view and filter (pages are read by workers)."""
        order_browse = self._browse
        if order_browse is None:
            return
        view = order_browse.View.lines if self._lines_view else order_browse.View.orders
        spec = order_browse.SPECS[view]
        scope = self._scope()
        self._shown_scope = scope
        flt = replace(self._filter, scope=scope)
        sort_key, descending = self._sorts.get(
            self._lines_view, (spec.default_sort.key, spec.default_sort.descending)
        )
        app = self.app  # captured here: workers must not look it up from their thread

        def fetch(request: PageRequest):
            from lta_tui.store.paging import Sort

            sort = Sort(request.sort_key, request.descending)
            return order_browse.fetch_page(
                app.engine(), view, flt, sort, request.direction, request.key, request.limit
            )

        def count() -> int:
            return order_browse.count_rows(app.engine(), view, flt)

        what = "order lines" if self._lines_view else "orders"
        if not flt.is_empty:
            empty = f"No {what} match the filter ({flt.text}); esc in the filter box clears it."
        elif scope:
            empty = f"No {what} of {scope} yet (a: all agencies)."
        else:
            empty = f"No {what} yet: run `lta-tui demo` for sample data."
        title = "Order lines" if self._lines_view else "Orders"
        caption = f"{title} · {scope} only" if scope else title
        if type(self).SUB_TITLE is not None:
            self.sub_title = title
        self.table.load(
            TableSource(spec.columns, fetch, count, sort_key, descending, empty, caption)
        )
        self.filter_shown(flt)

    def filter_shown(self, flt: OrderFilter) -> None:
        """Called once the list shows `flt` (with the scope): for screens built on this one."""

    def reload(self) -> None:
        """Read the list again (the agency scope may have changed)."""
        self._show()

    def on_screen_resume(self) -> None:
        if self._browse is not None and self._scope() != self._shown_scope:
            self._show()

    def _scope(self) -> str | None:
        return getattr(self.app, "agency_scope", None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("all_agencies", "own_agency"):
            if not hasattr(self.app, "set_agency_scope"):
                return False
            scoped = self._scope() is not None
            return scoped if action == "all_agencies" else not scoped
        if action == "toggle_lines":  # one key, labelled with the view it leads to
            return (parameters == ("orders",)) == self._lines_view
        return True

    def action_all_agencies(self) -> None:
        self.app.set_agency_scope(all_agencies=True)  # type: ignore[attr-defined]

    def action_own_agency(self) -> None:
        self.app.set_agency_scope(all_agencies=False)  # type: ignore[attr-defined]

    def action_new_order(self) -> None:
        """The order form; once the order is saved the list is read again (the form has said
        which PO number it got) with the cursor on the new order when the first page holds it
        (newest first, the default order, puts it there)."""
        from lta_tui.tui.screens.order_form import OrderFormScreen

        def saved(result) -> None:
            if result is not None:
                self._show()
                self.table.put_cursor_on(result.id)

        self.app.push_screen(OrderFormScreen(), saved)

    @on(KeysetTable.SortChanged, "#orders-table")
    def _remember_sort(self, event: KeysetTable.SortChanged) -> None:
        self._sorts[self._lines_view] = (event.sort_key, event.descending)

    @on(KeysetTable.RowSelected, "#orders-table")
    def _open_order(self, event: KeysetTable.RowSelected) -> None:
        from lta_tui.tui.screens.order_detail import OrderDetailScreen

        line_id = event.row_id if self._lines_view else None
        self.app.push_screen(OrderDetailScreen(event.ref, line_id=line_id))

    def action_toggle_lines(self, _to: str = "lines") -> None:
        self._lines_view = not self._lines_view
        self._filter = self._parse(self._filter.text)
        box = self._filter_input()
        if box is not None:
            box.placeholder = self._placeholder()
        self._show()
        self.refresh_bindings()

    # --- the filter -----------------------------------------------------------------------

    async def action_filter(self) -> None:
        box = self.query_one("#orders-filter-box")
        if self._filter_input() is None:
            await box.mount(
                OrderFilterInput(
                    self._filter.text,
                    placeholder=self._placeholder(),
                    id="orders-filter",
                    compact=True,
                ),
                Static("", id="orders-filter-error", markup=False),
            )
        box.remove_class("-hidden")
        self.query_one(OrderFilterInput).focus()

    def _filter_input(self) -> OrderFilterInput | None:
        found = self.query(OrderFilterInput)
        return found.first() if found else None

    @on(Input.Changed, "#orders-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(FILTER_DEBOUNCE, self._apply_filter)

    @on(Input.Submitted, "#orders-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._apply_filter()
        if not self._error:
            self.table.focus()

    @on(OrderFilterInput.Closed)
    def _filter_closed(self, event: OrderFilterInput.Closed) -> None:
        self.query_one("#orders-filter-box").add_class("-hidden")
        self._apply_filter()
        self.table.focus()

    def _apply_filter(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        box = self._filter_input()
        text = box.value if box is not None else ""
        try:
            flt = parse_filter(text, lines_view=self._lines_view, known=self._vocabulary)
        except FilterError as exc:
            self._set_error(str(exc))
            return
        self._set_error("")
        if flt != self._filter or flt.text != self._filter.text:
            self._filter = flt
            self._show()

    def _parse(self, text: str) -> OrderFilter:
        """The filter for the current view, or none (with the error shown) if it does not fit."""
        try:
            flt = parse_filter(text, lines_view=self._lines_view, known=self._vocabulary)
        except FilterError as exc:
            self._set_error(str(exc))
            return OrderFilter()
        self._set_error("")
        return flt

    def _set_error(self, message: str) -> None:
        self._error = message
        for error in self.query("#orders-filter-error").results(Static):
            error.update(message)
            error.set_class(bool(message), "-visible")

    @property
    def filter_error(self) -> str:
        """The message under the filter box ("" when the filter is fine)."""
        return self._error

    def _placeholder(self) -> str:
        return f"PO prefix or {filter_help(self._lines_view)}  (enter: apply, esc: clear)"
