"""Opening the configured database: missing, empty and current databases."""

from __future__ import annotations

import pytest

from lta_tui.config import load_config
from lta_tui.services.database import DatabaseNotReady, check_ready, open_engine
from tests.conftest import write_config


def test_a_missing_database_is_reported_and_not_created(tmp_path):
    target = tmp_path / "nowhere" / "lta.db"
    config = load_config(write_config(tmp_path, db_url=f"sqlite:///{target}"))
    engine = open_engine(config, create=False)
    with pytest.raises(DatabaseNotReady, match="no database at .*lta-tui init"):
        check_ready(engine)
    assert not target.parent.exists()


def test_an_empty_database_asks_for_init(tmp_path):
    config = load_config(write_config(tmp_path))
    (tmp_path / "lta.db").touch()
    with pytest.raises(DatabaseNotReady, match="empty: run `lta-tui init`"):
        check_ready(open_engine(config))


def test_an_initialised_database_is_ready(engine):
    check_ready(engine)


def test_backups_go_beside_the_sqlite_file(tmp_path):
    """A database outside the data folder keeps its backups beside it, not in the repository."""
    from lta_tui.config import load_config
    from lta_tui.services.database import backup_dir
    from tests.conftest import write_config

    elsewhere = tmp_path / "srv" / "lta.db"
    config = load_config(write_config(tmp_path, db_url=f"sqlite:///{elsewhere}"))
    assert backup_dir(config) == elsewhere.parent / "backups"
    pg = load_config(write_config(tmp_path, db_url="postgresql+psycopg2://u@h/db"))
    assert backup_dir(pg) == pg.data_dir / "backups"
