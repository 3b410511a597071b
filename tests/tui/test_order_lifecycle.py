"""An order's lifecycle from its detail screen, key by key (issue 3, points 2, 5 and 8): issue a
draft, record a partial then a full delivery, rate it, close it; cancel a draft (not without a
reason); a stale screen is refused; a Working Group member and a viewer are refused with R26.

Each test builds its own database (the `engine` fixture) with orders saved by the order service
(tests/order_setup.py), never the shared demo database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lta_tui.config import load_config
from lta_tui.services.orders import cancel_order, issue_order, record_delivery, save_order
from lta_tui.store.models import Delivery, Order, PerformanceReview
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.order_actions import (
    CancelOrder,
    ConfirmAction,
    RateOrder,
    RecordDelivery,
)
from lta_tui.tui.screens.order_detail import OrderDetailScreen
from tests.conftest import DEMO_UNTIL, write_config
from tests.order_setup import ANA, NOW, RULES, direct_order, make_sub_lta, order_row
from tests.tui.steps import open_record, settle, wait_until

SIZE = (100, 40)
LATER = NOW + timedelta(hours=1)  # the app's clock: after the orders were saved


@pytest.fixture
def draft(engine) -> int:
    """A saved 10-line direct order of UNDP (draft)."""
    make_sub_lta(engine)
    return save_order(engine, direct_order(), ANA, RULES, now=NOW).id


def issued(engine, order_id: int) -> None:
    issue_order(engine, order_id, ANA, RULES, now=NOW, expected_version=1)


def app_as(tmp_path: Path, **user) -> LtaApp:
    """The app on the test's database as another user (`role`, `agency`)."""
    folder = tmp_path / "other"
    folder.mkdir(exist_ok=True)
    config = load_config(write_config(folder, db_url=f"sqlite:///{tmp_path / 'lta.db'}", **user))
    return LtaApp(config, today=lambda: DEMO_UNTIL, now=lambda: LATER)


@pytest.fixture
def app(config) -> LtaApp:
    return LtaApp(config, today=lambda: DEMO_UNTIL, now=lambda: LATER)


async def open_order(pilot, app: LtaApp, order_id: int) -> OrderDetailScreen:
    return await open_record(
        pilot, app, "order", order_id, OrderDetailScreen, lambda s: s.detail is not None
    )


async def reloaded(pilot, app: LtaApp, screen: OrderDetailScreen, check: Callable[[], bool]):
    await wait_until(pilot, lambda: app.screen is screen, "back on the order")
    await wait_until(pilot, lambda: screen.detail is not None and check(), "the order reloaded")
    await settle(pilot, app)


def keys_shown(screen: OrderDetailScreen) -> set[str]:
    return {b.binding.key for b in screen.active_bindings.values() if b.enabled}


def status(engine, order_id: int) -> str:
    return order_row(engine, order_id).status


def messages(app: LtaApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_issue_deliver_partly_then_fully_rate_and_close(app, engine, draft):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        assert {"i", "e", "c"} <= keys_shown(screen)
        assert not {"d", "a", "k", "r"} & keys_shown(screen)  # not for a draft

        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "issued")
        assert status(engine, draft) == "issued"
        assert {"d", "a", "c"} <= keys_shown(screen) and "i" not in keys_shown(screen)

        # A partial delivery: line 1 gets 1 of its 2, every other line all it awaits.
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        modal = app.screen
        assert modal.query_one("#qty-1").value == "2" and len(modal.lines) == 10
        await pilot.press("ctrl+u", "minus", "1", "tab", "1", "enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "partially_delivered")
        assert status(engine, draft) == "partially_delivered"
        line1 = screen.detail.lines[0]
        assert (line1.quantity, line1.delivered_quantity) == (Decimal(2), Decimal(1))
        assert {d.delivered_on.isoformat() for d in screen.detail.deliveries} == {"2026-11-14"}

        # The rest: only line 1 is left, with its remaining 1 filled in.
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        assert [x.line_no for x in app.screen.lines] == [1]
        assert app.screen.query_one("#qty-1").value == "1"
        await pilot.press("ctrl+s")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "delivered")
        assert {"k", "r"} <= keys_shown(screen) and "d" not in keys_shown(screen)
        with engine.connect() as conn:
            assert len(conn.execute(select(Delivery.id)).all()) == 11

        # Rate it: one key per criterion, then the comment.
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RateOrder), "the rating")
        await pilot.press("4", "3", "4", "2", "3")
        assert app.screen.focused.id == "comment"
        assert str(app.screen.query_one("#on_time_delivery-meaning").render()) == "very good"
        await pilot.press(*"On time", "enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.review is not None)
        assert screen.detail.version == 5  # rating bumps the version: read again, so k works
        review = screen.detail.review
        assert review.scores == (4, 3, 4, 2, 3) and review.comment == "On time"
        assert review.average == Decimal("3.2")
        with engine.connect() as conn:
            stored = conn.execute(select(PerformanceReview)).one()
        assert stored.reviewed_by == "Test User" and stored.after_sales == 3

        # Rated again: the modal is pre-filled with the earlier scores.
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RateOrder), "the rating")
        assert app.screen.query_one("#conformity").value == "4"
        await pilot.press("escape")

        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "closed")

        actions = [h.action for h in screen.detail.history]
        assert actions == ["create", "issue", "deliver", "deliver", "review", "close"]
        delivered = screen.detail.history[2].change
        assert "status: issued → partially delivered" in delivered
        assert "delivered on: 2026-11-14" in delivered
        assert order_row(engine, draft).version == 6  # issue, 2 deliveries, review, close


