"""Reconciliation of the agencies' orders with what the consolidators report (R24).

Each imported report (consolidator × agency × period) is compared with the agency's orders with
that consolidator dated in the period and in a spend status (issued, partially delivered,
delivered, closed), in USD at each order's stored rate (R20). A report in another currency
converts with the ORE rate in force on the period's last day (R20).

Rows are agency × consolidator × lot × period (the report's period): the lot of a reported
line is its `lot` column, else the lot of the order its PO names. A report with an amount that
names neither a PO nor a lot cannot be split by lot: it is compared whole (lot "all"); a PO that
no order holds and no lot names falls in lot "?". Reports whose periods overlap (a quarter and
one of its months) are each compared with all the orders of their own period.

Statuses, per PO and per row:
- matched: both sides, differing by no more than the tolerance (R24: exactly at it is matched);
- mismatch: both sides, differing by more than the tolerance (R24 `check_reconciliation`);
- agency-only: the agency's order the consolidator did not report (a row: nothing reported);
- consolidator-only: a reported PO the agency's spend does not hold (no order, or one that is
  cancelled, a draft or dated outside the period: the note says which; a row: no agency order);
- total only (POs only): an amount the report does not itemise by PO, or an order of a report
  that gives no PO numbers at all; it counts in the row's totals, never as a problem.
A row's status compares its totals; its POs are counted by status, and a row with any PO not
matched is a problem even when its totals agree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TextIO

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import round_money
from lta_tui.domain.rules import check_permission, check_reconciliation, ensure_allowed
from lta_tui.domain.states import SPEND_STATUSES
from lta_tui.services.fx_rates import rate_on
from lta_tui.services.import_reports import period_label
from lta_tui.store.models import (
    Agency,
    Consolidator,
    ConsolidatorReport,
    ConsolidatorReportLine,
    Lot,
    Order,
)

_CHUNK = 500
RECONCILIATION_FORMATS = ("csv", "xlsx", "md", "json")


class Status(str, Enum):
    matched = "matched"
    mismatch = "mismatch"
    agency_only = "agency-only"
    consolidator_only = "consolidator-only"
    total_only = "total only"

    def __str__(self) -> str:
        return self.value


#: Statuses that call for a look, in the order screens and exports count them.
PROBLEMS = (Status.mismatch, Status.agency_only, Status.consolidator_only)


class ReconciliationError(ValueError):
    """A reconciliation that cannot be made (a bad filter, a missing rate): one line to show."""


@dataclass(frozen=True)
class PoComparison:
    """One PO (or an amount not itemised by PO) of a row: the agency's side, the report's side."""

    po_number: str | None
    lot: int | None
    status: Status
    #: The agency's order status and date, when an order holds the PO.
    order_status: str | None = None
    order_date: date | None = None
    agency_usd: Decimal | None = None
    #: What the report says, in its currency, and in USD.
    reported: Decimal | None = None
    currency: str = "USD"
    reported_usd: Decimal | None = None
    note: str = ""

    @property
    def difference_usd(self) -> Decimal:
        """Reported minus recorded, in USD (positive: the consolidator reports more)."""
        return (self.reported_usd or Decimal(0)) - (self.agency_usd or Decimal(0))


@dataclass(frozen=True)
class ReconciliationRow:
    agency: str
    consolidator: str
    #: The lot; None for a report compared whole (`whole`) or POs of no known lot.
    lot: int | None
    period_from: date
    period_to: date
    report_id: int
    currency: str
    #: The ORE rate converting the report (1 for USD) and its effective date.
    rate: Decimal
    rate_date: date | None
    agency_usd: Decimal
    reported_usd: Decimal
    status: Status
    #: The R24 warning of the totals, if any.
    finding: str | None
    pos: tuple[PoComparison, ...]
    whole: bool = False

    @property
    def period(self) -> str:
        return period_label(self.period_from, self.period_to)

    @property
    def lot_label(self) -> str:
        if self.lot is not None:
            return str(self.lot)
        return "all" if self.whole else "?"

    @property
    def difference_usd(self) -> Decimal:
        return self.reported_usd - self.agency_usd

    @property
    def difference_pct(self) -> Decimal | None:
        """The difference as a % of the agency's spend (None when it has none)."""
        if self.agency_usd == 0:
            return None
        return (self.difference_usd * 100 / self.agency_usd).quantize(Decimal("0.1"))

    @property
    def counts(self) -> dict[Status, int]:
        counted = {status: 0 for status in Status}
        for po in self.pos:
            counted[po.status] += 1
        return counted

    @property
    def problem(self) -> bool:
        return self.status != Status.matched or any(p.status in PROBLEMS for p in self.pos)


