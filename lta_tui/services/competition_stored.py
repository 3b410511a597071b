"""A stored mini-competition read back whole (criteria, lines, invitations, offers with their
prices), the optimistic version check and the audit event of every change, and the holders and
eligibility of a lot that the bidding rules read."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from lta_tui.domain.rules import (
    Finding,
    Holding,
    Refused,
    check_consolidator_eligible,
    check_permission,
)
from lta_tui.domain.rules._render import day
from lta_tui.domain.rules.findings import Severity
from lta_tui.domain.states import CompetitionStatus, criterion_order, label, services_asked
from lta_tui.services.competition_types import (
    CompetitionConflict,
    CompetitionInput,
    RequirementInput,
    SavedCompetition,
)
from lta_tui.services.offer_prices import load_offer_prices
from lta_tui.services.order_checks import bad_input, refuse
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
    RequirementLine,
)

S = CompetitionStatus
_MC = MiniCompetition.__table__
#: How the reason of an exclusion the service makes itself begins (R17: a suspended holder is
#: left out); a reason a user records (R2) may not begin so. The one test of which is which.
AUTOMATIC_EXCLUSION = "R17: "


def is_automatic_exclusion(reason: str | None) -> bool:
    """True when `reason` is one the service recorded (a suspension, R17), not a user's (R2):
    such an exclusion is decided again whenever the invitations are filled."""
    return (reason or "").startswith(AUTOMATIC_EXCLUSION)


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
    fx_units_per_usd: Decimal | None  # the rate the evaluation used (R20)
    fx_effective_date: date | None
    past_performance: Decimal | None
    score: Decimal | None
    rank: int | None
    version: int
    line_prices: tuple[Decimal, ...]  # by requirement line_no (0 where none is stored)
    services: tuple[tuple[str, Decimal], ...]  # in ServiceCode order


@dataclass(frozen=True)
class Stored:
    """A competition as stored, with its criteria, lines, invitations and offers."""

    id: int
    reference: str
    lta_id: int
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
    issued_at: datetime | None
    deadline: datetime | None
    opened_at: datetime | None
    opened_by: str | None
    evaluated_at: datetime | None
    evaluated_by: str | None
    justification: str | None  # of few valid offers (R8)
    version: int
    weights: tuple[tuple[str, int], ...]  # in Criterion order
    lines: tuple[StoredLine, ...]
    invitations: tuple[StoredInvitation, ...]
    offers: tuple[StoredOffer, ...]  # () when loaded without them

    @property
    def input(self) -> CompetitionInput:
        """The stored competition as the form's input (an imported or demo draft may lack its
        deadline or FX rate date: None then, for the form to ask). Its left-out holders are
        those a user left out (R2); the service's own exclusions (R17) are decided again at
        each save and at the issue."""
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
                if not i.invited and not is_automatic_exclusion(i.exclusion_reason)
            ),
        )

    @property
    def services_asked(self) -> tuple[str, ...]:
        return services_asked(
            freight=self.needs_freight,
            export_licensing=self.needs_export_licensing,
            installation=self.needs_installation,
            warranty_months=self.warranty_months,
        )

    def offer_of(self, consolidator: str) -> StoredOffer | None:
        return next((o for o in self.offers if o.consolidator == consolidator), None)

    def invitation_of(self, consolidator: str) -> StoredInvitation | None:
        return next((i for i in self.invitations if i.consolidator == consolidator), None)


class CompetitionMissing(LookupError):
    pass


def load_stored(conn: Connection, competition_id: int, *, offers: bool = True) -> Stored:
    """The stored competition `competition_id`; `CompetitionMissing` when there is none.
    Without `offers` no offer is read (R5: nor any price)."""
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
    ordered = sorted(weights.items(), key=lambda kv: criterion_order(kv[0]))
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
    stored = Stored(
        id=m["id"],
        reference=m["reference"],
        lta_id=m["lta_id"],
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
        issued_at=m["issued_at"],
        deadline=m["deadline"],
        opened_at=m["opened_at"],
        opened_by=m["opened_by"],
        evaluated_at=m["evaluated_at"],
        evaluated_by=m["evaluated_by"],
        justification=m["justification"],
        version=m["version"],
        weights=tuple(ordered),
        lines=lines,
        invitations=invitations,
        offers=(),
    )
    return with_offers(conn, stored) if offers else stored


def with_offers(conn: Connection, stored: Stored) -> Stored:
    """`stored` with its offers, in the order received, each with its prices
    (`load_offer_prices`)."""
    o = Offer.__table__.c
    rows = conn.execute(
        select(
            o.id,
            o.consolidator_id,
            Consolidator.code,
            o.received_at,
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
            o.fx_units_per_usd,
            o.fx_effective_date,
            o.past_performance,
            o.score,
            o.rank,
            o.version,
        )
        .join(Consolidator, Consolidator.id == o.consolidator_id)
        .where(o.competition_id == stored.id)
        .order_by(o.received_at, o.id)
    ).all()
    prices = load_offer_prices(conn, [r.id for r in rows], [line.id for line in stored.lines])
    offers = tuple(
        StoredOffer(*r, line_prices=prices[r.id].line_prices, services=prices[r.id].services)
        for r in rows
    )
    return replace(stored, offers=offers)


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


def load_for_change(conn: Connection, competition_id: int, expected_version: int) -> Stored:
    """The stored competition, refused as a conflict when it is not at `expected_version`."""
    try:
        stored = load_stored(conn, competition_id)
    except CompetitionMissing as exc:
        raise Refused([bad_input(str(exc), None)]) from None
    if stored.version != expected_version:
        raise conflict(conn, stored.id, stored.reference)
    return stored


def load_for_action(
    conn: Connection,
    competition_id: int,
    expected_version: int,
    actor: Actor,
    *,
    only: Collection[str] = (),
    needs: str = "",
) -> Stored:
    """The stored competition an action of `actor` starts from: at `expected_version` (else the
    conflict), R26 against its agency, and in one of the statuses `only` (when given; else
    refused: "REF is STATUS: `needs`")."""
    stored = load_for_change(conn, competition_id, expected_version)
    ensure_allowed(actor, stored.agency)
    if only and stored.status not in only:
        raise refuse(f"{stored.reference} is {label(stored.status)}: {needs}")
    return stored


@dataclass(frozen=True)
class CompetitionHead:
    """The few columns of a competition a change of its status alone needs."""

    id: int
    reference: str
    agency: str
    status: str
    version: int


def competition_head(conn: Connection, reference: str, agency: str) -> CompetitionHead | None:
    """The competition `reference` of `agency` (None: no such competition of that agency)."""
    row = conn.execute(
        select(_MC.c.id, _MC.c.reference, Agency.code, _MC.c.status, _MC.c.version)
        .join(Agency, Agency.id == _MC.c.agency_id)
        .where(_MC.c.reference == reference, Agency.code == agency)
    ).first()
    return CompetitionHead(*row) if row is not None else None


def bump_version(
    conn: Connection,
    competition: Stored | CompetitionHead,
    version: int,
    values: Mapping[str, object],
) -> int:
    """Write `values` and the next version on the competition still at `version`."""
    result = conn.execute(
        update(_MC)
        .where(_MC.c.id == competition.id, _MC.c.version == version)
        .values(**values, version=version + 1)
    )
    if result.rowcount != 1:
        raise conflict(conn, competition.id, competition.reference)
    return version + 1


def change_status(
    conn: Connection,
    competition: Stored | CompetitionHead,
    status: str,
    actor: Actor,
    now: datetime,
    action: str,
    *,
    values: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    version: int | None = None,
) -> int:
    """Move `competition` to `status` (writing `values` too) under the optimistic check of
    `version` (default: its own), with the audit event `action` (R25): before, its status;
    after, the new one and `after`. The new version."""
    at = competition.version if version is None else version
    new = bump_version(conn, competition, at, {"status": status, **(values or {})})
    record(
        conn, actor, now, competition.id, action,
        {"status": competition.status}, {"status": status, **(after or {})},
    )  # fmt: skip
    return new


# --- holders and eligibility -----------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    id: int
    code: str
    name: str
    eligibility: str
    since: date | None
    reason: str | None

    def findings(self, action: str) -> list[Finding]:
        """R17 for a new `action` ("invitation", "offer", "award")."""
        return check_consolidator_eligible(
            self.code, self.eligibility, action, self.since, self.reason
        )

    @property
    def exclusion_reason(self) -> str:
        """The reason recorded when the holder is left out because it is not eligible (R17):
        `R17: suspended since 2026-03-01 (…)`, an automatic exclusion."""
        text = AUTOMATIC_EXCLUSION + label(self.eligibility)
        if self.since:
            text += f" since {day(self.since)}"
        if self.reason and self.reason.strip():
            text += f" ({self.reason.strip()})"
        return text


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
                Consolidator.name,
                Consolidator.eligibility,
                Consolidator.eligibility_since,
                Consolidator.eligibility_reason,
            )
        )
    }


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