async def test_cancel_a_draft_needs_a_reason(app, engine, draft):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelOrder), "the cancel form")
        modal = app.screen
        await pilot.press("enter")  # no reason
        await settle(pilot, app)
        assert app.screen is modal
        error = modal.query_one("#reason-error")
        assert error.display and "required" in str(error.render())
        assert status(engine, draft) == "draft"

        await pilot.press(*"Budget withdrawn", "enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "cancelled")
        row = order_row(engine, draft)
        assert (row.status, row.cancellation_reason) == ("cancelled", "Budget withdrawn")
        assert screen.detail.history[-1].action == "cancel"
        assert "reason: Budget withdrawn" in screen.detail.history[-1].change
        assert not {"i", "e", "c", "d"} & keys_shown(screen)


async def test_a_change_made_meanwhile_is_refused_and_nothing_is_saved(app, engine, draft):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        issued(engine, draft)  # by Ana in another session, after the screen read version 1
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelOrder), "the cancel form")
        await pilot.press(*"Duplicate", "enter")
        await wait_until(pilot, lambda: not app.screen.busy, "the refusal")
        await settle(pilot, app)
        error = str(app.screen.query_one("#action-error").render())
        assert "was changed by Ana Ruiz" in error and "nothing was saved" in error
        assert any("was changed by Ana Ruiz" in m for m in messages(app))
        assert status(engine, draft) == "issued"
        assert order_row(engine, draft).cancellation_reason is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the order")


async def test_a_delivery_quantity_beyond_what_remains_stays_in_the_form(app, engine, draft):
    issued(engine, draft)
    async with app.run_test(size=SIZE) as pilot:
        await open_order(pilot, app, draft)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        await pilot.press("tab", "3", "enter")  # line 1 ordered 2
        await settle(pilot, app)
        assert isinstance(app.screen, RecordDelivery)
        assert "more than the 2 each still to deliver" in str(
            app.screen.query_one("#qty-1-error").render()
        )
        # Back to 2, and a date the service refuses (before the order date): under the date.
        await pilot.press("ctrl+u", "2", "shift+tab", "ctrl+u", *"2026-11-01", "ctrl+s")
        await wait_until(pilot, lambda: not app.screen.busy, "the refusal")
        await settle(pilot, app)
        assert isinstance(app.screen, RecordDelivery)
        assert not app.screen.query_one("#qty-1-error").display
        date_error = str(app.screen.query_one("#delivered-on-error").render())
        assert "before the order date 2026-11-10" in date_error
        assert any("before the order date" in m for m in messages(app))
        with engine.connect() as conn:
            assert conn.execute(select(Delivery.id)).first() is None
    assert status(engine, draft) == "issued"


async def test_a_delivery_quantity_with_a_decimal_comma_is_explained_under_its_line(
    app, engine, draft
):
    """`1,5` is not read as 15 (nor `1e3` as 1000): the message under the line says how to
    write it, and nothing is recorded."""
    issued(engine, draft)
    async with app.run_test(size=SIZE) as pilot:
        await open_order(pilot, app, draft)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        modal = app.screen
        await pilot.press("tab", "ctrl+u", *"1,5", "tab", "ctrl+u", *"1e3", "enter")
        await settle(pilot, app)
        assert app.screen is modal and not modal.busy
        line1 = str(modal.query_one("#qty-1-error").render())
        assert "line 1: '1,5' is not a quantity: use a point for decimals (1.5)" in line1
        assert "line 2: '1e3' is not a quantity" in str(modal.query_one("#qty-2-error").render())
        assert not modal.query_one("#qty-3-error").display
        # Too fine for the stored thousandths: refused too.
        await pilot.press("shift+tab", "ctrl+u", *"1.0005", "ctrl+s")
        await settle(pilot, app)
        assert "has more than 3 decimals" in str(modal.query_one("#qty-1-error").render())
        with engine.connect() as conn:
            assert conn.execute(select(Delivery.id)).first() is None
    assert status(engine, draft) == "issued" and order_row(engine, draft).version == 2


