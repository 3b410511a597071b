"""Reconciliation of agency orders with consolidator reports (R24): a crafted case where three
orders disagree, found as mismatch, agency-only and consolidator-only; the tolerance boundary;
a report in EUR at the ORE rate of the period's last day (R20); R26 scope; the exports. The
crafted case runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from lta_tui.config import load_config
from lta_tui.domain.rules import Refused
from lta_tui.services.import_reports import import_consolidator_reports
from lta_tui.services.reconciliation import (
    ReconciliationError,
    Status,
    reconcile,
    write_reconciliation,
)
from lta_tui.store.models import Agency, Consolidator, Lot, Lta, Order
from tests.conftest import write_config

D = Decimal
NOW = datetime(2026, 11, 15, 9, 0, tzinfo=timezone.utc)
HEADER = "consolidator,agency,period,po_number,amount,currency,lot"
#: po, agency, consolidator, lot, order date, status, total USD
ORDERS = [
    ("UNDP-R-001", "UNDP", "CONS-A", 2, date(2026, 4, 10), "delivered", D("10000.00")),
    ("UNDP-R-002", "UNDP", "CONS-A", 2, date(2026, 5, 3), "issued", D("20000.00")),
    ("UNDP-R-003", "UNDP", "CONS-A", 2, date(2026, 6, 30), "closed", D("5000.00")),
    ("UNDP-R-004", "UNDP", "CONS-A", 1, date(2026, 4, 1), "delivered", D("1000.00")),
    ("UNDP-R-005", "UNDP", "CONS-A", 1, date(2026, 5, 1), "cancelled", D("700.00")),
    ("UNDP-R-006", "UNDP", "CONS-A", 2, date(2026, 7, 1), "issued", D("900.00")),
    ("UNICEF-R-001", "UNICEF", "CONS-B", 2, date(2026, 5, 20), "delivered", D("10000.00")),
]
#: The consolidator's side: R-001 agrees, R-002 is 10 % higher, R-003 is missing, R-X is not
#: an order of UNDP; lot 1: R-004 exactly 5 % higher (within the tolerance).
REPORT = [
    "CONS-A,UNDP,2026-Q2,UNDP-R-001,10000.00,USD,",
    "CONS-A,UNDP,2026-Q2,UNDP-R-002,22000.00,USD,2",
    "CONS-A,UNDP,2026-Q2,UNDP-R-X,3000.00,USD,2",
    "CONS-A,UNDP,2026-Q2,UNDP-R-004,1050.00,USD,",
]


def add_orders(engine, orders=ORDERS) -> None:
    with engine.begin() as conn:
        ids = {code: i for i, code in conn.execute(select(Agency.id, Agency.code))}
        ids |= {code: i for i, code in conn.execute(select(Consolidator.id, Consolidator.code))}
        lots = {n: i for i, n in conn.execute(select(Lot.id, Lot.number))}
        lta = conn.execute(select(Lta.id)).scalar_one()
        conn.execute(
            insert(Order),
            [
                {
                    "po_number": po, "lta_id": lta, "agency_id": ids[agency],
                    "consolidator_id": ids[cons], "lot_id": lots[lot], "channel": "direct",
                    "order_date": day, "currency": "USD", "fx_units_per_usd": D(1),
                    "fx_effective_date": day, "fx_source": "USD", "destination_country": "KE",
                    "status": status, "total": usd, "total_usd": usd, "created_at": NOW,
                    "created_by": "test", "updated_at": NOW, "updated_by": "test",
                }
                for po, agency, cons, lot, day, status, usd in orders
            ],
        )  # fmt: skip


def report_file(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def world(db_url, tmp_path):
    """(config of the Working Group, engine) on SQLite and PostgreSQL, with ORDERS."""
    from lta_tui.services.database import initialise, open_engine

    config = load_config(write_config(tmp_path, db_url=db_url, role="working_group"))
    engine = open_engine(config)
    initialise(config, engine)
    add_orders(engine)
    yield config, engine
    engine.dispose()


def recon_of(engine, **kw):
    kw.setdefault("scope", None)
    kw.setdefault("tolerance_pct", 5)
    with engine.connect() as conn:
        return reconcile(conn, **kw)


def by_po(recon) -> dict[str, tuple]:
    return {
        p.po_number: (r.lot_label, p.status, p.difference_usd, p.note)
        for r in recon.rows
        for p in r.pos
    }


def test_r24_three_disagreeing_orders_are_found(world, tmp_path):
    config, engine = world
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", REPORT), now=NOW)
    recon = recon_of(engine)
    pos = by_po(recon)
    assert pos["UNDP-R-001"][:3] == ("2", Status.matched, D("0.00"))
    assert pos["UNDP-R-002"][:3] == ("2", Status.mismatch, D("2000.00"))
    assert pos["UNDP-R-003"][:3] == ("2", Status.agency_only, D("-5000.00"))
    assert pos["UNDP-R-X"][:3] == ("2", Status.consolidator_only, D("3000.00"))
    assert pos["UNDP-R-X"][3] == "no UNDP order has this PO number"
    assert pos["UNDP-R-004"][:3] == ("1", Status.matched, D("50.00"))
    # cancelled and out-of-period orders are not the agency's spend for the period
    assert "UNDP-R-005" not in pos and "UNDP-R-006" not in pos
    rows = {r.lot_label: r for r in recon.rows}
    assert set(rows) == {"1", "2"}
    lot2 = rows["2"]
    assert (lot2.agency_usd, lot2.reported_usd) == (D("35000.00"), D("35000.00"))
    assert lot2.status == Status.matched and lot2.problem  # totals agree, three POs do not
    assert {s: n for s, n in lot2.counts.items() if n} == {
        Status.matched: 1, Status.mismatch: 1, Status.agency_only: 1,
        Status.consolidator_only: 1,
    }  # fmt: skip
    assert [p.po_number for p in lot2.pos][:3] == ["UNDP-R-002", "UNDP-R-003", "UNDP-R-X"]
    assert lot2.period == "2026-Q2" and lot2.consolidator == "CONS-A"
    assert rows["1"].status == Status.matched and not rows["1"].problem


def test_r24_tolerance_boundary_exactly_5_pct_is_not_flagged(engine, tmp_path):
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    line = "CONS-A,UNDP,2026-Q2,UNDP-R-004,{},USD,1"
    import_consolidator_reports(
        engine, config, report_file(tmp_path / "r.csv", [line.format("1050.00")]), now=NOW
    )
    row = recon_of(engine).rows[0]
    assert (row.status, row.difference_pct, row.finding) == (Status.matched, D("5.0"), None)
    assert row.pos[0].status == Status.matched
    import_consolidator_reports(
        engine, config, report_file(tmp_path / "r.csv", [line.format("1050.01")]), now=NOW
    )
    row = recon_of(engine).rows[0]
    assert row.status == Status.mismatch and row.pos[0].status == Status.mismatch
    assert row.finding.startswith("R24: UNDP recorded 1,000.00 USD and CONS-A reported 1,050.01")
    assert recon_of(engine, tolerance_pct=6).rows[0].status == Status.matched


def test_a_report_without_anything_for_a_lot_and_rows_of_one_side(engine, tmp_path):
    """A lot the consolidator left out is an agency-only row; a reported lot with no agency
    order a consolidator-only row; a report's draft or out-of-period order is explained."""
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    lines = [
        "CONS-A,UNDP,2026-Q2,UNDP-R-001,10000.00,USD,",
        "CONS-A,UNDP,2026-Q2,UNDP-R-002,20000.00,USD,",
        "CONS-A,UNDP,2026-Q2,UNDP-R-003,5000.00,USD,",
        "CONS-A,UNDP,2026-Q2,UNDP-R-006,900.00,USD,",
        "CONS-A,UNDP,2026-Q2,,400.00,USD,3",
    ]
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", lines), now=NOW)
    recon = recon_of(engine)
    rows = {r.lot_label: r for r in recon.rows}
    assert rows["1"].status == Status.agency_only  # R-004 not reported at all
    assert rows["3"].status == Status.consolidator_only
    assert rows["3"].pos[0].status == Status.total_only  # an amount, not a PO
    assert rows["2"].status == Status.matched  # 35,900 against 35,000: within 5 %
    late = by_po(recon)["UNDP-R-006"]
    assert late[1] == Status.consolidator_only
    assert late[3] == "the order is dated 2026-07-01, outside the period"


