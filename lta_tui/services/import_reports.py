"""`lta-tui import consolidator-report FILE`: what a consolidator says it sold to an agency, from a
CSV (UTF-8, header row) or XLSX file, for reconciliation with the agency's orders (R24).

Columns `consolidator,agency,period,amount,currency` and optionally `po_number` and `lot`:
- `consolidator`, `agency`: codes as the app knows them (`CONS-A`, `UNDP`);
- `period`: `2026-05` (a month), `2026-Q2` (a quarter), `2026` (a year) or `2026-04-01..2026-06-30`
  (any span of ISO dates, both days included);
- `po_number`: the agency's PO the amount belongs to (empty: an amount not itemised by order);
- `amount`: a plain decimal (`12500.00`, `12,500.00`; no exponent, no decimal comma) with at most
  the currency's decimals; negative for a credit note;
- `currency`: ISO 4217 (R19); a non-USD report needs the ORE rate in force on the period's last
  day (R20), which converts it when reconciled;
- `lot`: 1–5, optional (taken from the order when the PO is known).

Every row is checked and every problem listed with its row; any problem refuses the file with
nothing written. A PO number that the agency's records do not hold is accepted (the
reconciliation shows it as consolidator-only: that is what it is for) and counted in the summary;
a PO that the records hold for another agency or another consolidator, or under another lot,
is a problem of its row (the file contradicts the order itself).

Rows group into one report per consolidator × agency × period; one report has one currency;
rows naming the same PO add up (a consolidator may list one per invoice).
Importing a report for a consolidator × agency × period already held replaces it (its lines and
amount), and the summary says so. R26: a focal point imports reports of the own agency only; the
Working Group imports for any agency (the consolidators' statements about the LTA, which it
monitors); a viewer imports nothing. Each report written leaves an audit event (R25).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import Connection

from lta_tui.config import Config, Role
from lta_tui.domain.money import (
    MoneyError,
    minor_units,
    parse_amount,
    round_money,
    within_decimals,
)
from lta_tui.domain.periods import PeriodSize, period_of
from lta_tui.domain.rules import AuditRecord, check_iso_codes, check_permission, ensure_allowed
from lta_tui.services.fx_rates import rate_on
from lta_tui.services.import_files import ImportRefused, RowProblem, TableFile, header_problems
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    Consolidator,
    ConsolidatorReport,
    ConsolidatorReportLine,
    Lot,
    Order,
)

REPORT_COLUMNS = ("consolidator", "agency", "period", "amount", "currency")
OPTIONAL_COLUMNS = ("po_number", "lot")
_PO_LENGTH = 60
_CHUNK = 500

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that is not one of the accepted forms."""


def parse_period(text: str) -> tuple[date, date]:
    """`2026-05`, `2026-Q2`, `2026` or `2026-04-01..2026-06-30` as (first day, last day)."""
    typed = text.strip()
    try:
        return _parse_period(typed)
    except PeriodError:
        raise
    except ValueError:  # a calendar the date type cannot hold: year 0000, a month after 9999-12
        raise PeriodError(f"{typed!r}: no such period in the calendar") from None


def _parse_period(typed: str) -> tuple[date, date]:
    if m := _MONTH.match(typed):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"{typed!r}: month {month} does not exist")
        span = period_of(date(year, month, 1), PeriodSize.month, date(year, 1, 1))
    elif m := _QUARTER.match(typed):
        first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        span = period_of(first, PeriodSize.quarter, first)
    elif m := _YEAR.match(typed):
        return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    elif ".." in typed:
        start_text, _, end_text = typed.partition("..")
        try:
            start = date.fromisoformat(start_text.strip())
            end = date.fromisoformat(end_text.strip())
        except ValueError:
            raise PeriodError(f"{typed!r}: FROM..TO takes two ISO dates (YYYY-MM-DD)") from None
        if end < start:
            raise PeriodError(f"{typed!r}: the period ends before it starts")
        return start, end
    else:
        raise PeriodError(
            f"{typed!r} is not a period (use 2026-05, 2026-Q2, 2026 or 2026-04-01..2026-06-30)"
            if typed
            else "is missing"
        )
    assert span.start is not None and span.end is not None
    return span.start, span.end


