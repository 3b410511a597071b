"""Spend exports (CSV, XLSX, JSON, Markdown) and `lta-tui export spend`: every format ends with
a total equal to the sum of its rows and to the order lines, to the cent."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lta_tui.exports.files import export_format
from lta_tui.services.spend import (
    DIMENSIONS,
    SpendQuery,
    SpendReport,
    SpendRow,
    SpendTotals,
    order_lines_total,
    spend_report,
)
from lta_tui.services.spend_export import SPEND_FORMATS, spend_json, write_spend
from tests.conftest import write_config

NOW = datetime(2026, 11, 15, 9, 30, tzinfo=timezone.utc)
GROUPING = ("agency", "lot", "consolidator", "quarter")
FIGURES = ["orders", "lines", "goods_usd", "services_usd", "spend_usd"]


def reports(demo_db, query: SpendQuery, scope: str | None = None):
    """The report and the order lines' own total for the same query."""
    cfg, engine = demo_db
    start = cfg.lta.valid_from
    with engine.connect() as conn:
        report = spend_report(conn, query, scope=scope, contract_start=start, lta="GP500454")
        check = order_lines_total(conn, query, scope=scope, contract_start=start)
    return report, check


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def assert_adds_up(rows: list[dict], total: dict, check: SpendTotals) -> None:
    """`rows` and `total` hold the figures as read back from a file."""
    for figure in FIGURES:
        summed = sum(Decimal(str(r[figure])) for r in rows)
        assert summed == Decimal(str(total[figure])), figure
        assert Decimal(str(total[figure])) == getattr(check, figure), figure


@pytest.fixture(scope="module")
def undp(demo_db):
    query = SpendQuery(group_by=GROUPING, date_from=date(2024, 1, 1), date_to=date(2026, 6, 30))
    return reports(demo_db, query, scope="UNDP")


def test_csv_rows_then_the_total(undp, tmp_path):
    report, check = undp
    path = write_spend(report, "csv", tmp_path / "spend.csv", now=NOW)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == [*GROUPING, *FIGURES]
    *body, total = rows
    assert total["agency"] == "TOTAL" and total["lot"] == ""
    assert len(body) == len(report.rows) > 10
    assert {r["agency"] for r in body} == {"UNDP"}
    assert_adds_up(body, total, check)
    assert all(len(r["spend_usd"].split(".")[1]) == 2 for r in rows)  # cents, as stored


def test_xlsx_rows_then_the_total(undp, tmp_path):
    from openpyxl import load_workbook

    report, check = undp
    path = write_spend(report, "xlsx", tmp_path / "spend.xlsx", now=NOW)
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Spend"]
    header, *body, total = list(book["Spend"].iter_rows(values_only=True))
    assert header == ("Agency", "Lot", "Consolidator", "Quarter", "Orders", "Lines",
                      "Goods USD", "Services USD", "Spend USD")  # fmt: skip
    assert total[:4] == ("TOTAL", None, None, None)

    def figures(row) -> dict:  # money cells are numbers with 2 decimals in the sheet
        return {
            f: Decimal(repr(v)).quantize(Decimal("0.01"))
            for f, v in zip(FIGURES, row[4:], strict=True)
        }

    assert len(body) == len(report.rows)
    assert_adds_up([figures(r) for r in body], figures(total), check)
    assert book["Spend"]["I2"].number_format == "#,##0.00"
    summary = [r for r in book["Summary"].iter_rows(values_only=True) if r]
    assert ("LTA", "GP500454") in summary and ("Agencies", "UNDP") in summary


def test_json_has_the_documented_shape(undp, tmp_path):
    report, check = undp
    path = write_spend(report, "json", tmp_path / "spend.json", now=NOW)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == ["lta", "generated_at", "filters", "group_by", "rows", "total"]
    assert data["lta"] == "GP500454"
    assert data["generated_at"] == "2026-11-15T09:30:00+00:00"
    assert data["filters"] == {
        "from": "2024-01-01", "to": "2026-06-30", "scope": "UNDP", "agencies": [],
        "lots": [], "consolidators": [], "countries": [], "channels": [], "kinds": [],
    }  # fmt: skip
    assert data["group_by"] == list(GROUPING)
    first = data["rows"][0]
    assert list(first) == [*GROUPING, *FIGURES]
    assert isinstance(first["orders"], int) and isinstance(first["spend_usd"], str)
    assert list(data["total"]) == FIGURES
    assert_adds_up(data["rows"], data["total"], check)
    assert data == spend_json(report, now=NOW)


