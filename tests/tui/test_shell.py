"""The app shell driven key by key: sections, help, palette, browse lists, records, quitting,
and the missing-database message."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.browse import BrowseScreen
from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen
from lta_tui.tui.screens.dashboard import DashboardScreen
from lta_tui.tui.screens.database_problem import DatabaseProblemScreen
from lta_tui.tui.screens.detail import DetailScreen
from lta_tui.tui.screens.help import HelpScreen
from lta_tui.tui.widgets.record_view import RecordView
from lta_tui.tui.widgets.section_bar import SECTIONS
from tests.conftest import DEMO_UNTIL, write_config
from tests.sample_records import SEALED_PRICE

from .steps import loaded, settle, wait_until

SIZE = (100, 30)


def table_refs(app: LtaApp) -> list[str]:
    table = app.screen.query_one("#table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_every_section_by_number_key(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert isinstance(app.screen, DashboardScreen)
        for section in SECTIONS:
            await pilot.press(section.key)
            await wait_until(pilot, lambda s=section: app.current_mode == s.mode, section.mode)
            await loaded(pilot, app)
            if isinstance(app.screen, BrowseScreen):
                assert app.screen.page is not None and app.screen.page.total > 0, section.mode
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")


async def test_help_and_command_palette(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        text = app.screen.query_one(RecordView).plain_text()
        assert "All agencies" in text and "Quit" in text and "Conventions" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "help closed")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help by F1")
        await pilot.press("escape")

        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await pilot.press(*"go to sub-ltas", "enter")
        await wait_until(pilot, lambda: app.current_mode == "sub_ltas", "sub-LTAs by palette")


async def test_filter_sort_open_and_back(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await wait_until(pilot, lambda: app.current_mode == "competitions", "competitions")
        await loaded(pilot, app)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        everything = screen.page.total
        first = table_refs(app)[0]

        await pilot.press("slash")
        await wait_until(pilot, lambda: isinstance(app.focused, Input), "the filter box")
        await pilot.press(*first)
        await wait_until(pilot, lambda: screen.filter_text == first, "the filter text")
        await loaded(pilot, app)
        assert table_refs(app) == [first] and screen.page.total == 1
        await pilot.press("enter")  # back to the list
        assert isinstance(app.focused, DataTable)

        await pilot.press("slash", "escape")  # clears the filter
        await loaded(pilot, app)
        assert screen.page.total == everything and screen.filter_text == ""

        before = screen.sort
        await pilot.press("s")
        await loaded(pilot, app)
        assert screen.sort != before and not screen.descending
        ascending = table_refs(app)
        await pilot.press("S")
        await loaded(pilot, app)
        assert screen.descending and table_refs(app) != ascending or len(ascending) < 2

        table = screen.query_one("#table", DataTable)
        table.move_cursor(row=0)
        wanted = table_refs(app)[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen), "the record")
        await loaded(pilot, app)
        assert wanted in app.screen.query_one(RecordView).plain_text()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to the list")


async def test_header_click_sorts(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("5")
        await wait_until(pilot, lambda: app.current_mode == "consolidators", "consolidators")
        await loaded(pilot, app)
        screen = app.screen
        table = screen.query_one("#table", DataTable)
        table.post_message(
            DataTable.HeaderSelected(
                table, table.ordered_columns[1].key, 1, table.ordered_columns[1].label
            )
        )
        await loaded(pilot, app)
        assert screen.sort == "name" and not screen.descending


async def test_q_quits_but_types_in_the_filter(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("6")
        await wait_until(pilot, lambda: app.current_mode == "rates", "rates")
        await loaded(pilot, app)
        await pilot.press("slash", "q")
        await wait_until(pilot, lambda: app.screen.filter_text == "q", "q typed in the filter")
        assert app.is_running
        await pilot.press("escape", "q")
        await wait_until(pilot, lambda: not app.is_running, "the app to quit")
    assert app.return_value is None


async def test_missing_database_shows_the_command(tmp_path: Path):
    from lta_tui.config import load_config

    config = load_config(write_config(tmp_path, db_url=f"sqlite:///{tmp_path / 'none.db'}"))
    app = LtaApp(config, today=lambda: DEMO_UNTIL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: isinstance(app.screen, DatabaseProblemScreen), "the message screen"
        )
        assert "lta-tui init" in app.screen.message
        await pilot.press("2")  # sections stay closed
        await settle(pilot, app)
        assert isinstance(app.screen, DatabaseProblemScreen)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, "the app to quit")
    assert "lta-tui init" in (app.return_value or "")


async def test_sealed_offer_price_is_not_on_screen(sample_config):
    app = LtaApp(sample_config, today=lambda: DEMO_UNTIL)
    async with app.run_test(size=(160, 48)) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await wait_until(pilot, lambda: app.current_mode == "competitions", "competitions")
        await loaded(pilot, app)
        row = table_refs(app).index("MC-OPEN-1")
        app.screen.query_one("#table", DataTable).move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: isinstance(app.screen, CompetitionDetailScreen), "the competition"
        )
        await loaded(pilot, app)
        text = app.screen.query_one(RecordView).plain_text()
        assert "sealed" in text
        total = SEALED_PRICE * 10  # ten laptops
        for secret in (str(SEALED_PRICE), f"{total:,}", str(total)):
            assert secret not in text
            assert secret not in app.export_screenshot()


async def test_dashboard_opens_records_and_esc_comes_back(demo_app):
    from lta_tui.tui.screens.dashboard import DashboardScreen
    from lta_tui.tui.screens.sub_ltas import SubLtaDetailScreen

    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        board = app.screen.dashboard
        assert board.sub_lta_alerts, "the demo has sub-LTAs near their ceiling"
        app.screen.query_one("#sub-ltas-list").focus()
        await pilot.press("home", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SubLtaDetailScreen), "sub-LTA")
        assert app.current_mode == "dashboard"
        await loaded(pilot, app)
        text = app.screen.query_one(RecordView).plain_text()
        assert board.sub_lta_alerts[0].reference in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")


async def test_agency_scope_toggles_everywhere(demo_app):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        own = app.screen.dashboard
        assert own.agency == "UNDP"
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen.dashboard.agency is None, "all agencies")
        assert app.screen.dashboard.spend_total_usd > own.spend_total_usd
        await pilot.press("2")
        await wait_until(pilot, lambda: app.current_mode == "competitions", "competitions")
        await loaded(pilot, app)
        everyone = app.screen.page.total
        await pilot.press("a")
        await loaded(pilot, app)
        assert app.screen.page.total < everyone
        assert {str(r.agency) for r in app.screen.page.rows} <= {"UNDP"}