def period_label(start: date, end: date) -> str:
    """The shortest name of a period: `2026-05`, `2026-Q2`, `2026`, else `FROM..TO`."""
    for size in (PeriodSize.month, PeriodSize.quarter, PeriodSize.year):
        span = period_of(start, size, start)
        if (span.start, span.end) == (start, end):
            return span.label
    return f"{start.isoformat()}..{end.isoformat()}"


@dataclass
class _Report:
    """The rows of one consolidator × agency × period."""

    consolidator: str
    agency: str
    start: date
    end: date
    currency: str
    first_row: int
    lines: list[tuple[str | None, int | None, Decimal]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.consolidator} {self.agency} {period_label(self.start, self.end)}"

    @property
    def total(self) -> Decimal:
        return sum((amount for _, _, amount in self.lines), Decimal(0))


@dataclass(frozen=True)
class ReportsImported:
    file: str
    reports: int
    lines: int
    #: Reports that replaced one held for the same consolidator × agency × period.
    replaced: tuple[str, ...]
    #: PO numbers of the file that no order of the agency holds (consolidator-only).
    unknown_pos: int

    def summary(self) -> str:
        text = (
            f"{self.file}: {self.reports:,} report{'s' if self.reports != 1 else ''},"
            f" {self.lines:,} line{'s' if self.lines != 1 else ''} imported;"
            f" replaced {len(self.replaced):,}"
        )
        if self.replaced:
            text += f" ({', '.join(self.replaced)})"
        if self.unknown_pos:
            text += (
                f"; {self.unknown_pos:,} PO number{'s' if self.unknown_pos != 1 else ''} not in"
                " the agency's orders (consolidator-only in the reconciliation)"
            )
        return text + "."


@dataclass(frozen=True)
class _Known:
    consolidators: dict[str, int]
    agencies: dict[str, int]
    lots: set[int]


def _known(conn: Connection) -> _Known:
    return _Known(
        dict(conn.execute(select(Consolidator.code, Consolidator.id)).all()),
        dict(conn.execute(select(Agency.code, Agency.id)).all()),
        {n for (n,) in conn.execute(select(Lot.number))},
    )


def _orders_of(conn: Connection, pos: Iterable[str]) -> dict[str, tuple[str, str, int]]:
    """PO number → (agency code, consolidator code, lot number) of the orders held."""
    wanted = sorted(set(pos))
    found: dict[str, tuple[str, str, int]] = {}
    for i in range(0, len(wanted), _CHUNK):
        rows = conn.execute(
            select(Order.po_number, Agency.code, Consolidator.code, Lot.number)
            .join(Agency, Agency.id == Order.agency_id)
            .join(Consolidator, Consolidator.id == Order.consolidator_id)
            .join(Lot, Lot.id == Order.lot_id)
            .where(Order.po_number.in_(wanted[i : i + _CHUNK]))
        )
        for po, agency, consolidator, lot in rows:
            found[po] = (agency, consolidator, lot)
    return found


