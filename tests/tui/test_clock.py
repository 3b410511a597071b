"""The app's clock: the real time unless a test fixes it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lta_tui.tui.app import LtaApp


def test_the_real_clock_keeps_the_time_of_day(config):
    """Changes made from the TUI are stamped with the moment, not midnight (history order)."""
    app = LtaApp(config)
    assert abs(app.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_a_fixed_day_gives_its_midnight(config):
    app = LtaApp(config, today=lambda: date(2026, 3, 15))
    assert app.now() == datetime(2026, 3, 15, tzinfo=timezone.utc)
