"""Steps that drive the competition form key by key, shared by the form and flow tests."""

from __future__ import annotations

from lta_tui.tui.screens.competition_form import CompetitionFormScreen
from lta_tui.tui.screens.competitions import CompetitionsScreen
from lta_tui.tui.widgets.choice_input import ChoiceInput
from tests.tui.steps import open_new_form, settle, wait_until


async def open_form(pilot, app) -> CompetitionFormScreen:
    return await open_new_form(pilot, app, "2", CompetitionsScreen, CompetitionFormScreen)


async def focus_on(pilot, app, form, name: str) -> None:
    await wait_until(pilot, lambda: app.focused is form.query_one(f"#{name}"), name)


async def type_header(pilot, app, form, *, deadline: str = "+14", method: str = "weighted"):
    """Lot 2, title, destination, deadline (time and FX day left as they are), method."""
    # a focal point's agency is fixed: the form starts on the lot
    await focus_on(pilot, app, form, "lot")
    await pilot.press("2", "enter")
    await focus_on(pilot, app, form, "title")
    await pilot.press(*"Laptops and monitors for Dhaka", "enter")
    await focus_on(pilot, app, form, "destination_country")
    await pilot.press(*"bangla", "enter")
    await focus_on(pilot, app, form, "deadline")
    assert form.query_one("#destination_country", ChoiceInput).code == "BD"
    await pilot.press(*deadline, "enter")
    await focus_on(pilot, app, form, "deadline_time")
    await pilot.press("enter")  # 12:00 UTC
    await focus_on(pilot, app, form, "fx_rate_date")
    await pilot.press("enter")  # the deadline's day
    await focus_on(pilot, app, form, "evaluation_method")
    await pilot.press("ctrl+a", "ctrl+k", *method, "enter")


async def type_weights(pilot, app, form, weights: dict[str, str]) -> None:
    for criterion in ("price", "delivery_time", "warranty", "sustainability", "past_performance"):
        await focus_on(pilot, app, form, f"weight-{criterion}")
        await pilot.press(*weights.get(criterion, ""), "enter")


async def type_line(pilot, app, form, description, specification, quantity, unspsc) -> None:
    before = len(form.lines)
    form.query_one("#req-description").focus()
    await focus_on(pilot, app, form, "req-description")
    await pilot.press(*description, "enter")
    await focus_on(pilot, app, form, "req-specification")
    await pilot.press(*specification, "enter")
    await focus_on(pilot, app, form, "req-quantity")
    await pilot.press(*quantity, "enter")
    await focus_on(pilot, app, form, "req-unit")
    await pilot.press("enter")  # each
    await focus_on(pilot, app, form, "req-unspsc")
    await pilot.press(*unspsc)
    await settle(pilot, app)
    box = form.query_one("#req-unspsc", ChoiceInput)
    if box.choices_shown:
        box.hide_choices()  # a code typed in full, not one of the list
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(form.lines) == before + 1, f"line {before + 1}")