def read_reports(conn: Connection, config: Config, path: str | Path) -> tuple[list[_Report], int]:
    """The reports of `path` and the count of PO numbers no order holds; `ImportRefused` listing
    every problem of the file with its row."""
    user, lta = config.user, config.lta
    known = _known(conn)
    problems: list[RowProblem] = []
    reports: dict[tuple[str, str, date, date], _Report] = {}
    rows: list[tuple[int, _Report, str | None, int | None, Decimal]] = []
    with TableFile(path) as table:
        name = table.name
        problems = header_problems(table.header, REPORT_COLUMNS, OPTIONAL_COLUMNS)
        if problems:
            raise ImportRefused(name, problems)
        for number, cells in table:
            values = dict(zip(table.header, cells, strict=False))
            found: list[tuple[str, str]] = []
            if len(cells) > len(table.header):
                found.append((table.header[-1], "more cells than columns in the header"))
            consolidator = values.get("consolidator", "").strip()
            if not consolidator:
                found.append(("consolidator", "is missing"))
            elif consolidator not in known.consolidators:
                found.append(
                    ("consolidator", f"unknown consolidator {consolidator!r}"
                     f" (known: {', '.join(sorted(known.consolidators))})")
                )  # fmt: skip
            agency = values.get("agency", "").strip()
            if not agency:
                found.append(("agency", "is missing"))
            elif agency not in known.agencies:
                found.append(("agency", f"unknown agency {agency!r}"))
            elif user.role != Role.working_group:
                found.extend(
                    ("agency", f.message)
                    for f in check_permission(user.role, user.agency, "change", agency)
                )
            span = None
            try:
                span = parse_period(values.get("period", ""))
            except PeriodError as exc:
                found.append(("period", str(exc)))
            else:
                if span[1] < lta.valid_from or span[0] > lta.valid_to:
                    found.append(
                        ("period", f"{values['period'].strip()!r} lies outside the LTA's validity"
                         f" ({lta.valid_from.isoformat()} – {lta.valid_to.isoformat()})")
                    )  # fmt: skip
                    span = None
            currency = values.get("currency", "").strip()
            if not currency:
                found.append(("currency", "is missing"))
            else:
                found.extend(("currency", f.message) for f in check_iso_codes(currency=currency))
            amount = _amount(values.get("amount", ""), currency, found)
            po = values.get("po_number", "").strip() or None
            if po is not None and len(po) > _PO_LENGTH:
                found.append(("po_number", f"longer than {_PO_LENGTH} characters"))
            lot = _lot(values.get("lot", ""), known.lots, found)
            problems.extend(RowProblem(number, column, reason) for column, reason in found)
            if found or span is None or amount is None:
                continue
            key = (consolidator, agency, *span)
            report = reports.get(key)
            if report is None:
                report = reports[key] = _Report(consolidator, agency, *span, currency, number)
            elif report.currency != currency:
                problems.append(
                    RowProblem(number, "currency",
                               f"{report.name} is in {report.currency} (row {report.first_row}):"
                               " one currency per report")
                )  # fmt: skip
                continue
            rows.append((number, report, po, lot, amount))
    unknown = _check_orders(conn, rows, problems)
    for report in reports.values():
        if report.currency != "USD":
            _, missing = rate_on(conn, report.currency, report.end)
            problems.extend(RowProblem(report.first_row, "currency", f.message) for f in missing)
    if problems:
        raise ImportRefused(name, sorted(problems, key=lambda p: p.row))
    for _, report, po, lot, amount in rows:
        report.lines.append((po, lot, amount))
    return list(reports.values()), unknown


def _check_orders(
    conn: Connection,
    rows: list[tuple[int, _Report, str | None, int | None, Decimal]],
    problems: list[RowProblem],
) -> int:
    """Each PO number against the order holding it: same agency, consolidator and lot. Returns
    the number of distinct PO numbers (per agency) that no order holds."""
    orders = _orders_of(conn, (po for _, _, po, _, _ in rows if po))
    unknown: set[tuple[str, str]] = set()
    for number, report, po, lot, _ in rows:
        if po is None:
            continue
        held = orders.get(po)
        if held is None:
            unknown.add((report.agency, po))
            continue
        agency, consolidator, order_lot = held
        if agency != report.agency:
            message = f"{po} is an order of {agency}, not {report.agency}"
            problems.append(RowProblem(number, "po_number", message))
        elif consolidator != report.consolidator:
            problems.append(
                RowProblem(number, "po_number",
                           f"{po} is an order with {consolidator}, not {report.consolidator}")
            )  # fmt: skip
        elif lot is not None and lot != order_lot:
            problems.append(RowProblem(number, "lot", f"{po} is an order of lot {order_lot}"))
    return len(unknown)


def _amount(text: str, currency: str, found: list[tuple[str, str]]) -> Decimal | None:
    if not text.strip():
        found.append(("amount", "is missing"))
        return None
    try:
        value = parse_amount(text)
    except MoneyError as exc:
        found.append(("amount", str(exc)))
        return None
    digits = minor_units(currency) if currency else 4
    if not within_decimals(value, digits):
        found.append(("amount", f"{text.strip()} has more than {digits} decimals for {currency}"))
        return None
    return value


