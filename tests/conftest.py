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


# --- added for the foundation tests (CLI subprocesses, PostgreSQL parametrization) -----------


@pytest.fixture
def run_cli():
    """Run the installed `lta-tui` command: `run_cli(*args, cwd=None, env=None)` returns the
    CompletedProcess (text). Uses the script beside this interpreter, else `python -m lta_tui`."""
    import shutil
    import subprocess
    import sys

    script = shutil.which("lta-tui", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "lta_tui"]

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
        return subprocess.run(
            [*command, *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db_url(request, tmp_path: Path):
    """Factory of fresh, empty databases: each call returns the URL of a new temporary SQLite
    file, or (second parameter, when LTA_TUI_TEST_PG_URL is set) of a new PostgreSQL schema
    reached through `search_path`. PG tests share the `test` database, never its state: the
    schemas are dropped after the test."""
    import itertools

    if request.param == "sqlite":
        counter = itertools.count(1)
        yield lambda: f"sqlite:///{tmp_path / f'store{next(counter)}.db'}"
        return

    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(request.getfixturevalue("pg_url"))
    admin = create_engine(base)
    schemas: list[str] = []

    def new() -> str:
        schema = f"lta_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield new
    with admin.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        for schema in schemas:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def db_url(new_db_url) -> str:
    """A fresh, empty database: a temporary SQLite file, then a PostgreSQL schema of its own."""
    return new_db_url()
