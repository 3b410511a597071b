"""Pure pieces of the widgets: column fitting, bar lengths, compact amounts, time left."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from lta_tui.tui.widgets.bar_chart import bar_cells, compact_amount
from lta_tui.tui.widgets.browse_table import ColumnSpec, fit_columns
from lta_tui.tui.widgets.formats import time_left

SPECS = (
    ColumnSpec("ref", "Reference", 12, priority=0),
    ColumnSpec("title", "Title", 0, priority=1, min_width=10),
    ColumnSpec("status", "Status", 10, priority=2),
    ColumnSpec("offers", "Offers", 6, priority=5),
)


def test_columns_drop_by_priority_and_the_flexible_one_takes_the_rest():
    wide = fit_columns(SPECS, 100)
    assert [s.key for s, _ in wide] == ["ref", "title", "status", "offers"]
    assert sum(w + 2 for _, w in wide) == 100
    narrow = fit_columns(SPECS, 40)
    assert [s.key for s, _ in narrow] == ["ref", "title", "status"]
    assert dict((s.key, w) for s, w in narrow)["title"] == 40 - 14 - 12 - 2


def test_fixed_columns_shrink_to_their_content():
    fitted = dict((s.key, w) for s, w in fit_columns(SPECS, 100, {"ref": 7, "status": 30}))
    assert fitted["ref"] == 7 and fitted["status"] == 10


def test_bars_and_amounts():
    assert bar_cells(1.0, 4) == "████" and bar_cells(0.5, 3) == "█▌"
    assert bar_cells(0.0001, 10) == "▏"  # a small amount still shows
    assert bar_cells(0, 10) == ""
    assert compact_amount(Decimal("1234567")) == "1.23M"
    assert compact_amount(Decimal("845100")) == "845k"
    assert compact_amount(Decimal("950.40")) == "950"


def test_time_left():
    assert time_left(timedelta(days=5, hours=12)) == "5d 12h"
    assert time_left(timedelta(hours=3, minutes=5)) == "3h 05m"
    assert time_left(-timedelta(days=2)) == "past 2d"
    assert time_left(None) == "no deadline"


async def test_fill_table_sizes_each_column_to_its_widest_cell_from_the_first_frame():
    """Textual measures auto-width columns on idle, after a first frame may have been cached
    with the labels' widths (`896,343.1`); fill_table sizes them when it adds them."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import DataTable

    from lta_tui.tui.widgets.tables import fill_table

    class One(App):
        def compose(self):
            yield DataTable()

    app = One()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(DataTable)
        columns = [("Lot", "lot"), (Text("Spend USD", justify="right"), "usd")]
        rows = [("0", ["1", Text("1,187,041.29")]), ("total", ["TOTAL", Text("23,371,074.00")])]
        fill_table(table, columns, rows)
        assert [c.width for c in table.ordered_columns] == [5, 13]
        assert not any(c.auto_width for c in table.ordered_columns)
        await pilot.pause()
        assert "23,371,074.00" in "".join(s.text for s in table.render_line(2))
        fill_table(table, columns, rows[:1])  # filled again: the widths follow the new cells
        assert [c.width for c in table.ordered_columns] == [3, 12]
        assert table.row_count == 1