@dataclass(frozen=True)
class Reconciliation:
    scope: str | None
    agency: str | None
    date_from: date | None
    date_to: date | None
    tolerance_pct: Decimal
    rows: tuple[ReconciliationRow, ...]
    reports: int = 0

    @property
    def agency_usd(self) -> Decimal:
        """The sum of the rows' agency spend: each row counts its report's whole period, so an
        order under two overlapping reports (a quarter and one of its months) counts in both."""
        return sum((r.agency_usd for r in self.rows), Decimal(0))

    @property
    def reported_usd(self) -> Decimal:
        return sum((r.reported_usd for r in self.rows), Decimal(0))

    @property
    def problems(self) -> tuple[ReconciliationRow, ...]:
        return tuple(r for r in self.rows if r.problem)


# --- reading -------------------------------------------------------------------------------


@dataclass
class _Report:
    id: int
    consolidator: str
    agency: str
    start: date
    end: date
    currency: str
    lines: list[tuple[str | None, int | None, Decimal]] = field(default_factory=list)
    #: PO → (lot, USD, status, date) of the agency's spend orders in the period.
    orders: dict[str, tuple[int, Decimal, str, date]] = field(default_factory=dict)


_SPEND = [s.value for s in SPEND_STATUSES]


def _selected_reports(scope_agency: str | None, date_from: date | None, date_to: date | None):
    r = ConsolidatorReport
    conditions = []
    if scope_agency is not None:
        conditions.append(Agency.code == scope_agency)
    if date_from is not None:
        conditions.append(r.period_to >= date_from)
    if date_to is not None:
        conditions.append(r.period_from <= date_to)
    return (
        select(r.id, Consolidator.code, Agency.code, r.period_from, r.period_to, r.currency)
        .join(Agency, Agency.id == r.agency_id)
        .join(Consolidator, Consolidator.id == r.consolidator_id)
        .where(*conditions)
    )


def _read(
    conn: Connection, agency: str | None, date_from: date | None, date_to: date | None
) -> dict[int, _Report]:
    chosen = _selected_reports(agency, date_from, date_to)
    reports = {row[0]: _Report(*row) for row in conn.execute(chosen)}
    if not reports:
        return reports
    ids = chosen.with_only_columns(ConsolidatorReport.id).scalar_subquery()
    line = ConsolidatorReportLine
    for report_id, po, lot, amount in conn.execute(
        select(line.report_id, line.po_number, line.lot_number, line.amount)
        .where(line.report_id.in_(ids))
        .order_by(line.id)
    ):
        report = reports[report_id]  # amounts were imported in the currency's decimals
        report.lines.append((po, lot, round_money(amount, report.currency)))
    r = ConsolidatorReport
    for report_id, po, lot, usd, status, day in conn.execute(
        select(r.id, Order.po_number, Lot.number, Order.total_usd, Order.status, Order.order_date)
        .join(
            Order,
            and_(
                Order.agency_id == r.agency_id,
                Order.consolidator_id == r.consolidator_id,
                Order.order_date >= r.period_from,
                Order.order_date <= r.period_to,
            ),
        )
        .join(Lot, Lot.id == Order.lot_id)
        .where(r.id.in_(ids), Order.status.in_(_SPEND))
    ):
        reports[report_id].orders[po] = (lot, round_money(usd, "USD"), status, day)
    return reports


def _held(conn: Connection, pos: Iterable[str]) -> dict[str, tuple[str, str, int, str, date]]:
    """PO → (agency, consolidator, lot, status, date) of any order holding a reported PO."""
    wanted = sorted(set(pos))
    found = {}
    for i in range(0, len(wanted), _CHUNK):
        for po, *rest in conn.execute(
            select(Order.po_number, Agency.code, Consolidator.code, Lot.number, Order.status,
                   Order.order_date)
            .join(Agency, Agency.id == Order.agency_id)
            .join(Consolidator, Consolidator.id == Order.consolidator_id)
            .join(Lot, Lot.id == Order.lot_id)
            .where(Order.po_number.in_(wanted[i : i + _CHUNK]))
        ):  # fmt: skip
            found[po] = tuple(rest)
    return found


# --- comparing -----------------------------------------------------------------------------


