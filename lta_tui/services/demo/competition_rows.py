"""The rows of the competitions: the competition, its criteria, requirement lines, invitations,
offers with their line and service prices (and, once opened and evaluated, their totals, scores
and ranks), the award, and an audit event per state change."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlmodel import SQLModel

from lta_tui.domain.money import to_units
from lta_tui.domain.states import CompetitionStatus as S
from lta_tui.services.demo.amounts import MILLI
from lta_tui.services.demo.bidding import Bid, Tender, content_hash, country_name
from lta_tui.services.demo.competitions import Competition
from lta_tui.services.demo.world import World
from lta_tui.store.bulk import BulkWriter
from lta_tui.store.models import (
    Award,
    CompetitionCriterion,
    Invitation,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    RequirementLine,
)

COMPETITION_COLUMNS = (
    "id", "reference", "lta_id", "agency_id", "lot_id", "title", "destination_country", "status",
    "evaluation_method", "fx_rate_date", "needs_freight", "needs_export_licensing",
    "needs_installation", "warranty_months", "created_at", "created_by", "issued_at", "deadline",
    "opened_at", "opened_by", "evaluated_at", "evaluated_by", "justification",
    "cancellation_reason", "version",
)  # fmt: skip
OFFER_COLUMNS = (
    "id", "competition_id", "consolidator_id", "received_at", "recorded_by", "currency",
    "delivery_days", "warranty_months", "valid_until", "takes_back_equipment", "energy_label",
    "compliant", "late", "disqualification_reason", "content_hash", "total", "hash_ok",
    "total_usd", "fx_units_per_usd", "fx_effective_date", "past_performance", "score", "rank",
    "version",
)  # fmt: skip
COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    MiniCompetition: COMPETITION_COLUMNS,
    CompetitionCriterion: ("id", "competition_id", "criterion", "weight"),
    RequirementLine: ("id", "competition_id", "line_no", "description", "specification",
                      "quantity", "unit", "unspsc"),
    Invitation: ("id", "competition_id", "consolidator_id", "invited", "exclusion_reason"),
    Offer: OFFER_COLUMNS,
    OfferLine: ("id", "offer_id", "requirement_line_id", "unit_price"),
    OfferService: ("id", "offer_id", "service_type_id", "price"),
    Award: ("id", "competition_id", "offer_id", "rank", "decided_at", "decided_by",
            "justification"),
}  # fmt: skip
SYSTEM = "system"  # who closes a competition: the deadline passing, not a person
#: The audit action of each step, as the competition service names it.
ACTIONS = {S.open: "issue", S.closed: "close", S.opened: "open", S.evaluated: "evaluate",
           S.awarded: "award", S.ordered: "ordered", S.cancelled: "cancel",
           S.unsuccessful: "unsuccessful"}  # fmt: skip
#: One audit row without its id: (at, who, entity, entity_id, action, before, after).
AuditRow = tuple[datetime, str, str, int, str, str | None, str]


@dataclass
class PlannedOrder:
    """The order an `ordered` competition ended in, placed in the order stream on its day."""

    day: date
    created_at: datetime
    created_by: str
    tender: Tender
    winner: Bid
    award_id: int


@lru_cache(maxsize=256)
def status_json(status: str, reason: str | None = None) -> str:
    """The before/after of an audit event: the status, and the reason of a cancellation."""
    content = {"status": status} if reason is None else {"status": status, "reason": reason}
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def _events(comp: Competition, until: date) -> list[AuditRow]:
    times, who = comp.times, comp.created_by
    closed = times.deadline if times.deadline and times.deadline.date() <= until else None
    steps: list[tuple[datetime | None, str, str]] = [
        (times.issued, S.open.value, who),
        (closed, S.closed.value, SYSTEM),
        (times.opened, S.opened.value, comp.opened_by or who),
        (times.evaluated if comp.status != S.unsuccessful else None, S.evaluated.value, who),
        (times.awarded, S.awarded.value, who),
        (times.ordered, S.ordered.value, who),
    ]
    if times.ended is not None:
        steps.append((times.ended, comp.status.value, who))
    rows: list[AuditRow] = [
        (times.created, who, "competition", comp.id, "create", None, status_json(S.draft.value))
    ]
    before = S.draft.value
    for at, status, actor in steps:
        if at is None or (times.ended is not None and at > times.ended):
            continue
        reason = comp.cancellation_reason if status == S.cancelled else None
        after = status_json(status, reason)
        action = ACTIONS[S(status)]
        rows.append((at, actor, "competition", comp.id, action, status_json(before), after))
        before = status
    return rows


def _figures(bid: Bid) -> tuple:
    """The opening's (total, hash_ok) and the evaluation's (total_usd, rate, its date, past
    performance, score, rank) of an offer, stored; None where the step was not taken."""
    opened = (bid.total, True) if bid.total is not None else (None, None)
    if bid.total_usd is None or bid.rate is None:
        return (*opened, None, None, None, None, None, None)
    past = None if bid.past_performance is None else to_units(bid.past_performance)
    score = None if bid.score is None else to_units(bid.score)
    return (*opened, bid.total_usd, *bid.rate, past, score, bid.rank)


def write_competitions(
    writer: BulkWriter, world: World, competitions: list[Competition]
) -> tuple[list[PlannedOrder], list[AuditRow]]:
    """Give ids and references (per agency and year, in order of creation) and write; returns
    the orders the `ordered` competitions ended in and the audit events."""
    first = writer.ids(MiniCompetition, len(competitions))
    sequences: dict[tuple[str, int], int] = {}
    rows: dict[type[SQLModel], list[tuple]] = {model: [] for model in COLUMNS}
    planned: list[PlannedOrder] = []
    audit: list[AuditRow] = []
    for i, comp in enumerate(competitions):
        comp.id = first + i
        tender, times = comp.tender, comp.times
        key = (tender.agency.code, times.created.year)
        sequences[key] = sequences.get(key, 0) + 1
        comp.reference = f"{key[0]}-MC-{key[1]}-{sequences[key]:03d}"
        events = _events(comp, world.until)
        audit.extend(events)
        # unsuccessful after the opening: no valid offer, so no evaluation
        evaluated = times.evaluated if comp.status != S.unsuccessful else None
        rows[MiniCompetition].append((
            comp.id, comp.reference, world.lta_id, tender.agency.id, tender.lot.id, tender.title,
            tender.destination, comp.status.value, tender.method,
            times.deadline.date() if times.deadline else None, tender.freight,
            tender.export_licensing, tender.installation, tender.warranty_months, times.created,
            comp.created_by, times.issued, times.deadline, times.opened, comp.opened_by,
            evaluated, comp.created_by if evaluated else None, comp.justification,
            comp.cancellation_reason, len(events),
        ))  # fmt: skip
        for criterion, weight in tender.weights:
            rows[CompetitionCriterion].append(
                (writer.ids(CompetitionCriterion), comp.id, criterion, weight)
            )
        spec = f"Delivery DAP {country_name(tender.destination)}"
        if tender.warranty_months:
            spec += f"; {tender.warranty_months} months on-site warranty"
        line_ids = []
        for n, (product, quantity) in enumerate(tender.lines, start=1):
            line_ids.append(line_id := writer.ids(RequirementLine))
            line = (n, product.description, spec, quantity * MILLI, product.unit, product.unspsc)
            rows[RequirementLine].append((line_id, comp.id, *line))
        for holder, reason in [(h, None) for h in tender.invited] + tender.left_out:
            rows[Invitation].append(
                (writer.ids(Invitation), comp.id, holder.id, reason is None, reason)
            )
        for bid in sorted(comp.bids, key=lambda b: b.received_at):
            bid.id = writer.ids(Offer)
            rows[Offer].append((
                bid.id, comp.id, bid.holder.id, bid.received_at, comp.created_by, bid.currency,
                bid.delivery_days, bid.warranty_months, bid.valid_until, bid.takes_back,
                bid.energy_label, bid.compliant, bid.late, bid.reason,
                content_hash(comp.reference, bid), *_figures(bid), 1,
            ))  # fmt: skip
            for line_id, price in zip(line_ids, bid.prices, strict=True):
                rows[OfferLine].append((writer.ids(OfferLine), bid.id, line_id, price))
            for code, price in bid.services:
                service_id = world.services[code].id
                rows[OfferService].append((writer.ids(OfferService), bid.id, service_id, price))
        if comp.award is not None:
            bid, rank, justification = comp.award
            award_id = writer.ids(Award)
            rows[Award].append(
                (award_id, comp.id, bid.id, rank, times.awarded, comp.created_by, justification)
            )
            if comp.status == S.ordered and times.ordered is not None:
                planned.append(PlannedOrder(times.ordered.date(), times.ordered, comp.created_by,
                                            tender, bid, award_id))  # fmt: skip
    for model, columns in COLUMNS.items():  # parents before children
        writer.insert(model, columns, rows[model])
    return planned, audit
