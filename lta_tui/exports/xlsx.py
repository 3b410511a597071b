"""A `Document` as an XLSX workbook: a "Summary" sheet with the title, each section's fields
and paragraphs, then one sheet per table.

Numbers stay numbers (money as a number with its currency's decimals in the cell's format),
dates and moments are dates (UTC), text that a spreadsheet would read as a formula is
neutralised (`safe_cell`). openpyxl is imported only here, when a workbook is written (it
costs the cold start), and in write-only mode (constant memory)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lta_tui.exports.cells import safe_cell
from lta_tui.exports.document import Amount, Cell, Document, Table, cell_text, utc

SUMMARY = "Summary"
_SHEET_NAME_LIMIT = 31
_FORBIDDEN_IN_NAMES = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 60


def number_format(decimals: int) -> str:
    return "#,##0" if decimals <= 0 else "#,##0." + "0" * decimals


def sheet_names(tables: list[Table]) -> list[str]:
    """A valid, unique sheet name per table (31 characters, none of `[]:*?/\\`)."""
    taken = {SUMMARY.lower()}
    names = []
    for table in tables:
        base = _FORBIDDEN_IN_NAMES.sub(" ", " ".join(table.title.split())).strip("' ") or "Table"
        name, n = base[:_SHEET_NAME_LIMIT], 1
        while name.lower() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[: _SHEET_NAME_LIMIT - len(suffix)] + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def cell_value(cell: Cell) -> tuple[Any, str | None]:
    """What openpyxl writes for `cell`, and the number format it needs (None: the default)."""
    if cell is None:
        return None, None
    if isinstance(cell, bool):
        return ("yes" if cell else "no"), None
    if isinstance(cell, Amount):
        return cell.value, number_format(cell.decimals)
    if isinstance(cell, Decimal):
        exponent = cell.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return cell, number_format(decimals)
    if isinstance(cell, int):
        return cell, None
    if isinstance(cell, datetime):  # Excel has no time zones: written as UTC
        return utc(cell).replace(tzinfo=None), "yyyy-mm-dd hh:mm"
    if isinstance(cell, date):
        return cell, "yyyy-mm-dd"
    return safe_cell(str(cell)), None


def write_xlsx(document: Document, path: str | Path) -> None:
    """Write `document` to `path` as a workbook (the caller makes the write atomic)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    book = Workbook(write_only=True)

    def cell(sheet, value: Cell, *, strong: bool = False, wrapped: bool = False):
        written, fmt = cell_value(value)
        out = WriteOnlyCell(sheet, value=written)
        if fmt:
            out.number_format = fmt
        if strong:
            out.font = bold
        if wrapped:
            out.alignment = wrap
        return out

    summary = book.create_sheet(SUMMARY)
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 90
    summary.append([cell(summary, document.title, strong=True)])
    if document.subtitle:
        summary.append([cell(summary, document.subtitle)])
    tables = [t for s in document.sections for t in s.tables]
    names = iter(sheet_names(tables))
    placed: list[tuple[Table, str]] = []
    for section in document.sections:
        summary.append([])
        summary.append([cell(summary, section.title, strong=True)])
        for label, value in section.fields:
            summary.append([cell(summary, label), cell(summary, value, wrapped=True)])
        for paragraph in section.paragraphs:
            summary.append([cell(summary, paragraph, wrapped=True)])
        for table in section.tables:
            name = next(names)
            placed.append((table, name))
            summary.append([cell(summary, "Table"), cell(summary, f"{table.title}: sheet {name}")])
    for table, name in placed:
        sheet = book.create_sheet(name)
        for i, width in enumerate(_widths(table)):
            sheet.column_dimensions[_column_letter(i)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([cell(sheet, c, strong=True) for c in table.columns])
        if not table.rows:
            sheet.append([cell(sheet, table.empty)])
        for row in table.rows:
            sheet.append([cell(sheet, c) for c in row])
        for note in table.notes:
            sheet.append([cell(sheet, note)])
    book.save(path)


def _widths(table: Table) -> list[float]:
    widths = []
    for i, title in enumerate(table.columns):
        longest = max([len(title)] + [len(cell_text(row[i])) for row in table.rows])
        widths.append(min(_MAX_WIDTH, longest + 2))
    return widths


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
