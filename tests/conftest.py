"""Shared fixtures: a temporary config and database per test, and one small demo database per
session (read-only for the tests that use it)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
#: The day the demo data set of the tests ends, and the tests' "today".
DEMO_UNTIL = date(2026, 11, 15)
DEMO_ORDERS = 1500
PG_ENV = "LTA_TUI_TEST_PG_URL"


def write_config(folder: Path, *, db_url: str | None = None, extra: str = "", **user) -> Path:
    """A config.toml in `folder` using the project's reference data and a SQLite file there."""
    agency = user.get("agency", "UNDP")
    role = user.get("role", "focal_point")
    url = db_url or f"sqlite:///{folder / 'lta.db'}"
    path = folder / "config.toml"
    path.write_text(
        f'data_dir = "{DATA_DIR}"\n'
        f'[database]\nurl = "{url}"\n'
        f'[user]\nname = "Test User"\nagency = "{agency}"\nrole = "{role}"\n' + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """No test reads the developer's config or database by accident."""
    monkeypatch.delenv("LTA_TUI_CONFIG", raising=False)
    monkeypatch.delenv("LTA_TUI_DATABASE_URL", raising=False)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def config(config_path: Path):
    from lta_tui.config import load_config

    return load_config(config_path)


@pytest.fixture
def engine(config):
    """A migrated and seeded SQLite database in the test's temporary folder."""
    from lta_tui.services.database import initialise, open_engine

    eng = open_engine(config)
    initialise(config, eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """(config, engine) of a small deterministic demo database shared by the session's tests.
    Tests must not write to it: use `engine` for that."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from lta_tui.services.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo")
    cfg = load_config(write_config(folder))
    eng = open_engine(cfg)
    initialise(cfg, eng)
    generate_demo(eng, cfg, orders=DEMO_ORDERS, seed=7, until=DEMO_UNTIL)
    yield cfg, eng
    eng.dispose()


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL storage tests skipped")
    return url
