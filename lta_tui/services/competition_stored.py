"""A stored mini-competition read back whole (criteria, lines, invitations, offers with their
prices), the optimistic version check of every change, and the holders and eligibility of a lot
that the bidding rules read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from lta_tui.domain.fx import Rate
from lta_tui.domain.rules import (
    Finding,
    Holding,
    Refused,
    check_consolidator_eligible,
    check_permission,
    check_rate_in_force,
)
from lta_tui.domain.rules.findings import Severity
from lta_tui.domain.states import CompetitionStatus, Criterion, ServiceCode
from lta_tui.services.competition_types import (
    CompetitionConflict,
    CompetitionInput,
    RequirementInput,
    SavedCompetition,
)
from lta_tui.services.order_checks import Q_RATE, bad_input
from lta_tui.services.order_types import Actor
from lta_tui.services.order_write import audit
from lta_tui.store.models import (
    Agency,
    AuditEvent,
    CompetitionCriterion,
    Consolidator,
    Invitation,
    Lot,
    LotHolding,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    RequirementLine,
    ServiceType,
)

S = CompetitionStatus
_MC = MiniCompetition.__table__
_CRITERIA_ORDER = tuple(c.value for c in Criterion)
SERVICE_ORDER = tuple(s.value for s in ServiceCode)
#: The services a competition asks a price for, by the flag that asks it (warranty is optional).
NEEDED_SERVICES = (
    ("needs_freight", ServiceCode.freight.value),
    ("needs_export_licensing", ServiceCode.export_licensing.value),
    ("needs_installation", ServiceCode.installation_support.value),
)


def label(status: str) -> str:
    return status.replace("_", " ")


def refuse(text: str, field_name: str | None = "status") -> Refused:
    """A refusal that is not a numbered rule (a status that does not allow the action)."""
    return Refused([bad_input(text, field_name)])


def refield(
    findings: Iterable[Finding], field_name: str, *, as_error: bool = False
) -> list[Finding]:
    """The findings of a rule, shown under `field_name` (and made errors when the form must
    resolve them before saving)."""
    return [
        Finding(f.rule, Severity.error if as_error else f.severity, f.message, field_name)
        for f in findings
    ]


def refield_each(findings: Iterable[Finding]) -> list[Finding]:
    """The findings made errors, each under its own field."""
    return [Finding(f.rule, Severity.error, f.message, f.field) for f in findings]


def ensure_allowed(actor: Actor, agency: str) -> None:
    """R26: the actor may change the competitions of `agency`."""
    found = check_permission(actor.role, actor.agency, "change", agency)
    if found:
        raise Refused(found)


# --- the stored competition ------------------------------------------------------------------


@dataclass(frozen=True)
class StoredLine:
    id: int
    line_no: int
    description: str
    specification: str
    quantity: Decimal
    unit: str
    unspsc: str


@dataclass(frozen=True)
class StoredInvitation:
    consolidator_id: int
    consolidator: str
    invited: bool
    exclusion_reason: str | None


@dataclass(frozen=True)
class StoredOffer:
    id: int
    consolidator_id: int
    consolidator: str
    received_at: datetime
    recorded_by: str
    currency: str
    delivery_days: int
    warranty_months: int
    valid_until: date | None
    takes_back_equipment: bool
    energy_label: bool
    compliant: bool
    late: bool
    disqualification_reason: str | None
    content_hash: str
    total: Decimal | None
    hash_ok: bool | None
    total_usd: Decimal | None
    score: Decimal | None
    rank: int | None
    version: int
    line_prices: tuple[Decimal, ...]  # by requirement line_no
    services: tuple[tuple[str, Decimal], ...]  # in ServiceCode order


@dataclass(frozen=True)
class Stored:
    """A competition as stored, with its criteria, lines, invitations and offers."""

    id: int
    reference: str
    lta_id: int
    agency_id: int
    agency: str
    lot_id: int
    lot: int
    scope: tuple[str, ...]
    title: str
    destination_country: str
    status: str
    evaluation_method: str
    fx_rate_date: date | None
    needs_freight: bool
    needs_export_licensing: bool
    needs_installation: bool
    warranty_months: int
    created_at: datetime
    created_by: str
    issued_at: datetime | None
    deadline: datetime | None
    opened_at: datetime | None
    opened_by: str | None
    justification: str | None
    cancellation_reason: str | None
    version: int
    weights: tuple[tuple[str, int], ...]  # in Criterion order
    lines: tuple[StoredLine, ...]
    invitations: tuple[StoredInvitation, ...]
    offers: tuple[StoredOffer, ...]

    @property
    def input(self) -> CompetitionInput:
        """The stored competition as the form's input (an imported or demo draft may lack its
        deadline or FX rate date: None then, for the form to ask)."""
        return CompetitionInput(
            agency=self.agency,
            lot=self.lot,
            title=self.title,
            destination_country=self.destination_country,
            deadline=self.deadline,  # type: ignore[arg-type]
            fx_rate_date=self.fx_rate_date,  # type: ignore[arg-type]
            evaluation_method=self.evaluation_method,
            weights=self.weights,
            lines=tuple(
                RequirementInput(
                    line.description, line.unspsc, line.quantity, line.unit, line.specification
                )
                for line in self.lines
            ),
            needs_freight=self.needs_freight,
            needs_export_licensing=self.needs_export_licensing,
            needs_installation=self.needs_installation,
            warranty_months=self.warranty_months,
            left_out=tuple(
                (i.consolidator, i.exclusion_reason or "")
                for i in self.invitations
                if not i.invited
            ),
        )

    @property
    def needed_services(self) -> tuple[str, ...]:
        return tuple(code for flag, code in NEEDED_SERVICES if getattr(self, flag))

    def offer_of(self, consolidator: str) -> StoredOffer | None:
        return next((o for o in self.offers if o.consolidator == consolidator), None)

    def invitation_of(self, consolidator: str) -> StoredInvitation | None:
        return next((i for i in self.invitations if i.consolidator == consolidator), None)


class CompetitionMissing(LookupError):
    pass


def service_order(code: str) -> int:
    return SERVICE_ORDER.index(code) if code in SERVICE_ORDER else len(SERVICE_ORDER)


def load_stored(conn: Connection, competition_id: int) -> Stored:
    """The stored competition `competition_id`; `CompetitionMissing` when there is none."""
    mc = _MC.c
    row = conn.execute(
        select(_MC, Agency.code.label("agency_code"), Lot.number, Lot.unspsc)
        .join(Agency, Agency.id == mc.agency_id)
        .join(Lot, Lot.id == mc.lot_id)
        .where(mc.id == competition_id)
    ).first()
    if row is None:
        raise CompetitionMissing(f"competition {competition_id} does not exist (deleted?)")
    m = row._mapping
    weights = dict(
        conn.execute(
            select(CompetitionCriterion.criterion, CompetitionCriterion.weight).where(
                CompetitionCriterion.competition_id == competition_id
            )
        ).all()
    )
    ordered = sorted(weights.items(), key=lambda kv: _criterion_order(kv[0]))
    lines = tuple(
        StoredLine(*r)
        for r in conn.execute(
            select(
                RequirementLine.id,
                RequirementLine.line_no,
                RequirementLine.description,
                RequirementLine.specification,
                RequirementLine.quantity,
                RequirementLine.unit,
                RequirementLine.unspsc,
            )
            .where(RequirementLine.competition_id == competition_id)
            .order_by(RequirementLine.line_no)
        )
    )
    invitations = tuple(
        StoredInvitation(*r)
        for r in conn.execute(
            select(
                Invitation.consolidator_id,
                Consolidator.code,
                Invitation.invited,
                Invitation.exclusion_reason,
            )
            .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
            .where(Invitation.competition_id == competition_id)
            .order_by(Consolidator.code)
        )
    )
    return Stored(
        id=m["id"],
        reference=m["reference"],
        lta_id=m["lta_id"],
        agency_id=m["agency_id"],
        agency=m["agency_code"],
        lot_id=m["lot_id"],
        lot=m["number"],
        scope=tuple((m["unspsc"] or "").split()),
        title=m["title"],
        destination_country=m["destination_country"],
        status=m["status"],
        evaluation_method=m["evaluation_method"],
        fx_rate_date=m["fx_rate_date"],
        needs_freight=bool(m["needs_freight"]),
        needs_export_licensing=bool(m["needs_export_licensing"]),
        needs_installation=bool(m["needs_installation"]),
        warranty_months=m["warranty_months"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        issued_at=m["issued_at"],
        deadline=m["deadline"],
        opened_at=m["opened_at"],
        opened_by=m["opened_by"],
        justification=m["justification"],
        cancellation_reason=m["cancellation_reason"],
        version=m["version"],
        weights=tuple(ordered),
        lines=lines,
        invitations=invitations,
        offers=_load_offers(conn, competition_id, lines),
    )


def _criterion_order(name: str) -> int:
    return _CRITERIA_ORDER.index(name) if name in _CRITERIA_ORDER else len(_CRITERIA_ORDER)


def _load_offers(
    conn: Connection, competition_id: int, lines: Sequence[StoredLine]
) -> tuple[StoredOffer, ...]:
    o = Offer.__table__.c
    rows = conn.execute(
        select(
            o.id,
            o.consolidator_id,
            Consolidator.code,
            o.received_at,
            o.recorded_by,
            o.currency,
            o.delivery_days,
            o.warranty_months,
            o.valid_until,
            o.takes_back_equipment,
            o.energy_label,
            o.compliant,
            o.late,
            o.disqualification_reason,
            o.content_hash,
            o.total,
            o.hash_ok,
            o.total_usd,
            o.score,
            o.rank,
            o.version,
        )
        .join(Consolidator, Consolidator.id == o.consolidator_id)
        .where(o.competition_id == competition_id)
        .order_by(o.received_at, o.id)
    ).all()
    if not rows:
        return ()
    ids = [r.id for r in rows]
    line_no = {line.id: line.line_no for line in lines}
    prices: dict[int, dict[int, Decimal]] = {i: {} for i in ids}
    for offer_id, req_id, price in conn.execute(
        select(OfferLine.offer_id, OfferLine.requirement_line_id, OfferLine.unit_price).where(
            OfferLine.offer_id.in_(ids)
        )
    ):
        if req_id in line_no:
            prices[offer_id][line_no[req_id]] = price
    services: dict[int, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    for offer_id, code, price in conn.execute(
        select(OfferService.offer_id, ServiceType.code, OfferService.price)
        .join(ServiceType, ServiceType.id == OfferService.service_type_id)
        .where(OfferService.offer_id.in_(ids))
    ):
        services[offer_id].append((code, price))
    offers = []
    for r in rows:
        by_line = prices[r.id]
        offers.append(
            StoredOffer(
                *r,
                line_prices=tuple(by_line[n] for n in sorted(by_line)),
                services=tuple(sorted(services[r.id], key=lambda s: service_order(s[0]))),
            )
        )
    return tuple(offers)


def conflict(conn: Connection, competition_id: int, reference: str) -> CompetitionConflict:
    """The conflict to report, naming who changed the competition last and when (its latest
    audit event: competitions carry no updated_by column)."""
    row = conn.execute(
        select(AuditEvent.who, AuditEvent.at)
        .where(AuditEvent.entity == "competition", AuditEvent.entity_id == competition_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return CompetitionConflict(reference, "someone", None)
    return CompetitionConflict(reference, row.who, row.at)


def load_for_change(conn: Connection, competition_id: int, expected_version: int | None) -> Stored:
    """The stored competition, refused as a conflict when it is not at `expected_version`."""
    try:
        stored = load_stored(conn, competition_id)
    except CompetitionMissing as exc:
        raise Refused([bad_input(str(exc), None)]) from None
    if expected_version is not None and stored.version != expected_version:
        raise conflict(conn, stored.id, stored.reference)
    return stored


def bump_version(
    conn: Connection, stored: Stored, version: int, values: Mapping[str, object]
) -> int:
    """Write `values` and the next version on the competition still at `version`."""
    result = conn.execute(
        update(_MC)
        .where(_MC.c.id == stored.id, _MC.c.version == version)
        .values(**values, version=version + 1)
    )
    if result.rowcount != 1:
        raise conflict(conn, stored.id, stored.reference)
    return version + 1


# --- holders and eligibility -----------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    id: int
    code: str
    eligibility: str
    since: date | None
    reason: str | None

    def findings(self, action: str) -> list[Finding]:
        """R17 for a new `action` ("invitation", "offer", "award")."""
        return check_consolidator_eligible(
            self.code, self.eligibility, action, self.since, self.reason
        )


def lot_holdings(conn: Connection, lot_id: int, lot: int) -> list[Holding]:
    """Every holding of the lot (all consolidators, all periods)."""
    return [
        Holding(code, lot, a, b)
        for code, a, b in conn.execute(
            select(Consolidator.code, LotHolding.active_from, LotHolding.active_to)
            .join(Consolidator, Consolidator.id == LotHolding.consolidator_id)
            .where(LotHolding.lot_id == lot_id)
        )
    ]


def eligibilities(conn: Connection) -> dict[str, Eligibility]:
    return {
        r[1]: Eligibility(*r)
        for r in conn.execute(
            select(
                Consolidator.id,
                Consolidator.code,
                Consolidator.eligibility,
                Consolidator.eligibility_since,
                Consolidator.eligibility_reason,
            )
        )
    }


def rate_on(conn: Connection, currency: str, on: date) -> tuple[Rate | None, list[Finding]]:
    """R20: the ORE rate in force on `on` (USD: 1), or the finding naming the currency and day."""
    if currency == "USD":
        return Rate("USD", on, Decimal(1), "USD"), []
    row = conn.execute(Q_RATE, {"currency": currency, "on": on}).first()
    rates = [Rate(currency, row[0], row[1], row[2])] if row else []
    problems = check_rate_in_force(rates, currency, on, field="currency")
    return (rates[0] if rates and not problems else None), problems


def record(
    conn: Connection,
    actor: Actor,
    now: datetime,
    competition_id: int,
    action: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
) -> None:
    """R25: the audit event of a change of the competition, in the same transaction."""
    audit(conn, actor, now, competition_id, action, before, after, entity="competition")


def saved(stored: Stored, version: int, status: str | None = None) -> SavedCompetition:
    return SavedCompetition(stored.id, stored.reference, version, status or stored.status)
