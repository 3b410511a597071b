"""The Spend section driven key by key on the demo data (a UNDP focal point, today 2026-11-15):
the period keys, the grouping picker, the filter, drilling into the orders behind a row (their
USD sum agrees with the row to the cent), the export of the summary and the cancelled export of
the order lines (no file left). Plus the filter words and the `asr:` word of the Orders filter."""

from __future__ import annotations

import csv
import threading
from decimal import Decimal

import pytest

from lta_tui.services.order_filter import FilterError, parse_filter
from lta_tui.tui.screens.spend import SpendOrdersScreen, SpendScreen, usd
from lta_tui.tui.screens.spend_dialogs import (
    ExportDialog,
    GroupingDialog,
    order_filter_text,
    parse_spend_filter,
)

from .steps import loaded, settle, wait_until

SIZE = (100, 30)


def lines_total(app, screen: SpendScreen):
    """The spend summed straight over the order lines for what the screen shows."""
    from lta_tui.services.spend import order_lines_total

    with app.engine().connect() as conn:
        return order_lines_total(
            conn,
            screen.spend_query(),
            scope=app.records_scope,
            contract_start=app.config.lta.valid_from,
        )


async def shown(pilot, app, screen: SpendScreen) -> None:
    await wait_until(pilot, lambda: screen.ready and screen.report is not None, "the spend")
    await settle(pilot, app)


def check_total(app, screen: SpendScreen) -> Decimal:
    """The total on screen is the report's, equals the order lines' and the rows' sum."""
    report = screen.report
    assert report is not None
    total = report.total.spend_usd
    assert total == lines_total(app, screen).spend_usd
    assert total == sum((r.spend_usd for r in report.rows), Decimal(0))
    assert f"Total {usd(total)} USD" in screen.total_text
    assert screen.row_figures("total")["Spend USD"] == usd(total)
    return total


async def test_spend_screen_period_grouping_drill_and_export(demo_app, tmp_path):
    app = demo_app
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("7")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the spend screen")
        screen = app.screen
        await shown(pilot, app, screen)
        assert screen.period.label == "2026" and screen.group_by == ("agency",)
        assert [r.keys for r in screen.report.rows] == [("UNDP",)]  # a focal point's scope
        this_year = check_total(app, screen)
        assert this_year > 0

        # [ and ] step the period, p changes its size
        await pilot.press("left_square_bracket")
        await shown(pilot, app, screen)
        assert screen.period.label == "2025"
        assert check_total(app, screen) != this_year
        await pilot.press("right_square_bracket")
        await shown(pilot, app, screen)
        assert screen.period.label == "2026" and check_total(app, screen) == this_year
        await pilot.press("p")
        await shown(pilot, app, screen)
        assert screen.period.label == "2026/27"  # the LTA year from its start day
        assert "LTA year 2026/27" in str(screen.query_one("#spend-head").render())
        check_total(app, screen)
        await pilot.press("p")
        await shown(pilot, app, screen)
        assert screen.period.label == "all"
        everything = check_total(app, screen)
        await pilot.press("p")
        await shown(pilot, app, screen)
        assert screen.period.label == "2026-11"  # the month of today
        await pilot.press("p", "p")
        await shown(pilot, app, screen)
        assert screen.period.label == "2026"

        # g: lot then consolidator, agency dropped (space toggles, in the order picked)
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, GroupingDialog), "grouping")
        await pilot.press("space", "down", "space", "down", "space", "enter")
        await shown(pilot, app, screen)
        assert screen.group_by == ("lot", "consolidator")
        assert all(len(r.keys) == 2 for r in screen.report.rows)
        check_total(app, screen)

        # enter on a row: its orders, their USD sum equal to the row's spend
        row = screen.report.rows[0]
        screen.table.focus()
        screen.table.move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendOrdersScreen), "orders")
        orders = app.screen
        await wait_until(pilot, lambda: orders.summed is not None, "the orders' sum")
        assert orders.summed == (row.orders, row.spend_usd)
        await wait_until(pilot, lambda: orders.table.total is not None, "the orders' count")
        assert orders.table.total == row.orders
        assert "status:issued,partially_delivered,delivered,closed" in orders.preset
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to spend")

        # by goods/services: the `asr:` word of the Orders filter selects the same orders
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, GroupingDialog), "grouping")
        await pilot.press("down", "space", "down", "space")  # lot and consolidator off
        for _ in range(7):
            await pilot.press("down")
        await pilot.press("space", "enter")
        await shown(pilot, app, screen)
        assert screen.group_by == ("kind",)
        kinds = {r.keys[0]: r for r in screen.report.rows}
        assert set(kinds) == {"goods", "services"}
        index = list(kinds).index("services")
        screen.drill(str(index))
        await wait_until(pilot, lambda: isinstance(app.screen, SpendOrdersScreen), "orders")
        orders = app.screen
        await wait_until(pilot, lambda: orders.summed is not None, "the orders' sum")
        assert "asr:services" in orders.preset
        assert orders.summed == (kinds["services"].orders, kinds["services"].spend_usd)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to spend")

        # / filter: a known word narrows, an unknown one is named under the box
        await pilot.press("slash", *"lot:2", "enter")
        await shown(pilot, app, screen)
        assert screen.words.lots == (2,)
        check_total(app, screen)
        await pilot.press("slash", *" foo:1", "enter")
        await settle(pilot, app)
        assert "foo:" in screen.filter_error and screen.words.lots == (2,)
        await pilot.press("escape")  # clears the filter
        await shown(pilot, app, screen)
        assert screen.words.text == "" and check_total(app, screen) == this_year

        # x: the summary as CSV, its TOTAL row equal to the screen's
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog), "export")
        target = tmp_path / "spend.csv"
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, "the export done")
        with target.open(encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0][0] == "kind"
        assert rows[-1][0] == "TOTAL" and Decimal(rows[-1][-1]) == this_year
        assert everything > this_year