async def test_after_a_conflict_esc_reads_the_order_again_and_the_retry_is_saved(
    app, engine, draft
):
    """The delivery modal refused with OrderConflict (Ana recorded a delivery meanwhile): esc
    shows her delivery and the version stored now, and the next delivery goes through instead
    of conflicting again with the version the screen was opened with."""
    issued(engine, draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        assert screen.detail.version == 2
        record_delivery(  # by Ana in another session
            engine,
            draft,
            ANA,
            now=NOW,
            delivered_on=NOW.date(),
            quantities={2: screen.detail.lines[1].quantity},
            expected_version=2,
        )
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.screen.busy, "the refusal")
        await settle(pilot, app)
        error = str(app.screen.query_one("#action-error").render())
        assert "was changed by Ana Ruiz" in error and "nothing was saved" in error

        await pilot.press("escape")
        await reloaded(pilot, app, screen, lambda: screen.detail.version == 3)
        assert [(x.line_no, x.recorded_by) for x in screen.detail.deliveries] == [(2, "Ana Ruiz")]
        assert screen.detail.status == "partially_delivered" and "d" in keys_shown(screen)

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        assert 2 not in [x.line_no for x in app.screen.lines]  # Ana delivered it all
        await pilot.press("ctrl+s")  # the rest of every other line
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "delivered")
        assert order_row(engine, draft).version == 4
        with engine.connect() as conn:
            assert len(conn.execute(select(Delivery.id)).all()) == 10


async def test_a_cancel_refused_by_a_conflict_then_esc_lets_the_retry_through(app, engine, draft):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        issued(engine, draft)  # by Ana, after the screen read version 1
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelOrder), "the cancel form")
        await pilot.press(*"Duplicate", "enter")
        await wait_until(pilot, lambda: not app.screen.busy, "the refusal")
        await pilot.press("escape")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "issued")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CancelOrder), "the cancel form")
        await pilot.press(*"Duplicate", "enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "cancelled")
    row = order_row(engine, draft)
    assert (row.status, row.cancellation_reason, row.version) == ("cancelled", "Duplicate", 3)


async def test_t_is_the_users_day_for_a_delivery_and_a_rating(engine, config, draft):
    """Just before midnight UTC a user east of Greenwich is already on the 16th: `t` in the
    delivery modal is that day, accepted (not "in the future" against the UTC date), and the
    rating is dated that day too."""
    issued(engine, draft)
    evening = datetime(2026, 11, 15, 23, 30, tzinfo=timezone.utc)
    app = LtaApp(config, today=lambda: date(2026, 11, 16), now=lambda: evening)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordDelivery), "the delivery")
        assert app.screen.query_one("#delivered-on").value == "2026-11-16"
        await pilot.press("ctrl+s")  # every line in full, on the 16th
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "delivered")
        assert {x.delivered_on for x in screen.detail.deliveries} == {date(2026, 11, 16)}
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RateOrder), "the rating")
        await pilot.press("4", "4", "3", "4", "4", "enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.review is not None)
        assert screen.detail.review.reviewed_on == date(2026, 11, 16)
    assert order_row(engine, draft).version == 4  # issue, delivery, review


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ({"role": "working_group", "agency": "UNICEF"}, "R26: the Working Group reads UNDP's"),
        ({"role": "viewer", "agency": "UNDP"}, "R26: a viewer changes nothing"),
        ({"role": "focal_point", "agency": "UNICEF"}, "R26"),
    ],
    ids=["working_group", "viewer", "other_agency"],
)
async def test_R26_a_user_who_may_not_change_the_order_is_told_why(
    tmp_path, engine, draft, user, reason
):
    issued(engine, draft)
    app = app_as(tmp_path, **user)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        assert {"d", "a", "c"} <= keys_shown(screen)  # shown, and refused with the reason
        for key in ("c", "d"):
            await pilot.press(key)
            await settle(pilot, app)
            assert app.screen is screen  # no form to fill in for nothing
        assert sum(reason in m for m in messages(app)) == 2
    assert status(engine, draft) == "issued"


def test_R26_the_service_refuses_a_viewer_the_screen_let_through(engine, draft):
    """The screen's check is a courtesy; the service refuses on its own."""
    from lta_tui.domain.rules import Refused
    from lta_tui.services.orders import Actor

    viewer = Actor("Vi Ewer", "UNDP", "viewer")
    with pytest.raises(Refused, match="R26"):
        cancel_order(engine, draft, viewer, now=NOW, reason="x", expected_version=1)
    with engine.connect() as conn:
        assert conn.execute(select(Order.status)).scalar_one() == "draft"