def test_markdown_rows_then_the_total(undp, tmp_path):
    report, check = undp
    text = write_spend(report, "md", tmp_path / "spend.md", now=NOW).read_text(encoding="utf-8")
    assert text.startswith("# Spend by agency, lot, consolidator, quarter\n")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header, *body, total = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    assert header == ["Agency", "Lot", "Consolidator", "Quarter", "Orders", "Lines",
                      "Goods USD", "Services USD", "Spend USD"]  # fmt: skip
    assert total[0] == "TOTAL"

    def figures(row) -> dict:
        return {f: money(v) for f, v in zip(FIGURES, row[4:], strict=True)}

    assert len(body) == len(report.rows)
    assert_adds_up([figures(r) for r in body], figures(total), check)


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_a_stream_gets_the_same_text_as_a_file(undp, tmp_path, fmt):
    report, _ = undp
    out = io.StringIO()
    assert write_spend(report, fmt, out, now=NOW) is None
    path = write_spend(report, fmt, tmp_path / f"spend.{fmt}", now=NOW)
    assert out.getvalue() == path.read_bytes().decode("utf-8")


def test_xlsx_needs_a_file_and_unknown_formats_are_refused(undp):
    report, _ = undp
    with pytest.raises(ValueError, match="xlsx file cannot go to the terminal"):
        write_spend(report, "xlsx", io.StringIO())
    with pytest.raises(ValueError, match="unknown spend format 'pdf'"):
        write_spend(report, "pdf", io.StringIO())


def test_the_format_comes_from_the_flag_or_the_file_name(tmp_path):
    def format_of(path, fmt):
        return export_format(path, fmt, SPEND_FORMATS, "csv")

    assert format_of(None, None) == "csv"
    assert format_of(tmp_path / "a.XLSX", None) == "xlsx"
    assert format_of(tmp_path / "a.markdown", None) == "md"
    assert format_of(tmp_path / "a.txt", "json") == "json"
    for path, fmt, message in [
        (tmp_path / "a.txt", None, "cannot tell the format"),
        (None, "pdf", "unknown format 'pdf'"),
        (tmp_path / "a.csv", "json", "a.csv is a .csv file name but --format is json"),
    ]:
        with pytest.raises(ValueError, match=message):
            format_of(path, fmt)


def hostile_report() -> SpendReport:
    """A report whose keys a spreadsheet would run as formulas."""
    d = Decimal
    rows = (
        SpendRow(('=HYPERLINK("http://x")', "+1"), 1, 2, d("10.00"), d("0.50"), d("10.50")),
        SpendRow(("@SUM(A1)", "-2"), 1, 1, d("0"), d("3.25"), d("3.25")),
        SpendRow(("\tTAB", "\rCR|pipe"), 2, 3, d("1.00"), d("0"), d("1.00")),
    )
    total = SpendTotals(4, 6, d("11.00"), d("3.75"), d("14.75"))
    return SpendReport(SpendQuery(group_by=("agency", "country")), None, rows, total)


def test_formula_keys_are_neutralised_in_csv_xlsx_and_markdown(tmp_path):
    from openpyxl import load_workbook

    report = hostile_report()
    keys = [k for row in report.rows for k in row.keys]
    text = write_spend(report, "csv", tmp_path / "h.csv").read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [k for row in rows[1:3] for k in row[:2]] == ["'" + k for k in keys[:4]]
    # CSV lines end in CRLF (RFC 4180), so a field holding a lone CR is quoted
    assert "'\tTAB,\"'\rCR|pipe\"," in text
    sheet = load_workbook(write_spend(report, "xlsx", tmp_path / "h.xlsx"))["Spend"]
    cells = [c for row in sheet.iter_rows(min_row=2, max_row=4, max_col=2) for c in row]
    # (XML reads a CR back as a line feed)
    assert [c.value for c in cells] == ["'" + k.replace("\r", "\n") for k in keys]
    assert {c.data_type for c in cells} == {"s"}
    text = write_spend(report, "md", tmp_path / "h.md").read_text(encoding="utf-8")
    assert "| '=HYPERLINK(\"http://x\") | '+1 |" in text and "'@SUM(A1)" in text
    assert "\\|pipe" in text
    data = spend_json(report)  # JSON is data, not a sheet: keys as they are
    assert [r["agency"] for r in data["rows"]] == [k for k in keys[::2]]