def _matched(report: _Report, agency_usd: Decimal, reported_usd: Decimal, tol) -> Status:
    found = check_reconciliation(
        report.agency, report.consolidator, agency_usd, reported_usd, "USD", tol
    )
    return Status.mismatch if found else Status.matched


def _unheld_note(report: _Report, held: tuple[str, str, int, str, date] | None) -> str:
    if held is None:
        return f"no {report.agency} order has this PO number"
    agency, consolidator, _, status, day = held
    if (agency, consolidator) != (report.agency, report.consolidator):
        return f"an order of {agency} with {consolidator}"
    if status not in _SPEND:
        return f"the order is {status.replace('_', ' ')} in {report.agency}'s records"
    return f"the order is dated {day.isoformat()}, outside the period"


def _compare(
    report: _Report, rate: Rate, held: dict, tol: Decimal
) -> list[tuple[int | None, PoComparison]]:
    """Every PO of a report with the lot it belongs to (None: no known lot)."""
    reported: dict[str, Decimal] = defaultdict(Decimal)
    reported_lot: dict[str, int | None] = {}
    unitemised: dict[int | None, Decimal] = defaultdict(Decimal)
    for po, lot, amount in report.lines:
        if po is None:
            unitemised[lot] += amount
        else:
            reported[po] += amount
            reported_lot[po] = reported_lot.get(po) or lot
    itemised = bool(reported)
    cur = report.currency
    out: list[tuple[int | None, PoComparison]] = []
    for po, (lot, usd, status, day) in report.orders.items():
        if po in reported:
            amount = reported[po]
            in_usd = to_usd(amount, rate)
            out.append((lot, PoComparison(
                po, lot, _matched(report, usd, in_usd, tol), status, day, usd, amount, cur, in_usd
            )))  # fmt: skip
        else:
            state = Status.agency_only if itemised else Status.total_only
            note = "" if itemised else "the report gives no PO numbers"
            out.append((lot, PoComparison(po, lot, state, status, day, usd, None, cur, None, note)))
    for po, amount in reported.items():
        if po in report.orders:
            continue
        order = held.get(po)
        lot = reported_lot[po] or (order[2] if order else None)
        out.append((lot, PoComparison(
            po, lot, Status.consolidator_only,
            order[3] if order else None, order[4] if order else None, None,
            amount, cur, to_usd(amount, rate), _unheld_note(report, order),
        )))  # fmt: skip
    for lot, amount in unitemised.items():
        out.append((lot, PoComparison(
            None, lot, Status.total_only, reported=amount, currency=cur,
            reported_usd=to_usd(amount, rate), note="an amount not itemised by PO",
        )))  # fmt: skip
    return out


def _rows(report: _Report, rate: Rate, held: dict, tol: Decimal) -> list[ReconciliationRow]:
    compared = _compare(report, rate, held, tol)
    whole = any(po is None and lot is None for po, lot, _ in report.lines)
    by_lot: dict[int | None, list[PoComparison]] = defaultdict(list)
    for lot, po in compared:
        by_lot[None if whole else lot].append(po)
    rows = []
    for lot, pos in by_lot.items():
        pos.sort(key=lambda p: (p.status not in PROBLEMS, p.po_number or "~"))
        agency_usd = sum((p.agency_usd or Decimal(0) for p in pos), Decimal(0))
        reported_usd = sum((p.reported_usd or Decimal(0) for p in pos), Decimal(0))
        has_agency = any(p.agency_usd is not None for p in pos)
        has_report = any(p.reported is not None for p in pos)
        findings = check_reconciliation(
            report.agency, report.consolidator, agency_usd, reported_usd, "USD", tol
        )
        if not has_report:
            status = Status.agency_only
        elif not has_agency:
            status = Status.consolidator_only
        else:
            status = Status.mismatch if findings else Status.matched
        rows.append(
            ReconciliationRow(
                report.agency, report.consolidator, lot, report.start, report.end, report.id,
                report.currency, rate.units_per_usd,
                None if report.currency == "USD" else rate.effective_date,
                agency_usd, reported_usd, status, findings[0].message if findings else None,
                tuple(pos), whole,
            )
        )  # fmt: skip
    return rows


