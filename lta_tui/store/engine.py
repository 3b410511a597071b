"""One engine per process, built from the configured URL, with SQLite's pragmas on every
connection (WAL, foreign keys, busy timeout)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session

BUSY_TIMEOUT_MS = 5000


class DatabaseUrlError(ValueError):
    """A database URL that cannot be used."""


def make_engine(url: str, *, create_dir: bool = True) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"not a database URL: {url!r}") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise DatabaseUrlError("an in-memory SQLite database cannot be shared: use a file")
        if create_dir:
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUrlError(f"{shown}: cannot create its folder: {exc}") from None
        engine = _create(parsed, shown, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return _create(parsed, shown, pool_pre_ping=True)


def _create(url: URL, shown: str, **kw) -> Engine:
    try:
        return create_engine(url, **kw)
    except NoSuchModuleError:
        raise DatabaseUrlError(f"{shown}: unknown kind of database") from None
    except ImportError as exc:  # the dialect is known but its driver is not installed
        raise DatabaseUrlError(f"{shown}: database driver not installed ({exc.name})") from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
