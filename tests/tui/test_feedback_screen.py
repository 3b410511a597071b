"""UNGM feedback from the Spend screen (`7`, then `f`): a focal point records the spend of last
year with an override, which is refused until the reason is typed, and sees it in the list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from lta_tui.store.models import SpendFeedback
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.feedback import FeedbackForm, FeedbackScreen
from lta_tui.tui.widgets.form_field import FormField
from tests.order_rows import insert_orders
from tests.tui.steps import loaded, settle, wait_until

TODAY = date(2025, 3, 1)  # last year (2024) holds the orders of insert_orders


@pytest.fixture
def feedback_app(config, engine):
    insert_orders(engine, 40, seed=3)
    return LtaApp(config, today=lambda: TODAY)


async def open_feedback(pilot, app) -> FeedbackScreen:
    await loaded(pilot, app)
    try:
        from lta_tui.tui.screens.spend import SpendScreen
    except ImportError:  # the Spend screen not written yet: open the feedback directly
        app.push_screen(FeedbackScreen())
    else:
        await pilot.press("7")
        await wait_until(pilot, lambda: isinstance(app.screen, SpendScreen), "the Spend screen")
        await settle(pilot, app)
        await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(app.screen, FeedbackScreen), "the feedback")
    screen = app.screen
    await wait_until(pilot, lambda: screen.info is not None, "the feedback list")
    await settle(pilot, app)
    return screen


async def test_record_an_override_with_its_reason_and_see_it_listed(feedback_app, engine):
    app = feedback_app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_feedback(pilot, app)
        assert screen.rows == []

        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, FeedbackForm), "the form")
        form = app.screen
        await wait_until(pilot, lambda: form.computed is not None, "the computed spend")
        await settle(pilot, app)
        assert (form._text("period_from"), form._text("period_to")) == ("2024-01-01", "2024-12-31")
        computed = form.computed
        assert form._text("spend_usd") == f"{computed.quantize(Decimal('0.01')):f}"

        await pilot.press("tab", "tab")  # to the reported spend, its text selected
        assert app.focused is form.query_one("#spend_usd")
        await pilot.press(*"12345.67")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        reason_field = form.query_one("#override_reason-field", FormField)
        assert isinstance(app.screen, FeedbackForm)  # refused: the override has no reason
        assert any("differs from the" in m for m in reason_field.messages)

        form.query_one("#override_reason").focus()
        await pilot.press(*"ERP figure")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, FeedbackScreen), "the list")
        await wait_until(pilot, lambda: len(screen.rows) == 1, "the entry listed")
        (row,) = screen.rows
        assert (row.agency, row.label, row.spend_usd) == ("UNDP", "2024", Decimal("12345.67"))
        assert row.overridden and row.override_reason == "ERP figure"
        assert row.computed_now == computed

    with engine.connect() as conn:
        stored = conn.execute(select(SpendFeedback.spend_usd, SpendFeedback.reported_by)).all()
    assert stored == [(Decimal("12345.67"), "Test User")]