def reconcile(
    conn: Connection,
    *,
    scope: str | None,
    date_from: date | None = None,
    date_to: date | None = None,
    tolerance_pct: int | Decimal,
    agency: str | None = None,
    role: str = "working_group",
    user_agency: str = "",
) -> Reconciliation:
    """The reports whose period overlaps `date_from`..`date_to`, compared with the agencies'
    orders (R24 with `tolerance_pct`), one row per agency × consolidator × lot × period.

    `scope` is the agency whose records may be read (None: all); `agency` narrows further and,
    outside the scope, is refused (R26 through `check_permission` with `role`/`user_agency`).
    """
    if date_from and date_to and date_from > date_to:
        raise ReconciliationError(f"--from {date_from} is after --to {date_to}")
    if agency is not None:
        known = conn.execute(select(Agency.id).where(Agency.code == agency)).first()
        if known is None:
            raise ReconciliationError(f"unknown agency {agency!r}")
        if scope is not None and agency != scope:
            ensure_allowed(check_permission(role, user_agency or scope, "read", agency))
    shown = agency or scope
    tol = Decimal(str(tolerance_pct))
    reports = _read(conn, shown, date_from, date_to)
    reported_pos = {
        po for r in reports.values() for po, _, _ in r.lines if po and po not in r.orders
    }
    held = _held(conn, reported_pos)
    rows: list[ReconciliationRow] = []
    for report in reports.values():
        rate, missing = rate_on(conn, report.currency, report.end)
        if rate is None:
            raise ReconciliationError(
                f"report {report.consolidator} {report.agency}"
                f" {period_label(report.start, report.end)}: {missing[0].message}"
            )
        rows.extend(_rows(report, rate, held, tol))
    rows.sort(key=lambda r: (r.period_from, r.period_to, r.agency, r.consolidator,
                             r.lot if r.lot is not None else 99))  # fmt: skip
    return Reconciliation(scope, agency, date_from, date_to, tol, tuple(rows), len(reports))


# --- exports -------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "agency", "consolidator", "lot", "period", "period_from", "period_to", "status",
    "matched", "mismatch", "agency_only", "consolidator_only", "agency_usd", "reported_usd",
    "difference_usd", "difference_pct", "report_currency",
)  # fmt: skip
PO_COLUMNS = (
    "agency", "consolidator", "lot", "period", "po_number", "status", "order_status",
    "order_date", "agency_usd", "reported", "currency", "reported_usd", "difference_usd", "note",
)  # fmt: skip


def summary_cells(row: ReconciliationRow) -> tuple:
    counts = row.counts
    return (
        row.agency, row.consolidator, row.lot_label, row.period, row.period_from, row.period_to,
        row.status.value, counts[Status.matched], counts[Status.mismatch],
        counts[Status.agency_only], counts[Status.consolidator_only], row.agency_usd,
        row.reported_usd, row.difference_usd, row.difference_pct, row.currency,
    )  # fmt: skip


def po_cells(row: ReconciliationRow, po: PoComparison) -> tuple:
    return (
        row.agency, row.consolidator, row.lot_label, row.period, po.po_number or "",
        po.status.value, po.order_status, po.order_date, po.agency_usd, po.reported,
        po.currency, po.reported_usd, po.difference_usd, po.note,
    )  # fmt: skip


def po_rows(recon: Reconciliation) -> Iterable[tuple]:
    for row in recon.rows:
        for po in row.pos:
            yield po_cells(row, po)


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def reconciliation_json(recon: Reconciliation, now: datetime | None = None) -> dict:
    """The reconciliation as JSON-ready data: amounts as decimal strings, dates ISO 8601."""

    def po_json(po: PoComparison) -> dict:
        return {
            "po_number": po.po_number, "lot": po.lot, "status": po.status.value,
            "order_status": po.order_status,
            "order_date": po.order_date.isoformat() if po.order_date else None,
            "agency_usd": _plain(po.agency_usd), "reported": _plain(po.reported),
            "currency": po.currency, "reported_usd": _plain(po.reported_usd),
            "difference_usd": _plain(po.difference_usd), "note": po.note,
        }  # fmt: skip

    rows = []
    for row in recon.rows:
        counts = row.counts
        rows.append({
            "agency": row.agency, "consolidator": row.consolidator, "lot": row.lot_label,
            "period": row.period, "period_from": row.period_from.isoformat(),
            "period_to": row.period_to.isoformat(), "status": row.status.value,
            "counts": {s.value: counts[s] for s in Status},
            "report_currency": row.currency, "agency_usd": _plain(row.agency_usd),
            "reported_usd": _plain(row.reported_usd),
            "difference_usd": _plain(row.difference_usd),
            "difference_pct": _plain(row.difference_pct), "finding": row.finding,
            "pos": [po_json(p) for p in row.pos],
        })  # fmt: skip
    out = {
        "filters": {
            "agency": recon.agency or recon.scope,
            "from": recon.date_from.isoformat() if recon.date_from else None,
            "to": recon.date_to.isoformat() if recon.date_to else None,
        },
        "tolerance_pct": _plain(recon.tolerance_pct),
        "rows": rows,
        "total": {
            "agency_usd": _plain(recon.agency_usd),
            "reported_usd": _plain(recon.reported_usd),
            "difference_usd": _plain(recon.reported_usd - recon.agency_usd),
            "problem_rows": len(recon.problems),
        },
    }
    if now is not None:
        out["generated_at"] = now.isoformat()
    return out


