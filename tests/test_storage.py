"""The store: SQLite pragmas, foreign keys, table names, migrations = models, idempotent init
and seeding. Tests taking `db_url` run on a temporary SQLite file and, when
LTA_TUI_TEST_PG_URL is set, on a PostgreSQL schema of their own."""

from __future__ import annotations

import csv
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from lta_tui.config import load_config
from lta_tui.services.database import initialise
from lta_tui.store import migrate
from lta_tui.store.engine import make_engine, session_scope
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Consolidator,
    ExchangeRate,
    Lot,
    LotHolding,
    ServiceType,
)
from tests.conftest import DATA_DIR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: DESIGN.md §2 entities and the tables that hold them.
ENTITY_TABLES = {
    "Agency": "agencies",
    "Lta": "ltas",
    "Lot": "lots",
    "ServiceType": "service_types",
    "Consolidator": "consolidators",
    "LotHolding": "lot_holdings",
    "SubLta": "sub_ltas",
    "CatalogueItem": "catalogue_items",
    "MiniCompetition": "mini_competitions",
    "Invitation": "invitations",
    "Offer": "offers",
    "Award": "awards",
    "Order": "orders",
    "OrderLine": "order_lines",
    "ExchangeRate": "exchange_rates",
    "SpendFeedback": "spend_feedback",
    "ConsolidatorReport": "consolidator_reports",
    "AuditEvent": "audit_events",
}


# --- helpers --------------------------------------------------------------------------------


def config_file(folder: Path, url: str) -> Path:
    """A config.toml using a private copy of the reference data, so that backups taken by an
    upgrade land in the temporary folder, never in the project's data/."""
    data = folder / "data"
    if not data.exists():
        shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.db*", "backups"))
    path = folder / "config.toml"
    path.write_text(
        f'data_dir = "data"\n[database]\nurl = "{url}"\n'
        '[user]\nname = "Test User"\nagency = "UNDP"\n',
        encoding="utf-8",
    )
    return path


def dump(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of every table of the schema, in primary key order: the columns the database
    has (an older revision lacks the columns added since)."""
    inspector = sa.inspect(engine)
    present = set(inspector.get_table_names())
    out: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in present:
                has = {c["name"] for c in inspector.get_columns(table.name)}
                columns = [c for c in table.columns if c.name in has]
                stmt = sa.select(*columns).order_by(*table.primary_key.columns)
                out[table.name] = [dict(row._mapping) for row in conn.execute(stmt)]
    return out


def schema_of(engine: sa.Engine) -> dict[str, dict]:
    """Tables with their columns (type, nullability), primary key, indexes, unique constraints
    and foreign keys (with ON DELETE), as the database itself reports them."""
    inspector = sa.inspect(engine)
    schema = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "foreign keys": sorted(
                (
                    f["name"],
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    (f.get("options") or {}).get("ondelete"),
                )
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return schema


def differences(engine: sa.Engine) -> list:
    """Alembic's own comparison of the database with the models (types included)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


@pytest.fixture
def migrated(db_url: str):
    """An engine on a database built by the Alembic migrations (nothing seeded)."""
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


# --- SQLite connections -----------------------------------------------------------------------


def _pragmas(conn: sa.Connection) -> tuple:
    return tuple(
        conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    )


def test_pragmas_are_set_on_every_connection(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    expected = ("wal", 1, 5000, 1)  # synchronous=NORMAL is 1
    with engine.connect() as first, engine.connect() as second:
        assert first.connection.dbapi_connection is not second.connection.dbapi_connection
        assert _pragmas(first) == expected
        assert _pragmas(second) == expected

    def in_a_thread() -> tuple:
        with engine.connect() as conn:
            return threading.get_ident(), _pragmas(conn)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: in_a_thread(), range(4)))
    assert {pragmas for _, pragmas in results} == {expected}
    engine.dispose()  # connections opened after the pool is emptied get them too
    with engine.connect() as conn:
        assert _pragmas(conn) == expected
    engine.dispose()


