"""The competition form driven key by key from the Competitions screen: a competition on lot 2
with three lines, freight and installation, weighted criteria and one holder left out with a
reason, saved and read back from the database; a UNSPSC code outside the lot's scope shown
under the lines and nothing saved; the service's refusal of a deadline shown under the field;
`esc` asking before discarding; a draft opened again and saved changed."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lta_tui.store.models import (
    AuditEvent,
    CompetitionCriterion,
    Consolidator,
    Invitation,
    MiniCompetition,
    RequirementLine,
)
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen
from lta_tui.tui.screens.competition_form import CompetitionFormScreen
from lta_tui.tui.screens.competitions import CompetitionsScreen
from lta_tui.tui.screens.leave_out_dialog import LeaveOutDialog
from lta_tui.tui.widgets.choice_input import ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from lta_tui.tui.widgets.invitation_list import InvitationList
from lta_tui.tui.widgets.yes_no_dialog import YesNoDialog
from tests.tui.competition_steps import focus_on, open_form, type_header, type_line, type_weights
from tests.tui.steps import loaded, new_form, settle, wait_until

TODAY = date(2026, 11, 10)  # a Tuesday; the app's clock is its midnight UTC
#: description, specification, quantity, UNSPSC (all within lot 2's scope)
LINES = [
    ("Laptop 14 inch", "i5, 16 GB, 512 GB SSD", "40", "43211503"),
    ("Monitor 24 inch", "FHD IPS, height-adjustable", "40", "43211902"),
    ("Docking station", "USB-C, 100 W", "12", "43211602"),
]
WEIGHTS = {"price": "60", "delivery_time": "10", "warranty": "10", "sustainability": "10"}


@pytest.fixture
def form_app(config, engine):
    return LtaApp(config, today=lambda: TODAY)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


async def test_a_weighted_competition_on_lot_2_is_typed_and_saved(form_app, engine):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        assert form.query_one("#weights-field").display  # weighted: the weights show
        await type_weights(pilot, form_app, form, WEIGHTS)
        await wait_until(pilot, lambda: "100 ✓" not in _sum(form), "a sum under 100")
        assert "90: 10 to go" in _sum(form)
        form.query_one("#weight-past_performance").focus()
        await pilot.press("1", "0")
        await wait_until(pilot, lambda: "Sum 100 ✓" in _sum(form), "the sum of 100")
        await pilot.press("enter")
        # services: freight and installation, 36 months of warranty
        await focus_on(pilot, form_app, form, "needs_freight")
        await pilot.press("space", "tab", "tab", "space", "tab", *"36", "enter")
        await focus_on(pilot, form_app, form, "req-description")  # the lines come next
        for line in LINES:
            await type_line(pilot, form_app, form, *line)
        assert [x.unspsc for x in form.lines] == [code for *_, code in LINES]
        # every active holder of lot 2 is listed and invited; CONS-B is left out with a reason
        invitations = form.query_one(InvitationList)
        assert [h.code for h in invitations.holders] == ["CONS-A", "CONS-B", "CONS-C"]
        assert invitations.invited == ("CONS-A", "CONS-B", "CONS-C")
        invitations.focus()
        await pilot.press("down", "space")
        await wait_until(pilot, lambda: isinstance(form_app.screen, LeaveOutDialog), "why")
        await pilot.press("enter")  # no reason: refused
        await settle(pilot, form_app)
        assert isinstance(form_app.screen, LeaveOutDialog)
        await pilot.press(*"no service desk in Bangladesh", "enter")
        await wait_until(pilot, lambda: form_app.screen is form, "the form again")
        assert invitations.left_out == (("CONS-B", "no service desk in Bangladesh"),)
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(form_app.screen, CompetitionDetailScreen), "the detail"
        )
        await settle(pilot, form_app)
        opened = form_app.screen.record_id
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionsScreen), "list")

    with engine.connect() as conn:
        comp = conn.execute(select(MiniCompetition.__table__)).one()
        lines = conn.execute(
            select(RequirementLine.__table__)
            .where(RequirementLine.competition_id == comp.id)
            .order_by(RequirementLine.line_no)
        ).all()
        criteria = dict(
            conn.execute(
                select(CompetitionCriterion.criterion, CompetitionCriterion.weight).where(
                    CompetitionCriterion.competition_id == comp.id
                )
            ).all()
        )
        invited = {
            code: (row_invited, reason)
            for code, row_invited, reason in conn.execute(
                select(Consolidator.code, Invitation.invited, Invitation.exclusion_reason)
                .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
                .where(Invitation.competition_id == comp.id)
            )
        }
        actions = conn.execute(
            select(AuditEvent.action).where(
                AuditEvent.entity == "competition", AuditEvent.entity_id == comp.id
            )
        ).all()
    assert opened == comp.id  # the new competition opened in its detail
    assert comp.reference == "UNDP-MC-2026-001" and comp.status == "draft"
    assert comp.title == "Laptops and monitors for Dhaka" and comp.destination_country == "BD"
    deadline = comp.deadline.replace(tzinfo=comp.deadline.tzinfo or timezone.utc)
    assert deadline == datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # +14 at 12:00 UTC
    assert comp.fx_rate_date == date(2026, 11, 24)  # the deadline's day
    assert comp.evaluation_method == "weighted"
    assert criteria == {
        "price": 60,
        "delivery_time": 10,
        "warranty": 10,
        "sustainability": 10,
        "past_performance": 10,
    }
    assert comp.needs_freight and comp.needs_installation and not comp.needs_export_licensing
    assert comp.warranty_months == 36
    assert [(x.description, x.specification, x.quantity, x.unit, x.unspsc) for x in lines] == [
        (d, s, Decimal(q), "each", code) for d, s, q, code in LINES
    ]
    assert invited == {
        "CONS-A": (True, None),
        "CONS-B": (False, "no service desk in Bangladesh"),
        "CONS-C": (True, None),
    }
    assert [a for (a,) in actions] == ["create"]


async def test_R3_a_code_outside_the_lot_is_shown_under_the_lines_and_nothing_saved(
    form_app, engine
):
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form, method="lowest")
        assert not form.query_one("#weights-field").display
        await type_line(pilot, form_app, form, *LINES[0])
        await type_line(pilot, form_app, form, "Colour printer", "A4", "2", "43212105")  # lot 4
        messages = form.query_one("#lines-messages")
        await wait_until(pilot, lambda: "R3" in str(messages.render()), "the R3 message")
        assert "line 2: UNSPSC 43212105 is outside the scope of lot 2" in str(messages.render())
        assert str(form.query_one("#requirement-lines").get_row_at(1)[0]).startswith("!")
        await pilot.press("ctrl+s")
        await settle(pilot, form_app)
        assert form_app.screen is form  # not saved: the form stays
        # the line is corrected in the table: enter edits it, the message goes
        form.query_one("#requirement-lines").focus()
        await pilot.press("down", "enter")
        await focus_on(pilot, form_app, form, "req-description")
        form.query_one("#req-unspsc").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"43211507")
        await settle(pilot, form_app)
        form.query_one("#req-unspsc", ChoiceInput).hide_choices()
        await pilot.press("enter")
        await wait_until(pilot, lambda: form.lines[1].unspsc == "43211507", "the change")
        assert "R3" not in str(messages.render())
    assert count(engine, MiniCompetition) == 0


async def test_a_deadline_the_service_refuses_is_shown_under_the_deadline(form_app, engine):
    """R4: the deadline must be after now; the service says so, the form shows it under the
    field and stays."""
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form, deadline="-1", method="lowest")
        await type_line(pilot, form_app, form, *LINES[0])
        await pilot.press("ctrl+s")
        field = form.query_one("#deadline-field", FormField)
        await wait_until(pilot, lambda: any("R4" in m for m in field.messages), "R4")
        assert form_app.screen is form
        # changing the deadline takes the refusal's message away
        form.query_one("#deadline").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"+10")
        await wait_until(pilot, lambda: not field.messages, "the message gone")
    assert count(engine, MiniCompetition) == 0


async def test_R17_a_suspended_holder_is_listed_as_excluded_and_cannot_be_invited(form_app, engine):
    from sqlalchemy import update

    with engine.begin() as conn:
        conn.execute(
            update(Consolidator)
            .where(Consolidator.code == "CONS-C")
            .values(
                eligibility="suspended",
                eligibility_since=date(2026, 10, 1),
                eligibility_reason="unpaid penalties",
            )
        )
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form, method="lowest")
        await type_line(pilot, form_app, form, *LINES[0])
        invitations = form.query_one(InvitationList)
        assert invitations.invited == ("CONS-A", "CONS-B")
        state = str(invitations.get_row_at(2)[3])
        assert state == "excluded: suspended since 2026-10-01 (unpaid penalties)"
        invitations.focus()
        await pilot.press("down", "down", "space")  # refused: it stays excluded
        await settle(pilot, form_app)
        assert form_app.screen is form and invitations.invited == ("CONS-A", "CONS-B")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(form_app.screen, CompetitionDetailScreen), "the detail"
        )
    with engine.connect() as conn:
        rows = conn.execute(
            select(Consolidator.code, Invitation.invited, Invitation.exclusion_reason)
            .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
            .order_by(Consolidator.code)
        ).all()
    assert [(code, invited) for code, invited, _ in rows] == [
        ("CONS-A", True),
        ("CONS-B", True),
        ("CONS-C", False),
    ]
    assert "suspended since 2026-10-01" in rows[2][2]


async def test_required_fields_are_named_when_saving_an_empty_form(form_app, engine):
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await pilot.press("ctrl+s")
        await settle(pilot, form_app)
        assert form.query_one("#lot-field", FormField).messages == ("Lot: required",)
        assert "Title: required" in form.query_one("#title-field", FormField).messages
        assert "Deadline" in form.query_one("#deadline-field", FormField).messages[0]
        assert "at least one requirement line" in str(form.query_one("#lines-messages").render())
        assert form_app.focused is form.query_one("#lot")
    assert count(engine, MiniCompetition) == 0


async def test_esc_on_a_changed_form_asks_before_discarding(form_app, engine):
    async with form_app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, form_app)
        await pilot.press("2", "enter")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        assert "Discard this competition?" in str(
            form_app.screen.query_one("#yes-no-title").render()
        )
        await pilot.press("n")
        await wait_until(pilot, lambda: form_app.screen is form, "the form again")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionsScreen), "list")
        # an untouched form goes without asking
        await new_form(pilot, form_app, CompetitionFormScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionsScreen), "list")
    assert count(engine, MiniCompetition) == 0


async def test_a_draft_opens_in_the_form_and_saves_changed(form_app, engine):
    from lta_tui.config import RulesConfig
    from lta_tui.services.competitions import (
        CompetitionInput,
        RequirementInput,
        save_competition,
    )
    from lta_tui.services.orders import Actor

    draft = save_competition(
        engine,
        CompetitionInput(
            agency="UNDP",
            lot=2,
            title="Tablets for the field",
            destination_country="KE",
            deadline=datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc),
            fx_rate_date=date(2026, 11, 27),
            evaluation_method="lowest_price",
            weights=(),
            lines=(RequirementInput("Rugged tablet", "43211509", Decimal(25)),),
            left_out=(("CONS-C", "no presence in Kenya"),),
        ),
        Actor("Ana Ruiz", "UNDP", "focal_point"),
        RulesConfig(),
        now=datetime(2026, 11, 10, tzinfo=timezone.utc),
    )
    async with form_app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, form_app)
        form_app.push_screen(CompetitionFormScreen(competition_id=draft.id))
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionFormScreen), "form")
        form = form_app.screen
        await wait_until(pilot, lambda: form.context is not None and form.lines, "the draft")
        await settle(pilot, form_app)
        assert form.sub_title == f"Edit {draft.reference} (draft)"
        assert form.query_one("#deadline_time").value == "15:00"
        assert form.query_one("#fx_rate_date").value == "2026-11-27"
        assert form.query_one(InvitationList).left_out == (("CONS-C", "no presence in Kenya"),)
        assert not form.changed
        form.query_one("#title").focus()
        await pilot.press("end", *" and Uganda")
        assert form.changed
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form_app.screen is not form, "the save")
        assert not isinstance(form_app.screen, CompetitionDetailScreen)  # back where it was
    with engine.connect() as conn:
        title, version = conn.execute(
            select(MiniCompetition.title, MiniCompetition.version).where(
                MiniCompetition.id == draft.id
            )
        ).one()
    assert title == "Tablets for the field and Uganda" and version == draft.version + 1


async def test_the_palette_of_competitions_offers_a_new_competition(form_app):
    async with form_app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, form_app)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionsScreen), "list")
        await settle(pilot, form_app)
        titles = [c.title for c in form_app.get_system_commands(form_app.screen)]
        assert titles.count("New competition") == 1  # the screen's own key, listed once


async def test_the_palette_offers_a_new_competition_from_any_section(form_app):
    async with form_app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot, form_app)
        titles = [c.title for c in form_app.get_system_commands(form_app.screen)]
        assert "New competition" in titles  # the dashboard
        form_app.action_new_competition()
        await wait_until(pilot, lambda: isinstance(form_app.screen, CompetitionFormScreen), "form")
        await settle(pilot, form_app)  # its context loaded: nothing left to update on exit
        titles = [c.title for c in form_app.get_system_commands(form_app.screen)]
        assert "New competition" not in titles  # not over its own form


def _sum(form) -> str:
    return str(form.query_one("#weights-sum").render())


async def test_q_and_the_section_keys_do_not_leave_a_typed_form(form_app, engine):
    """Focus outside a text field (a checkbox): `q` asks as `esc` does, a section key does
    nothing; yes to the question quits."""
    async with form_app.run_test(size=(100, 40)) as pilot:
        form = await open_form(pilot, form_app)
        await type_header(pilot, form_app, form)
        form.query_one("#needs_freight").focus()
        await focus_on(pilot, form_app, form, "needs_freight")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        assert "Discard this competition?" in str(
            form_app.screen.query_one("#yes-no-title").render()
        )
        await pilot.press("n")
        await wait_until(pilot, lambda: form_app.screen is form, "the form again")
        assert form.query_one("#destination_country", ChoiceInput).code == "BD"
        await pilot.press("4")
        await settle(pilot, form_app)
        assert form_app.screen is form and form_app.current_mode == "competitions"
        assert form.query_one("#needs_freight").has_focus
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(form_app.screen, YesNoDialog), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: form_app.return_code is not None, "the app quit")
    assert count(engine, MiniCompetition) == 0


# --- the offer form ---------------------------------------------------------------------------


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


ISSUED = datetime(2026, 11, 2, 9, 0, 20, tzinfo=timezone.utc)


def issued_at(engine, at: datetime):
    from lta_tui.services.competitions import issue_competition
    from tests.competition_setup import ANA, RULES, draft

    saved = draft(engine)
    return issue_competition(engine, saved.id, ANA, RULES, now=at, expected_version=saved.version)


async def open_offer_form(pilot, app, competition_id: int):
    from lta_tui.tui.screens.offer_form import OfferFormScreen
    from tests.tui.steps import open_record

    await open_record(
        pilot, app, "competition", competition_id, CompetitionDetailScreen,
        lambda s: s.view is not None,
    )  # fmt: skip
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, OfferFormScreen), "the offer form")
    form = app.screen
    await settle(pilot, app)
    return form


def fill_offer(form, **values: str) -> None:
    """CONS-A's offer in USD typed in (`values` change or add fields)."""
    typed = {
        "consolidator": "CONS-A", "currency": "USD", "price-1": "950", "price-2": "210",
        "price-3": "180", "service-freight": "1500", "service-installation_support": "2000",
        "delivery_days": "30", "warranty_months": "36", **values,
    }  # fmt: skip
    for name, value in typed.items():
        form.query_one(f"#{name}").value = value


