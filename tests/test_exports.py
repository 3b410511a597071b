"""The document writers (`lta_tui.exports`): formula neutralisation, Markdown escaping, typed
XLSX cells, atomic files, and openpyxl loaded only when a workbook is written."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from lta_tui.exports.cells import safe_cell
from lta_tui.exports.document import Amount, Document, Section, Table, cell_text
from lta_tui.exports.files import write_atomically
from lta_tui.exports.markdown import render
from lta_tui.exports.xlsx import sheet_names, write_xlsx

D = Decimal
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text", ["=1+1", "+31 20 555", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Laptop", "1+1", "a=b", " =1", "'quoted", "CONS-A"])
def test_plain_text_is_left_alone(text):
    assert safe_cell(text) == text


def test_cell_text_formats_each_kind():
    eastern = timezone(timedelta(hours=-5))
    assert cell_text(None) == "" and cell_text(True) == "yes" and cell_text(False) == "no"
    assert cell_text(Amount(D("1234.5"), "EUR")) == "1,234.50"
    assert cell_text(Amount(D("150000"), "JPY")) == "150,000"
    assert cell_text(Amount(D("0.1234"), "USD")) == "0.1234"  # a fine unit price keeps digits
    assert cell_text(datetime(2026, 3, 10, 7, 0, tzinfo=eastern)) == "2026-03-10 12:00 UTC"
    assert cell_text(date(2026, 3, 10)) == "2026-03-10"
    assert cell_text(D("90.98")) == "90.98" and cell_text(7) == "7"


DOC = Document(
    "Evidence pack · MC-1 · Laptops | phones\nsecond line",
    (
        Section(
            "Award",
            fields=(("Justification", "line one\nline two"), ("Rank", 2)),
            paragraphs=("A paragraph.",),
        ),
        Section(
            "Comparison",
            tables=(
                Table(
                    "Landed totals",
                    ("Holder | code", "Total", "Received", "Note"),
                    (
                        (
                            "CONS-A",
                            Amount(D("12345.67"), "USD"),
                            datetime(2026, 1, 2, 9, 30, tzinfo=timezone.utc),
                            '=HYPERLINK("http://x")',
                        ),
                        ("CONS-C", Amount(D("1500000"), "JPY"), None, "two\nlines | pipe"),
                    ),
                ),  # fmt: skip
                Table("Line prices", ("#",), (), empty="no lines"),
            ),
        ),
    ),
    subtitle="Produced today",
)


def test_markdown_escapes_pipes_and_line_breaks_and_neutralises_cells():
    text = render(DOC)
    assert text.startswith("# Evidence pack · MC-1 · Laptops | phones second line\n")
    assert "- **Justification:** line one\n  line two" in text  # continues inside its item
    assert "| Holder \\| code | Total | Received | Note |" in text
    assert "|---|---:|---|---|" in text  # money right-aligned
    assert '| CONS-A | 12,345.67 | 2026-01-02 09:30 UTC | \'=HYPERLINK("http://x") |' in text
    assert "| CONS-C | 1,500,000 |  | two lines \\| pipe |" in text
    assert "### Line prices\n\n_no lines_" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_xlsx_cells_are_typed_and_safe(tmp_path):
    path = tmp_path / "doc.xlsx"
    write_xlsx(DOC, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Landed totals", "Line prices"]
    sheet = book["Landed totals"]
    assert [c.value for c in sheet[1]] == ["Holder | code", "Total", "Received", "Note"]
    assert sheet.freeze_panes == "A2"
    usd, when, note = sheet["B2"], sheet["C2"], sheet["D2"]
    assert usd.value == 12345.67 and usd.data_type == "n" and usd.number_format == "#,##0.00"
    assert sheet["B3"].value == 1500000 and sheet["B3"].number_format == "#,##0"
    assert when.value == datetime(2026, 1, 2, 9, 30) and when.number_format == "yyyy-mm-dd hh:mm"
    assert note.value == '\'=HYPERLINK("http://x")' and note.data_type == "s"
    assert book["Line prices"]["A2"].value == "no lines"
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[0][0] == "Evidence pack · MC-1 · Laptops | phones\nsecond line"
    assert ["Justification", "line one\nline two"] in summary and ["Rank", 2] in summary


def test_xlsx_writes_amounts_as_numbers_with_every_cent(tmp_path):
    """A spreadsheet number is a double: amounts up to 15 significant digits (a billion with
    cents) keep every digit on the way to the file."""
    import zipfile

    doc = Document("x", (Section("s", tables=(Table("t", ("v",), ((D("0.10"),),
                   (Amount(D("1234567890.12"), "USD"),))),)),))  # fmt: skip
    path = tmp_path / "d.xlsx"
    write_xlsx(doc, path)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert '<c r="A3" s="2" t="n"><v>1234567890.12</v>' in xml and "<v>0.1</v>" in xml


def test_sheet_names_are_valid_and_unique():
    tables = [Table(t, ("a",), ()) for t in
              ("Summary", "A/B: [prices]?", "x" * 40, "x" * 40, "   ")]  # fmt: skip
    names = sheet_names(tables)
    assert names == ["Summary (2)", "A B   prices", "x" * 31, "x" * 27 + " (2)", "Table"]
    assert all(len(n) <= 31 for n in names)


def test_write_atomically_replaces_only_a_complete_file(tmp_path):
    target = tmp_path / "pack.md"
    target.write_text("old", encoding="utf-8")

    def failing(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, failing)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.md"]  # no temporary file left
    written = write_atomically(target, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert written == target and target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.md"]
    fresh = write_atomically(tmp_path / "fresh.md", lambda tmp: tmp.write_text("x"))
    plain = tmp_path / "plain.md"  # what open() makes under this process's umask
    plain.write_text("x")
    assert fresh.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_write_atomically_removes_its_temporary_file_on_interrupt(tmp_path):
    def interrupted(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "x.xlsx", interrupted)
    assert list(tmp_path.iterdir()) == []


def test_openpyxl_is_loaded_only_to_write_a_workbook():
    probe = (
        "import json, sys\n"
        "import lta_tui.exports.xlsx, lta_tui.exports.markdown, lta_tui.exports.files\n"
        "import lta_tui.services.competition_documents\n"
        "print(json.dumps('openpyxl' in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False