def test_an_amount_only_report_is_compared_whole(engine, tmp_path):
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    lines = ["CONS-A,UNDP,2026-Q2,,37000.00,USD,"]
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", lines), now=NOW)
    (row,) = recon_of(engine).rows
    assert (row.lot_label, row.agency_usd, row.reported_usd) == ("all", D("36000.00"), D("37000"))
    assert row.status == Status.matched and not row.problem
    assert {p.status for p in row.pos} == {Status.total_only}


def test_r20_a_report_in_eur_converts_at_the_rate_of_the_periods_last_day(engine, tmp_path):
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    # EUR 0.8583 per USD from 2026-06-01 (data/rates.csv), in force on 2026-06-30
    lines = ["CONS-B,UNICEF,2026-Q2,UNICEF-R-001,8583.00,EUR,"]
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", lines), now=NOW)
    (row,) = recon_of(engine).rows
    assert (row.currency, row.rate, row.rate_date) == ("EUR", D("0.8583"), date(2026, 6, 1))
    assert row.reported_usd == D("10000.00") and row.pos[0].status == Status.matched
    assert row.pos[0].reported == D("8583.00")


def test_r26_scope_and_filters(engine, tmp_path):
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    lines = [*REPORT, "CONS-B,UNICEF,2026-Q2,UNICEF-R-001,10000.00,USD,"]
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", lines), now=NOW)
    assert {r.agency for r in recon_of(engine).rows} == {"UNDP", "UNICEF"}
    assert {r.agency for r in recon_of(engine, scope="UNDP").rows} == {"UNDP"}
    assert {r.agency for r in recon_of(engine, agency="UNICEF").rows} == {"UNICEF"}
    with pytest.raises(Refused, match="R26"):
        recon_of(engine, scope="UNDP", agency="UNICEF", role="focal_point", user_agency="UNDP")
    assert recon_of(engine, date_from=date(2026, 7, 1)).rows == ()
    assert recon_of(engine, date_to=date(2026, 4, 1)).rows != ()
    with pytest.raises(ReconciliationError, match="unknown agency"):
        recon_of(engine, agency="NOPE")
    with pytest.raises(ReconciliationError, match="after"):
        recon_of(engine, date_from=date(2026, 7, 1), date_to=date(2026, 6, 1))


