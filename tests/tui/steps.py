"""Waiting in Pilot tests: on workers and conditions, never on fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot

TIMEOUT = 15.0


async def settle(pilot: Pilot, app: App) -> None:
    """Let pending messages run and every worker finish, then let their results land."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause()


async def loaded(pilot: Pilot, app: App) -> None:
    """The database is open and the current screen has shown its data."""
    await wait_until(pilot, lambda: app.database_ready or app.database_problem, "the database")
    await settle(pilot, app)
    await wait_until(pilot, lambda: not _loading(app), "the screen's data")


async def new_form(pilot: Pilot, app: App, form: type) -> Any:
    """`n` on a list: the form of a new record, its choices read."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, form), form.__name__)
    screen = app.screen
    await wait_until(pilot, lambda: screen.context is not None, "the form's choices")
    await settle(pilot, app)
    return screen


async def open_new_form(pilot: Pilot, app: App, section: str, listing: type, form: type) -> Any:
    """From the start: the `section` key (`3` Orders), then `n` for a new record's form."""
    await loaded(pilot, app)
    await pilot.press(section)
    await wait_until(pilot, lambda: isinstance(app.screen, listing), listing.__name__)
    await settle(pilot, app)
    return await new_form(pilot, app, form)


async def open_record(
    pilot: Pilot, app: Any, kind: str, record_id: int, detail: type, read: Callable[[Any], bool]
) -> Any:
    """Record `record_id` of `kind` opened in its `detail` screen, once `read(screen)`."""
    await wait_until(pilot, lambda: app.database_ready, "the database")
    app.open_record(kind, record_id)
    await wait_until(pilot, lambda: isinstance(app.screen, detail), detail.__name__)
    screen = app.screen
    await wait_until(pilot, lambda: read(screen), f"the {kind} read")
    await settle(pilot, app)
    return screen


def _loading(app: App) -> bool:
    return any(w.loading for w in app.screen.query("*"))
