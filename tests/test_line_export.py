"""The order-line export (issue 5 points 8, 9): content, totals, R21 per order, progress,
cancellation and failure leaving no file, and the `export lines` command."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from lta_tui.domain.money import from_units
from lta_tui.domain.rules import order_category
from lta_tui.exports.tabular import ExportCancelled, csv_value, is_prepared
from lta_tui.services.line_export import (
    LINE_COLUMNS,
    _csv_rows,
    count_lines,
    export_lines,
    iter_lines,
)
from lta_tui.services.spend import SpendQuery, SpendQueryError, order_lines_total, spend_filter
from tests.conftest import write_config

START = date(2021, 6, 1)
COL = {name: i for i, name in enumerate(LINE_COLUMNS)}


def _lines(eng, query=None, scope=None):
    query = query or SpendQuery()
    with eng.connect() as conn:
        return list(iter_lines(conn, query, scope=scope, role="viewer"))


def test_lines_total_equals_order_lines_total(demo_db):
    _, eng = demo_db
    rows = _lines(eng)
    with eng.connect() as conn:
        total = order_lines_total(conn, SpendQuery(), scope=None, contract_start=START)
        assert count_lines(conn, SpendQuery(), scope=None) == len(rows)
    assert len(rows) == total.lines
    assert sum((r[COL["amount_usd"]] for r in rows), Decimal(0)) == total.spend_usd
    assert len({r[COL["po_number"]] for r in rows}) == total.orders
    assert all(len(r) == len(LINE_COLUMNS) for r in rows)
    assert all(is_prepared(c) for r in rows[:2000] for c in r)


def test_r21_order_kind_agrees_with_the_domain_rule(demo_db):
    _, eng = demo_db
    by_po: dict[str, list] = {}
    for row in _lines(eng):
        by_po.setdefault(row[COL["po_number"]], []).append(row)
    kinds = set()
    for rows in by_po.values():
        goods = sum((r[COL["amount_usd"]] for r in rows if r[COL["line_kind"]] == "goods"), 0)
        services = sum((r[COL["amount_usd"]] for r in rows if r[COL["line_kind"]] != "goods"), 0)
        expected = "services" if order_category(goods, services).value == "service" else "goods"
        assert {r[COL["order_kind"]] for r in rows} == {expected}
        kinds.add(expected)
    only = _lines(eng, SpendQuery(kinds=("services",)))
    assert {r[COL["order_kind"]] for r in only} <= {"services"}
    with eng.connect() as conn:
        assert count_lines(conn, SpendQuery(kinds=("services",)), scope=None) == len(only)


def test_csv_text_equals_csv_value_of_the_typed_rows(demo_db):
    _, eng = demo_db
    with eng.connect() as conn:
        where = spend_filter(conn, SpendQuery(), scope=None, role="viewer")
        typed = list(iter_lines(conn, SpendQuery(), scope=None))
        text = list(_csv_rows(conn, where))
    assert [tuple(csv_value(c) for c in r) for r in typed] == [
        tuple(c if isinstance(c, str) else csv_value(c) for c in r) for r in text
    ]


def test_scope_narrows_and_refuses_another_agency(demo_db):
    _, eng = demo_db
    rows = _lines(eng, scope="UNDP")
    assert rows and {r[COL["agency"]] for r in rows} == {"UNDP"}
    with pytest.raises(SpendQueryError, match="R26|reads only"):
        _lines(eng, SpendQuery(agencies=("WFP",)), scope="UNDP")


def test_export_csv_and_xlsx_content_and_progress(demo_db, tmp_path):
    _, eng = demo_db
    query = SpendQuery(agencies=("UNDP",))
    expected = _lines(eng, query)
    calls = []
    out = export_lines(eng, query, "csv", tmp_path / "l.csv", scope=None,
                       progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    with open(out, encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    assert tuple(got[0]) == LINE_COLUMNS
    assert len(got) - 1 == len(expected)
    assert got[1] == [csv_value(c) for c in expected[0]]
    assert calls[-1] == (len(expected), len(expected))
    total = sum(Decimal(r[COL["amount_usd"]]) for r in got[1:])
    assert total == sum((r[COL["amount_usd"]] for r in expected), Decimal(0))

    from openpyxl import load_workbook

    path = export_lines(eng, query, "xlsx", tmp_path / "l.xlsx", scope=None)
    sheet = load_workbook(path, read_only=True)["Order lines"]
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == LINE_COLUMNS and len(rows) - 1 == len(expected)
    assert isinstance(rows[1][COL["amount_usd"]], (int, float))  # a number, not text


def test_cancelled_export_leaves_no_file_and_keeps_the_old_one(demo_db, tmp_path):
    _, eng = demo_db
    target = tmp_path / "lines.csv"
    target.write_text("older export\n", encoding="utf-8")
    for fmt in ("csv", "xlsx"):
        with pytest.raises(ExportCancelled):
            export_lines(eng, SpendQuery(), fmt, target, scope=None,
                         progress=lambda d, t: None, cancelled=lambda: True)  # fmt: skip
        assert target.read_text(encoding="utf-8") == "older export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lines.csv"]


def test_failure_midway_leaves_no_file(demo_db, tmp_path, monkeypatch):
    import lta_tui.services.line_export as module

    _, eng = demo_db

    def broken(conn, where, text=False):
        yield from list(module._stream(conn, where, text=text))[:7000]
        raise RuntimeError("disk gone")

    monkeypatch.setattr(module, "_csv_rows", lambda conn, where: broken(conn, where, True))
    with pytest.raises(RuntimeError, match="disk gone"):
        export_lines(eng, SpendQuery(), "csv", tmp_path / "x.csv", scope=None)
    assert list(tmp_path.iterdir()) == []


def test_money_units_keep_their_decimals():
    from lta_tui.services.line_export import _money, _money_text

    for units, shown in ((-125000, 2), (125000, 2), (1234567, 2), (1230000, 0), (12345, 3)):
        assert _money_text(units, shown) == csv_value(_money(units, shown))
    assert _money(-125000, 2) == Decimal("-12.50") and csv_value(_money(-125000, 2)) == "-12.50"
    assert _money(1234567, 2) == from_units(1234567)


def test_cli_export_lines(demo_db, run_cli, tmp_path):
    cfg, _ = demo_db
    config = write_config(tmp_path, db_url=cfg.database.url, role="working_group")
    done = run_cli("--config", str(config), "export", "lines", "--agency", "UNDP", "--lot", "2")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert tuple(rows[0]) == LINE_COLUMNS and len(rows) > 1
    assert {r[COL["agency"]] for r in rows[1:]} == {"UNDP"}
    assert {r[COL["lot"]] for r in rows[1:]} == {"2"}
    out = tmp_path / "lines.xlsx"
    done = run_cli("--config", str(config), "export", "lines", "-o", str(out))
    assert done.returncode == 0 and out.exists(), done.stderr
    for args, message in (
        (("-f", "xlsx"), "cannot go to the terminal"),
        (("--agency", "NOPE"), "unknown agency"),
        (("--from", "2026-13-01"), "--from"),
        (("-o", str(tmp_path / "x.txt")), "cannot tell the format"),
    ):
        done = run_cli("--config", str(config), "export", "lines", *args)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_the_export_adds_up_on_every_database(new_db_url, tmp_path):
    """The lines, their orders and the count are read by separate statements in one snapshot
    (REPEATABLE READ on PostgreSQL): the file's USD column adds up to the spend total there as on
    SQLite, and the progress count is the file's."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from lta_tui.services.demo import generate_demo

    cfg = load_config(write_config(tmp_path, db_url=new_db_url()))
    eng = open_engine(cfg)
    try:
        initialise(cfg, eng)
        generate_demo(eng, cfg, orders=150, seed=3, until=date(2026, 11, 15))
        calls = []
        track = dict(progress=lambda d, t: calls.append((d, t)))
        out = export_lines(eng, SpendQuery(), "csv", tmp_path / "all.csv", scope=None, **track)
        with open(out, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        with eng.connect() as conn:
            expected = order_lines_total(conn, SpendQuery(), scope=None, contract_start=START)
        assert len(rows) == expected.lines and calls[-1] == (len(rows), len(rows))
        assert sum(Decimal(r["amount_usd"]) for r in rows) == expected.spend_usd
    finally:
        eng.dispose()
