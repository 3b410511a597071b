"""The order form driven key by key from the Orders screen: a 10-line direct order typed and
saved (then read back from the database), an error under its field blocking the save, `esc`
asking before discarding, and the date shorthand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lta_tui.domain.money import line_amount
from lta_tui.services.orders import save_order
from lta_tui.store.models import AuditEvent, Order, OrderLine
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.order_form import OrderFormScreen
from lta_tui.tui.screens.orders import OrdersScreen
from lta_tui.tui.widgets.choice_input import ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.yes_no_dialog import YesNoDialog
from tests.order_setup import ITEMS, SUB, make_sub_lta
from tests.tui.steps import loaded, new_form, open_new_form, settle, wait_until

TODAY = date(2026, 11, 10)  # inside the sub-LTA's validity (2026)
#: nine catalogue items of lot 2 and a quantity each, then a freight line
GOODS = [(f"A2-LAP{i:02d}", str(i + 1)) for i in range(1, 9)] + [("A2-MON01", "5")]


@pytest.fixture
def form_app(config, engine):
    make_sub_lta(engine)  # UNDP × CONS-A in EUR, 2026, with a catalogue of ten items
    return LtaApp(config, today=lambda: TODAY)


async def open_form(pilot, app) -> OrderFormScreen:
    return await open_new_form(pilot, app, "3", OrdersScreen, OrderFormScreen)


async def type_header(pilot, app, form: OrderFormScreen, *, order_date: str = "t") -> None:
    """Consolidator, lot, sub-LTA, date, currency (set by the sub-LTA) and destination."""
    # a focal point's agency is fixed: the form starts on the channel (direct), then on
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#consolidator"), "consolidator")
    await pilot.press(*"cons-a", "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#lot"), "the lot field")
    await pilot.press("2", "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#sub_lta"), "the sub-LTA")
    await pilot.press(*"cons-a-2026", "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#order_date"), "the date")
    await pilot.press("ctrl+a", "ctrl+k", *order_date, "enter")  # clear, then type
    await wait_until(pilot, lambda: app.focused is form.query_one("#currency"), "the currency")
    assert form.query_one("#currency", ChoiceInput).code == "EUR"  # from the sub-LTA
    await pilot.press("enter")
    await pilot.press(*"ken", "enter")
    await wait_until(pilot, lambda: app.focused is form.query_one("#line-item"), "the lines")
    assert form.query_one("#destination_country", ChoiceInput).code == "KE"


async def type_line(pilot, app, form, item: str, quantity: str, price: str | None = None) -> None:
    before = len(form.lines)
    await pilot.press(*item.lower(), "enter")  # the list offers the item: enter takes it
    await wait_until(pilot, lambda: app.focused is form.query_one("#line-qty"), "quantity")
    if price is None:  # the catalogue's price
        await pilot.press(*quantity, "enter")
    else:
        await pilot.press(*quantity, "tab")
        await wait_until(pilot, lambda: app.focused is form.query_one("#line-price"), "price")
        await pilot.press("ctrl+a", "ctrl+k", *price, "enter")  # ctrl+a, ctrl+k: clear
    await wait_until(pilot, lambda: len(form.lines) == before + 1, f"line {before + 1}")


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


async def test_a_ten_line_direct_order_typed_from_the_orders_screen_is_saved(form_app, engine):
    orders_before = count(engine, Order)
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        for sku, quantity in GOODS:
            await type_line(pilot, form_app, form, sku, quantity)
        await type_line(pilot, form_app, form, "freight", "1", "350")
        assert [x.sku or x.service for x in form.lines] == [s for s, _ in GOODS] + ["freight"]
        prices = {sku: price for sku, _, _, price in ITEMS}
        assert form.lines[0].unit_price == prices["A2-LAP01"]  # filled from the catalogue
        assert form.lines[0].description == "Item A2-LAP01"
        await settle(pilot, form_app)
        await wait_until(pilot, lambda: form.check is not None, "the rules")
        assert not form.check.errors, form.check.errors
        assert "EUR" in str(form.query_one("#form-total").render())
        await pilot.press("ctrl+s")
        for _ in range(2):  # warnings (if any) are acknowledged with y
            await wait_until(
                pilot,
                lambda: isinstance(form_app.screen, OrdersScreen | YesNoDialog),
                "the save",
            )
            if isinstance(form_app.screen, YesNoDialog):
                await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
        await settle(pilot, form_app)

    assert count(engine, Order) == orders_before + 1
    with engine.connect() as conn:
        order = conn.execute(select(Order.__table__).order_by(Order.id.desc()).limit(1)).one()
        lines = conn.execute(
            select(OrderLine.__table__).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        ).all()
        events = conn.execute(
            select(AuditEvent.action).where(
                AuditEvent.entity == "order", AuditEvent.entity_id == order.id
            )
        ).all()
    assert order.status == "draft" and order.currency == "EUR"
    assert order.destination_country == "KE" and order.channel == "direct"
    assert order.po_number.startswith("UNDP-2026-")
    assert len(lines) == 10
    assert order.total == sum(
        (line_amount(x.quantity, x.unit_price, "EUR") for x in lines), Decimal(0)
    )
    assert [x.quantity for x in lines[:3]] == [Decimal(2), Decimal(3), Decimal(4)]
    assert lines[-1].kind == "service" and lines[-1].unit_price == Decimal("350")
    assert len(events) >= 1


async def test_R13_a_price_above_the_catalogue_is_shown_under_the_line_and_blocks_the_save(
    form_app, engine
):
    orders_before = count(engine, Order)
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await type_line(pilot, form_app, form, "A2-LAP01", "2")
        await type_line(pilot, form_app, form, "A2-MON01", "5", "250")  # catalogue: 189.99
        await wait_until(
            pilot,
            lambda: form.check is not None and form.check.errors,
            "the rules to find the price",
        )
        [error] = form.check.errors
        assert error.rule == "R13" and error.field == "lines.2.unit_price"
        shown = str(form.query_one("#line-findings").render())
        assert "line 2" in shown and "above the catalogue price" in shown
        table_row = form.query_one("#order-lines").get_row_at(1)
        assert str(table_row[0]).startswith("!")  # the line is marked in the table
        await pilot.press("ctrl+s")
        await settle(pilot, form_app)
        assert form_app.screen is form  # not saved: the form stays
        # an error of a header field is shown under that field
        form.query_one("#order_date").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"2027-02-01")
        await wait_until(
            pilot,
            lambda: any("R13" in m for m in form.query_one("#order_date-field").messages),
            "the date's error under it",
        )
    assert count(engine, Order) == orders_before


@pytest.mark.parametrize(
    ("quantity", "price", "message"),
    [
        ("1,5", "", "Quantity: '1,5' is not a quantity: use a point for decimals (1.5)"),
        ("2.0005", "", "Quantity: '2.0005' has more than 3 decimals"),
        ("2", "189,99", "Unit price: '189,99' is not an amount: use a point for decimals"),
    ],
    ids=["decimal_comma", "four_decimals", "price_comma"],
)
async def test_a_quantity_or_price_typed_loosely_is_explained_and_no_line_added(
    form_app, quantity, price, message
):
    """`1,5` is not 15: the line editor reads quantities with `parse_quantity` and prices with
    `parse_amount`, and says what is wrong instead of adding the line."""
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await pilot.press(*"a2-lap01", "enter")
        await wait_until(pilot, lambda: form_app.focused is form.query_one("#line-qty"), "qty")
        await pilot.press(*quantity, "tab")
        if price:
            await pilot.press("ctrl+a", "ctrl+k", *price)
        await pilot.press("enter")
        await settle(pilot, form_app)
        assert message in str(form.query_one("#line-messages").render())
        assert not form.lines


async def test_after_saving_a_new_order_the_list_puts_the_cursor_on_it(form_app, engine):
    """Newest first (the default order): the new order of the 10th is second, after one of the
    12th and before one of the 9th, and the cursor is on it, not on the first row."""
    from tests.order_setup import ANA, NOW, RULES, direct_order, goods

    for day in (12, 9):
        order = direct_order([goods("A2-LAP01")], order_date=date(2026, 11, day))
        save_order(engine, order, ANA, RULES, now=NOW)
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await type_line(pilot, form_app, form, "A2-LAP02", "3")
        await wait_until(pilot, lambda: form.check is not None, "the rules")
        await pilot.press("ctrl+s")
        for _ in range(2):  # warnings (if any) are acknowledged with y
            await wait_until(
                pilot,
                lambda: isinstance(form_app.screen, OrdersScreen | YesNoDialog),
                "the save",
            )
            if isinstance(form_app.screen, YesNoDialog):
                await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
        table = form_app.screen.table
        await wait_until(pilot, lambda: table.window_size == 3 and not table.is_loading, "rows")
        await settle(pilot, form_app)
        with engine.connect() as conn:
            new = conn.execute(select(func.max(Order.id))).scalar_one()
        assert table.cursor_row.ref == new and table.cursor_position == 1


async def test_esc_on_a_changed_form_asks_before_discarding(form_app, engine):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await pilot.press("tab", *"cons-a", "enter")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        assert "Discard this order?" in str(form_app.screen.query_one("#yes-no-title").render())
        await pilot.press("n")
        await wait_until(pilot, lambda: form_app.screen is form, "the form again")
        assert form.query_one("#consolidator", ChoiceInput).code == "CONS-A"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
        # an untouched form goes without asking
        await new_form(pilot, form_app, OrderFormScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
    assert count(engine, Order) == 0


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("t", "2026-11-10"),
        ("+5", "2026-11-15"),
        ("-10", "2026-10-31"),
        ("2026-03-15", "Sun"),  # typed in full: the weekday alone
    ],
)
async def test_order_date_shorthand_resolves_beside_the_field(form_app, typed, shown):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        form.query_one("#order_date").focus()
        await pilot.press("ctrl+a", "ctrl+k", *typed)
        field = form.query_one("#order_date-field", FormField)
        await wait_until(
            pilot, lambda: shown in str(field.query_one(".field-aside").render()), shown
        )
        assert not field.messages


async def test_a_date_that_cannot_be_read_is_explained_under_the_field(form_app):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        form.query_one("#order_date").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"15/03")
        field = form.query_one("#order_date-field", FormField)
        await wait_until(pilot, lambda: bool(field.messages), "the message")
        assert "is not a date" in field.messages[0]


async def test_autocomplete_finds_codes_from_names(form_app):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        currency = form.query_one("#currency", ChoiceInput)
        currency.focus()
        await pilot.press(*"euro")
        await wait_until(pilot, lambda: currency.choices_shown, "the list")
        await pilot.press("enter")
        assert currency.code == "EUR" and currency.value == "EUR Euro"
        country = form.query_one("#destination_country", ChoiceInput)
        await wait_until(pilot, lambda: form_app.focused is country, "the destination")
        await pilot.press(*"ken", "tab")  # tab away takes what the list offered
        assert country.code == "KE"


@pytest.fixture
def draft(engine, form_app):
    """A saved 10-line draft (the service tests' order) and the app to open it in."""
    from lta_tui.services.orders import save_order
    from tests.order_setup import ANA, NOW, RULES, direct_order

    saved = save_order(engine, direct_order(), ANA, RULES, now=NOW)
    return saved


async def open_saved(pilot, app, saved) -> OrderFormScreen:
    await loaded(pilot, app)
    await pilot.press("3")
    await wait_until(pilot, lambda: isinstance(app.screen, OrdersScreen), "the Orders screen")
    app.push_screen(OrderFormScreen(saved.id, po_number=saved.po_number))
    await wait_until(pilot, lambda: isinstance(app.screen, OrderFormScreen), "the order form")
    form = app.screen
    await wait_until(pilot, lambda: form.context is not None and form.lines, "the order")
    await settle(pilot, app)
    return form


async def test_a_draft_opens_in_the_form_and_saves_changed(form_app, engine, draft):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_saved(pilot, form_app, draft)
        assert form.sub_title == f"Edit {draft.po_number} (draft)"
        assert len(form.lines) == 10 and form.query_one("#sub_lta", ChoiceInput).code == SUB
        assert not form.changed
        # the first line's quantity becomes 4: enter on the row, then in the editor
        form.query_one("#order-lines").focus()
        await pilot.press("home", "enter")
        await wait_until(pilot, lambda: form_app.focused is form.query_one("#line-item"), "edit")
        await pilot.press("tab", "ctrl+a", "ctrl+k", "4", "enter")
        await wait_until(pilot, lambda: form.lines[0].quantity == Decimal(4), "the change")
        assert form.changed
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
    with engine.connect() as conn:
        first = conn.execute(
            select(OrderLine.quantity)
            .where(OrderLine.order_id == draft.id)
            .order_by(OrderLine.id)
            .limit(1)
        ).scalar_one()
        version = conn.execute(select(Order.version).where(Order.id == draft.id)).scalar_one()
    assert first == Decimal(4) and version == draft.version + 1


async def test_a_save_over_someone_elses_change_is_refused_and_the_form_stays(
    form_app, engine, draft
):
    from sqlalchemy import update

    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_saved(pilot, form_app, draft)
        with engine.begin() as conn:  # another user saves the order meanwhile
            conn.execute(
                update(Order)
                .where(Order.id == draft.id)
                .values(version=Order.version + 1, updated_by="Kenji Sato")
            )
        await pilot.press("ctrl+s")
        errors = form.query_one("#form-errors")
        await wait_until(pilot, lambda: "Kenji Sato" in str(errors.render()), "the conflict")
        assert "nothing was saved" in str(errors.render())
        assert form_app.screen is form and len(form.lines) == 10


async def test_the_palette_offers_a_new_order_from_any_section(form_app):
    async with form_app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, form_app)
        titles = [c.title for c in form_app.get_system_commands(form_app.screen)]
        assert "New order" in titles  # the dashboard
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: form_app.screen is not form_app.screen_stack[0], "palette")
        await pilot.press(*"new order")
        await settle(pilot, form_app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrderFormScreen), "the form")