def reconciliation_document(recon: Reconciliation, now: datetime):
    """The reconciliation as a Document (md, xlsx): the summary, then every PO not matched."""
    from lta_tui.exports.document import Amount, Document, Section, Table

    def usd(value: Decimal | None):
        return None if value is None else Amount(value, "USD")

    summary = Table(
        "Summary",
        ("Agency", "Consolidator", "Lot", "Period", "Status", "Matched", "Mismatch",
         "Agency-only", "Consolidator-only", "Agency USD", "Reported USD", "Difference USD",
         "Difference %"),
        tuple(
            (r.agency, r.consolidator, r.lot_label, r.period, r.status.value,
             r.counts[Status.matched], r.counts[Status.mismatch], r.counts[Status.agency_only],
             r.counts[Status.consolidator_only], usd(r.agency_usd), usd(r.reported_usd),
             usd(r.difference_usd), r.difference_pct)
            for r in recon.rows
        ),
        empty="no consolidator reports in the period",
    )  # fmt: skip
    problems = Table(
        "POs that disagree",
        ("Agency", "Consolidator", "Lot", "Period", "PO", "Status", "Order status",
         "Agency USD", "Reported USD", "Difference USD", "Note"),
        tuple(
            (r.agency, r.consolidator, r.lot_label, r.period, p.po_number or "", p.status.value,
             p.order_status or "", usd(p.agency_usd), usd(p.reported_usd),
             usd(p.difference_usd), p.note)
            for r in recon.rows
            for p in r.pos
            if p.status in PROBLEMS
        ),
        empty="every reported PO agrees with the agency's orders",
    )  # fmt: skip
    filters = (
        ("Agency", recon.agency or recon.scope or "all agencies"),
        ("From", recon.date_from or "any"),
        ("To", recon.date_to or "any"),
        ("Tolerance (R24)", f"{recon.tolerance_pct} %"),
        ("Reports", recon.reports),
        ("Agency spend, sum of the rows", Amount(recon.agency_usd, "USD")),
        ("Reported, sum of the rows", Amount(recon.reported_usd, "USD")),
        ("Rows with problems", len(recon.problems)),
    )
    return Document(
        "Reconciliation with consolidator reports",
        (
            Section("Filters", fields=filters),
            Section("Summary", tables=(summary,)),
            Section("POs that disagree", tables=(problems,)),
        ),
        subtitle=f"Generated {now:%Y-%m-%d %H:%M} UTC",
    )


def write_reconciliation(
    recon: Reconciliation, fmt: str, out: Path | TextIO, now: datetime
) -> Path | None:
    """Write the reconciliation as csv (every PO compared), xlsx/md (the summary and the POs that
    disagree) or json (everything); to a path atomically, or to a text stream (not xlsx)."""
    from lta_tui.exports.files import write_atomically

    if fmt not in RECONCILIATION_FORMATS:
        raise ReconciliationError(
            f"unknown format {fmt!r} (use {', '.join(RECONCILIATION_FORMATS)})"
        )
    if fmt == "csv":
        from lta_tui.exports.tabular import write_csv_rows, write_table

        if isinstance(out, Path):
            return write_table(out, "csv", PO_COLUMNS, po_rows(recon))
        write_csv_rows(out, PO_COLUMNS, po_rows(recon))
        return None
    if fmt == "xlsx":
        if not isinstance(out, Path):
            raise ReconciliationError("xlsx needs a file: give -o PATH")
        from lta_tui.exports.xlsx import write_xlsx

        document = reconciliation_document(recon, now)
        return write_atomically(out, lambda tmp: write_xlsx(document, tmp))
    if fmt == "md":
        from lta_tui.exports.markdown import render

        text = render(reconciliation_document(recon, now))
    else:
        text = json.dumps(reconciliation_json(recon, now), indent=2, ensure_ascii=False) + "\n"
    if isinstance(out, Path):
        return write_atomically(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    out.write(text)
    return None
