"""`lta-tui import orders FILE`: round trips in CSV and XLSX, exact amounts (JPY, KWD), and every
malformed file refused whole, with its row, column and reason, the database unchanged."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lta_tui.config import load_config
from lta_tui.domain.fx import Rate, rate_in_force, to_usd
from lta_tui.domain.money import line_amount
from lta_tui.domain.rules import (
    Period,
    Refused,
    SubLtaTerms,
    check_consolidator_eligible,
    check_direct_order,
)
from lta_tui.services.import_files import (
    ImportFileError,
    ImportNeedsAcknowledgement,
    ImportRefused,
)
from lta_tui.services.import_orders import COLUMNS, import_orders
from lta_tui.services.order_detail import order_detail
from lta_tui.store.engine import session_scope
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Consolidator,
    ExchangeRate,
    Lta,
    Order,
    SubLta,
)
from tests.conftest import write_config

NOW = datetime(2026, 11, 15, 9, 30, tzinfo=timezone.utc)

#: A valid file: four orders, EUR (direct, two lines), JPY, KWD and USD.
ROWS = [
    ["UNDP-IMP-0001", "UNDP", "CONS-A", "2", "direct", "SUB-UNDP-A", "2026-03-10", "EUR", "KE",
     "Laptop 14in [std]", "43211503", "goods", "", "12", "1234.56", "issued"],
    ["UNDP-IMP-0001", "UNDP", "CONS-A", "2", "direct", "SUB-UNDP-A", "2026-03-10", "EUR", "KE",
     "Freight to Nairobi", "78101800", "service", "freight", "1", "350.00", "issued"],
    ["UNDP-IMP-0002", "UNDP", "CONS-B", "1", "mini_competition", "", "2026-04-02", "JPY", "JP",
     "Switch 48 ports", "43222612", "goods", "", "3", "123457", "delivered"],
    ["UNDP-IMP-0003", "UNDP", "CONS-C", "2", "mini_competition", "", "2026-05-15", "KWD", "KW",
     "Monitor 27in", "43211902", "goods", "", "2.5", "1234.567", "draft"],
    ["UNDP-IMP-0004", "UNDP", "CONS-C", "4", "mini_competition", "", "2026-06-30", "USD", "US",
     "Printer A3", "43212105", "goods", "", "1", "0.01", "closed"],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header or COLUMNS)
        out.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """The rows as a spreadsheet would hold them: numbers as numbers, dates as dates."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        cells: list[object] = list(row)
        cells[3] = int(row[3])
        cells[6] = date.fromisoformat(row[6])
        cells[10] = int(row[10])
        cells[13] = float(row[13]) if "." in row[13] else int(row[13])
        cells[14] = float(row[14]) if "." in row[14] else int(row[14])
        sheet.append(cells)
    sheet.append([None] * len(COLUMNS))  # a formatted but empty row at the end
    book.save(path)
    return path


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table: "unchanged in content" means this is equal."""
    with sqlite3.connect(engine.url.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


@pytest.fixture
def world(engine):
    """Sub-LTAs for the direct orders and a consolidator suspended from 2026-06-01; the EUR, JPY
    and KWD rates are the data/rates.csv sample (monthly from 2025-01-01)."""
    return add_world(engine)


def add_world(engine):
    with session_scope(engine) as s:
        ids = {a.code: a.id for a in s.execute(select(Agency)).scalars()}
        holders = {c.code: c.id for c in s.execute(select(Consolidator)).scalars()}
        lta = s.execute(select(Lta.id)).scalar_one()

        def sub(ref, agency, holder, start, end, currency):
            s.add(SubLta(reference=ref, lta_id=lta, agency_id=ids[agency],
                         consolidator_id=holders[holder], valid_from=start, valid_to=end,
                         ceiling=Decimal(1_000_000), currency=currency))  # fmt: skip

        sub("SUB-UNDP-A", "UNDP", "CONS-A", date(2025, 1, 1), date(2026, 12, 31), "EUR")
        sub("SUB-UNDP-OLD", "UNDP", "CONS-B", date(2022, 1, 1), date(2022, 12, 31), "EUR")
        sub("SUB-UNICEF", "UNICEF", "CONS-A", date(2025, 1, 1), date(2026, 12, 31), "EUR")
        s.execute(
            update(Consolidator)
            .where(Consolidator.code == "CONS-D")
            .values(eligibility="suspended", eligibility_since=date(2026, 6, 1),
                    eligibility_reason="late deliveries")
        )  # fmt: skip
    return engine


def rates_of(engine, currency: str) -> list[Rate]:
    with engine.connect() as conn:
        found = conn.execute(
            select(ExchangeRate.effective_date, ExchangeRate.units_per_usd, ExchangeRate.source)
            .where(ExchangeRate.currency == currency)
            .order_by(ExchangeRate.effective_date)
        ).all()
    return [Rate(currency, d, u, s) for d, u, s in found]


def order_ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Order.po_number, Order.id)).all())


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_round_trip_values_equal_to_the_cent_jpy_and_kwd_exact(
    world, config, tmp_path, kind
):
    file = tmp_path / f"orders.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(file, ROWS)
    result = import_orders(world, config, file, now=NOW)
    assert (result.orders, result.lines) == (4, 5)

    ids = order_ids(world)
    reread = []  # the file as an export of the stored orders would write it
    for po, row_id in sorted(ids.items()):
        order = order_detail(world, row_id)
        assert order.created_by == order.updated_by == "Test User"
        rate = (
            Rate("USD", order.order_date, Decimal(1), "USD")
            if order.currency == "USD"
            else rate_in_force(rates_of(world, order.currency), order.currency, order.order_date)
        )
        assert (order.fx_units_per_usd, order.fx_effective_date, order.fx_source) == (
            rate.units_per_usd, rate.effective_date, rate.source
        )  # fmt: skip
        for line in order.lines:
            assert line.amount == line_amount(line.quantity, line.unit_price, order.currency)
            assert line.amount_usd == to_usd(line.amount, rate)
            delivered = line.quantity if order.status in ("delivered", "closed") else 0
            assert line.delivered_quantity == delivered
            reread.append([
                po, order.agency_code, order.consolidator_code, str(order.lot_number),
                order.channel, order.sub_lta or "", order.order_date.isoformat(), order.currency,
                order.destination_country, line.description, line.unspsc, line.kind,
                line.service or "", f"{line.quantity.normalize():f}",
                f"{line.unit_price.normalize():f}", order.status,
            ])  # fmt: skip
        assert order.total == sum(line.amount for line in order.lines)
        assert order.total_usd == sum(line.amount_usd for line in order.lines)
        assert order.first_total == (None if order.status == "draft" else order.total)
    expected = [r[:14] + [f"{Decimal(r[14]).normalize():f}", r[15]] for r in ROWS]
    assert reread == expected

    by_po = {po: order_detail(world, i) for po, i in ids.items()}
    eur, jpy, kwd, usd = (by_po[f"UNDP-IMP-000{n}"] for n in (1, 2, 3, 4))
    assert eur.total == Decimal("15164.72")  # 12 × 1,234.56 + 350.00
    assert jpy.total == Decimal("370371")  # whole yen
    assert jpy.lines[0].amount % 1 == 0 and jpy.total_usd == Decimal("2426.59")
    assert kwd.total == Decimal("3086.418")  # 2.5 × 1,234.567 to the fils (3 decimals), exact
    assert kwd.total_usd == to_usd(
        Decimal("3086.418"), rate_in_force(rates_of(world, "KWD"), "KWD", date(2026, 5, 15))
    )
    assert usd.total == usd.total_usd == Decimal("0.01")
    assert eur.sub_lta == "SUB-UNDP-A" and eur.lines[1].service == "freight"


def test_R25_one_import_audit_event_per_order(world, config, tmp_path):
    import_orders(world, config, write_csv(tmp_path / "o.csv", ROWS), now=NOW)
    ids = order_ids(world)
    with world.connect() as conn:
        events = conn.execute(
            select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.action, AuditEvent.who,
                   AuditEvent.at, AuditEvent.before, AuditEvent.after)
        ).all()  # fmt: skip
    assert sorted(e.entity_id for e in events) == sorted(ids.values())
    for event in events:
        assert (event.entity, event.action, event.who, event.before) == (
            "order", "import", "Test User", None
        )  # fmt: skip
        assert event.at == NOW
    after = json.loads(next(e.after for e in events if e.entity_id == ids["UNDP-IMP-0001"]))
    assert after["total"] == "15164.72" and after["lines"] == 2 and after["file"] == "o.csv"


def test_csv_with_bom_blank_rows_and_padded_cells_reads_the_same(world, config, tmp_path):
    file = tmp_path / "excel.csv"
    lines = [",".join(COLUMNS)] + [",".join(f" {c} " for c in r) for r in ROWS] + [",,,", ""]
    file.write_text("\ufeff" + "\r\n".join(lines), encoding="utf-8")
    result = import_orders(world, config, file, now=NOW)
    assert (result.orders, result.lines) == (4, 5)


def test_thousands_separators_are_read_as_the_order_form_reads_them(world, config, tmp_path):
    rows = [list(ROWS[4])]  # USD, no sub-LTA: 1,234,560 is within every ceiling (R15)
    rows[0][COLUMNS.index("unit_price")] = "1,234.56"
    rows[0][COLUMNS.index("quantity")] = "1,000"
    import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW)
    (line,) = order_detail(world, order_ids(world)["UNDP-IMP-0004"]).lines
    assert (line.quantity, line.unit_price, line.amount) == (1000, Decimal("1234.56"), 1234560)


def test_a_reimport_of_the_same_file_is_refused_duplicate_po_in_database(world, config, tmp_path):
    file = write_csv(tmp_path / "o.csv", ROWS)
    import_orders(world, config, file, now=NOW)
    before = dump(world)
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, file, now=NOW)
    found = {(p.row, p.column) for p in refused.value.problems}
    assert found == {(2, "po_number"), (4, "po_number"), (5, "po_number"), (6, "po_number")}
    assert "already exists in the database" in str(refused.value.problems[0])
    assert dump(world) == before


# --- malformed files: all or nothing ---------------------------------------------------------


def _set(row: int, column: str, value: str):
    """Change one cell: `row` as the file numbers it (the header is row 1)."""

    def change(rows: list[list[str]]) -> None:
        rows[row - 2][COLUMNS.index(column)] = value

    return change


def _order_column(po_rows: tuple[int, ...], column: str, value: str):
    """Change an order column on every row of the order (the rows then still agree)."""

    def change(rows: list[list[str]]) -> None:
        for row in po_rows:
            rows[row - 2][COLUMNS.index(column)] = value

    return change


def _both(*changes):
    def change(rows: list[list[str]]) -> None:
        for one in changes:
            one(rows)

    return change


EUR_ROWS = (2, 3)  # rows of UNDP-IMP-0001 in the file (row 1 is the header)

MALFORMED = {
    "bad date": (_set(4, "order_date", "2026-02-30"), 4, "order_date", "not a date"),
    "zero quantity R18": (_set(4, "quantity", "0"), 4, "quantity", "R18"),
    "negative quantity R18": (_set(5, "quantity", "-2"), 5, "quantity", "must be positive"),
    "negative price R18": (_set(6, "unit_price", "-1"), 6, "unit_price", "cannot be negative"),
    "decimal comma": (_set(2, "quantity", "1,5"), 2, "quantity", "1,5"),
    "trailing point": (_set(2, "quantity", "12."), 2, "quantity", "not an amount"),
    "exponent": (_set(4, "unit_price", "1e3"), 4, "unit_price", "not an amount"),
    "price finer than storage": (_set(6, "unit_price", "0.00001"), 6, "unit_price", "decimals"),
    "unknown agency": (_set(4, "agency", "UNDPX"), 4, "agency", "unknown agency"),
    "unknown consolidator": (_set(4, "consolidator", "CONS-Z"), 4, "consolidator", "CONS-Z"),
    "unknown lot": (_set(4, "lot", "9"), 4, "lot", "not a lot"),
    "unknown sub-LTA": (_order_column(EUR_ROWS, "sub_lta", "SUB-NONE"), 2, "sub_lta", "unknown"),
    "unknown currency R19": (_set(5, "currency", "EUX"), 5, "currency", "R19"),
    "unknown country R19": (_set(5, "destination_country", "XX"), 5, "destination_country",
                            "R19"),
    "lower-case country R19": (_set(6, "destination_country", "us"), 6, "destination_country",
                               "did you mean US"),
    "missing rate R20": (_set(4, "order_date", "2024-06-03"), 4, "currency",
                         "R20: no UN operational rate for JPY on or before 2024-06-03"),
    "rate-less currency R20": (_set(5, "currency", "SEK"), 5, "currency", "SEK"),
    "after the LTA R12": (_set(6, "order_date", "2027-06-01"), 6, "order_date", "R12"),
    "holder's period over R12": (_set(6, "consolidator", "CONS-D"), 6, "order_date",
                                 "CONS-D does not hold lot 4"),
    "suspended consolidator R17": (_both(_set(6, "consolidator", "CONS-D"), _set(6, "lot", "1")),
                                   6, "consolidator", "R17: CONS-D is suspended since 2026-06-01"),
    "sub-LTA of another agency R13": (_order_column(EUR_ROWS, "sub_lta", "SUB-UNICEF"), 2,
                                      "sub_lta", "R13"),
    "sub-LTA expired R13": (_order_column(EUR_ROWS, "sub_lta", "SUB-UNDP-OLD"), 2, "sub_lta",
                            "R13"),
    "direct without sub-LTA R13": (_order_column(EUR_ROWS, "sub_lta", ""), 2, "sub_lta",
                                   "R13"),
    "direct in another currency R13": (_order_column(EUR_ROWS, "currency", "USD"), 2,
                                       "currency", "R13"),
    "sub-LTA on a competition order": (_set(4, "sub_lta", "SUB-UNDP-A"), 4, "sub_lta",
                                       "mini-competition"),
    "unknown status": (_set(4, "status", "shipped"), 4, "status", "unknown status"),
    "unknown kind": (_set(4, "kind", "hardware"), 4, "kind", "unknown kind"),
    "unknown channel": (_set(4, "channel", "catalogue"), 4, "channel", "unknown channel"),
    "unknown service type": (_set(3, "service_type", "catering"), 3, "service_type", "unknown"),
    "service line without type": (_set(3, "service_type", ""), 3, "service_type", "needs"),
    "goods line with a type": (_set(2, "service_type", "freight"), 2, "service_type", "goods"),
    "missing description": (_set(4, "description", ""), 4, "description", "missing"),
    "bad UNSPSC": (_set(4, "unspsc", "4321"), 4, "unspsc", "8-digit"),
    "missing PO": (_set(4, "po_number", ""), 4, "po_number", "missing"),
    "order columns disagree": (_set(3, "currency", "USD"), 3, "currency", "differs from 'EUR'"),
    "another agency R26": (_order_column((4,), "agency", "UNICEF"), 4, "agency", "R26"),
    "duplicate PO in the file": (_set(6, "po_number", "UNDP-IMP-0001"), 6, "po_number",
                                 "already used by rows 2–3"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_is_refused_whole_naming_row_and_column(world, config, tmp_path, case):
    change, row, column, reason = MALFORMED[case]
    rows = [list(r) for r in ROWS]
    change(rows)
    before = dump(world)
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "bad.csv", rows), now=NOW)
    problems = refused.value.problems
    matching = [p for p in problems if (p.row, p.column) == (row, column)]
    assert matching, problems
    assert any(reason in p.message for p in matching), matching
    assert dump(world) == before


def test_R17_an_order_placed_before_the_suspension_imports(world, config, tmp_path):
    rows = [list(ROWS[-1])]
    rows[0][COLUMNS.index("consolidator")] = "CONS-D"
    rows[0][COLUMNS.index("lot")] = "1"
    rows[0][COLUMNS.index("order_date")] = "2026-05-29"  # suspended from 2026-06-01
    assert import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW).orders == 1


def test_R12_R13_orders_on_the_first_and_last_valid_days_import(world, config, tmp_path):
    rows = [list(r) for r in ROWS[:2]] + [list(ROWS[-1])]
    for row in rows[:2]:
        row[COLUMNS.index("order_date")] = "2026-12-31"  # last day of SUB-UNDP-A
    rows[2][COLUMNS.index("order_date")] = "2027-05-31"  # last day of the LTA
    assert import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW).orders == 2


@pytest.mark.parametrize(
    "header, column, reason",
    [
        (["qty" if c == "quantity" else c for c in COLUMNS], "qty", "unknown column"),
        ([c for c in COLUMNS if c != "status"], None, "missing column: status"),
        ([*COLUMNS, "po_number"], "po_number", "twice"),
    ],
)
def test_wrong_header_is_refused_at_row_1(world, config, tmp_path, header, column, reason):
    rows = [r[: len(header)] for r in ROWS]
    before = dump(world)
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "h.csv", rows, header), now=NOW)
    assert any(
        p.row == 1 and p.column == column and reason in p.message for p in refused.value.problems
    ), refused.value.problems
    assert dump(world) == before


def test_every_problem_is_returned_not_only_the_first(world, config, tmp_path):
    rows = [list(ROWS[2]) for _ in range(120)]
    for n, row in enumerate(rows):
        row[0] = f"UNDP-IMP-{n:04d}"
        row[13] = "-1"
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "many.csv", rows), now=NOW)
    assert [p.row for p in refused.value.problems] == list(range(2, 122))


def test_a_problem_after_a_written_batch_still_leaves_nothing(world, config, tmp_path, monkeypatch):
    import lta_tui.services.import_orders as service

    monkeypatch.setattr(service, "_FLUSH_LINES", 2)  # batches go to the database early
    rows = [list(r) for r in ROWS]
    rows[-1][COLUMNS.index("quantity")] = "0"  # the last line is wrong
    before = dump(world)
    with pytest.raises(ImportRefused):
        import_orders(world, config, write_csv(tmp_path / "late.csv", rows), now=NOW)
    assert dump(world) == before


def test_a_big_load_sets_indexes_aside_and_restores_them(world, config, tmp_path, monkeypatch):
    import lta_tui.services.import_orders as service

    monkeypatch.setattr(service, "_BIG_LOAD", 1)
    with sqlite3.connect(world.url.database) as conn:
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index'").fetchall()
    rows = [list(r) for r in ROWS]
    rows[-1][COLUMNS.index("quantity")] = "0"
    before = dump(world)
    with pytest.raises(ImportRefused):
        import_orders(world, config, write_csv(tmp_path / "bad.csv", rows), now=NOW)
    assert dump(world) == before  # the indexes too (sqlite_master is not a table of the dump)
    with sqlite3.connect(world.url.database) as conn:
        assert conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index'").fetchall() \
            == indexes  # fmt: skip
    result = import_orders(world, config, write_csv(tmp_path / "good.csv", ROWS), now=NOW)
    assert result.lines == 5
    with sqlite3.connect(world.url.database) as conn:
        assert sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index'")) \
            == sorted(indexes)  # fmt: skip


# --- who may import (R26) --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["working_group", "viewer"])
def test_R26_working_group_and_viewer_cannot_import_orders(world, tmp_path, role):
    config = load_config(write_config(tmp_path, role=role))
    before = dump(world)
    with pytest.raises(Refused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", ROWS), now=NOW)
    assert "R26" in str(refused.value)
    assert dump(world) == before


def test_R26_focal_point_of_another_agency_gets_every_row_refused(world, tmp_path):
    config = load_config(write_config(tmp_path, agency="UNICEF"))
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", ROWS), now=NOW)
    agency = {p.row for p in refused.value.problems if p.column == "agency"}
    assert agency == {2, 4, 5, 6}  # the first row of each order


# --- files that cannot be read ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("missing.csv", None, "no such file"),
        ("latin1.csv", ",".join(COLUMNS).encode() + b"\n\xe9t\xe9\n", "not UTF-8"),
        ("empty.csv", b"", "empty"),
        ("orders.ods", b"x", "expected a .csv or .xlsx"),
        ("broken.xlsx", b"not a zip", "not a readable XLSX"),
    ],
)
def test_unreadable_file_is_one_clear_error(world, config, tmp_path, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = dump(world)
    with pytest.raises(ImportFileError) as refused:
        import_orders(world, config, path, now=NOW)
    assert reason in str(refused.value) and name in str(refused.value)
    assert dump(world) == before


# --- the command -----------------------------------------------------------------------------


def test_cli_import_orders_succeeds_quietly_without_a_terminal(
    world, config_path, tmp_path, run_cli
):
    file = write_csv(tmp_path / "orders.csv", ROWS)
    result = run_cli("--config", str(config_path), "import", "orders", str(file))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert "imported 4 orders with 5 lines" in result.stdout
    assert len(order_ids(world)) == 4


def test_cli_lists_problems_with_row_and_column_caps_them_exit_2(
    world, config_path, tmp_path, run_cli
):
    rows = [list(ROWS[2]) for _ in range(70)]
    for n, row in enumerate(rows):
        row[0] = f"UNDP-IMP-{n:04d}"
        row[COLUMNS.index("currency")] = "EUX"
    file = write_csv(tmp_path / "bad.csv", rows)
    before = dump(world)
    result = run_cli("--config", str(config_path), "import", "orders", str(file))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 51
    assert lines[0].startswith(f"lta-tui: {file}: row 2, currency: R19: currency 'EUX'")
    assert lines[-1] == f"lta-tui: {file}: 70 problems: nothing imported (20 more not shown)"
    assert dump(world) == before


def test_cli_viewer_is_refused_in_one_line(world, tmp_path, run_cli):
    config = write_config(tmp_path, role="viewer")
    result = run_cli(
        "--config", str(config), "import", "orders", str(write_csv(tmp_path / "o.csv", ROWS))
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == "lta-tui: R26: a viewer changes nothing"


# --- PostgreSQL too --------------------------------------------------------------------------


def test_import_on_every_database(db_url, tmp_path, monkeypatch):
    """SQLite and PostgreSQL: the same stored values, the indexes set aside and rebuilt, the id
    sequences moved past the imported ids, and a refused file leaving every table as it was."""
    from sqlalchemy import MetaData, insert

    import lta_tui.services.import_orders as service
    from lta_tui.services.database import initialise, open_engine

    monkeypatch.setattr(service, "_BIG_LOAD", 1)
    config = load_config(write_config(tmp_path, db_url=db_url))
    engine = open_engine(config)
    try:
        initialise(config, engine)
        add_world(engine)
        result = import_orders(engine, config, write_csv(tmp_path / "o.csv", ROWS), now=NOW)
        assert (result.orders, result.lines) == (4, 5)
        details = [order_detail(engine, i) for i in order_ids(engine).values()]
        totals = {d.po_number: (d.total, d.total_usd) for d in details}
        assert totals["UNDP-IMP-0002"][0] == Decimal("370371")
        assert totals["UNDP-IMP-0003"][0] == Decimal("3086.418")
        with engine.begin() as conn:  # the next id of each table is free
            conn.execute(insert(AuditEvent).values(at=NOW, who="t", entity="x", entity_id=1,
                                                   action="create", after="{}"))  # fmt: skip

        def content() -> dict[str, list]:
            meta = MetaData()
            meta.reflect(engine)
            with engine.connect() as conn:
                return {
                    name: conn.execute(table.select().order_by(*table.primary_key.columns)).all()
                    for name, table in meta.tables.items()
                }

        before = content()
        bad = [list(r) for r in ROWS]
        bad[-1][COLUMNS.index("quantity")] = "0"
        with pytest.raises(ImportRefused):
            import_orders(engine, config, write_csv(tmp_path / "bad.csv", bad), now=NOW)
        assert content() == before
    finally:
        engine.dispose()


# --- R15 ceilings ----------------------------------------------------------------------------


def _eur_order(po: str, quantity: str, price: str, status: str = "issued") -> list[str]:
    """A one-line direct order under SUB-UNDP-A (ceiling 1,000,000 EUR)."""
    row = list(ROWS[0])
    row[COLUMNS.index("po_number")] = po
    row[COLUMNS.index("quantity")] = quantity
    row[COLUMNS.index("unit_price")] = price
    row[COLUMNS.index("status")] = status
    return row


def _acknowledged(engine, po: str) -> list[dict] | None:
    with engine.connect() as conn:
        found = conn.execute(
            select(Order.acknowledged_warnings).where(Order.po_number == po)
        ).scalar_one()
    return None if found is None else json.loads(found)


def test_R15_an_order_past_the_sub_lta_ceiling_is_refused_on_its_first_row(world, config, tmp_path):
    rows = [list(r) for r in ROWS] + [_eur_order("UNDP-IMP-0005", "9000", "10000")]  # 9,000 %
    before = dump(world)
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW)
    (problem,) = refused.value.problems
    assert problem.row == 7
    assert "R15" in problem.message and "sub-LTA SUB-UNDP-A" in problem.message
    assert "past 100 %" in problem.message
    assert dump(world) == before


def test_R15_a_draft_or_cancelled_order_uses_no_ceiling(world, config, tmp_path):
    rows = [_eur_order("UNDP-IMP-0005", "9000", "10000", "draft"),
            _eur_order("UNDP-IMP-0006", "9000", "10000", "cancelled")]  # fmt: skip
    assert import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW).orders == 2


def test_R15_the_ceiling_counts_the_database_then_the_earlier_orders_of_the_file(
    world, config, tmp_path
):
    first = [_eur_order("UNDP-IMP-0005", "1", "300000", "delivered")]
    import_orders(world, config, write_csv(tmp_path / "a.csv", first), now=NOW)  # 30 %
    rows = [
        _eur_order("UNDP-IMP-0006", "1", "300000", "closed"),  # 60 %
        _eur_order("UNDP-IMP-0007", "1", "300000", "draft"),  # no spend
        _eur_order("UNDP-IMP-0008", "1", "300000", "partially_delivered"),
    ]  # 90 %: W
    rows[2].append("0")  # delivered_quantity... of one line: not "in part"
    header = [*COLUMNS, "delivered_quantity"]
    rows[0].append("")
    rows[1].append("")
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "b.csv", rows, header), now=NOW)
    assert [(p.row, p.column) for p in refused.value.problems] == [(4, "delivered_quantity")]
    rows[2][-1] = "0.5"
    with pytest.raises(ImportNeedsAcknowledgement) as warned:
        import_orders(world, config, write_csv(tmp_path / "b.csv", rows, header), now=NOW)
    (warning,) = warned.value.problems
    assert warning.row == 4 and "R15" in warning.message and "90.0 %" in warning.message
    rows.append(_eur_order("UNDP-IMP-0009", "1", "100000.01") + [""])  # 100 % and a cent
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "c.csv", rows, header), now=NOW)
    assert [p.row for p in refused.value.problems] == [5]
    assert "past 100 %" in refused.value.problems[0].message


def test_R15_a_warning_needs_acknowledgement_then_is_recorded_on_the_order(world, config, tmp_path):
    rows = [list(ROWS[2]), _eur_order("UNDP-IMP-0005", "1", "850000")]  # 85 % of the ceiling
    file = write_csv(tmp_path / "o.csv", rows)
    before = dump(world)
    with pytest.raises(ImportNeedsAcknowledgement) as warned:
        import_orders(world, config, file, now=NOW)
    (warning,) = warned.value.problems
    assert (warning.row, warning.column) == (3, None)
    assert "R15" in warning.message and "sub-LTA SUB-UNDP-A" in warning.message
    assert "--acknowledge-warnings" in str(warned.value)
    assert dump(world) == before

    result = import_orders(world, config, file, now=NOW, acknowledge_warnings=True)
    assert result.orders == 2
    (entry,) = _acknowledged(world, "UNDP-IMP-0005")
    assert entry == {
        "rule": "R15",
        "message": entry["message"],
        "by": "Test User",
        "at": NOW.isoformat(),
    }
    assert "85" in entry["message"] and entry["message"] in warning.message
    assert _acknowledged(world, "UNDP-IMP-0002") is None  # no warning, nothing recorded


def test_R15_the_lta_ceiling_in_usd(world, config, tmp_path):
    with world.begin() as conn:
        conn.execute(update(Lta).values(ceiling_usd=Decimal(10_000)))
    usd = list(ROWS[4])  # a closed USD order
    usd[COLUMNS.index("quantity")] = "9000"
    usd[COLUMNS.index("unit_price")] = "1"
    file = write_csv(tmp_path / "o.csv", [usd])
    with pytest.raises(ImportNeedsAcknowledgement) as warned:
        import_orders(world, config, file, now=NOW)
    assert "LTA " in warned.value.problems[0].message
    usd[COLUMNS.index("quantity")] = "10001"
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "p.csv", [usd]), now=NOW)
    assert not isinstance(refused.value, ImportNeedsAcknowledgement)
    assert "past 100 %" in refused.value.problems[0].message


def test_cli_R15_warnings_listed_exit_2_then_imported_with_the_flag(
    world, config_path, tmp_path, run_cli
):
    file = write_csv(tmp_path / "o.csv", [_eur_order("UNDP-IMP-0005", "1", "850000")])
    before = dump(world)
    result = run_cli("--config", str(config_path), "import", "orders", str(file))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"lta-tui: {file}: row 2: PO UNDP-IMP-0005: R15: sub-LTA")
    assert lines[-1] == (
        f"lta-tui: {file}: 1 warning to acknowledge: nothing imported;"
        " re-run with --acknowledge-warnings to import with them recorded"
    )
    assert dump(world) == before
    result = run_cli(
        "--config", str(config_path), "import", "orders", str(file), "--acknowledge-warnings"
    )
    assert result.returncode == 0, result.stderr
    assert "imported 1 order with 1 line" in result.stdout
    assert _acknowledged(world, "UNDP-IMP-0005")[0]["rule"] == "R15"


def test_cli_R15_error_is_a_problem_even_with_the_flag(world, config_path, tmp_path, run_cli):
    file = write_csv(tmp_path / "o.csv", [_eur_order("UNDP-IMP-0005", "9000", "10000")])
    result = run_cli(
        "--config", str(config_path), "import", "orders", str(file), "--acknowledge-warnings"
    )
    assert result.returncode == 2
    assert "R15" in result.stderr and "past 100 %" in result.stderr
    assert order_ids(world) == {}


# --- delivered quantities, cancellations -----------------------------------------------------

PARTIAL = [*COLUMNS, "delivered_quantity", "cancellation_reason"]


def _partial_rows(delivered: tuple[str, str]) -> list[list[str]]:
    rows = [list(r) for r in ROWS[:2]]
    for row, done in zip(rows, delivered, strict=True):
        row[COLUMNS.index("status")] = "partially_delivered"
        row += [done, ""]
    return rows


def test_partially_delivered_order_keeps_its_delivered_quantities(world, config, tmp_path):
    rows = _partial_rows(("5", "0")) + [list(ROWS[2]) + ["", ""]]
    result = import_orders(world, config, write_csv(tmp_path / "o.csv", rows, PARTIAL), now=NOW)
    assert result.orders == 2
    ids = order_ids(world)
    order = order_detail(world, ids["UNDP-IMP-0001"])
    assert order.status == "partially_delivered"
    assert [line.delivered_quantity for line in order.lines] == [5, 0]
    jpy = order_detail(world, ids["UNDP-IMP-0002"])  # delivered: every line in full
    assert [line.delivered_quantity for line in jpy.lines] == [3]
    with world.connect() as conn:  # no delivery is invented: the file has no delivery date
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM deliveries").scalar() == 0


@pytest.mark.parametrize(
    "header, delivered, rows_columns, reason",
    [
        (COLUMNS, None, [(2, "delivered_quantity"), (3, "delivered_quantity")], "add the column"),
        (PARTIAL, ("5", ""), [(3, "delivered_quantity")], "from 0 up to its quantity"),
        (PARTIAL, ("13", "0"), [(2, "delivered_quantity")], "not between 0 and"),
        (PARTIAL, ("-1", "0"), [(2, "delivered_quantity")], "not between 0 and"),
        (PARTIAL, ("12", "1"), [(2, "delivered_quantity")], "make it delivered"),
        (PARTIAL, ("0", "0"), [(2, "delivered_quantity")], "make it issued"),
        (PARTIAL, ("1,5", "0"), [(2, "delivered_quantity")], "1,5"),
    ],
)
def test_partially_delivered_needs_a_delivered_quantity_in_part_on_each_line(
    world, config, tmp_path, header, delivered, rows_columns, reason
):
    if delivered is None:
        rows = [list(r) for r in ROWS[:2]]
        for row in rows:
            row[COLUMNS.index("status")] = "partially_delivered"
    else:
        rows = _partial_rows(delivered)
    before = dump(world)
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", rows, list(header)), now=NOW)
    problems = refused.value.problems
    assert [(p.row, p.column) for p in problems] == rows_columns, problems
    assert reason in problems[0].message, problems
    assert dump(world) == before


@pytest.mark.parametrize(
    "status, delivered, ok",
    [("delivered", "12", True), ("delivered", "11", False), ("closed", "12.000", True),
     ("issued", "0", True), ("issued", "1", False), ("draft", "2", False),
     ("cancelled", "0", True)],
)  # fmt: skip
def test_delivered_quantity_of_other_statuses_is_their_own_or_empty(
    world, config, tmp_path, status, delivered, ok
):
    row = _eur_order("UNDP-IMP-0005", "12", "10", status) + [delivered, ""]
    file = write_csv(tmp_path / "o.csv", [row], PARTIAL)
    if ok:
        import_orders(world, config, file, now=NOW)
        (line,) = order_detail(world, order_ids(world)["UNDP-IMP-0005"]).lines
        assert line.delivered_quantity == Decimal(delivered)
    else:
        with pytest.raises(ImportRefused) as refused:
            import_orders(world, config, file, now=NOW)
        assert [(p.row, p.column) for p in refused.value.problems] == [(2, "delivered_quantity")]


def test_cancelled_orders_keep_their_reason_or_the_default(world, config, tmp_path):
    rows = [_eur_order("UNDP-IMP-0005", "1", "10", "cancelled") + ["", "budget withdrawn"],
            _eur_order("UNDP-IMP-0006", "1", "10", "cancelled") + ["", ""]]  # fmt: skip
    import_orders(world, config, write_csv(tmp_path / "o.csv", rows, PARTIAL), now=NOW)
    with world.connect() as conn:
        reasons = dict(conn.execute(select(Order.po_number, Order.cancellation_reason)).all())
    assert reasons == {"UNDP-IMP-0005": "budget withdrawn",
                       "UNDP-IMP-0006": "cancelled before import"}  # fmt: skip
    header = [*COLUMNS]  # without the column: the default too
    row = _eur_order("UNDP-IMP-0007", "1", "10", "cancelled")
    import_orders(world, config, write_csv(tmp_path / "p.csv", [row], header), now=NOW)
    with world.connect() as conn:
        assert conn.execute(
            select(Order.cancellation_reason).where(Order.po_number == "UNDP-IMP-0007")
        ).scalar_one() == "cancelled before import"  # fmt: skip


def test_a_cancellation_reason_on_an_order_not_cancelled_is_a_problem(world, config, tmp_path):
    rows = [_eur_order("UNDP-IMP-0005", "1", "10", "issued") + ["", "why?"]]
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", rows, PARTIAL), now=NOW)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "cancellation_reason")]


def test_rows_of_one_order_agree_on_the_cancellation_reason(world, config, tmp_path):
    rows = [r + ["", "budget"] for r in (list(ROWS[0]), list(ROWS[1]))]
    for row in rows:
        row[COLUMNS.index("status")] = "cancelled"
    rows[1][-1] = "other"
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", rows, PARTIAL), now=NOW)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (3, "cancellation_reason")


# --- one function per rule: the import's messages are the domain's -------------------------


def test_R13_currency_of_the_sub_lta_is_checked_by_the_domain_rule(world, config, tmp_path):
    rows = [list(r) for r in ROWS[:2]]
    for row in rows:
        row[COLUMNS.index("currency")] = "JPY"  # SUB-UNDP-A is in EUR
    with pytest.raises(ImportRefused) as refused:
        import_orders(world, config, write_csv(tmp_path / "o.csv", rows), now=NOW)
    expected = check_direct_order(
        agency="UNDP",
        consolidator="CONS-A",
        order_date=date(2026, 3, 10),
        currency="JPY",
        lines=(),
        sub_lta=SubLtaTerms("SUB-UNDP-A", "UNDP", "CONS-A",
                            Period(date(2025, 1, 1), date(2026, 12, 31)), "EUR"),
        catalogue=(),
    )  # fmt: skip
    assert [(p.row, p.column, p.message) for p in refused.value.problems] == [
        (2, f.field, f.message) for f in expected
    ]


@pytest.mark.parametrize("day, refused", [("2026-05-31", False), ("2026-06-01", True)])
def test_R17_the_suspension_applies_from_its_date_through_the_domain_rule(
    world, config, tmp_path, day, refused
):
    row = list(ROWS[-1])
    row[COLUMNS.index("consolidator")] = "CONS-D"
    row[COLUMNS.index("lot")] = "1"
    row[COLUMNS.index("order_date")] = day
    file = write_csv(tmp_path / "o.csv", [row])
    expected = check_consolidator_eligible(
        "CONS-D", "suspended", "order", date(2026, 6, 1), "late deliveries",
        on=date.fromisoformat(day),
    )  # fmt: skip
    if not refused:
        assert expected == []
        assert import_orders(world, config, file, now=NOW).orders == 1
        return
    with pytest.raises(ImportRefused) as problems:
        import_orders(world, config, file, now=NOW)
    assert [(p.column, p.message) for p in problems.value.problems] == [
        (f.field, f.message) for f in expected
    ]


def test_mini_competition_orders_import_without_an_award(world, config, tmp_path):
    """R14 cannot be checked: the file names no competition; the order has no award."""
    import_orders(world, config, write_csv(tmp_path / "o.csv", [list(ROWS[2])]), now=NOW)
    with world.connect() as conn:
        assert conn.execute(select(Order.channel, Order.award_id)).one() == (
            "mini_competition",
            None,
        )