async def test_tab_goes_through_the_channel_when_the_agency_is_fixed(form_app):
    """A focal point's agency is locked; the form starts on the channel, not after it."""
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        assert form.query_one("#agency").disabled
        assert form_app.focused is form.query_one("#channel")
        await pilot.press("tab")
        assert form_app.focused is form.query_one("#consolidator")
        await pilot.press("shift+tab")
        assert form_app.focused is form.query_one("#channel")


async def test_R13_editing_a_line_keeps_its_own_price_and_description(form_app):
    """enter on a line typed with its own price and description puts them in the editor, not
    the catalogue's; changing only the quantity keeps them."""
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await pilot.press(*"a2-mon01", "enter")  # catalogue: 189.99, "Item A2-MON01"
        await wait_until(pilot, lambda: form_app.focused is form.query_one("#line-qty"), "qty")
        await pilot.press(*"5", "tab", "ctrl+a", "ctrl+k", *"150.00", "tab")
        await pilot.press("ctrl+a", "ctrl+k", *"Monitor 24in", "enter")
        await wait_until(pilot, lambda: len(form.lines) == 1, "the line")
        assert form.lines[0].unit_price == Decimal("150.00")
        await wait_until(
            pilot,
            lambda: "catalogue price" in str(form.query_one("#line-findings").render()),
            "the R13 warning",
        )
        form.query_one("#order-lines").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: form_app.focused is form.query_one("#line-item"), "edit")
        await settle(pilot, form_app)
        assert form.query_one("#line-price").value == "150"
        assert form.query_one("#line-description").value == "Monitor 24in"
        await pilot.press("tab", "ctrl+a", "ctrl+k", "6", "enter")
        await wait_until(pilot, lambda: form.lines[0].quantity == Decimal(6), "the change")
        await settle(pilot, form_app)
        line = form.lines[0]
        assert line.unit_price == Decimal("150.00") and line.description == "Monitor 24in"
        assert line.sku == "A2-MON01"


