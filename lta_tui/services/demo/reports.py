"""What agencies and consolidators report about the orders: yearly spend feedback of the larger
agencies (computed from their orders, sometimes overridden with a reason), quarterly reports of
the consolidators with a few discrepancies to reconcile (R24), and the audit trail."""

from __future__ import annotations

import random
from datetime import date, timedelta

from lta_tui.domain.money import SCALE
from lta_tui.services.demo.amounts import CENT
from lta_tui.services.demo.competition_rows import AuditRow
from lta_tui.services.demo.order_life import SPEND
from lta_tui.services.demo.orders import Aggregates
from lta_tui.services.demo.sub_ltas import Office
from lta_tui.services.demo.vocabulary import FEEDBACK, SPEND_OVERRIDES
from lta_tui.services.demo.world import World, moment
from lta_tui.store.bulk import BulkWriter
from lta_tui.store.models import (
    AuditEvent,
    ConsolidatorReport,
    ConsolidatorReportLine,
    SpendFeedback,
)

#: Agencies (by rank) that report their spend to UNGM every year.
FEEDBACK_AGENCIES = 8
#: Agencies per consolidator it sends quarterly reports to.
REPORTED_AGENCIES = 2
#: Days after a quarter ends before its report arrives, at most.
REPORT_DELAY_DAYS = 45


def report_periods(until: date) -> list[tuple[date, date]]:
    """The two latest calendar quarters whose reports have arrived by `until`."""
    periods = []
    year, quarter = until.year, (until.month - 1) // 3 + 1
    while len(periods) < 2:
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        first = date(year, 3 * quarter - 2, 1)
        last = date(year + quarter // 4, 3 * quarter % 12 + 1, 1) - timedelta(days=1)
        if last + timedelta(days=REPORT_DELAY_DAYS) <= until:
            periods.append((first, last))
    return sorted(periods)


def _cents(value: float) -> int:
    return round(value / CENT) * CENT


def write_feedback(writer: BulkWriter, world: World, totals: Aggregates, seed: int) -> None:
    rng = random.Random(f"{seed}:feedback")
    rows = []
    for agency in world.agencies[:FEEDBACK_AGENCIES]:
        for year in range(world.start.year, world.until.year):
            reported = date(year + 1, 1, 15) + timedelta(days=rng.randint(0, 75))
            computed = totals.spend_usd.get((agency.id, year), 0)
            if reported > world.until or not computed:
                continue
            spend, override = computed, None
            if rng.random() < 0.2:
                spend, override = (
                    _cents(computed * rng.uniform(0.92, 1.08)),
                    rng.choice(SPEND_OVERRIDES),
                )
            rows.append((
                writer.ids(SpendFeedback), agency.id, world.lta_id, date(year, 1, 1),
                date(year, 12, 31), spend, computed, override, rng.choice(FEEDBACK),
                moment(reported, rng), world.person(rng, agency.id),
            ))  # fmt: skip
    writer.insert(SpendFeedback, (
        "id", "agency_id", "lta_id", "period_from", "period_to", "spend_usd",
        "computed_spend_usd", "override_reason", "general_feedback", "reported_at", "reported_by",
    ), rows)  # fmt: skip


def write_consolidator_reports(
    writer: BulkWriter,
    world: World,
    offices: dict[int, list[Office]],
    totals: Aggregates,
    seed: int,
) -> None:
    rng = random.Random(f"{seed}:reports")
    reports, lines = [], []
    for holder in world.holders:
        clients = [
            a
            for a in world.agencies
            if any(p.holder.id == holder.id for o in offices[a.id] for p in o.plans)
        ]
        for agency in clients[:REPORTED_AGENCIES]:
            orders = totals.by_pair.get((holder.id, agency.id), [])
            for first, last in report_periods(world.until):
                chosen = [o for o in orders if first <= o[4] <= last]
                if not chosen:
                    continue
                report_id = writer.ids(ConsolidatorReport)
                amounts = []
                for po, lot, usd, status, _ in chosen:
                    if status not in SPEND and rng.random() > 0.3:
                        continue  # cancelled: mostly known to the consolidator
                    if rng.random() < 0.03:
                        continue  # missing from the report
                    amount = _cents(usd * rng.uniform(0.9, 1.1)) if rng.random() < 0.04 else usd
                    amounts.append(amount)
                    lines.append((writer.ids(ConsolidatorReportLine), report_id, po, lot, amount,
                                  "USD"))  # fmt: skip
                if rng.random() < 0.5:  # an order the agency has no record of
                    po = f"{agency.code}-{last.year}-9{rng.randint(10000, 99999)}"
                    amounts.append(_cents(rng.uniform(800, 40_000) * SCALE))
                    lines.append((writer.ids(ConsolidatorReportLine), report_id, po,
                                  chosen[0][1], amounts[-1], "USD"))  # fmt: skip
                quarter = (first.month - 1) // 3 + 1
                imported = last + timedelta(days=rng.randint(20, REPORT_DELAY_DAYS))
                source = f"{holder.code}_{agency.code}_{first.year}Q{quarter}.csv"
                reports.append((report_id, holder.id, agency.id, first, last, sum(amounts), "USD",
                                moment(imported, rng), source))  # fmt: skip
    writer.insert(ConsolidatorReport, (
        "id", "consolidator_id", "agency_id", "period_from", "period_to", "reported_spend",
        "currency", "imported_at", "source_file",
    ), reports)  # fmt: skip
    writer.insert(ConsolidatorReportLine, (
        "id", "report_id", "po_number", "lot_number", "amount", "currency",
    ), lines)  # fmt: skip


def write_audit(writer: BulkWriter, events: list[AuditRow]) -> None:
    """The audit trail in the order things happened."""
    events.sort(key=lambda e: (e[0], e[2], e[3], e[4]))
    first = writer.ids(AuditEvent, len(events))
    writer.insert(
        AuditEvent,
        ("id", "at", "who", "entity", "entity_id", "action", "before", "after"),
        [(first + i, *event) for i, event in enumerate(events)],
    )
