"""Writing a mini-competition: the draft, its issue, the offers received, and the endings without
an award (unsuccessful, cancelled). The opening, evaluation and award are in
`competition_award` (both re-exported by `lta_tui.services.competitions`).

Every function is one transaction (`write_transaction`, the lock of order writes, since an award
writes an order), checks R26 against the competition's agency, moves the competition's version
under the optimistic check (`CompetitionConflict` naming who changed it last) and writes one
audit event on the entity "competition" (R25). While offers are sealed (R5) nothing written to
the audit or returned carries a price or a total.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from lta_tui.config import RulesConfig
from lta_tui.domain.rules import (
    Refused,
    check_cancellation,
    check_response_time,
    warnings_of,
)
from lta_tui.domain.states import OrderStatus, label
from lta_tui.services.competition_checks import (
    CheckedOffer,
    InvitationPlan,
    check_draft,
    check_offer,
    check_stored_draft,
    competition_snapshot,
    plan_invitations,
)
from lta_tui.services.competition_evaluation import valid_offers
from lta_tui.services.competition_stored import (
    S,
    Stored,
    bump_version,
    change_status,
    eligibilities,
    ensure_allowed,
    is_automatic_exclusion,
    load_for_action,
    load_for_change,
    lot_holdings,
    record,
    saved,
)
from lta_tui.services.competition_types import (
    CompetitionInput,
    OfferInput,
    SavedCompetition,
)
from lta_tui.services.order_checks import bad_input, refuse
from lta_tui.services.order_lifecycle import cancel_order_in
from lta_tui.services.order_types import Actor, NeedsAcknowledgement
from lta_tui.services.order_write import aware, pending_warnings, write_transaction
from lta_tui.store.models import (
    Award,
    CompetitionCriterion,
    Invitation,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    Order,
    RequirementLine,
    ServiceType,
)

__all__ = [
    "cancel_competition",
    "declare_unsuccessful",
    "issue_competition",
    "record_offer",
    "save_competition",
]

_MC = MiniCompetition.__table__
_OFFERS = Offer.__table__


# --- the draft -------------------------------------------------------------------------------


def save_competition(
    engine: Engine,
    comp: CompetitionInput,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    competition_id: int | None = None,
    expected_version: int | None = None,
) -> SavedCompetition:
    """Save a new draft (reference `AGENCY-MC-YEAR-NNN`, the next of the agency and year) or
    replace a draft's content. Refused (`Refused`) on: R26, R19 (destination), R7 (criteria
    and weights), R4 (a deadline not after now), R3 (UNSPSC within the lot), R18 (quantities),
    R1/R2/R17 (the invitations: every active, eligible holder of the lot is invited, except
    those left out with a reason; a suspended holder is left out with its suspension as the
    reason), and the shape of the input. `expected_version` is required with
    `competition_id` (ValueError without it)."""
    if competition_id is not None and expected_version is None:
        raise ValueError("save_competition: changing a stored competition needs its version")
    now = aware(now)
    with write_transaction(engine) as conn:
        existing = (
            load_for_change(conn, competition_id, expected_version)
            if competition_id is not None
            else None
        )
        if existing is not None:
            ensure_allowed(actor, existing.agency)
        found, ids = check_draft(conn, comp, actor, rules.min_response_working_days, now, existing)
        errors = [f for f in found if f.is_error]
        if errors:
            raise Refused(errors)
        values = _header(comp)
        after = competition_snapshot(comp, S.draft.value, ids.invitations)
        if existing is None:
            reference = next_reference(conn, comp.agency, now.year)
            try:
                result = conn.execute(
                    insert(_MC).values(
                        reference=reference,
                        lta_id=ids.lta_id,
                        agency_id=ids.agency_id,
                        lot_id=ids.lot_id,
                        status=S.draft.value,
                        created_at=now,
                        created_by=actor.name,
                        version=1,
                        **values,
                    )
                )
            except IntegrityError as exc:
                if "reference" not in str(exc.orig):
                    raise
                raise Refused(
                    [bad_input(f"{reference} was just taken by another save: save again", None)]
                ) from None
            competition_id = int(result.inserted_primary_key[0])
            _write_content(conn, competition_id, comp, ids.invitations)
            record(
                conn, actor, now, competition_id, "create", None, {"reference": reference, **after}
            )
            return SavedCompetition(competition_id, reference, 1, S.draft.value)
        before = competition_snapshot(existing.input, existing.status, _plans(existing))
        if before == after:
            return saved(existing, existing.version)
        version = bump_version(conn, existing, existing.version, {**values, "lot_id": ids.lot_id})
        for table in (CompetitionCriterion, RequirementLine, Invitation):
            conn.execute(delete(table).where(table.competition_id == existing.id))
        _write_content(conn, existing.id, comp, ids.invitations)
        record(conn, actor, now, existing.id, "update", before, after)
        return saved(existing, version)


def _header(comp: CompetitionInput) -> dict:
    return {
        "title": comp.title.strip(),
        "destination_country": comp.destination_country,
        "evaluation_method": comp.evaluation_method,
        "fx_rate_date": comp.fx_rate_date,
        "needs_freight": bool(comp.needs_freight),
        "needs_export_licensing": bool(comp.needs_export_licensing),
        "needs_installation": bool(comp.needs_installation),
        "warranty_months": comp.warranty_months,
        "deadline": aware(comp.deadline),
    }


def _write_content(
    conn: Connection,
    competition_id: int,
    comp: CompetitionInput,
    invitations: Sequence[InvitationPlan],
) -> None:
    if comp.weights:
        conn.execute(
            insert(CompetitionCriterion.__table__),
            [
                {"competition_id": competition_id, "criterion": name, "weight": weight}
                for name, weight in comp.weights
            ],
        )
    conn.execute(
        insert(RequirementLine.__table__),
        [
            {
                "competition_id": competition_id,
                "line_no": n,
                "description": line.description.strip(),
                "specification": (line.specification or "").strip(),
                "quantity": line.quantity,
                "unit": (line.unit or "").strip() or "each",
                "unspsc": line.unspsc.strip(),
            }
            for n, line in enumerate(comp.lines, 1)
        ],
    )
    _write_invitations(conn, competition_id, invitations)


def _write_invitations(
    conn: Connection, competition_id: int, invitations: Sequence[InvitationPlan]
) -> None:
    if invitations:
        conn.execute(
            insert(Invitation.__table__),
            [
                {
                    "competition_id": competition_id,
                    "consolidator_id": i.consolidator_id,
                    "invited": i.invited,
                    "exclusion_reason": i.exclusion_reason,
                }
                for i in invitations
            ],
        )


def _plans(stored: Stored) -> list[InvitationPlan]:
    return [
        InvitationPlan(i.consolidator_id, i.consolidator, i.invited, i.exclusion_reason)
        for i in stored.invitations
    ]


def next_reference(conn: Connection, agency: str, year: int) -> str:
    """`UNDP-MC-2026-004`: one more than the highest number of the agency and year."""
    prefix = f"{agency}-MC-{year}-"
    highest = 0
    for (reference,) in conn.execute(
        select(MiniCompetition.reference).where(
            MiniCompetition.reference.startswith(prefix, autoescape=True)
        )
    ):
        tail = reference[len(prefix) :]
        if tail.isdecimal() and tail.isascii():
            highest = max(highest, int(tail))
    return f"{prefix}{highest + 1:03d}"


# --- the issue ---------------------------------------------------------------------------------


def issue_competition(
    engine: Engine,
    competition_id: int,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    expected_version: int,
    acknowledged: Collection[str] = (),
) -> SavedCompetition:
    """Issue a draft: it opens for offers, its criteria and weights are fixed (R7), and the
    invitations are filled again on the issue date (R1: the active holders then, except those
    a user left out; R17: a holder suspended then is left out, its suspension the reason, and
    one suspended at the draft but eligible now is invited). The stored draft is checked again
    (R3, R7, R18, R19). R4: the deadline must be after the issue (E); a response time under
    `rules.min_response_working_days` raises `NeedsAcknowledgement` unless "R4" is in
    `acknowledged`."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor, only=(S.draft.value,),
            needs="only a draft is issued",
        )  # fmt: skip
        if stored.deadline is None or stored.fx_rate_date is None:
            missing = "deadline" if stored.deadline is None else "fx_rate_date"
            raise refuse(
                f"{stored.reference} has no {label(missing)}: edit the draft first",
                missing,
            )
        found = check_response_time(now, stored.deadline, rules.min_response_working_days)
        found += check_stored_draft(stored)
        holdings = lot_holdings(conn, stored.lot_id, stored.lot)
        holders = {h.consolidator for h in holdings if now.date() in h.period}
        left_out = {  # the user's exclusions (R2); the automatic ones are decided again
            i.consolidator: i.exclusion_reason or ""
            for i in stored.invitations
            if not i.invited
            and i.consolidator in holders
            and not is_automatic_exclusion(i.exclusion_reason)
        }
        plans, problems = plan_invitations(
            holdings, eligibilities(conn), stored.lot, now.date(), left_out
        )
        found += problems
        if not any(p.invited for p in plans):
            found.append(
                bad_input(
                    f"no holder of lot {stored.lot} would be invited to {stored.reference}:"
                    " invite at least one",
                    "exclusions",
                )
            )
        errors = [f for f in found if f.is_error]
        if errors:
            raise Refused(errors)
        pending = pending_warnings(warnings_of(found), acknowledged)
        if pending:
            raise NeedsAcknowledgement(pending)
        conn.execute(delete(Invitation).where(Invitation.competition_id == stored.id))
        _write_invitations(conn, stored.id, plans)
        before = {
            "status": stored.status,
            "invited": [i.consolidator for i in stored.invitations if i.invited],
            "left_out": {
                i.consolidator: i.exclusion_reason for i in stored.invitations if not i.invited
            },
        }
        after = {
            "status": S.open.value,
            "issued_at": now,
            "deadline": stored.deadline,
            "evaluation_method": stored.evaluation_method,
            "weights": dict(stored.weights),
            "invited": [p.consolidator for p in plans if p.invited],
            "left_out": {p.consolidator: p.exclusion_reason for p in plans if not p.invited},
        }
        warnings = warnings_of(found)
        if warnings:
            after["acknowledged"] = [w.message for w in warnings]
        version = bump_version(
            conn, stored, stored.version, {"status": S.open.value, "issued_at": now}
        )
        record(conn, actor, now, stored.id, "issue", before, after)
        return saved(stored, version, S.open.value)