async def test_R13_an_order_date_outside_the_sub_lta_keeps_it_and_the_rule_names_the_dates(
    form_app, engine
):
    """The sub-LTA chosen stays when the order date leaves its validity: the service gets its
    reference and R13 says which date is outside which validity."""
    make_sub_lta(engine, reference="UNDP-CONS-A-2025", valid=(date(2025, 1, 1), date(2025, 12, 31)))
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        box = form.query_one("#sub_lta", ChoiceInput)
        assert box.code == SUB
        form.query_one("#order_date").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"2025-12-15")
        await wait_until(
            pilot,
            lambda: form.check is not None and any(f.rule == "R13" for f in form.check.errors),
            "R13",
        )
        assert box.code == SUB and form.read_order().sub_lta == SUB
        messages = [m for f in form.query(FormField) for m in f.messages]
        assert any("2025-12-15" in m and "validity" in m for m in messages), messages
        assert not any("there is no sub-LTA" in m for m in messages), messages
        # the list offers the one in force first and marks the other
        notes = {c.value: c.note for c in box.choices}
        assert [c.value for c in box.choices] == ["UNDP-CONS-A-2025", SUB]
        assert "not in force on 2025-12-15" in notes[SUB]


async def test_R20_a_line_in_error_does_not_hide_the_rate_in_force(form_app):
    """A line with quantity 0 (R18) leaves the check without a USD total: the form still shows
    the rate and the total in USD, never "no rate"."""
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await type_line(pilot, form_app, form, "A2-LAP01", "2")
        await settle(pilot, form_app)
        await wait_until(pilot, lambda: form.check is not None, "the rules")
        total = form.query_one("#form-total")
        assert "EUR/USD" in str(total.render())
        await type_line(pilot, form_app, form, "A2-LAP02", "0")
        await wait_until(
            pilot, lambda: form.check is not None and form.check.errors, "the R18 error"
        )
        shown = str(total.render())
        assert "no rate" not in shown and "USD —" not in shown and "EUR/USD" in shown, shown


