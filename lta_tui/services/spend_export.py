"""A spend report as CSV, XLSX, JSON or Markdown: one row per combination of the grouping's
keys, then a TOTAL row (object in JSON) equal to the sum of the rows, to the cent.

Amounts are exact decimals: strings in JSON (`"1234.50"`), plain numbers in CSV, numbers with
two decimals in XLSX. Keys are named by dimension (`agency`, `lot`, `month` …) in CSV and JSON,
by title in XLSX and Markdown. Text cells a spreadsheet would run as a formula are neutralised
(`safe_cell`, via the tabular/xlsx/markdown writers). A file appears only once complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from lta_tui.exports.document import Amount, Cell, Document, Section, Table
from lta_tui.exports.files import write_atomically
from lta_tui.services.spend import DIMENSION_TITLES, SpendReport, SpendTotals

#: Formats `write_spend` writes.
SPEND_FORMATS = ("csv", "xlsx", "json", "md")
#: The label of the total row, in the first key column.
TOTAL = "TOTAL"
#: The figures of every row and of the total, in order (CSV/JSON names).
FIGURES = ("orders", "lines", "goods_usd", "services_usd", "spend_usd")
FIGURE_TITLES = ("Orders", "Lines", "Goods USD", "Services USD", "Spend USD")
_CENT = Decimal("0.01")


def usd(amount: Decimal) -> Decimal:
    """`amount` with two decimals when that is exact (USD amounts are stored in cents), else
    every stored digit: never rounded."""
    cents = amount.quantize(_CENT)
    return cents if cents == amount else amount


def usd_text(amount: Decimal) -> str:
    return format(usd(amount), "f")


def _figures(item: SpendTotals | Any) -> dict[str, Any]:
    return {
        "orders": item.orders,
        "lines": item.lines,
        "goods_usd": usd_text(item.goods_usd),
        "services_usd": usd_text(item.services_usd),
        "spend_usd": usd_text(item.spend_usd),
    }


def _filters(report: SpendReport) -> dict[str, Any]:
    q = report.query
    return {
        "from": q.date_from.isoformat() if q.date_from else None,
        "to": q.date_to.isoformat() if q.date_to else None,
        "scope": report.scope,
        "agencies": list(q.agencies),
        "lots": list(q.lots),
        "consolidators": list(q.consolidators),
        "countries": list(q.countries),
        "channels": list(q.channels),
        "kinds": list(q.kinds),
    }


def spend_json(report: SpendReport, *, now: datetime | None = None) -> dict[str, Any]:
    """The report as the JSON object the README documents: decimals as strings, each row's keys
    named by dimension, and the total."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    group_by = list(report.query.group_by)
    return {
        "lta": report.lta,
        "generated_at": moment.replace(microsecond=0).isoformat(),
        "filters": _filters(report),
        "group_by": group_by,
        "rows": [
            {**dict(zip(group_by, row.keys, strict=True)), **_figures(row)} for row in report.rows
        ],
        "total": _figures(report.total),
    }


def _key_columns(report: SpendReport, titled: bool) -> tuple[str, ...]:
    names = report.query.group_by or ("total",)  # a report without grouping: the total alone
    return tuple(DIMENSION_TITLES.get(n, n) if titled else n for n in names)


def _table_rows(report: SpendReport, money) -> list[tuple[Cell, ...]]:
    """The rows, then the TOTAL row; `money` makes the cell of an amount."""
    width = len(report.query.group_by) or 1

    def figures(item) -> tuple[Cell, ...]:
        return (
            item.orders,
            item.lines,
            money(item.goods_usd),
            money(item.services_usd),
            money(item.spend_usd),
        )

    rows: list[tuple[Cell, ...]] = []
    if report.query.group_by:
        rows = [(*row.keys, *figures(row)) for row in report.rows]
    rows.append((TOTAL, *([None] * (width - 1)), *figures(report.total)))
    return rows


def _describe(report: SpendReport, now: datetime) -> Document:
    q = report.query
    grouping = ", ".join(DIMENSION_TITLES.get(d, d).lower() for d in q.group_by) or "nothing"
    fields: list[tuple[str, Cell]] = [
        ("LTA", report.lta or ""),
        ("Agencies", report.scope or "all agencies"),
        ("From", q.date_from or "the first order"),
        ("To", q.date_to or "the last order"),
        ("Grouped by", grouping),
    ]
    for label, values in (
        ("Agency filter", q.agencies),
        ("Lots", tuple(str(n) for n in q.lots)),
        ("Consolidators", q.consolidators),
        ("Countries", q.countries),
        ("Channels", q.channels),
        ("Goods/services", q.kinds),
    ):
        if values:
            fields.append((label, ", ".join(values)))
    fields.append(
        (
            "Counted",
            "orders issued, partially delivered, delivered or closed;"
            " USD at each order's stored rate",
        )
    )
    table = Table(
        title="Spend",
        columns=(*_key_columns(report, titled=True), *FIGURE_TITLES),
        rows=tuple(_table_rows(report, lambda d: Amount(usd(d), "USD"))),
    )
    generated = now.astimezone(timezone.utc)
    return Document(
        title=f"Spend by {grouping}",
        subtitle=f"Generated {generated:%Y-%m-%d %H:%M} UTC",
        sections=(Section("Filters", fields=tuple(fields)), Section("Spend", tables=(table,))),
    )


def write_spend(
    report: SpendReport,
    fmt: str,
    out: Path | TextIO,
    *,
    now: datetime | None = None,
) -> Path | None:
    """Write `report` as `fmt` (one of SPEND_FORMATS) to a file (atomically; returns its path) or
    an open text stream such as stdout (returns None; not for xlsx). ValueError for an unknown
    format or xlsx to a stream."""
    if fmt not in SPEND_FORMATS:
        raise ValueError(f"unknown spend format {fmt!r}: use {', '.join(SPEND_FORMATS)}")
    moment = now or datetime.now(timezone.utc)
    to_file = isinstance(out, (str, Path))
    if fmt == "xlsx":
        if not to_file:
            raise ValueError("an xlsx file cannot go to the terminal: name a file with -o")
        from lta_tui.exports.xlsx import write_xlsx

        document = _describe(report, moment)
        return write_atomically(out, lambda tmp: write_xlsx(document, tmp))
    if fmt == "csv":
        from lta_tui.exports.tabular import write_csv_rows, write_table

        columns = (*_key_columns(report, titled=False), *FIGURES)
        rows = _table_rows(report, usd)
        if to_file:
            return write_table(out, "csv", columns, rows)
        write_csv_rows(out, columns, rows)  # type: ignore[arg-type]
        return None
    if fmt == "json":
        text = json.dumps(spend_json(report, now=moment), indent=2, ensure_ascii=False) + "\n"
    else:
        from lta_tui.exports.markdown import render

        text = render(_describe(report, moment))
    return _write_text(text, out)


def _write_text(text: str, out: Path | TextIO) -> Path | None:
    if isinstance(out, (str, Path)):
        return write_atomically(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    out.write(text)
    return None


def columns_of(report: SpendReport) -> Sequence[str]:
    """The CSV header of `report`: the grouping's dimension names, then FIGURES."""
    return (*_key_columns(report, titled=False), *FIGURES)
