"""Cell values safe to hand to a spreadsheet: text that a spreadsheet would read as a formula
is neutralised (DESIGN.md §4, formula injection)."""

from __future__ import annotations

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
#: Google Sheets: `=1+1`, `+1`, `-1+1`, `@SUM(...)`, and tab/CR tricks that shift the cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """`text` as it may be written to a spreadsheet or a table: one that begins with `=`, `+`,
    `-`, `@`, a tab or a carriage return gets a leading single quote, so it stays text."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