async def test_R19_a_field_being_typed_with_its_list_open_shows_no_finding_yet(form_app):
    """ "ken" while the list offers KE Kenya is not an error yet; leaving the field takes the
    choice, and saving shows what stands."""
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await type_line(pilot, form_app, form, "A2-LAP01", "2")
        country = form.query_one("#destination_country", ChoiceInput)
        field = form.query_one("#destination_country-field", FormField)
        country.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"ken")
        await wait_until(pilot, lambda: country.choices_shown, "the list")
        await settle(pilot, form_app)
        await wait_until(pilot, lambda: form.check is not None, "the rules")
        assert any(f.rule == "R19" for f in form.check.findings)  # the service did find it
        assert not field.messages
        await pilot.press("ctrl+s")  # saving judges it
        await wait_until(pilot, lambda: any("ISO 3166" in m for m in field.messages), "R19")
        assert form_app.screen is form


async def test_q_and_the_section_keys_do_not_leave_a_typed_form(form_app, engine):
    """Focus on the lines table (not a text field): `q` asks as `esc` does, `4` does nothing."""
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        await type_line(pilot, form_app, form, "A2-MON01", "5")
        table = form.query_one("#order-lines")
        table.focus()
        await wait_until(pilot, lambda: form_app.focused is table, "the lines table")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        assert "Discard this order?" in str(form_app.screen.query_one("#yes-no-title").render())
        await pilot.press("n")
        await wait_until(pilot, lambda: form_app.screen is form, "the form again")
        assert len(form.lines) == 1
        await pilot.press("4")
        await settle(pilot, form_app)
        assert form_app.screen is form and form_app.current_mode == "orders"
        await pilot.press("escape")  # esc still leaves (asking)
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(form_app.screen, OrdersScreen), "the list")
        await pilot.press("4")  # off the form, the section keys work again
        await wait_until(pilot, lambda: form_app.current_mode != "orders", "another section")
    assert count(engine, Order) == 0