def _lot(text: str, lots: set[int], found: list[tuple[str, str]]) -> int | None:
    typed = text.strip()
    if not typed:
        return None
    if not typed.isdecimal() or int(typed) not in lots:
        found.append(("lot", f"{typed!r} is not a lot (use {', '.join(map(str, sorted(lots)))})"))
        return None
    return int(typed)


def _snapshot(report: _Report | None, row, now: datetime, source: str) -> dict:
    if report is not None:
        return {
            "consolidator": report.consolidator,
            "agency": report.agency,
            "period_from": report.start,
            "period_to": report.end,
            "currency": report.currency,
            "reported_spend": report.total,
            "lines": len(report.lines),
            "source_file": source,
            "imported_at": now,
        }
    spend, currency, lines, source_before, imported = row
    spend = round_money(spend, currency)  # stored in ten-thousandths: shown as imported
    return {"currency": currency, "reported_spend": spend, "lines": lines,
            "source_file": source_before, "imported_at": imported}  # fmt: skip


def import_consolidator_reports(
    engine: Engine, config: Config, path: str | Path, *, now: datetime
) -> ReportsImported:
    """Load the consolidator reports of `path`, all or nothing (R19, R20, R24 input, R25, R26).

    A report for a consolidator × agency × period already held is replaced: its lines and
    amount are the file's, its audit event records the amount and line count before and after.
    """
    user = config.user
    ensure_allowed(check_permission(user.role, user.agency, "change", None, published=True))
    source = Path(path).name
    reports_t, lines_t = ConsolidatorReport.__table__, ConsolidatorReportLine.__table__
    with engine.begin() as conn:
        reports, unknown = read_reports(conn, config, path)
        known = _known(conn)
        replaced: list[str] = []
        audit: list[dict] = []
        line_rows: list[dict] = []
        for report in reports:
            consolidator_id = known.consolidators[report.consolidator]
            agency_id = known.agencies[report.agency]
            held = conn.execute(
                select(reports_t.c.id, reports_t.c.reported_spend, reports_t.c.currency,
                       reports_t.c.imported_at, reports_t.c.source_file)
                .where(reports_t.c.consolidator_id == consolidator_id,
                       reports_t.c.agency_id == agency_id,
                       reports_t.c.period_from == report.start,
                       reports_t.c.period_to == report.end)
            ).first()  # fmt: skip
            values = {
                "reported_spend": report.total,
                "currency": report.currency,
                "imported_at": now,
                "source_file": source[:400],
            }
            after = _snapshot(report, None, now, source)
            if held is None:
                report_id = conn.execute(
                    reports_t.insert().values(
                        consolidator_id=consolidator_id, agency_id=agency_id,
                        period_from=report.start, period_to=report.end, **values,
                    )
                ).inserted_primary_key[0]  # fmt: skip
                before = None
                action = "import"
            else:
                report_id = held[0]
                old_lines = conn.execute(
                    select(lines_t.c.id).where(lines_t.c.report_id == report_id)
                ).all()
                before = _snapshot(
                    None, (held[1], held[2], len(old_lines), held[4], held[3]), now, source
                )
                conn.execute(delete(lines_t).where(lines_t.c.report_id == report_id))
                conn.execute(reports_t.update().where(reports_t.c.id == report_id).values(**values))
                replaced.append(report.name)
                action = "replace"
                after = {k: after[k] for k in before}
            line_rows.extend(
                {"report_id": report_id, "po_number": po, "lot_number": lot, "amount": amount,
                 "currency": report.currency}
                for po, lot, amount in report.lines
            )  # fmt: skip
            record = AuditRecord(now, user.name, "consolidator_report", report_id, action,
                                 before, after)  # fmt: skip
            if before is None or before != after:
                audit.append(record.payload())
        if line_rows:
            conn.execute(lines_t.insert(), line_rows)
        if audit:
            conn.execute(AuditEvent.__table__.insert(), audit)
    return ReportsImported(str(path), len(reports), len(line_rows), tuple(replaced), unknown)