def test_exports_carry_every_po_and_the_totals(engine, tmp_path):
    config = load_config(write_config(tmp_path, role="working_group"))
    add_orders(engine)
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", REPORT), now=NOW)
    recon = recon_of(engine)
    out = io.StringIO()
    write_reconciliation(recon, "csv", out, NOW)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {r["po_number"]: r["status"] for r in rows}["UNDP-R-003"] == "agency-only"
    assert {r["po_number"]: r["difference_usd"] for r in rows}["UNDP-R-002"] == "2000.00"
    data = json.loads(_text(recon, "json"))
    assert data["total"] == {
        "agency_usd": "36000.00", "reported_usd": "36050.00", "difference_usd": "50.00",
        "problem_rows": 1,
    }  # fmt: skip
    assert data["rows"][1]["counts"]["mismatch"] == 1
    markdown = _text(recon, "md")
    assert "| UNDP | CONS-A | 2 | 2026-Q2 | UNDP-R-X | consolidator-only |" in markdown
    path = write_reconciliation(recon, "xlsx", tmp_path / "r.xlsx", NOW)
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    assert len(book.sheetnames) >= 2
    book.close()
    with pytest.raises(ReconciliationError, match="xlsx needs a file"):
        write_reconciliation(recon, "xlsx", io.StringIO(), NOW)


def _text(recon, fmt: str) -> str:
    out = io.StringIO()
    write_reconciliation(recon, fmt, out, NOW)
    return out.getvalue()


def test_cli_export_reconciliation(engine, config_path, tmp_path, run_cli):
    config = load_config(config_path)  # UNDP focal point
    add_orders(engine)
    import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", REPORT), now=NOW)
    result = run_cli("--config", str(config_path), "export", "reconciliation", "-f", "csv")
    assert result.returncode == 0, result.stderr
    assert "UNDP-R-X,consolidator-only" in result.stdout
    refused = run_cli("--config", str(config_path), "export", "reconciliation", "--agency",
                      "UNICEF")  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "lta-tui: R26: a focal point of UNDP reads only UNDP's and LTA-level records, not UNICEF's"
    ]
    bad = run_cli("--config", str(config_path), "export", "reconciliation", "-f", "xlsx")
    assert bad.returncode == 2 and "-o PATH" in bad.stderr
    unnamed = run_cli("--config", str(config_path), "export", "reconciliation",
                      "-o", str(tmp_path / "recon.txt"))  # fmt: skip
    assert unnamed.returncode == 2 and "cannot tell the format" in unnamed.stderr
    assert not (tmp_path / "recon.txt").exists()


def test_the_demo_reports_give_every_kind_of_disagreement(demo_db):
    _, engine = demo_db
    recon = recon_of(engine)
    found = {p.status for r in recon.rows for p in r.pos}
    assert {Status.mismatch, Status.agency_only, Status.consolidator_only} <= found
    assert any(r.status == Status.mismatch for r in recon.rows)
    assert sum(r.agency_usd for r in recon.rows) == recon.agency_usd
