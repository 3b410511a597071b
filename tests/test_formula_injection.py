"""Formula injection (issue 5 point 8, DESIGN.md §4): every CSV and XLSX writer of the project
neutralises text starting with `=`, `+`, `-`, `@`, a tab or a carriage return, while numbers,
negative amounts included, stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from lta_tui.exports.cells import FORMULA_STARTS, safe_cell
from lta_tui.exports.document import Amount, Document, Section, Table
from lta_tui.exports.tabular import csv_text, csv_value, is_prepared, write_table
from lta_tui.exports.xlsx import write_xlsx

BAD = [f"{start}1+1" for start in FORMULA_STARTS] + ['=HYPERLINK("http://x")', "@SUM(A1)"]
COLUMNS = ("text", "amount", "money", "day", "count")


def _row(text: str) -> tuple:
    return (text, Decimal("-12.50"), Amount(Decimal("-3.5"), "EUR"), date(2026, 3, 1), -7)


@pytest.mark.parametrize("text", BAD)
def test_safe_cell_neutralises_every_formula_start(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell(safe_cell(text)) == safe_cell(text)  # idempotent
    assert not is_prepared(text) and is_prepared(safe_cell(text))


def test_csv_writer_neutralises_text_not_numbers():
    out = list(csv.reader(io.StringIO(csv_text(("=head", *COLUMNS[1:]), [_row(t) for t in BAD]))))
    assert out[0][0] == "'=head"
    for text, row in zip(BAD, out[1:], strict=True):
        assert row == ["'" + text, "-12.50", "-3.5", "2026-03-01", "-7"]
    assert csv_value(Decimal("-12.50")) == "-12.50" and csv_value("-12.50") == "'-12.50"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_write_table_neutralises_text_not_numbers(tmp_path, fmt):
    path = write_table(tmp_path / f"t.{fmt}", fmt, COLUMNS, [_row(t) for t in BAD])
    if fmt == "csv":
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        assert [r[0] for r in rows[1:]] == ["'" + t for t in BAD]
        assert {r[1] for r in rows[1:]} == {"-12.50"}
        return
    from openpyxl import load_workbook

    rows = list(load_workbook(path)["Data"].iter_rows(values_only=True))
    # XML reads a carriage return back as a line feed: still after the quote
    assert [r[0] for r in rows[1:]] == ["'" + t.replace("\r", "\n") for t in BAD]
    for row in rows[1:]:
        assert row[1] == pytest.approx(-12.5) and not isinstance(row[1], str)
        assert row[2] == pytest.approx(-3.5) and row[4] == -7


def test_write_xlsx_document_neutralises_text_not_numbers(tmp_path):
    from openpyxl import load_workbook

    doc = Document(
        title="=title",
        sections=(
            Section(
                title="+section",
                fields=(("@label", "-value"), ("amount", Amount(Decimal("-12.50"), "USD"))),
                paragraphs=("\tparagraph",),
                tables=(Table("Rows", COLUMNS, tuple(_row(t) for t in BAD)),),
            ),
        ),
    )
    path = tmp_path / "doc.xlsx"
    write_xlsx(doc, path)
    book = load_workbook(path)
    values = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    texts = [v for v in values if isinstance(v, str)]
    for bad in ("=title", "+section", "@label", "-value", "\tparagraph"):
        assert bad not in texts and "'" + bad in texts
    assert -12.5 in values  # the amount field stays a number
    table = list(book["Rows"].iter_rows(values_only=True))
    assert [r[0] for r in table[1:]] == ["'" + t.replace("\r", "\n") for t in BAD]
    assert all(r[1] == pytest.approx(-12.5) for r in table[1:])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spend_export_neutralises_keys(tmp_path, fmt):
    from lta_tui.services.spend import SpendQuery, SpendReport, SpendTotals
    from lta_tui.services.spend_export import write_spend
    from lta_tui.store.spend import SpendRow

    money = Decimal("-12.50")
    row = SpendRow(("=cmd|' /C calc'!A0",), 1, 1, money, Decimal(0), money)
    report = SpendReport(
        SpendQuery(group_by=("country",)), None, (row,), SpendTotals(1, 1, money, Decimal(0), money)
    )
    path = write_spend(report, fmt, tmp_path / f"s.{fmt}")
    if fmt == "csv":
        text = path.read_text(encoding="utf-8")
        assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text
        assert "-12.50" in text and "'-12.50" not in text
        return
    from openpyxl import load_workbook

    cells = [c for ws in load_workbook(path) for r in ws.iter_rows(values_only=True) for c in r]
    assert "=cmd|' /C calc'!A0" not in cells and "'=cmd|' /C calc'!A0" in cells
    assert any(c == pytest.approx(-12.5) for c in cells if isinstance(c, (int, float)))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_line_export_neutralises_descriptions(demo_db, tmp_path, monkeypatch, fmt):
    from sqlalchemy import literal

    import lta_tui.services.line_export as module
    from lta_tui.services.spend import SpendQuery

    _, eng = demo_db
    real = module._lines_statement

    def poisoned(where):  # every line's description and unit as an attacker would type them
        stmt = real(where)
        columns = list(stmt.selected_columns)
        columns[5], columns[7] = literal("=cmd|' /C calc'!A0"), literal("@SUM(A1)")
        return stmt.with_only_columns(*columns)

    monkeypatch.setattr(module, "_lines_statement", poisoned)
    out = module.export_lines(eng, SpendQuery(agencies=("UNDP",)), fmt, tmp_path / f"l.{fmt}",
                              scope=None)  # fmt: skip
    col = {name: i for i, name in enumerate(module.LINE_COLUMNS)}
    if fmt == "csv":
        rows = list(csv.reader(out.open(encoding="utf-8", newline="")))[1:]
    else:
        from openpyxl import load_workbook

        rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))[1:]
        assert all(not isinstance(r[col["amount_usd"]], str) for r in rows)
    assert rows
    assert {r[col["description"]] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert {r[col["unit"]] for r in rows} == {"'@SUM(A1)"}
