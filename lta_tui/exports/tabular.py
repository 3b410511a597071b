"""Tables of any length written to CSV or XLSX as they stream from the database: constant
memory, a progress callback, cancellation between rows, and nothing left behind when the write
fails or is cancelled (the file appears only once complete, `write_atomically`).

Cells are the `Cell` values of `document.py`; text that a spreadsheet would run as a formula is
neutralised in both formats (`safe_cell`). CSV is UTF-8 with a header row; amounts are plain
decimal strings (no grouping, every stored digit) so a reader gets them back exactly."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TextIO

from lta_tui.exports.cells import safe_cell
from lta_tui.exports.document import Amount, Cell, utc
from lta_tui.exports.files import write_atomically

#: Formats `write_table` knows.
TABLE_FORMATS = ("csv", "xlsx")
#: Rows between two progress reports (and two looks at the cancel flag).
EVERY = 5000

#: `progress(done, total)`: rows written so far, and all of them when known.
Progress = Callable[[int, "int | None"], None]


class ExportCancelled(Exception):
    """The user cancelled the export; the target file was not written."""

    def __init__(self) -> None:
        super().__init__("export cancelled: no file written")


def csv_value(cell: Cell) -> str:
    """A cell as CSV text: amounts and numbers exact and plain, dates ISO 8601, moments in UTC,
    text neutralised."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, Amount):
        cell = cell.value
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, datetime):
        return utc(cell).isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return safe_cell(str(cell))


def is_prepared(cell: Cell) -> bool:
    """True when `cell` is written to CSV as it is (`prepared` rows hold only such cells): None,
    an int, a date, text that `safe_cell` leaves alone, a Decimal in plain notation."""
    if cell is None or isinstance(cell, int) and not isinstance(cell, bool):
        return True
    if isinstance(cell, str):
        return safe_cell(cell) == cell
    if isinstance(cell, Decimal):
        return str(cell) == format(cell, "f")
    return isinstance(cell, date) and not isinstance(cell, datetime)


def write_csv_rows(
    stream: TextIO,
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    total: int | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    prepared: bool = False,
) -> int:
    """Write the header and `rows` to an open text stream (a file, stdout); returns the number of
    rows. Raises `ExportCancelled` when `cancelled()` turns true (checked every `EVERY` rows).

    `prepared` rows already hold what CSV writes (`is_prepared`: text neutralised by the
    producer, plain numbers, dates): they go to the writer without a look at each cell, which
    is what keeps a million-line export near the speed of a plain `csv.writer`."""
    writer = csv.writer(stream, lineterminator="\r\n")  # RFC 4180; quotes a lone CR too
    writer.writerow([safe_cell(c) for c in columns])
    done = 0
    if prepared:
        source = iter(rows)
        while chunk := list(islice(source, EVERY)):
            writer.writerows(chunk)
            done += len(chunk)
            if len(chunk) == EVERY:
                _tick(done, total, progress, cancelled)
    else:
        for row in rows:
            writer.writerow([csv_value(c) for c in row])
            done += 1
            if done % EVERY == 0:
                _tick(done, total, progress, cancelled)
    if progress is not None:
        progress(done, total if total is not None else done)
    return done


def _tick(done: int, total: int | None, progress, cancelled) -> None:
    if cancelled is not None and cancelled():
        raise ExportCancelled()
    if progress is not None:
        progress(done, total)


def write_table(
    path: str | os.PathLike[str],
    fmt: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    total: int | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    sheet: str = "Data",
    widths: Sequence[float] | None = None,
    prepared: bool = False,
) -> Path:
    """Write a header and `rows` to `path` as CSV or XLSX (one sheet named `sheet`), atomically.

    `total` (the row count, when known) feeds `progress`; `cancelled()` is asked every `EVERY`
    rows and stops the write with `ExportCancelled`, leaving no file. `prepared`: see
    `write_csv_rows` (XLSX looks at every cell anyway). Returns the path written.
    """
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}: use {' or '.join(TABLE_FORMATS)}")

    def write(temporary: Path) -> None:
        if fmt == "csv":
            with open(temporary, "w", encoding="utf-8", newline="") as out:
                write_csv_rows(
                    out,
                    columns,
                    rows,
                    total=total,
                    progress=progress,
                    cancelled=cancelled,
                    prepared=prepared,
                )
        else:
            _write_xlsx_rows(
                temporary, columns, rows, total, progress, cancelled, sheet, widths or ()
            )

    return write_atomically(path, write)


def _write_xlsx_rows(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    total: int | None,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    sheet_name: str,
    widths: Sequence[float],
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from lta_tui.exports.xlsx import _column_letter, cell_value

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    for i, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    done = 0
    try:
        for row in rows:
            out = []
            for value in row:
                written, fmt = cell_value(value)
                if fmt is None:
                    out.append(written)
                    continue
                cell = WriteOnlyCell(sheet, value=written)
                cell.number_format = fmt
                out.append(cell)
            sheet.append(out)
            done += 1
            if done % EVERY == 0:
                _tick(done, total, progress, cancelled)
    except BaseException:
        # end the write-only sheet's row stream and close its temporary file now rather than
        # at garbage collection; the caller removes the partial target
        with contextlib.suppress(Exception):
            sheet.close()
        raise
    if progress is not None:
        progress(done, total if total is not None else done)
    book.save(path)


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The CSV of a small table as one string (tests, stdout)."""
    out = io.StringIO()
    write_csv_rows(out, columns, rows)
    return out.getvalue()
