"""The Orders section driven key by key: paging, filtering, sorting, opening an order and back,
the lines view, narrow and wide terminals, and a database that is missing or empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from textual.app import App
from textual.worker import WorkerCancelled

from lta_tui.tui.screens.order_detail import OrderDetailScreen
from lta_tui.tui.screens.orders import OrdersScreen
from lta_tui.tui.widgets.column_layout import fit_cell, fit_columns
from lta_tui.tui.widgets.keyset_table import KeysetTable
from tests.order_rows import insert_orders

ORDERS = 300  # 4 agencies in turn: 75 each


class OrdersApp(App[None]):
    """The app contract of `lta_tui.tui.app` (config, today, engine) around the Orders screen."""

    def __init__(self, config, engine: Callable[[], object]) -> None:
        super().__init__()
        self.config = config
        self._engine = engine

    def today(self) -> date:
        return date(2026, 11, 15)

    def engine(self):
        return self._engine()

    def on_mount(self) -> None:
        self.push_screen(OrdersScreen())


@pytest.fixture
def orders_app(config, engine):
    insert_orders(engine, ORDERS, seed=5)
    return OrdersApp(config, lambda: engine)


async def until(pilot, condition: Callable[[], bool], tries: int = 500) -> None:
    """Let workers finish and messages land until `condition` holds (no fixed sleeps)."""
    for _ in range(tries):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer request
            pass
        await pilot.pause()
        if condition():
            return
    raise AssertionError("condition never became true")


def table_of(app) -> KeysetTable:
    return app.screen.query_one(KeysetTable)


def ready(app) -> bool:
    screen = app.screen
    if not isinstance(screen, OrdersScreen):
        return False
    table = screen.table
    return bool(table.visible_rows()) and not table.is_loading and table.total is not None


def line_text(table: KeysetTable, y: int) -> str:
    return table.render_line(y).text


async def test_pages_down_and_jumps_to_both_ends(orders_app):
    async with orders_app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        assert table.total == ORDERS and table.cursor_position == 0
        assert "row 1 of 300" in line_text(table, table.size.height - 1)
        height = len(table.visible_rows())
        await pilot.press("pagedown", "pagedown", "down")
        await until(pilot, lambda: not table.is_loading)
        assert table.cursor_position == 2 * height + 1
        await pilot.press("end")
        await until(pilot, lambda: table.cursor_position == ORDERS - 1)
        await pilot.press("up", "pageup")
        await until(pilot, lambda: not table.is_loading)
        assert table.cursor_position == ORDERS - 2 - height
        await pilot.press("home")
        await until(pilot, lambda: table.cursor_position == 0)
        # newest first by default
        dates = [row.cells[1] for row in table.visible_rows()]
        assert dates == sorted(dates, reverse=True)


async def test_paging_through_everything_keeps_a_small_window(config, engine):
    insert_orders(engine, 1200, seed=9, lines=1)
    app = OrdersApp(config, lambda: engine)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: ready(app))
        table = table_of(app)
        seen = set()
        while table.cursor_position < 1199:
            seen.update(row.id for row in table.visible_rows())
            await pilot.press("pagedown")
            await until(pilot, lambda: not table.is_loading)
            assert table.window_size <= table.max_pages * 100
        seen.update(row.id for row in table.visible_rows())
        assert len(seen) == 1200


async def test_filter_by_agency_then_clear_it(orders_app):
    async with orders_app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        screen, table = orders_app.screen, table_of(orders_app)
        await pilot.press("slash")
        await until(pilot, lambda: screen.focused is not table and screen.focused is not None)
        await pilot.press(*"agency:UNDP", "enter")
        await until(pilot, lambda: table.total == ORDERS // 4 and ready(orders_app))
        assert orders_app.focused is table
        agency = [c.key for c in table.source.columns].index("agency")
        assert {row.cells[agency] for row in table.visible_rows()} == {"UNDP"}
        # a mistake is explained under the box and the list stays as it was
        await pilot.press("slash", *" year:24")
        await until(pilot, lambda: "not a year" in screen.filter_error)
        error = screen.query_one("#orders-filter-error")
        assert error.display and "not a year" in str(error.render())
        assert table.total == ORDERS // 4
        # esc clears and hides the box
        await pilot.press("escape")
        await until(pilot, lambda: table.total == ORDERS and ready(orders_app))
        assert not screen.query_one("#orders-filter-box").display
        assert orders_app.focused is table and screen.filter_error == ""


async def test_filter_applies_after_typing_stops(orders_app):
    async with orders_app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        await pilot.press("slash", *"status:draft")
        # no enter: the debounce applies it
        await until(pilot, lambda: table.total is not None and table.total < ORDERS)
        status = [c.key for c in table.source.columns].index("status")
        await until(pilot, lambda: ready(orders_app))
        assert {row.cells[status] for row in table.visible_rows()} == {"draft"}


async def test_sort_keys_and_header_click(orders_app):
    async with orders_app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        assert table.sort == ("date", True) and "Date ▼" in line_text(table, 0)
        await pilot.press("S")
        await until(pilot, lambda: ready(orders_app) and table.sort == ("date", False))
        assert "Date ▲" in line_text(table, 0)
        dates = [row.cells[1] for row in table.visible_rows()]
        assert dates == sorted(dates)
        await pilot.press("s")  # next sortable column after the date
        await until(pilot, lambda: ready(orders_app) and table.sort[0] == "channel")
        # a click on the PO number title sorts on it
        await pilot.click(KeysetTable, offset=(3, 0))
        await until(pilot, lambda: ready(orders_app) and table.sort == ("po", False))
        pos = [row.cells[0] for row in table.visible_rows()]
        assert pos == sorted(pos) and pos[0] == "PO-00001"


async def test_enter_opens_the_order_and_esc_comes_back(orders_app):
    async with orders_app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        await pilot.press("down", "down", "down")
        chosen = table.cursor_row
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(orders_app.screen, OrderDetailScreen)
                and orders_app.screen.detail is not None
            ),
        )
        detail = orders_app.screen
        assert detail.detail.id == chosen.ref and detail.detail.po_number == chosen.cells[0]
        lines = detail.query_one("#order-lines")
        assert lines.row_count == 3
        assert chosen.cells[0] in str(detail.query_one("#order-detail-title").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(orders_app.screen, OrdersScreen))
        assert table.cursor_position == 3 and table.cursor_row.id == chosen.id
        assert orders_app.focused is table


async def test_lines_view_shows_brackets_and_opens_the_order(orders_app):
    async with orders_app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        await pilot.press("l")
        await until(pilot, lambda: ready(orders_app) and table.total == ORDERS * 3)
        assert orders_app.screen.sub_title == "Order lines"
        header = line_text(table, 0)
        for title in ("PO number", "Description", "UNSPSC", "Qty", "Unit price", "Amount USD"):
            assert title in header
        texts = [line_text(table, y) for y in range(1, len(table.visible_rows()) + 1)]
        assert any("[urgent] laptops" in text for text in texts)
        row = table.cursor_row
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(orders_app.screen, OrderDetailScreen)
                and orders_app.screen.detail is not None
            ),
        )
        lines = orders_app.screen.query_one("#order-lines")
        assert lines.coordinate_to_cell_key(lines.cursor_coordinate).row_key.value == str(row.id)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(orders_app.screen, OrdersScreen))
        await pilot.press("l")
        await until(pilot, lambda: ready(orders_app) and table.total == ORDERS)


async def test_unspsc_filter_belongs_to_the_lines_view(orders_app):
    async with orders_app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        screen, table = orders_app.screen, table_of(orders_app)
        await pilot.press("l")
        await until(pilot, lambda: ready(orders_app) and table.total == ORDERS * 3)
        await pilot.press("slash", *"unspsc:4321", "enter")
        await until(pilot, lambda: ready(orders_app) and table.total < ORDERS * 3)
        await pilot.press("l")  # back to orders: the filter does not fit there
        await until(pilot, lambda: ready(orders_app) and table.total == ORDERS)
        assert "only in the lines view" in screen.filter_error


@pytest.mark.parametrize("width", [80, 160])
async def test_columns_fit_the_terminal(orders_app, width):
    async with orders_app.run_test(size=(width, 24)) as pilot:
        await until(pilot, lambda: ready(orders_app))
        table = table_of(orders_app)
        header = line_text(table, 0)
        assert len(header.rstrip()) <= width
        for title in ("PO number", "Date", "Total USD"):
            assert title in header
        wide_only = ("Cons.", "Channel", "Dest")
        assert all(t in header for t in wide_only) == (width == 160)


async def test_missing_database_shows_the_reason(config):
    from lta_tui.services.database import DatabaseNotReady

    def missing():
        raise DatabaseNotReady("the database is empty: run `lta-tui init` (or `lta-tui demo`)")

    app = OrdersApp(config, missing)
    async with app.run_test(size=(100, 24)) as pilot:
        table = table_of(app)
        await until(pilot, lambda: table.error is not None)
        assert "lta-tui init" in line_text(table, 1)
        assert isinstance(app.screen, OrdersScreen)


async def test_empty_database_says_so(config, engine):
    app = OrdersApp(config, lambda: engine)
    async with app.run_test(size=(100, 24)) as pilot:
        table = table_of(app)
        await until(pilot, lambda: table.total == 0 and not table.is_loading)
        assert "No orders yet" in line_text(table, 1)
        assert "0 rows" in line_text(table, table.size.height - 1)
        await pilot.press("enter", "pagedown", "end", "s")  # nothing to do, nothing breaks
        await until(pilot, lambda: not table.is_loading)
        assert isinstance(app.screen, OrdersScreen)


# --- layout without an app -------------------------------------------------------------------


def test_cells_are_plain_text_cut_with_an_ellipsis():
    assert fit_cell("[urgent] laptops", 20) == "[urgent] laptops    "
    assert fit_cell("1,234.50", 10, right=True) == "  1,234.50"
    assert fit_cell("UNSECRETARIAT", 8) == "UNSECRE…"
    assert fit_cell("line\nbreak", 12) == "line break  "
    assert fit_cell("東京オフィス", 7) == "東京オ…"  # 7 cells: wide characters count twice


def test_low_priority_columns_go_first():
    from lta_tui.services.order_browse import LINES, ORDERS

    for spec in (ORDERS, LINES):
        narrow, wide = fit_columns(spec.columns, 80), fit_columns(spec.columns, 160)
        assert len(wide.slots) == len(spec.columns)
        end = narrow.slots[-1].x + narrow.slots[-1].width
        assert end <= 80
        kept = {spec.columns[s.index].key for s in narrow.slots}
        assert {c.key for c in spec.columns if c.priority == 0} <= kept


# --- inside the app shell ----------------------------------------------------------------------


async def test_orders_section_in_the_app_follows_the_agency_scope(config, engine):
    from lta_tui.tui.app import LtaApp

    insert_orders(engine, ORDERS, seed=5)
    app = LtaApp(config, today=lambda: date(2026, 11, 15))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.database_ready)
        await pilot.press("3")  # the Orders section
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen) and ready(app))
        table = table_of(app)
        assert table.total == ORDERS // 4  # a focal point of UNDP starts on UNDP's orders
        assert "UNDP only" in line_text(table, table.size.height - 1)
        await pilot.press("a")
        await until(pilot, lambda: ready(app) and table.total == ORDERS)
        await pilot.press("l")
        await until(pilot, lambda: ready(app) and table.total == ORDERS * 3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, OrderDetailScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen))
        assert app.focused is table