# --- any grouping adds up (hypothesis) ---------------------------------------------------------

FILTERS = st.sampled_from(
    [
        {},
        {"lots": (2,)},
        {"kinds": ("services",)},
        {"kinds": ("goods",), "channels": ("direct",)},
        {"agencies": ("UNICEF", "UNFPA")},
        {"consolidators": ("CONS-A",), "date_from": date(2023, 6, 1)},
        {"countries": ("KE", "BD", "US")},
        {"date_from": date(2025, 6, 1), "date_to": date(2026, 5, 31), "lots": (1, 3)},
    ]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    grouping=st.lists(st.sampled_from(DIMENSIONS), min_size=1, max_size=4, unique=True),
    filters=FILTERS,
)
def test_any_grouping_sums_to_the_order_lines(demo_db, grouping, filters):
    report, check = reports(demo_db, SpendQuery(group_by=tuple(grouping), **filters))
    assert sum(r.spend_usd for r in report.rows) == check.spend_usd == report.total.spend_usd
    assert sum(r.goods_usd for r in report.rows) == check.goods_usd
    assert sum(r.orders for r in report.rows) == check.orders
    assert sum(r.lines for r in report.rows) == check.lines
    assert len({r.keys for r in report.rows}) == len(report.rows)
    data = spend_json(report)
    assert sum(Decimal(r["spend_usd"]) for r in data["rows"]) == Decimal(data["total"]["spend_usd"])


# --- lta-tui export spend ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_configs(demo_db, tmp_path_factory):
    """Configs on the demo database: a UNDP focal point and the Working Group."""
    cfg, _ = demo_db
    folder = tmp_path_factory.mktemp("spend-cli")
    (folder / "wg").mkdir()
    focal = write_config(folder, db_url=cfg.database.url)
    group = write_config(folder / "wg", db_url=cfg.database.url, role="working_group")
    return focal, group


def test_cli_writes_csv_to_stdout_and_json_to_a_file(run_cli, demo_configs, demo_db, tmp_path):
    focal, group = demo_configs
    done = run_cli("--config", str(focal), "export", "spend", "--by", "lot,month",
                   "--from", "2025-01-01", "--to", "2025-12-31")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0])[:2] == ["lot", "month"] and rows[-1]["lot"] == "TOTAL"
    _, check = reports(
        demo_db,
        SpendQuery(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)),
        scope="UNDP",
    )
    assert_adds_up(rows[:-1], rows[-1], check)

    out = tmp_path / "all.json"
    done = run_cli("--config", str(group), "export", "spend", "--by", "agency,kind",
                   "--lot", "2", "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Written to {out}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["filters"]["scope"] is None and data["filters"]["lots"] == [2]
    assert len({r["agency"] for r in data["rows"]}) > 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "agency,colour"], "--by: unknown spend dimension 'colour'"),
        (["--from", "2025-02-30"], "--from: '2025-02-30' is not a date (YYYY-MM-DD)"),
        (["--agency", "UNICEF"], "R26: a focal point of UNDP reads only UNDP's"),
        (["--agency", "NOPE"], "unknown agency 'NOPE': use one of"),
        (["--format", "pdf"], "--format: unknown format 'pdf'"),
        (["--format", "xlsx"], "an xlsx file cannot go to the terminal"),
    ],
)
def test_cli_refuses_a_bad_flag_in_one_line(run_cli, demo_configs, args, message):
    focal, _ = demo_configs
    done = run_cli("--config", str(focal), "export", "spend", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"lta-tui: {message}")
    assert len(done.stderr.strip().splitlines()) == 1


def test_every_format_is_known_to_the_cli():
    assert SPEND_FORMATS == ("csv", "xlsx", "json", "md")
