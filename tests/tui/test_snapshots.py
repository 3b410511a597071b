"""Snapshot of the dashboard: 100×30, the demo database, a fixed clock, no blinking cursor.

Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at the SVG."""

from __future__ import annotations

from lta_tui.tui.app import LtaApp
from tests.conftest import DEMO_UNTIL

from .steps import loaded


def test_dashboard_snapshot(demo_db, snap_compare):
    config, _ = demo_db
    app = LtaApp(config, today=lambda: DEMO_UNTIL)

    async def ready(pilot):
        await loaded(pilot, app)

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
