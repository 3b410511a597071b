"""Schema migrations (Alembic, batch mode on SQLite), driven from code: no alembic.ini.

`upgrade` takes an online backup of an existing SQLite file first (DESIGN.md §6).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config(engine: Engine | None = None, connection=None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def upgrade(engine: Engine, *, backup_dir: Path | None = None) -> Path | None:
    """Bring the schema to the latest revision; returns the backup taken, if any."""
    backup = None
    current = current_revision(engine)
    if backup_dir is not None and current not in (None, head_revision()):
        backup = backup_sqlite(engine, backup_dir)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(connection=conn), "head")
    return backup


def backup_sqlite(engine: Engine, backup_dir: Path) -> Path | None:
    """Copy a SQLite database with the online backup API; None for other databases."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    if not Path(engine.url.database).is_file():  # sqlite3.connect would create an empty one
        raise FileNotFoundError(f"{engine.url.database}: no database to back up")
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"{Path(engine.url.database).stem}-{stamp}.db"
    src = sqlite3.connect(f"file:{engine.url.database}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except BaseException:
        dst.close()
        target.unlink(missing_ok=True)  # no half-written backup left behind
        raise
    finally:
        dst.close()
        src.close()
    return target