def offers_received(engine) -> list[datetime]:
    from lta_tui.store.models import Offer

    with engine.connect() as conn:
        return list(conn.execute(select(Offer.received_at)).scalars())


async def test_an_offer_recorded_in_the_minute_of_the_issue_is_received_when_the_form_opened(
    config, engine
):
    """The day and time start on now, shown to the minute (09:00, before the issue at
    09:00:20); left so, the offer is received at the moment the form opened, not refused."""
    saved = issued_at(engine, ISSUED)
    clock = Clock(ISSUED.replace(second=40))
    app = LtaApp(config, today=clock.today, now=clock.now)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_offer_form(pilot, app, saved.id)
        assert form.query_one("#received_time").value == "09:00"
        fill_offer(form)
        await settle(pilot, app)
        clock.at = ISSUED.replace(minute=1, second=10)  # saved the minute after
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not form, "the offer recorded")
    [received] = offers_received(engine)
    assert received.replace(tzinfo=timezone.utc) == ISSUED.replace(second=40)


async def test_an_offer_received_at_a_time_typed_is_saved_at_that_time(config, engine):
    saved = issued_at(engine, ISSUED)
    clock = Clock(ISSUED.replace(hour=11))
    app = LtaApp(config, today=clock.today, now=clock.now)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_offer_form(pilot, app, saved.id)
        fill_offer(form, received_time="10:15")
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not form, "the offer recorded")
    [received] = offers_received(engine)
    assert received.replace(tzinfo=timezone.utc) == datetime(
        2026, 11, 2, 10, 15, tzinfo=timezone.utc
    )


async def test_an_error_under_an_offer_field_goes_when_the_field_changes(config, engine):
    saved = issued_at(engine, ISSUED)
    clock = Clock(ISSUED.replace(hour=11))
    app = LtaApp(config, today=clock.today, now=clock.now)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await open_offer_form(pilot, app, saved.id)
        fill_offer(form, **{"price-1": "1150,50", "delivery_days": ""})
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        line1 = form.query_one("#price-1-error")
        assert "is not an amount" in str(line1.render()) and line1.has_class("-shown")
        days = form.query_one("#delivery_days-field", FormField)
        assert days.messages == ("Delivery days: required",)
        form.query_one("#price-1").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"1150.50")
        await settle(pilot, app)
        assert str(line1.render()) == "" and not line1.has_class("-shown")
        assert days.messages == ("Delivery days: required",)  # not changed yet
        form.query_one("#delivery_days").focus()
        await pilot.press("3", "0")
        await settle(pilot, app)
        assert days.messages == ()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not form, "the offer recorded")
    assert len(offers_received(engine)) == 1
