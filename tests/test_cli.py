"""End to end: the installed `lta-tui` command run as a subprocess on a temporary config."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

import lta_tui
from lta_tui.store.migrate import head_revision
from tests.conftest import DATA_DIR, ROOT, write_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def one_error_line(result) -> str:
    """The single stderr line of a refused command (exit 2, no traceback)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lta-tui: ")
    return lines[0]


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def dump(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def test_help_lists_the_commands(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for name in ("init", "demo", "db", "backup", "--config", "--db", "--version"):
        assert name in result.stdout, name
    db = run_cli("db", "--help")
    assert db.returncode == 0 and "upgrade" in db.stdout


def test_version_matches_the_package(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert result.stdout.strip() == f"lta-tui {lta_tui.__version__}"
    assert lta_tui.__version__ == declared["project"]["version"]


def test_module_entry_point_works_too(run_cli):
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "lta_tui", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == f"lta-tui {lta_tui.__version__}"


def test_init_creates_the_database_then_has_nothing_to_change(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    db = tmp_path / "lta.db"
    first = run_cli("--config", str(config), "init")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Initialised ") and "5 lots" in first.stdout
    assert db.is_file() and count(db, "lots") == 5 and count(db, "consolidators") == 4

    before = dump(db)
    second = run_cli("--config", str(config), "init")
    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout
    assert dump(db) == before


def test_db_upgrade_reports_the_revision(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    head = head_revision()
    missing = run_cli("--config", str(config), "db", "upgrade")
    assert "no database at" in one_error_line(missing) and "lta-tui init" in missing.stderr
    assert not (tmp_path / "lta.db").exists()  # a mistyped path does not become a database
    (tmp_path / "lta.db").touch()
    fresh = run_cli("--config", str(config), "db", "upgrade")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == f"Schema upgraded from empty to {head}."
    again = run_cli("--config", str(config), "db", "upgrade")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Schema already at revision {head}."


def test_backup_writes_a_copy_of_the_database(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    assert run_cli("--config", str(config), "init").returncode == 0
    target = tmp_path / "backups"
    result = run_cli("--config", str(config), "backup", "--to", str(target))
    assert result.returncode == 0, result.stderr
    files = list(target.glob("*.db"))
    assert len(files) == 1 and str(files[0]) in result.stdout
    assert count(files[0], "agencies") == count(tmp_path / "lta.db", "agencies") > 30
    with sqlite3.connect(files[0]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_backup_without_a_database_is_refused(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    result = run_cli("--config", str(config), "backup", "--to", str(tmp_path / "bk"))
    assert "no database to back up" in one_error_line(result)
    assert not (tmp_path / "lta.db").exists()
    assert not (tmp_path / "bk").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "not a database URL: 'nonsense'"),
        ("http://example.org/db", "http://example.org/db: unknown kind of database"),
        ("sqlite://", "in-memory SQLite database cannot be shared"),
        ("postgresql+psycopg2://lta:secret@127.0.0.1:1/lta", "cannot use the database"),
    ],
)
def test_a_bad_database_url_is_one_clear_line(tmp_path: Path, run_cli, url: str, expected: str):
    config = write_config(tmp_path)
    line = one_error_line(run_cli("--config", str(config), "--db", url, "init"))
    assert expected in line
    assert "secret" not in line


def test_a_database_that_cannot_be_opened_is_one_clear_line(tmp_path: Path, run_cli):
    (tmp_path / "folder.db").mkdir()
    config = write_config(tmp_path, db_url=f"sqlite:///{tmp_path / 'folder.db'}")
    line = one_error_line(run_cli("--config", str(config), "db", "upgrade"))
    assert str(tmp_path / "folder.db") in line and "cannot use the database" in line


def test_a_bad_config_is_one_clear_line(tmp_path: Path, run_cli):
    config = write_config(tmp_path, extra='[rules]\nmin_valid_offers = "two"\n')
    line = one_error_line(run_cli("--config", str(config), "init"))
    assert str(config) in line and "rules.min_valid_offers" in line


def test_a_bad_date_flag_is_one_clear_line(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    line = one_error_line(run_cli("--config", str(config), "demo", "--until", "someday"))
    assert "--until" in line and "someday" in line


def test_demo_fills_the_database_once(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    db = tmp_path / "lta.db"
    args = ("--config", str(config), "demo", "--orders", "300", "--seed", "3")
    result = run_cli(*args, "--until", "2026-11-15")
    assert result.returncode == 0, result.stderr
    assert count(db, "orders") == 300
    assert count(db, "order_lines") >= 300
    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT max(order_date) FROM orders").fetchone()[0]
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    assert last <= "2026-11-15"
    assert orphans == []

    again = run_cli(*args, "--until", "2026-11-15")
    line = one_error_line(again)
    assert "--replace" in line
    assert count(db, "orders") == 300  # untouched

    kept = run_cli(*args, "--until", "2026-11-15", "--if-empty")
    assert kept.returncode == 0, kept.stderr
    assert "keeping them" in kept.stdout
    assert count(db, "orders") == 300

    both = run_cli(*args, "--replace", "--if-empty")
    assert "exclude each other" in one_error_line(both)


def test_bad_reference_data_changes_nothing(tmp_path: Path, run_cli):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / "rates.csv").open("a", encoding="utf-8") as fh:
        fh.write("EUR,2026-13-01,0.9,UN ORE\n")
    config = write_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8").replace(str(DATA_DIR), str(data)), encoding="utf-8"
    )
    result = run_cli("--config", str(config), "init")
    line = one_error_line(result)
    assert "rates.csv" in line and "effective_date" in line and "not a date" in line
    assert not (tmp_path / "lta.db").exists()  # checked before anything is written


def test_export_competition_writes_the_evidence_pack_and_the_rfq(tmp_path: Path, run_cli):
    config = write_config(tmp_path)
    db = tmp_path / "lta.db"
    made = run_cli("--config", str(config), "demo", "--orders", "400", "--until", "2026-11-15")
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(db) as conn:
        (ref,) = conn.execute(
            "SELECT m.reference FROM mini_competitions m JOIN agencies a ON a.id = m.agency_id"
            " WHERE a.code = 'UNDP' AND m.status = 'ordered' ORDER BY m.id LIMIT 1"
        ).fetchone()
        (other,) = conn.execute(
            "SELECT m.reference FROM mini_competitions m JOIN agencies a ON a.id = m.agency_id"
            " WHERE a.code <> 'UNDP' ORDER BY m.id LIMIT 1"
        ).fetchone()
    base = ("--config", str(config), "export", "competition")

    pack = run_cli(*base, ref.lower(), cwd=tmp_path)  # the reference in any case
    assert pack.returncode == 0, pack.stderr
    written = tmp_path / f"{ref}-evidence.md"
    assert str(written) in pack.stdout
    text = written.read_text(encoding="utf-8")
    for heading in ("## Opening", "## Comparison", "## Award", "## Resulting order", "## Audit"):
        assert heading in text

    rfq = run_cli(*base, ref, "--kind", "rfq", "-o", str(tmp_path / "rfq.xlsx"))
    assert rfq.returncode == 0, rfq.stderr
    assert (tmp_path / "rfq.xlsx").read_bytes()[:2] == b"PK"  # a zip: an XLSX workbook

    assert "no competition 'NOPE'" in one_error_line(run_cli(*base, "NOPE"))
    assert ".md or .xlsx" in one_error_line(run_cli(*base, ref, "-o", str(tmp_path / "a.csv")))
    mixed = run_cli(*base, ref, "--format", "xlsx", "-o", str(tmp_path / "y.md"))
    assert "names a md file but --format is xlsx" in one_error_line(mixed)
    assert "R26" in one_error_line(run_cli(*base, other))  # another agency's competition
    missing = tmp_path / "no" / "such" / "dir" / "x.md"
    assert f"cannot write {missing}" in one_error_line(run_cli(*base, ref, "-o", str(missing)))
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".md", ".xlsx", ".tmp")) == [
        f"{ref}-evidence.md",
        "rfq.xlsx",
    ]
