"""A document to export (a request for quotation, an evidence pack): plain data that the
Markdown and XLSX writers render the same way. Cells keep their type (money with its currency,
dates, numbers) so a spreadsheet gets numbers and a text gets them formatted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Union

from lta_tui.domain.dates import aware
from lta_tui.domain.money import format_amount, minor_units


@dataclass(frozen=True)
class Amount:
    """Money in a cell: `value` in `currency`, shown with the currency's decimals, or with every
    digit of a unit price finer than that."""

    value: Decimal
    currency: str

    @property
    def decimals(self) -> int:
        exponent = self.value.normalize().as_tuple().exponent
        finer = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return max(minor_units(self.currency), finer)


#: What a cell may hold; None is an empty cell, a bool reads "yes"/"no".
Cell = Union[str, int, Decimal, date, datetime, bool, Amount, None]  # noqa: UP007 (runtime alias)


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: Shown instead of the table when it has no rows.
    empty: str = "none"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    #: (label, value) pairs, shown as a list.
    fields: tuple[tuple[str, Cell], ...] = ()
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    #: One line under the title: what the document is and when it was produced.
    subtitle: str = ""


def utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive time is taken as UTC already)."""
    return aware(moment).astimezone(timezone.utc)


def cell_text(cell: Cell) -> str:
    """A cell as text: `1,234.50` for money, `2026-03-10 12:00 UTC` for a moment, `yes`/`no`."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, Amount):
        if cell.decimals > minor_units(cell.currency):
            return f"{cell.value.quantize(Decimal(1).scaleb(-cell.decimals)):,f}"
        return format_amount(cell.value, cell.currency)
    if isinstance(cell, Decimal):
        return f"{cell:f}"
    if isinstance(cell, datetime):
        return f"{utc(cell):%Y-%m-%d %H:%M} UTC"
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def is_number(cell: Cell) -> bool:
    return isinstance(cell, (int, Decimal, Amount)) and not isinstance(cell, bool)