def test_in_memory_sqlite_is_refused():
    from lta_tui.store.engine import DatabaseUrlError

    with pytest.raises(DatabaseUrlError, match="in-memory"):
        make_engine("sqlite:///:memory:")


# --- schema ---------------------------------------------------------------------------------


def test_foreign_keys_are_enforced(migrated: sa.Engine, db_url: str, tmp_path: Path):
    with pytest.raises(IntegrityError), session_scope(migrated) as session:
        session.add(LotHolding(consolidator_id=9999, lot_id=9999, active_from=date(2026, 1, 1)))
    cfg = load_config(config_file(tmp_path, db_url))
    initialise(cfg, migrated)
    with pytest.raises(IntegrityError), session_scope(migrated) as session:  # ON DELETE RESTRICT
        held = session.exec(select(Consolidator).where(Consolidator.code == "CONS-A")).one()
        session.delete(held)
    with migrated.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Consolidator)) == 4


def test_tables_are_named_for_what_they_hold(migrated: sa.Engine):
    tables = set(sa.inspect(migrated).get_table_names())
    assert {"orders", "order_lines"} <= tables
    assert "order" not in tables and "orderline" not in tables
    missing = {e: t for e, t in ENTITY_TABLES.items() if t not in tables}
    assert missing == {}, f"DESIGN.md §2 entities without a table: {missing}"
    assert tables - {"alembic_version"} == set(SQLModel.metadata.tables)


def test_migrations_build_the_same_schema_as_the_models(new_db_url):
    by_migrations = make_engine(new_db_url())
    by_models = make_engine(new_db_url())
    migrate.upgrade(by_migrations)
    SQLModel.metadata.create_all(by_models)
    try:
        assert differences(by_migrations) == []
        assert differences(by_models) == []
        migrated, created = schema_of(by_migrations), schema_of(by_models)
        assert sorted(migrated) == sorted(created)
        for table in created:
            assert migrated[table] == created[table], table
    finally:
        by_migrations.dispose()
        by_models.dispose()


