"""Reading the files people import: CSV (UTF-8, header row) or XLSX (first sheet), as rows of
text with the row number a spreadsheet shows (the header is row 1).

Cells come back as stripped strings whatever the file: an XLSX number `2.0` reads "2", a date
cell "2026-03-15". openpyxl is imported only when an .xlsx is read (cold start budget), and
reads in read-only mode, so a sheet of a million rows streams in constant memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

#: Problems printed by the CLI before it counts the rest; services return every one.
SHOWN_PROBLEMS = 50


class ImportFileError(ValueError):
    """A file that cannot be read at all (missing, not UTF-8, not a spreadsheet); the message
    names the file and, where it can, the row."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an imported file: its row (1 is the header), its column, the reason."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRefused(ValueError):
    """An import refused because of problems in its file: nothing was written."""

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{file}: {count:,} problem{'s' if count != 1 else ''}: nothing imported")


class ImportNeedsAcknowledgement(ImportRefused):
    """A sound file whose import raises warnings (R15) the user has not acknowledged: nothing
    was written. `problems` are the warnings, each with its row and column."""

    def __init__(self, file: str, warnings: list[RowProblem], flag: str) -> None:
        super().__init__(file, warnings)
        count = len(self.problems)
        self.args = (
            f"{file}: {count:,} warning{'s' if count != 1 else ''} to acknowledge: nothing"
            f" imported; re-run with {flag} to import with them recorded",
        )


def header_problems(
    header: list[str], required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[RowProblem]:
    """The header row must name every required column once and nothing unknown (a misspelt
    optional column would otherwise be silently ignored)."""
    problems = []
    known = set(required) | set(optional)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(RowProblem(1, name, "column appears twice in the header"))
        elif name not in known:
            problems.append(
                RowProblem(
                    1,
                    name or "(empty)",
                    f"unknown column (expected: {', '.join(required)}"
                    + (f"; optional: {', '.join(optional)}" if optional else "")
                    + ")",
                )
            )
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        problems.append(
            RowProblem(1, None, f"missing column{'s' if len(missing) > 1 else ''}: "
                       + ", ".join(missing))
        )  # fmt: skip
    return problems


class TableFile:
    """The rows of one CSV or XLSX file: `header` (lower-cased, stripped names), then iterate
    `(row_number, cells)` over the data rows; blank rows are skipped. `estimated_rows` is the
    number of data rows as far as it can be known cheaply (for a progress bar), else None."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.header: list[str] = []
        self.estimated_rows: int | None = None
        self._close: list[Any] = []
        suffix = self.path.suffix.lower()
        if not self.path.is_file():
            raise ImportFileError(f"{self.name}: no such file")
        if suffix == ".xlsx":
            self._rows = self._open_xlsx()
        elif suffix in (".csv", ".txt", ""):
            self._rows = self._open_csv()
        else:
            raise ImportFileError(f"{self.name}: expected a .csv or .xlsx file, not {suffix}")
        try:
            first = next(self._rows, None)
        except ImportFileError:
            self.close()
            raise
        if first is None:
            self.close()
            raise ImportFileError(f"{self.name}: the file is empty: expected a header row")
        self.header = [cell.lower() for cell in first[1]]

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for thing in self._close:
            thing.close()
        self._close.clear()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self._rows

    # --- CSV ---------------------------------------------------------------------------------

    def _open_csv(self) -> Iterator[tuple[int, list[str]]]:
        try:
            with self.path.open("rb") as fh:  # a quick count of lines for the progress bar
                self.estimated_rows = max(sum(chunk.count(b"\n") for chunk in _chunks(fh)) - 1, 0)
            fh = self.path.open(encoding="utf-8-sig", newline="")  # Excel writes a BOM
        except OSError as exc:
            raise ImportFileError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        self._close.append(fh)
        return self._csv_rows(fh)

    def _csv_rows(self, fh: IO[str]) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(fh)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # noqa: B007
                if cells and (cells[0] or any(cells)):
                    yield number, list(map(str.strip, cells))
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{self.name}: row {number + 1}: not UTF-8 text (save the file as CSV UTF-8)"
            ) from None
        except csv.Error as exc:
            raise ImportFileError(f"{self.name}: row {number + 1}: {exc}") from None

    # --- XLSX --------------------------------------------------------------------------------

    def _open_xlsx(self) -> Iterator[tuple[int, list[str]]]:
        import zipfile

        from openpyxl import load_workbook  # only here: the cold start never pays for it

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ImportFileError(f"{self.name}: not a readable XLSX workbook ({exc})") from None
        self._close.append(book)
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ImportFileError(f"{self.name}: the workbook has no sheet")
        # no `sheet.max_row`: a sheet without a <dimension> (openpyxl's own write-only files)
        # would be parsed twice to size it; the progress bar then counts without a total
        return self._xlsx_rows(sheet)

    def _xlsx_rows(self, sheet: Any) -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:  # formatted but empty cells at the right
                cells.pop()
            if cells:
                yield number, cells


def _chunks(fh: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := fh.read(size):
        yield chunk


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed: 2.0 → "2", a date → ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text giving the same float: what the cell showed, 0.1 not 0.1000…
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
