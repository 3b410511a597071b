"""Waiting in Pilot tests: on workers and conditions, never on fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable

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


def _loading(app: App) -> bool:
    return any(w.loading for w in app.screen.query("*"))