def test_the_schema_comparison_notices_a_missing_index(tmp_path: Path):
    """The check above can fail: one index short is seen by both comparisons."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate.upgrade(engine)
    before = schema_of(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_orders_order_date")
    assert schema_of(engine)["orders"] != before["orders"]
    assert [d[0] for d in differences(engine)] == ["add_index"]
    engine.dispose()


def test_upgrading_a_database_at_revision_0001_keeps_its_data(db_url: str, tmp_path, run_cli):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(migrate._alembic_config(connection=conn), "0001")
    assert migrate.current_revision(engine) == "0001"
    cfg = load_config(config_file(tmp_path, db_url))
    from lta_tui.services.reference import seed_reference

    with session_scope(engine) as session:
        seed_reference(session, cfg)
        session.add(
            ExchangeRate(
                currency="XTS",  # ISO 4217's code for testing: never in the reference data
                effective_date=date(2026, 11, 1),
                units_per_usd=Decimal("0.307512"),
                source="UN ORE",
            )
        )
        session.add(
            AuditEvent(
                at=datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc),
                who="Test User",
                entity="exchange_rates",
                entity_id=1,
                action="create",
                after='{"units_per_usd": "0.307512"}',
            )
        )
    before = dump(engine)
    engine.dispose()

    result = run_cli("--config", str(tmp_path / "config.toml"), "db", "upgrade")

    assert result.returncode == 0, result.stderr
    head = migrate.head_revision()
    assert head in result.stdout
    if head == "0001":
        assert "already at revision 0001" in result.stdout
    engine = make_engine(db_url)
    assert migrate.current_revision(engine) == head
    after = dump(engine)
    engine.dispose()
    assert {t: len(rows) for t, rows in after.items() if t in before} == {
        t: len(rows) for t, rows in before.items()
    }
    for table, rows in before.items():  # every row kept, every old column unchanged
        kept = [{k: new[k] for k in old} for new, old in zip(after[table], rows, strict=True)]
        assert kept == rows, table


def test_init_twice_changes_nothing(db_url: str, tmp_path: Path, run_cli):
    path = config_file(tmp_path, db_url)
    first = run_cli("--config", str(path), "init")
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout
    engine = make_engine(db_url)
    before = dump(engine)
    engine.dispose()

    second = run_cli("--config", str(path), "init")

    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout
    engine = make_engine(db_url)
    assert dump(engine) == before
    engine.dispose()
    assert sum(len(rows) for rows in before.values()) > 40


def test_seeding_loads_the_reference_data(db_url: str, tmp_path: Path):
    cfg = load_config(config_file(tmp_path, db_url))
    engine = make_engine(db_url)
    result = initialise(cfg, engine)
    assert result.seed.changed
    lots_file = tomllib.loads((DATA_DIR / "lots.toml").read_text(encoding="utf-8"))["lot"]
    services_file = tomllib.loads((DATA_DIR / "services.toml").read_text(encoding="utf-8"))
    holders_file = tomllib.loads((DATA_DIR / "consolidators.toml").read_text(encoding="utf-8"))
    with (DATA_DIR / "organizations.csv").open(encoding="utf-8", newline="") as fh:
        organizations = list(csv.DictReader(fh))

    with session_scope(engine) as session:
        lots = session.exec(select(Lot).order_by(Lot.number)).all()
        assert [lot.number for lot in lots] == [1, 2, 3, 4, 5]
        for lot, entry in zip(lots, lots_file, strict=True):
            assert lot.unspsc.split() == entry["unspsc"] and lot.unspsc
            assert all(code.isdigit() and len(code) in (2, 4, 6, 8) for code in lot.unspsc.split())

        services = session.exec(select(ServiceType.code)).all()
        assert sorted(services) == sorted(
            ["freight", "export_licensing", "installation_support", "warranty"]
        )
        assert len(services_file["service"]) == 4

        agencies = {a.code: a for a in session.exec(select(Agency)).all()}
        assert set(agencies) == {row["code"] for row in organizations}
        founders = {code for code, a in agencies.items() if a.founding_party}
        assert founders == {"UNDP", "UNICEF", "UNFPA"}

        holders = session.exec(select(Consolidator)).all()
        assert len(holders) == 4
        holdings = session.exec(
            select(Consolidator.code, Lot.number)
            .join(LotHolding, LotHolding.consolidator_id == Consolidator.id)
            .join(Lot, Lot.id == LotHolding.lot_id)
        ).all()
        expected = {
            (entry["code"], held["lot"])
            for entry in holders_file["consolidator"]
            for held in entry["lots"]
        }
        assert set(holdings) == expected and len(holdings) == len(expected)
        assert {code for code, _ in holdings} == {h.code for h in holders}  # all hold a lot
        assert {number for _, number in holdings} == {1, 2, 3, 4, 5}  # every lot is held
    engine.dispose()


def test_the_same_demo_gives_the_same_rows_on_every_database(new_db_url, tmp_path: Path):
    """A realistic data set (money, rates, timestamps, booleans) comes back identical from a
    SQLite file and from this parameter's database; new rows still get fresh ids after it."""
    from lta_tui.services.demo import generate_demo

    dumps = []
    for n, url in enumerate((f"sqlite:///{tmp_path / 'reference.db'}", new_db_url())):
        cfg = load_config(config_file(_mkdir(tmp_path / f"run{n}"), url))
        engine = make_engine(url)
        initialise(cfg, engine)
        generate_demo(engine, cfg, orders=120, seed=11, until=date(2026, 11, 15))
        dumps.append(dump(engine))
        with session_scope(engine) as session:
            event = AuditEvent(
                at=datetime(2026, 11, 16, tzinfo=timezone.utc),
                who="Test User",
                entity="orders",
                entity_id=1,
                action="note",
            )
            session.add(event)
            session.flush()
            assert event.id == max(row["id"] for row in dumps[-1]["audit_events"]) + 1
        engine.dispose()
    reference, other = dumps
    assert len(reference["orders"]) == 120 and len(reference["order_lines"]) > 120
    for table in reference:
        assert other[table] == reference[table], table


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path
