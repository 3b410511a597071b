"""Fixtures of the TUI tests: the app on the demo database with a fixed clock, and a small
hand-made database whose figures are known (tests/sample_records.py)."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_UNTIL
from tests.sample_records import add_sample_records


@pytest.fixture
def sample_config(config, engine):
    add_sample_records(engine)
    return config


@pytest.fixture
def demo_app(demo_db):
    from lta_tui.tui.app import LtaApp

    config, _ = demo_db
    return LtaApp(config, today=lambda: DEMO_UNTIL)
