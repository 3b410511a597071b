"""A competition's actions from its detail screen, and what the TUI shows when a rule refuses
(issue 4, points 2–6): issuing a draft whose deadline has passed (R4) is refused and it stays a
draft, a short response time is acknowledged (R4 W); the offer form saved before it is filled
says what is missing and records nothing; an award to rank 2 without a justification is
refused (R10); sealed offers show no price on the detail, in the comparison or in the history
(R5); the export writes where the user said; a viewer is refused (R26). The list reads a
competition past its deadline "closed" as its detail does; a key refused in the competition's
status says why; the award takes a holder's code in any case.

Each test builds its own database (the `engine` fixture) with the competition of
tests/competition_setup.py saved by the competition service: lot 2, three lines, offers in
USD, EUR and JPY, deadline 2026-11-16 12:00 UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lta_tui.config import load_config
from lta_tui.services.competitions import open_offers
from lta_tui.store.models import Award, Offer, Order
from lta_tui.tui.app import LtaApp
from lta_tui.tui.screens.comparison import ComparisonScreen
from lta_tui.tui.screens.competition_actions import AwardCompetition, ExportDocument
from lta_tui.tui.screens.competition_detail import CompetitionDetailScreen
from lta_tui.tui.screens.competitions import CompetitionsScreen
from lta_tui.tui.screens.offer_form import OfferFormScreen
from lta_tui.tui.screens.order_actions import ChangeView, ConfirmAction
from lta_tui.tui.widgets.choice_input import ChoiceInput
from lta_tui.tui.widgets.form_field import FormField
from tests.competition_setup import (
    AFTER,
    ANA,
    BEFORE,
    CREATED,
    competition_row,
    draft,
    events,
    issued,
    with_offers,
)
from tests.conftest import write_config
from tests.tui.steps import loaded, open_record, settle, wait_until

SIZE = (100, 40)
#: Every price of the three offers of tests/competition_setup.py, as a screen would show it.
PRICES = ("950.00", "800.00", "140,000", "1,500.00", "58,300", "47,900", "8,440,000")


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self):
        return self.at.date()


def app_at(config, at: datetime) -> tuple[LtaApp, Clock]:
    clock = Clock(at)
    return LtaApp(config, today=clock.today, now=clock.now), clock


async def open_competition(pilot, app: LtaApp, competition_id: int) -> CompetitionDetailScreen:
    return await open_record(
        pilot,
        app,
        "competition",
        competition_id,
        CompetitionDetailScreen,
        lambda s: s.view is not None,
    )


async def reloaded(pilot, app: LtaApp, screen: CompetitionDetailScreen, check) -> None:
    await wait_until(pilot, lambda: app.screen is screen, "back on the competition")
    await wait_until(pilot, lambda: not screen.reloading and check(), "the competition reloaded")
    await settle(pilot, app)


def keys_shown(screen) -> set[str]:
    return {b.binding.key for b in screen.active_bindings.values() if b.enabled}


def messages(app: LtaApp) -> list[str]:
    return [n.message for n in app._notifications]


def text_of(screen: CompetitionDetailScreen) -> str:
    return screen.query_one("#record").plain_text()


async def test_issuing_a_draft_whose_deadline_has_passed_is_refused_R4(config, engine):
    saved = draft(engine)  # deadline 2026-11-16 12:00
    app, _ = app_at(config, AFTER)  # 2026-11-17: the deadline is behind
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        assert {"e", "i", "c", "x", "h"} <= keys_shown(screen)
        assert not {"o", "p", "k", "v", "a", "u"} & keys_shown(screen)  # not for a draft
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("R4" in m for m in messages(app)), "the refusal")
        await reloaded(pilot, app, screen, lambda: True)
        refusal = next(m for m in messages(app) if "R4" in m)
        assert "the deadline 2026-11-16 12:00 UTC must be after the issue" in refusal
        assert screen.view.status == "draft" and "i" in keys_shown(screen)
    assert competition_row(engine, saved.id).status == "draft"


async def test_a_short_response_time_is_acknowledged_then_issued_R4(config, engine):
    saved = draft(engine)
    app, _ = app_at(config, datetime(2026, 11, 13, 9, 0, tzinfo=timezone.utc))  # a Friday
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), "the question")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "warnings" in app.screen.title_text, "the warning")
        assert "holders get 1 working day to answer" in app.screen.question
        await pilot.press("enter")  # acknowledged
        await reloaded(pilot, app, screen, lambda: screen.view.status == "open")
        assert "o" in keys_shown(screen) and "i" not in keys_shown(screen)
    row = competition_row(engine, saved.id)
    assert row.status == "open"
    issue = events(engine, saved.id)[-1]
    assert issue[0] == "issue" and "1 working day" in issue[3]["acknowledged"][0]


async def test_the_offer_form_saved_before_it_is_filled_records_nothing(config, engine):
    saved = issued(engine)
    app, _ = app_at(config, BEFORE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, OfferFormScreen), "the form")
        form = app.screen
        await settle(pilot, app)
        assert "Deadline 2026-11-16 12:00 UTC" in str(form.query_one("#offer-deadline").render())
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form  # nothing to record: the form stays

        def under(name: str) -> tuple[str, ...]:
            return form.query_one(f"#{name}-field", FormField).messages

        assert under("consolidator") == ("Consolidator: required (one of the invited holders)",)
        assert under("currency") == ("Currency: required",)
        assert under("delivery_days") == ("Delivery days: required",)
        line1 = str(form.query_one("#price-1-error").render())
        assert line1 == "line 1: an amount is required"
        assert form.focused is form.query_one("#consolidator")
        assert "Fill in the fields marked before saving." in messages(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back without asking")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Offer)).scalar_one() == 0


async def test_an_award_to_rank_2_without_a_justification_is_refused_R10(config, engine):
    saved = with_offers(engine)
    open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    app, _ = app_at(config, AFTER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        assert {"k", "v", "a", "u", "c"} <= keys_shown(screen)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AwardCompetition), "the award")
        modal = app.screen
        offer = modal.query_one("#offer", ChoiceInput)
        assert offer.code == "CONS-A"  # rank 1 is proposed
        await pilot.press("ctrl+a", "ctrl+k", *"CONS-B", "enter")  # rank 2
        await wait_until(pilot, lambda: offer.code == "CONS-B", "rank 2 chosen")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is modal
        error = str(modal.query_one("#justification-error").render())
        assert error.startswith("R10: the offer of CONS-B ranks 2")
        assert "needs a justification" in error
        await pilot.press("escape")
        await reloaded(pilot, app, screen, lambda: True)
        assert screen.view.detail.award is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Award)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(Order)).scalar_one() == 0
    assert competition_row(engine, saved.id).status == "opened"


async def test_one_valid_offer_without_a_few_offers_justification_is_shown_there_R8(config, engine):
    saved = with_offers(engine, ("CONS-A",))
    open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    app, _ = app_at(config, AFTER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AwardCompetition), "the award")
        modal = app.screen
        assert modal.few_offers is not None
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is modal
        # routed by the finding's field (few_offers_justification), not under R10's box
        error = str(modal.query_one("#few-offers-error").render())
        assert error.startswith("R8: 1 valid offer, fewer than the minimum of 2")
        assert str(modal.query_one("#justification-error").render()) == ""
        assert modal.focused is modal.query_one("#few-offers")
        # the same warning sent back by the service goes to the same box
        modal.clear_errors()
        modal.post_message(modal.Failed([("few_offers_justification", "R8: from the service")]))
        await settle(pilot, app)
        assert str(modal.query_one("#few-offers-error").render()) == "R8: from the service"
        assert str(modal.query_one("#justification-error").render()) == ""
        await pilot.press("escape")
        await reloaded(pilot, app, screen, lambda: True)
    assert competition_row(engine, saved.id).status == "opened"


async def test_sealed_offers_show_no_price_on_the_detail_the_comparison_or_the_history_R5(
    config, engine
):
    saved = with_offers(engine)
    app, _ = app_at(config, AFTER)  # past the deadline, the opening not recorded yet
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        shown = text_of(screen)
        assert "Sealed: prices are shown once the opening is recorded (R5)." in shown
        assert "price 70 points" in shown  # weights are points, as in the form and the RFQ
        assert shown.count("sealed") >= 6  # total and USD of each of the three offers
        assert not [p for p in PRICES if p in shown]
        assert "p" in keys_shown(screen)  # closed: the opening may be recorded
        assert not {"a", "k"} & keys_shown(screen)

        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, ComparisonScreen), "comparison")
        table = app.screen.query_one("#comparison-table")
        cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
        assert cells.count("sealed") == 9  # landed total, USD and rank of each offer
        assert not [p for p in PRICES if any(p in c for c in cells)]
        assert "a" not in keys_shown(app.screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the competition")

        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, ChangeView), "the history")
        history = "\n".join(app.screen.lines)
        assert history.count("record offer") == 3
        assert not [p for p in PRICES if p in history]


async def test_export_writes_the_evidence_pack_where_the_user_said(
    config, engine, tmp_path, monkeypatch
):
    saved = with_offers(engine)
    app, _ = app_at(config, BEFORE)
    monkeypatch.chdir(tmp_path)  # a relative path is read against the current directory
    target = tmp_path / "packs" / "evidence.md"
    async with app.run_test(size=SIZE) as pilot:
        await open_competition(pilot, app, saved.id)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDocument), "the export")
        modal = app.screen
        path = modal.query_one("#path")
        assert path.value == str(Path("exports") / "UNDP-MC-2026-001-rfq.md")  # open: the RFQ
        modal.query_one("#kind").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"evidence", "enter")
        await wait_until(pilot, lambda: path.value.endswith("-evidence.md"), "the file name")
        path.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"packs/evidence", "enter")  # .md added
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportDocument), "written")
        await settle(pilot, app)
        assert f"Written to {target}" in messages(app)
    text = target.read_text(encoding="utf-8")
    assert "UNDP-MC-2026-001" in text and "sealed" in text.lower()
    assert not [p for p in PRICES if p in text]  # R5: the pack of sealed offers has no price


@pytest.mark.parametrize("role", ["viewer", "working_group"])
async def test_a_user_whose_role_may_not_change_it_is_refused_R26(tmp_path, engine, role):
    saved = draft(engine)
    folder = tmp_path / "other"
    folder.mkdir()
    config = load_config(write_config(folder, db_url=f"sqlite:///{tmp_path / 'lta.db'}", role=role))
    app, _ = app_at(config, CREATED)
    async with app.run_test(size=SIZE) as pilot:
        await open_competition(pilot, app, saved.id)
        await pilot.press("i")
        await wait_until(pilot, lambda: any("R26" in m for m in messages(app)), "the refusal")
        assert not isinstance(app.screen, ConfirmAction)
    assert competition_row(engine, saved.id).status == "draft"


async def test_the_list_reads_a_competition_past_its_deadline_closed_as_the_detail_does(
    config, engine
):
    saved = with_offers(engine)  # open, deadline 2026-11-16 12:00 UTC
    assert competition_row(engine, saved.id).status == "open"
    app, _ = app_at(config, AFTER)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, CompetitionsScreen), "the list")
        await settle(pilot, app)
        table = app.screen.query_one("#table")
        cells = [str(c).strip() for c in table.get_row_at(0)]
        assert "UNDP-MC-2026-001" in cells
        assert "closed" in [c.lower() for c in cells]
        assert "open" not in [c.lower() for c in cells]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CompetitionDetailScreen), "detail")
        screen = app.screen
        await wait_until(pilot, lambda: screen.view is not None, "the competition read")
        assert "closed (deadline passed)" in text_of(screen).lower()


async def test_a_key_refused_in_the_competitions_status_says_why(config, engine):
    saved = with_offers(engine)
    app, clock = app_at(config, BEFORE)  # open: the deadline 2026-11-16 12:00 is ahead
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        assert "p" not in keys_shown(screen)
        await pilot.press("p")
        await settle(pilot, app)
        assert app.screen is screen  # no question: nothing recorded
        assert (
            "UNDP-MC-2026-001 is open: the opening is recorded after the deadline "
            "2026-11-16 12:00 UTC." in messages(app)
        )
        await pilot.press("a")
        await settle(pilot, app)
        assert app.screen is screen
        assert any("awarded once the opening is recorded" in m for m in messages(app))
        # 80 columns: the footer holds the keys allowed now, and ? and q
        from textual.widgets._footer import FooterKey

        footer = {k.key_display: k.region for k in screen.query(FooterKey)}
        assert {"esc", "o", "v", "x", "?", "q"} <= set(footer)
        palette = footer.get("^p")
        limit = palette.x if palette else 80
        assert all(r.right <= limit for k, r in footer.items() if k != "^p")
    assert competition_row(engine, saved.id).status == "open"


async def test_the_award_takes_the_holders_code_in_lower_case(config, engine):
    saved = with_offers(engine)
    open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    app, _ = app_at(config, AFTER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_competition(pilot, app, saved.id)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AwardCompetition), "the award")
        modal = app.screen
        modal.query_one("#offer", ChoiceInput).focus()
        await pilot.press("ctrl+a", "ctrl+k", *"cons-a", "tab")
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await reloaded(pilot, app, screen, lambda: screen.view.detail.award is not None)
        assert not any("made no offer" in m for m in messages(app))
        assert screen.view.detail.award.consolidator == "CONS-A"
    assert competition_row(engine, saved.id).status in ("awarded", "ordered")
