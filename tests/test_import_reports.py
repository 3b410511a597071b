"""`lta-tui import consolidator-report FILE`: CSV and XLSX, one report per consolidator × agency ×
period, every bad row named, all or nothing, a re-import replaces, R25 audit, R26 roles."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lta_tui.config import load_config
from lta_tui.domain.rules import Refused
from lta_tui.services.import_files import ImportRefused
from lta_tui.services.import_reports import (
    PeriodError,
    import_consolidator_reports,
    parse_period,
    period_label,
)
from lta_tui.store.models import AuditEvent, ConsolidatorReport, ConsolidatorReportLine
from tests.conftest import write_config
from tests.test_reconciliation import HEADER, REPORT, add_orders, report_file

D = Decimal
NOW = datetime(2026, 11, 15, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)


def dump(engine) -> dict[str, list[tuple]]:
    with sqlite3.connect(engine.url.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def reports(engine) -> list[tuple]:
    with engine.connect() as conn:
        r, line = ConsolidatorReport, ConsolidatorReportLine
        held = conn.execute(
            select(r.id, r.period_from, r.period_to, r.reported_spend, r.currency, r.source_file)
        ).all()
        lines = conn.execute(
            select(line.report_id, line.po_number, line.lot_number, line.amount)
        ).all()  # fmt: skip
    return [(*h[1:], sorted((p or "", lot or 0, a) for i, p, lot, a in lines if i == h[0]))
            for h in held]  # fmt: skip


def wg(tmp_path: Path):
    return load_config(write_config(tmp_path, role="working_group"))


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("2026-05", (date(2026, 5, 1), date(2026, 5, 31)), "2026-05"),
        ("2026-Q2", (date(2026, 4, 1), date(2026, 6, 30)), "2026-Q2"),
        ("2026q4", (date(2026, 10, 1), date(2026, 12, 31)), "2026-Q4"),
        ("2026", (date(2026, 1, 1), date(2026, 12, 31)), "2026"),
        ("2026-04-01..2026-06-30", (date(2026, 4, 1), date(2026, 6, 30)), "2026-Q2"),
        ("2026-04-15..2026-05-14", (date(2026, 4, 15), date(2026, 5, 14)),
         "2026-04-15..2026-05-14"),
    ],
)  # fmt: skip
def test_periods_read_as_people_write_them(text, expected, label):
    assert parse_period(text) == expected
    assert period_label(*expected) == label


@pytest.mark.parametrize("text", ["0000", "9999-12", "9999-Q4", "0000-01-01..2026-01-01"])
def test_a_period_beyond_the_calendar_is_a_period_error_not_a_crash(text):
    with pytest.raises(PeriodError, match="no such period|two ISO dates"):
        parse_period(text)


def test_a_csv_makes_one_report_per_consolidator_agency_and_period(engine, config, tmp_path):
    add_orders(engine)
    lines = [*REPORT, "CONS-A,UNDP,2026-Q3,,1234.50,USD,2", "CONS-B,UNDP,2026-Q2,,99,USD,"]
    result = import_consolidator_reports(
        engine, config, report_file(tmp_path / "r.csv", lines), now=NOW
    )
    assert (result.reports, result.lines, result.replaced, result.unknown_pos) == (3, 6, (), 1)
    assert result.summary() == (
        f"{tmp_path / 'r.csv'}: 3 reports, 6 lines imported; replaced 0; 1 PO number not in the"
        " agency's orders (consolidator-only in the reconciliation)."
    )
    held = reports(engine)
    q2 = next(h for h in held if h[0] == date(2026, 4, 1) and h[2] == D("36050.00"))
    assert q2[3:5] == ("USD", "r.csv")
    assert q2[5] == [("UNDP-R-001", 0, D("10000")), ("UNDP-R-002", 2, D("22000")),
                     ("UNDP-R-004", 0, D("1050")), ("UNDP-R-X", 2, D("3000"))]  # fmt: skip
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.action, AuditEvent.who, AuditEvent.after)
            .where(AuditEvent.entity == "consolidator_report")
        ).all()  # fmt: skip
    assert [e[0] for e in events] == ["import"] * 3  # R25: one event per report
    assert json.loads(events[0][2])["reported_spend"] == "36050.00"


def test_an_xlsx_reads_like_the_csv(engine, config, tmp_path):
    from openpyxl import Workbook

    add_orders(engine)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["CONS-A", "UNDP", "2026-Q2", "UNDP-R-001", 10000.5, "USD", 2])
    sheet.append(["CONS-A", "UNDP", "2026-Q2", "UNDP-R-002", 20000, "USD", None])
    book.save(tmp_path / "r.xlsx")
    result = import_consolidator_reports(engine, config, tmp_path / "r.xlsx", now=NOW)
    assert (result.reports, result.lines) == (1, 2)
    assert reports(engine)[0][2] == D("30000.50")


def test_every_bad_row_is_named_and_nothing_is_written(engine, tmp_path):
    config = wg(tmp_path)
    add_orders(engine)
    lines = [
        "CONS-A,UNDP,2026-Q2,UNDP-R-001,10000.00,USD,",  # row 2: fine
        "CONS-Z,UNDP,2026-Q2,,1,USD,",  # 3: consolidator
        "CONS-A,NOPE,2026-Q2,,1,USD,",  # 4: agency
        "CONS-A,UNDP,2026-13,,1,USD,",  # 5: period
        "CONS-A,UNDP,2026-Q2,,1.5e3,USD,",  # 6: amount
        "CONS-A,UNDP,2026-Q2,,12.345,USD,",  # 7: decimals
        "CONS-A,UNDP,2026-Q2,,1,usd,",  # 8: currency R19
        "CONS-A,UNDP,2026-Q2,,1,USD,7",  # 9: lot
        "CONS-A,UNDP,2026-Q2,UNICEF-R-001,1,USD,",  # 10: another agency's order
        "CONS-B,UNDP,2026-Q2,UNDP-R-001,1,USD,",  # 11: another consolidator's order
        "CONS-A,UNDP,2026-Q2,UNDP-R-001,1,USD,1",  # 12: another lot
        "CONS-A,UNDP,2026-Q2,,1,EUR,",  # 13: a second currency in one report
        "CONS-A,UNDP,2024-Q2,,1,EUR,",  # 14: no EUR rate in force (R20; they start in 2025)
        "CONS-A,UNDP,2026-06-30..2026-04-01,,1,USD,",  # 15: ends before it starts
        "CONS-A,UNDP,2026-Q2,,,USD,",  # 16: amount missing
        "CONS-A,UNDP,1999,,1,USD,",  # 17: outside the LTA's validity
    ]
    before = dump(engine)
    with pytest.raises(ImportRefused) as refused:
        import_consolidator_reports(engine, config, report_file(tmp_path / "r.csv", lines),
                                    now=NOW)  # fmt: skip
    found = [str(p) for p in refused.value.problems]
    assert [p.row for p in refused.value.problems] == list(range(3, 18))
    assert found[0].startswith("row 3, consolidator: unknown consolidator 'CONS-Z' (known: ")
    assert found[1] == "row 4, agency: unknown agency 'NOPE'"
    assert found[2] == "row 5, period: '2026-13': month 13 does not exist"
    assert found[3] == "row 6, amount: '1.5e3' is not an amount"
    assert found[4] == "row 7, amount: 12.345 has more than 2 decimals for USD"
    assert found[5].startswith("row 8, currency: R19: currency 'usd' is not an ISO 4217 code")
    assert found[6] == "row 9, lot: '7' is not a lot (use 1, 2, 3, 4, 5)"
    assert found[7] == "row 10, po_number: UNICEF-R-001 is an order of UNICEF, not UNDP"
    assert found[8] == "row 11, po_number: UNDP-R-001 is an order with CONS-A, not CONS-B"
    assert found[9] == "row 12, lot: UNDP-R-001 is an order of lot 2"
    assert found[10] == (
        "row 13, currency: CONS-A UNDP 2026-Q2 is in USD (row 2): one currency per report"
    )
    assert found[11].startswith("row 14, currency: R20:")
    assert found[12] == "row 15, period: '2026-06-30..2026-04-01': the period ends before it starts"
    assert found[13] == "row 16, amount: is missing"
    assert found[14] == (
        "row 17, period: '1999' lies outside the LTA's validity (2021-06-01 – 2027-05-31)"
    )
    assert str(refused.value) == f"{tmp_path / 'r.csv'}: 15 problems: nothing imported"
    assert dump(engine) == before


def test_a_bad_header_is_refused(engine, config, tmp_path):
    with pytest.raises(ImportRefused) as refused:
        import_consolidator_reports(
            engine, config, report_file(tmp_path / "r.csv", [], "consolidator,agency,sum"),
            now=NOW,
        )  # fmt: skip
    text = [str(p) for p in refused.value.problems]
    assert text[0].startswith("row 1, sum: unknown column")
    assert text[-1] == "row 1: missing columns: period, amount, currency"


def test_a_reimport_replaces_the_report_and_says_so(engine, config, tmp_path):
    add_orders(engine)
    file = report_file(tmp_path / "r.csv", REPORT)
    import_consolidator_reports(engine, config, file, now=NOW)
    again = report_file(tmp_path / "r2.csv", ["CONS-A,UNDP,2026-04-01..2026-06-30,,500,USD,"])
    result = import_consolidator_reports(engine, config, again, now=LATER)
    assert result.replaced == ("CONS-A UNDP 2026-Q2",)
    assert result.summary().endswith("1 report, 1 line imported; replaced 1 (CONS-A UNDP 2026-Q2).")
    (held,) = reports(engine)
    assert held[2:] == (D("500"), "USD", "r2.csv", [("", 0, D("500"))])
    with engine.connect() as conn:
        action, before, after = conn.execute(
            select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.entity == "consolidator_report")
            .order_by(AuditEvent.id.desc())
        ).first()  # fmt: skip
    assert action == "replace"
    assert (json.loads(before)["lines"], json.loads(after)["lines"]) == (4, 1)
    assert json.loads(before)["reported_spend"] == "36050.00"


def test_r26_a_focal_point_imports_the_own_agency_only(engine, config, tmp_path):
    add_orders(engine)
    lines = [REPORT[0], "CONS-B,UNICEF,2026-Q2,UNICEF-R-001,10000,USD,"]
    file = report_file(tmp_path / "r.csv", lines)
    with pytest.raises(ImportRefused) as refused:
        import_consolidator_reports(engine, config, file, now=NOW)
    assert [str(p) for p in refused.value.problems] == [
        "row 3, agency: R26: a focal point of UNDP changes only UNDP's records, not UNICEF's"
    ]
    result = import_consolidator_reports(engine, wg(tmp_path), file, now=NOW)  # any agency
    assert result.reports == 2


def test_r26_a_viewer_imports_nothing(engine, tmp_path):
    viewer = load_config(write_config(tmp_path, role="viewer"))
    with pytest.raises(Refused, match="R26: a viewer changes nothing"):
        import_consolidator_reports(
            engine, viewer, report_file(tmp_path / "r.csv", REPORT), now=NOW
        )


def test_cli_prints_the_summary_or_every_problem_and_exits_2(engine, config_path, tmp_path,
                                                            run_cli):  # fmt: skip
    add_orders(engine)
    good = report_file(tmp_path / "r.csv", REPORT)
    done = run_cli("--config", str(config_path), "import", "consolidator-report", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"{good}: 1 report, 4 lines imported; replaced 0;")
    bad = report_file(tmp_path / "bad.csv", [REPORT[0], "CONS-A,UNDP,2026-Q5,,1,USD,",
                                             "CONS-A,UNDP,2026-Q2,,x,USD,"])  # fmt: skip
    result = run_cli("--config", str(config_path), "import", "consolidator-report", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lta-tui: {bad}: row 3, period: '2026-Q5' is not a period (use 2026-05, 2026-Q2, 2026"
        " or 2026-04-01..2026-06-30)",
        f"lta-tui: {bad}: row 4, amount: 'x' is not an amount",
        f"lta-tui: {bad}: 2 problems: nothing imported",
    ]
    missing = run_cli("--config", str(config_path), "import", "consolidator-report", "nope.csv")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "lta-tui: nope.csv: no such file"


def test_the_readme_example_disagrees_on_three_demo_orders(tmp_path):
    """docs/examples/consolidator-report.csv against `lta-tui demo --until 2026-11-15`: the user
    check of the issue (import a report that disagrees on three orders and find them)."""
    from lta_tui.services.database import initialise, open_engine
    from lta_tui.services.demo import generate_demo
    from lta_tui.services.reconciliation import PROBLEMS, Status, reconcile
    from tests.conftest import DEMO_UNTIL, ROOT

    config = load_config(write_config(tmp_path))  # UNDP focal point
    engine = open_engine(config)
    try:
        initialise(config, engine)
        generate_demo(engine, config, orders=20_000, seed=7, until=DEMO_UNTIL)
        example = ROOT / "docs" / "examples" / "consolidator-report.csv"
        result = import_consolidator_reports(engine, config, example, now=NOW)
        assert (result.reports, result.lines, result.unknown_pos) == (1, 26, 1)
        with engine.connect() as conn:
            recon = reconcile(conn, scope="UNDP", date_from=date(2026, 1, 1),
                              date_to=date(2026, 1, 31), tolerance_pct=5)  # fmt: skip
    finally:
        engine.dispose()
    disagree = {p.po_number: p.status for r in recon.rows for p in r.pos if p.status in PROBLEMS}
    assert disagree == {
        "UNDP-2026-000009": Status.mismatch,
        "UNDP-2026-000034": Status.agency_only,
        "UNDP-2026-990001": Status.consolidator_only,
    }