async def test_R15_issuing_asks_to_acknowledge_a_new_warning_and_shows_it(app, engine):
    """A warning that arose after the draft was saved (R15: another order took the sub-LTA to
    its warning level) is shown before issuing; acknowledged, it is recorded and listed."""
    make_sub_lta(engine, ceiling=Decimal("30000"))
    first = save_order(engine, direct_order(), ANA, RULES, now=NOW).id
    other = save_order(engine, direct_order(), ANA, RULES, now=NOW).id
    issued(engine, other)  # 14,971.95 of 30,000 EUR used; the first order takes it to 99.8 %
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, first)
        assert not screen.query_one("#order-warnings").display
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmAction) and "R15" in app.screen.question,
            "the warning to acknowledge",
        )
        assert status(engine, first) == "draft"  # nothing issued while the warning stands
        await pilot.press("enter")
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "issued")
        (warning,) = screen.detail.acknowledged
        assert warning.rule == "R15" and warning.by == "Test User"
        assert screen.query_one("#order-warnings").display
        assert "R15" in order_row(engine, first).acknowledged_warnings


async def test_refusing_the_warning_leaves_the_draft(app, engine):
    make_sub_lta(engine, ceiling=Decimal("30000"))
    first = save_order(engine, direct_order(), ANA, RULES, now=NOW).id
    issued(engine, save_order(engine, direct_order(), ANA, RULES, now=NOW).id)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, first)
        await pilot.press("i", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmAction) and "R15" in app.screen.question,
            "the warning to acknowledge",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the order")
        await settle(pilot, app)
        assert status(engine, first) == "draft" and "i" in keys_shown(screen)


async def test_e_opens_the_draft_in_the_order_form_and_a_the_issued_one(app, engine, draft):
    from lta_tui.tui.screens.order_form import OrderFormScreen

    async with app.run_test(size=SIZE) as pilot:
        screen = await open_order(pilot, app, draft)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormScreen), "the form")
        assert app.screen.order_id == draft
        app.screen.dismiss(None)
        await wait_until(pilot, lambda: app.screen is screen, "back on the order")
        issued(engine, draft)
        screen.reload()
        await reloaded(pilot, app, screen, lambda: screen.detail.status == "issued")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderFormScreen), "the form")
        assert app.screen.order_id == draft


def test_history_and_acknowledged_warnings_read_plainly():
    from lta_tui.services.order_detail import acknowledged_warnings, describe_change

    assert describe_change('{"status":"draft"}', '{"status":"issued","first_total":"10.00"}') == (
        "status: draft → issued; first total: 10.00"
    )
    assert describe_change(
        '{"delivered":{"1":"0.000"},"status":"issued"}',
        '{"delivered":{"1":"2.500"},"status":"partially_delivered"}',
    ) == ("status: issued → partially delivered; delivered 1: 0 → 2.5")
    stored = (
        '[{"rule": "R15", "message": "R15: 85 % of its ceiling", "by": "Ana",'
        ' "at": "2026-11-15T09:00:00+00:00", "ceiling_amendment": "AMD-1"}]'
    )
    (w,) = acknowledged_warnings(stored)
    assert (w.rule, w.by, w.at) == ("R15", "Ana", "2026-11-15 09:00 UTC")
    assert w.ceiling_amendment == "AMD-1"
    (old,) = acknowledged_warnings("R16: amendments exceed 20 % of the first value (Kenji)")
    assert (old.rule, old.by) == ("R16", None)  # the plain text of older records


async def test_the_lines_at_80_columns_show_delivered_and_both_amounts(app, engine, draft):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_order(pilot, app, draft)
        table = screen.query_one("#order-lines")
        titles = [str(c.label) for c in table.ordered_columns]
        assert titles[:6] == ["#", "Description", "Qty", "Delivered", "Amount EUR", "Amount USD"]
        shown = sum(c.get_render_width(table) for c in table.ordered_columns[:6])
        assert shown <= table.size.width, (shown, table.size.width)


async def test_enter_on_a_history_row_shows_the_whole_change_in_a_modal(app, engine, draft):
    from lta_tui.tui.screens.order_actions import ChangeView

    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_order(pilot, app, draft)
        screen.query_one("#order-history").focus()
        await pilot.press("home", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeView), "the change")
        lines = app.screen.lines
        assert "Status: draft" in lines
        assert any(x.startswith("Total: ") and x.endswith(" EUR") for x in lines), lines
        numbered = [x for x in lines if x.startswith("  line ")]
        assert len(numbered) == 10 and "×" in numbered[0]  # one line per order line
        assert not any("[[" in x or "{" in x for x in lines)  # no raw JSON
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "the order again")