class HeldUntilCancelled(threading.Event):
    """The dialog's cancel flag, whose first look by the writer waits for the user's `esc`:
    the export is surely under way when it is cancelled."""

    def is_set(self) -> bool:
        self.wait(10)
        return super().is_set()


async def test_cancelled_line_export_leaves_no_file(demo_app, tmp_path, monkeypatch):
    import lta_tui.exports.tabular as tabular

    monkeypatch.setattr(tabular, "EVERY", 1)  # the writer looks at the flag after every row
    app = demo_app
    target = tmp_path / "lines.csv"
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("7")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the spend screen")
        screen = app.screen
        await shown(pilot, app, screen)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog), "export")
        dialog = app.screen
        dialog.cancel_event = HeldUntilCancelled()
        dialog.query_one("#export-what").value = "lines"
        await pilot.pause()
        assert dialog.query_one("#export-path").value == "spend-lines-UNDP-2026.csv"
        dialog.query_one("#export-path").value = str(target)
        await pilot.press("ctrl+s")
        assert dialog.running
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the export cancelled")
        await settle(pilot, app)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_spend_filter_words():
    words = parse_spend_filter("lot:2 cons:cons-a country:ke channel:direct kind:services")
    assert words.lots == (2,) and words.consolidators == ("CONS-A",)
    assert words.countries == ("KE",) and words.channels == ("direct",)
    assert words.kinds == ("services",)
    for text, named in (
        ("foo:1", "foo:"),
        ("lot:x", "lot"),
        ("from:2026-01-01", "period"),
        ("status:issued", "spend counts"),
        ("UNDP-2026", "UNDP-2026"),
        ("kind:both", "both"),
    ):
        with pytest.raises(FilterError, match=named):
            parse_spend_filter(text)


def test_orders_filter_asr_word_and_drill_text():
    from datetime import date

    from lta_tui.services.spend import SpendQuery

    assert parse_filter("asr:goods").asr == ("goods",)
    assert parse_filter("kind:service").asr == ("services",)
    with pytest.raises(FilterError, match="neither goods nor services"):
        parse_filter("asr:food")
    query = SpendQuery(
        group_by=("lot",),
        date_from=date(2026, 1, 1),
        date_to=date(2026, 12, 31),
        agencies=("UNDP",),
        lots=(2,),
        channels=("mini_competition",),
        kinds=("services",),
    )
    text = order_filter_text(query)
    assert text == (
        "agency:UNDP lot:2 channel:mini_competition asr:services from:2026-01-01 to:2026-12-31"
        " status:issued,partially_delivered,delivered,closed"
    )
    flt = parse_filter(text)
    assert flt.lots == (2,) and flt.asr == ("services",) and len(flt.statuses) == 4


async def test_r26_a_focal_point_sees_only_the_own_agencys_spend_whatever_a_chose(demo_db):
    """R26: `a` on Orders shows every agency's orders to a focal point, but Spend stays on the
    own agency and `a` there says why; the Working Group's `a` shows every agency's spend."""
    from lta_tui.config import Role
    from lta_tui.tui.app import LtaApp
    from tests.conftest import DEMO_UNTIL

    config, _ = demo_db
    app = LtaApp(config, today=lambda: DEMO_UNTIL)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("3", "a")  # every agency's orders
        await wait_until(pilot, lambda: app.agency_scope is None, "all agencies on Orders")
        await pilot.press("7")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the spend screen")
        screen = app.screen
        await shown(pilot, app, screen)
        assert [r.keys for r in screen.report.rows] == [("UNDP",)]
        await pilot.press("a")
        await settle(pilot, app)
        assert [r.keys for r in screen.report.rows] == [("UNDP",)]
        assert any("R26" in str(n.message) for n in app._notifications)

    group = config.model_copy(update={"user": config.user.model_copy(
        update={"role": Role.working_group})})  # fmt: skip
    app = LtaApp(group, today=lambda: DEMO_UNTIL)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("7")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the spend screen")
        screen = app.screen
        await shown(pilot, app, screen)
        agencies = {r.keys[0] for r in screen.report.rows}
        assert "UNDP" in agencies and len(agencies) > 1
        check_total(app, screen)