# --- offers ------------------------------------------------------------------------------------


def record_offer(
    engine: Engine,
    competition_id: int,
    offer: OfferInput,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """Record an offer received by e-mail while the competition is open (also after its
    deadline, until the opening: the offer is then stored late, R6, and does not count).
    Refused: a consolidator not invited or no longer an active holder (R1) or suspended (R17);
    a currency that is not ISO 4217 (R19) or has no ORE rate on the FX rate date (R20); a
    missing or negative price (R18); a missing price of a service the competition asks for;
    delivery days under 1; a receipt in the future. A second offer of the same holder before
    the deadline replaces the first (a revision, audited "revise_offer"); after the deadline
    an offer no longer changes. The content hash is stored (R5: the audit records who, when,
    late and the hash — no price)."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor,
            only=(S.open.value, S.closed.value),
            needs="offers are recorded while it is open, before the opening",
        )  # fmt: skip
        checked = check_offer(conn, stored, offer, now)
        old = checked.replaces
        if old is not None and (old.content_hash, old.compliant, old.disqualification_reason) == (
            checked.content_hash,
            bool(offer.compliant),
            None if offer.compliant else (offer.disqualification_reason or "").strip(),
        ):
            return saved(stored, stored.version)  # the same offer recorded again
        _store_offer(conn, stored, offer, checked, actor)
        version = bump_version(conn, stored, stored.version, {})
        code = offer.consolidator.strip()
        after = _offer_record(code, checked.received_at, checked.late, checked.content_hash)
        if checked.replaces is None:
            before = {"consolidator": code, "offer": None}
            record(conn, actor, now, stored.id, "record_offer", before, after)
        else:
            before = _offer_record(old.consolidator, old.received_at, old.late, old.content_hash)
            record(conn, actor, now, stored.id, "revise_offer", before, after)
        return saved(stored, version)


def _offer_record(consolidator: str, received_at: datetime, late: bool, content_hash: str) -> dict:
    """What the audit records of a sealed offer (R5): no price, no total."""
    return {
        "consolidator": consolidator,
        "received_at": received_at,
        "late": late,
        "content_hash": content_hash,
    }


def _store_offer(
    conn: Connection, stored: Stored, offer: OfferInput, checked: CheckedOffer, actor: Actor
) -> None:
    values = {
        "received_at": checked.received_at,
        "recorded_by": actor.name,
        "currency": offer.currency,
        "delivery_days": offer.delivery_days,
        "warranty_months": offer.warranty_months,
        "valid_until": offer.valid_until,
        "takes_back_equipment": bool(offer.takes_back_equipment),
        "energy_label": bool(offer.energy_label),
        "compliant": bool(offer.compliant),
        "late": checked.late,
        "disqualification_reason": None
        if offer.compliant
        else (offer.disqualification_reason or "").strip(),
        "content_hash": checked.content_hash,
    }
    old = checked.replaces
    if old is None:
        offer_id = conn.execute(
            insert(_OFFERS).values(
                competition_id=stored.id,
                consolidator_id=checked.consolidator_id,
                version=1,
                **values,
            )
        ).inserted_primary_key[0]
    else:
        offer_id = old.id
        conn.execute(
            update(_OFFERS).where(_OFFERS.c.id == old.id).values(**values, version=old.version + 1)
        )
        conn.execute(delete(OfferLine).where(OfferLine.offer_id == old.id))
        conn.execute(delete(OfferService).where(OfferService.offer_id == old.id))
    conn.execute(
        insert(OfferLine.__table__),
        [
            {"offer_id": offer_id, "requirement_line_id": line.id, "unit_price": price}
            for line, price in zip(stored.lines, offer.line_prices, strict=True)
        ],
    )
    if checked.services:
        service_ids = dict(conn.execute(select(ServiceType.code, ServiceType.id)).all())
        conn.execute(
            insert(OfferService.__table__),
            [
                {"offer_id": offer_id, "service_type_id": service_ids[code], "price": price}
                for code, price in checked.services
            ],
        )


# --- endings without an award ----------------------------------------------------------------


def declare_unsuccessful(
    engine: Engine,
    competition_id: int,
    reason: str,
    actor: Actor,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """End a competition without an award (R10: no valid offer — none received, all late, all
    non-compliant or from holders no longer active or eligible): once closed (open past its
    deadline), opened or evaluated; the reason is required and stored as the competition's
    ending reason (`cancellation_reason`)."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(conn, competition_id, expected_version, actor)
        past_deadline = stored.deadline is not None and now > stored.deadline
        allowed = stored.status in (S.closed.value, S.opened.value, S.evaluated.value) or (
            stored.status == S.open.value and past_deadline
        )
        if not allowed:
            when = " before its deadline" if stored.status == S.open.value else ""
            raise refuse(
                f"{stored.reference} is {label(stored.status)}{when}: only a closed, opened or"
                " evaluated competition can be declared unsuccessful"
            )
        why = (reason or "").strip()
        if not why:
            raise refuse(f"declaring {stored.reference} unsuccessful needs a reason", "reason")
        valid = [code for code, ok in valid_offers(conn, stored).items() if ok]
        if valid:
            raise refuse(
                f"{stored.reference} has {len(valid)} valid offer{'s' if len(valid) != 1 else ''}"
                f" ({', '.join(valid)}): open, evaluate and award it, or cancel it with a reason",
                "reason",
            )
        version = change_status(
            conn, stored, S.unsuccessful.value, actor, now, "unsuccessful",
            values={"cancellation_reason": why}, after={"reason": why},
        )  # fmt: skip
        return saved(stored, version, S.unsuccessful.value)


#: States a competition can no longer be cancelled from.
_ENDED = (S.ordered.value, S.cancelled.value, S.unsuccessful.value)


def cancel_competition(
    engine: Engine,
    competition_id: int,
    reason: str,
    actor: Actor,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """Cancel a competition in any state before ordered. R11: a reason is required, and no
    cancellation once an order from its award is issued; a draft order from the award is
    cancelled with it, as `cancel_order` cancels it (R26 on the order's agency, its version
    checked, audited on the order)."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(conn, competition_id, expected_version, actor)
        orders = conn.execute(
            select(Order.id, Order.po_number, Order.status, Order.version)
            .join(Award, Award.id == Order.award_id)
            .where(Award.competition_id == stored.id)
        ).all()
        found = check_cancellation(reason, {o.po_number: o.status for o in orders})
        if stored.status in _ENDED:
            found.append(
                bad_input(
                    f"{stored.reference} is {label(stored.status)}: it can no longer be cancelled",
                    "status",
                )
            )
        if found:
            raise Refused(found)
        why = reason.strip()
        for o in orders:
            if o.status == OrderStatus.draft.value:
                cancel_order_in(
                    conn,
                    o.id,
                    actor,
                    now=now,
                    reason=f"{stored.reference} was cancelled: {why}",
                    expected_version=o.version,
                )
        version = change_status(
            conn, stored, S.cancelled.value, actor, now, "cancel",
            values={"cancellation_reason": why}, after={"reason": why},
        )  # fmt: skip
        return saved(stored, version, S.cancelled.value)
