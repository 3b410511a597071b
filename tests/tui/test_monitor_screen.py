"""Section 8, the monitor, driven key by key at 80×24 on the demo data: competition health, then
the prices of lot 2's catalogue items over all time, one item's chart and its flagged prices."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from lta_tui.tui.screens.monitor import MonitorScreen
from lta_tui.tui.widgets.charts import BarChart, ColumnChart

from .steps import loaded, settle, wait_until


def cell(table: DataTable, row: int, column: int) -> str:
    return str(table.get_row_at(row)[column])


async def test_health_then_prices_of_an_item(demo_app):
    app = demo_app  # a UNDP focal point: own agency first
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("8")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen), "the monitor")
        screen = app.screen
        await wait_until(pilot, lambda: screen.health is not None, "the health figures")
        await pilot.press("a")  # every agency
        await wait_until(
            pilot,
            lambda: screen.health is not None and screen.health.scope is None,
            "every agency's figures",
        )
        await settle(pilot, app)
        health = screen.health
        assert "competitions issued" in str(screen.query_one("#health-summary", Static).content)
        assert "HHI of spend shares" in str(screen.query_one("#health-summary", Static).content)
        table = screen.query_one("#health-table", DataTable)
        assert table.row_count == len(health.holders) + 1
        assert cell(table, table.row_count - 1, 0) == "TOTAL"
        assert screen.query_one("#health-chart", BarChart).items

        await pilot.press("l", "l")  # all lots → lot 1 → lot 2
        await wait_until(
            pilot,
            lambda: screen.health is not None and screen.health.lot == 2,
            "lot 2",
        )

        await pilot.press("p")
        await wait_until(pilot, lambda: screen.ranking is not None, "the ranked items")
        await pilot.press(*"sssss")  # year → quarter → month → LTA year → R22 window → all time
        await wait_until(
            pilot,
            lambda: screen.ranking is not None and screen.ranking.where.date_from is None,
            "all time",
        )
        await wait_until(pilot, lambda: screen.history is not None, "the first item's history")
        ranked = screen.query_one("#prices-ranked", DataTable)
        assert ranked.has_focus and ranked.row_count > 1
        await pilot.press("down", "enter")  # the second item
        second = str(ranked.get_row_at(1)[0])
        await wait_until(
            pilot,
            lambda: screen.history is not None and screen.history.key == second,
            "the second item's history",
        )
        await settle(pilot, app)
        assert screen.query_one("#prices-chart", ColumnChart).items
        assert second in str(screen.query_one("#prices-title", Static).content)

        await pilot.press("f")  # only the prices R23 flags
        await wait_until(
            pilot,
            lambda: screen.history is not None and screen.history.flagged_only,
            "the flagged prices",
        )
        await settle(pilot, app)
        points = screen.query_one("#prices-points", DataTable)
        assert screen.history.flagged > 0 and points.row_count > 0
        assert cell(points, 0, 0).startswith("R23")
        agencies = {cell(points, i, 2) for i in range(points.row_count)}
        assert agencies <= {"UNDP", "other"}  # R26: other agencies' prices, no PO
        for i in range(points.row_count):
            if cell(points, i, 2) == "other":
                assert cell(points, i, 7) == "—"
