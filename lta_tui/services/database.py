"""Opening, creating and upgrading the configured database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from lta_tui.config import Config
from lta_tui.services.reference import SeedReport, read_reference, seed_reference
from lta_tui.store import migrate
from lta_tui.store.engine import make_engine, session_scope


class DatabaseNotReady(RuntimeError):
    """The database is missing or behind the code; the message says which command fixes it."""


def open_engine(config: Config, *, create: bool = True) -> Engine:
    """The configured engine; `create=False` leaves a missing SQLite folder alone."""
    return make_engine(config.database.url, create_dir=create)


def backup_dir(config: Config) -> Path:
    """`backups/` beside the SQLite file (the default database: `data/backups/`), else under
    the data folder."""
    url = make_url(config.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "backups"
    return config.data_dir / "backups"


def check_ready(engine: Engine) -> None:
    """Refuse to work on a missing, empty or out-of-date database, naming the command that fixes
    it. A missing SQLite file is not created here: only `init` and `demo` create databases."""
    _refuse_missing_file(engine)
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        raise DatabaseNotReady(
            f"cannot open the database: {exc.__class__.__name__}: {exc}"
        ) from None
    if current is None:
        raise DatabaseNotReady("the database is empty: run `lta-tui init` (or `lta-tui demo`)")
    if current != migrate.head_revision():
        raise DatabaseNotReady("the database schema is out of date: run `lta-tui db upgrade`")


def _refuse_missing_file(engine: Engine) -> None:
    file = engine.url.database if engine.dialect.name == "sqlite" else None
    if file and not Path(file).exists():
        raise DatabaseNotReady(
            f"there is no database at {file}: run `lta-tui init` (or `lta-tui demo`)"
        )


@dataclass(frozen=True)
class InitResult:
    url: str
    seed: SeedReport
    backup: Path | None


def initialise(config: Config, engine: Engine | None = None) -> InitResult:
    """Create or upgrade the schema, then seed the reference data. Idempotent. The reference
    files are read and checked first, so a bad file changes nothing."""
    read_reference(config)
    engine = engine or open_engine(config)
    backup = migrate.upgrade(engine, backup_dir=backup_dir(config))
    with session_scope(engine) as session:
        report = seed_reference(session, config)
    return InitResult(
        url=engine.url.render_as_string(hide_password=True), seed=report, backup=backup
    )


def upgrade(config: Config) -> tuple[str | None, str, Path | None]:
    """`lta-tui db upgrade`: returns (revision before, revision after, backup taken). A missing
    SQLite file is refused: a mistyped path must not become a new, empty database."""
    engine = open_engine(config, create=False)
    _refuse_missing_file(engine)
    before = migrate.current_revision(engine)
    backup = migrate.upgrade(engine, backup_dir=backup_dir(config))
    return before, migrate.current_revision(engine) or "", backup


def order_count(engine: Engine) -> int:
    from sqlalchemy import func, select

    from lta_tui.store.models import Order

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Order)).scalar_one()


def backup(config: Config, target_dir: Path | None = None) -> Path:
    engine = open_engine(config)
    path = migrate.backup_sqlite(engine, target_dir or backup_dir(config))
    if path is None:
        raise DatabaseNotReady("backups are taken of SQLite files only; use pg_dump for PostgreSQL")
    return path
