"""Checking a draft competition and an offer against the bidding rules.

The rules themselves live in `lta_tui.domain.rules` (R1–R7, R17–R20, R26); this module reads
what they need (the lot's scope and holders, eligibility, rates), calls them, and builds what
the writers of `competition_write` store: the invitations of a draft, the checked offer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lta_tui.domain.dates import aware
from lta_tui.domain.money import QUANTITY_DIGITS, SCALE_DIGITS, minor_units, within_decimals
from lta_tui.domain.offer_hash import OfferContent, offer_hash
from lta_tui.domain.rules import (
    Finding,
    Holding,
    Refused,
    check_criteria,
    check_holder_active,
    check_iso_codes,
    check_left_out_holders,
    check_offer_on_time,
    check_permission,
    check_quantity_and_price,
    check_response_time,
    check_unspsc_in_lot,
    holders_on,
)
from lta_tui.domain.rules._render import day, line_field, line_prefix, moment
from lta_tui.domain.states import (
    OPTIONAL_SERVICE,
    SERVICE_CODES,
    EvaluationMethod,
    label,
    service_order,
)
from lta_tui.services.competition_stored import (
    AUTOMATIC_EXCLUSION,
    Eligibility,
    S,
    Stored,
    StoredOffer,
    eligibilities,
    lot_holdings,
    refield,
    refield_each,
)
from lta_tui.services.competition_types import (
    CompetitionInput,
    OfferInput,
    RequirementInput,
)
from lta_tui.services.fx_rates import rate_on
from lta_tui.services.order_checks import bad_input
from lta_tui.services.order_types import Actor
from lta_tui.store.models import Agency, Lot, Lta

# --- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationPlan:
    consolidator_id: int
    consolidator: str
    invited: bool
    exclusion_reason: str | None


def plan_invitations(
    holdings: Sequence[Holding],
    cons: Mapping[str, Eligibility],
    lot: int,
    on: date,
    left_out: Mapping[str, str],
) -> tuple[list[InvitationPlan], list[Finding]]:
    """R1, R2, R17: every active holder of the lot on `on` is invited unless a user left it out
    with a reason (`left_out`); a holder not eligible on `on` is left out automatically, with
    its suspension as the reason (`Eligibility.exclusion_reason`). Findings: a left-out code
    that is no active holder (R1), a holder left out without a reason (R2, an error here: the
    form asks for the reason), a reason written as an automatic one."""
    found: list[Finding] = []
    for code, reason in left_out.items():
        where = f"exclusions.{code}"
        if code not in cons:
            found.append(bad_input(f"unknown consolidator {code!r}", where))
            continue
        found.extend(refield(check_holder_active(holdings, code, lot, on), where))
        if (reason or "").strip().startswith(AUTOMATIC_EXCLUSION.strip()):
            found.append(
                bad_input(
                    f"the reason {code} is left out cannot begin with"
                    f" {AUTOMATIC_EXCLUSION.strip()!r}, which marks the holders left out"
                    " because they are suspended: say it in other words",
                    where,
                )
            )
    plans = []
    invited: list[str] = []
    reasons: dict[str, str | None] = {}
    for code in holders_on(holdings, lot, on):
        holder = cons.get(code)
        if holder is None:
            continue
        suspended = bool(holder.findings("invitation"))  # R17: no new invitation
        reason = (left_out.get(code) or "").strip() or None
        if code in left_out or suspended:
            if reason is None and suspended:
                reason = holder.exclusion_reason
            plans.append(InvitationPlan(holder.id, code, False, reason))
        else:
            plans.append(InvitationPlan(holder.id, code, True, None))
            invited.append(code)
        reasons[code] = reason
    # R2 is a warning; the form asks for the reason, so a draft without it is refused
    found += refield_each(check_left_out_holders(holdings, lot, on, invited, reasons))
    return plans, found


# --- the input of a draft -----------------------------------------------------------------------


@dataclass
class DraftIds:
    """What checking a draft resolved, for the writer."""

    agency_id: int | None = None
    lta_id: int | None = None
    lot_id: int | None = None
    invitations: list[InvitationPlan] = field(default_factory=list)


def check_draft(
    conn: Connection,
    comp: CompetitionInput,
    actor: Actor,
    min_working_days: int,
    now: datetime,
    existing: Stored | None,
) -> tuple[list[Finding], DraftIds]:
    """Every rule a draft must meet: R26, R19 (country), R7, R4 (deadline after now), R3 and R18
    on each line, R1/R2/R17 on the invitations, and the shape of the input."""
    found: list[Finding] = []
    ids = DraftIds()
    found += refield(check_permission(actor.role, actor.agency, "change", comp.agency), "agency")
    if existing is not None:
        if existing.agency != comp.agency:
            found.append(bad_input(f"the agency of {existing.reference} cannot change", "agency"))
            found += refield(
                check_permission(actor.role, actor.agency, "change", existing.agency), "agency"
            )
        if existing.status != S.draft.value:
            found.append(
                bad_input(
                    f"{existing.reference} is {label(existing.status)}: only a draft can be edited",
                    "status",
                )
            )
    ids.agency_id = conn.execute(select(Agency.id).where(Agency.code == comp.agency)).scalar()
    if ids.agency_id is None:
        found.append(bad_input(f"unknown agency {comp.agency!r}", "agency"))
    title = (comp.title or "").strip()
    if not title:
        found.append(bad_input("a title is required", "title"))
    elif len(title) > 300:
        found.append(bad_input("the title is longer than 300 characters", "title"))

    lta_id = existing.lta_id if existing is not None else None
    if lta_id is None:
        lta_id = conn.execute(select(Lta.id).order_by(Lta.id).limit(1)).scalar()
    ids.lta_id = lta_id
    lot = conn.execute(
        select(Lot.id, Lot.unspsc).where(Lot.lta_id == lta_id, Lot.number == comp.lot)
    ).first()
    if lot is None:
        found.append(bad_input(f"lot {comp.lot} is not a lot of the LTA", "lot"))
    else:
        ids.lot_id = lot.id

    found += check_iso_codes(country=comp.destination_country, country_field="destination_country")
    methods = {m.value for m in EvaluationMethod}
    if comp.evaluation_method not in methods:
        found.append(
            bad_input(
                f"unknown evaluation method {comp.evaluation_method!r}"
                f" (use {', '.join(sorted(methods))})",
                "evaluation_method",
            )
        )
    names = [name for name, _ in comp.weights]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        found.append(bad_input(f"criterion {', '.join(twice)} is given twice", "weights"))
    found += check_criteria(comp.evaluation_method, dict(comp.weights))

    if comp.deadline is None or not isinstance(comp.deadline, datetime):
        found.append(bad_input("a deadline is required", "deadline"))
    else:
        deadline = aware(comp.deadline)
        found += [f for f in check_response_time(now, deadline, min_working_days) if f.is_error]
    if not isinstance(comp.fx_rate_date, date):
        found.append(bad_input("the date of the exchange rates is required", "fx_rate_date"))
    if (
        isinstance(comp.warranty_months, bool)
        or not isinstance(comp.warranty_months, int)
        or comp.warranty_months < 0
    ):
        found.append(
            bad_input("warranty months must be a whole number, 0 or more", "warranty_months")
        )
    found += check_lines(comp.lines, comp.lot, lot.unspsc.split() if lot is not None else None)

    if lot is not None:
        left_out: dict[str, str] = {}
        for code, reason in comp.left_out:
            if code in left_out:
                found.append(bad_input(f"{code} is left out twice", f"exclusions.{code}"))
            left_out[code] = reason
        ids.invitations, problems = plan_invitations(
            lot_holdings(conn, lot.id, comp.lot),
            eligibilities(conn),
            comp.lot,
            now.date(),
            left_out,
        )
        found += problems
    return found, ids


def check_stored_draft(stored: Stored) -> list[Finding]:
    """What the issue checks again of a stored draft (one written by an import, the demo or an
    older version may hold what the form now refuses): R19 on the destination, R7 on the
    criteria and weights, R3 and R18 on every requirement line."""
    found = check_iso_codes(country=stored.destination_country, country_field="destination_country")
    found += check_criteria(stored.evaluation_method, dict(stored.weights))
    found += check_lines(stored.input.lines, stored.lot, stored.scope)
    return found


def check_lines(
    lines: Sequence[RequirementInput], lot: int, scope: Sequence[str] | None
) -> list[Finding]:
    """R3 (UNSPSC within the lot's `scope`; None: the lot is unknown, not checked), R18 and the
    shape of each requirement line; at least one line."""
    found: list[Finding] = []
    if not lines:
        found.append(bad_input("a competition needs at least one requirement line", "lines"))
    for n, line in enumerate(lines, 1):
        where = line_prefix(n)
        description = (line.description or "").strip()
        if not description:
            found.append(
                bad_input(f"{where}a description is required", line_field(n, "description"))
            )
        elif len(description) > 300:
            found.append(
                bad_input(
                    f"{where}the description is longer than 300 characters",
                    line_field(n, "description"),
                )
            )
        unit = (line.unit or "").strip()
        if len(unit) > 20:
            found.append(
                bad_input(f"{where}the unit is longer than 20 characters", line_field(n, "unit"))
            )
        if scope is not None:
            found += check_unspsc_in_lot(line.unspsc, lot, scope, n)
        quantity = line.quantity
        if not isinstance(quantity, Decimal):
            found.append(
                bad_input(f"{where}the quantity is not a number", line_field(n, "quantity"))
            )
            continue
        found += check_quantity_and_price(quantity, Decimal(0), n)
        if quantity.is_finite() and not within_decimals(quantity, QUANTITY_DIGITS):
            found.append(
                bad_input(
                    f"{where}quantity {quantity} has more than {QUANTITY_DIGITS} decimals",
                    line_field(n, "quantity"),
                )
            )
    return found


# --- an offer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedOffer:
    """An offer that passed its checks, ready to store."""

    consolidator_id: int
    received_at: datetime  # aware
    late: bool
    services: tuple[tuple[str, Decimal], ...]  # in ServiceCode order
    content_hash: str
    replaces: StoredOffer | None


def offer_content(
    reference: str,
    consolidator: str,
    offer: OfferInput | StoredOffer,
    received_at: datetime,
    line_prices: Sequence[Decimal],
    services: Sequence[tuple[str, Decimal]],
) -> OfferContent:
    """What the hash covers of an offer."""
    return OfferContent(
        competition=reference,
        consolidator=consolidator,
        currency=offer.currency,
        received_at=received_at,
        delivery_days=offer.delivery_days,
        warranty_months=offer.warranty_months,
        valid_until=offer.valid_until,
        takes_back_equipment=bool(offer.takes_back_equipment),
        energy_label=bool(offer.energy_label),
        line_prices=tuple(line_prices),
        services=tuple(services),
    )


def stored_hash(reference: str, offer: StoredOffer) -> str:
    """The content hash of a stored offer computed again from what is stored now."""
    return offer_hash(
        offer_content(
            reference,
            offer.consolidator,
            offer,
            offer.received_at,
            offer.line_prices,
            offer.services,
        )
    )


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def check_offer(conn: Connection, stored: Stored, offer: OfferInput, now: datetime) -> CheckedOffer:
    """R1, R6, R17, R18, R19, R20 and the shape of an offer; raises `Refused`."""
    found: list[Finding] = []
    code = (offer.consolidator or "").strip()
    cons = eligibilities(conn).get(code)
    received = offer.received_at
    if not isinstance(received, datetime):
        raise Refused([bad_input("the time the offer was received is required", "received_at")])
    received = aware(received)
    if received > now:
        found.append(
            bad_input(
                f"the offer cannot be received in the future ({moment(received)})",
                "received_at",
            )
        )
    if stored.issued_at is not None and received < stored.issued_at:
        found.append(
            bad_input(f"the offer was received before {stored.reference} was issued", "received_at")
        )
    if cons is None:
        found.append(bad_input(f"unknown consolidator {code!r}", "consolidator"))
    else:
        invitation = stored.invitation_of(code)
        if invitation is None or not invitation.invited:
            why = (
                f" ({invitation.exclusion_reason})"
                if invitation and invitation.exclusion_reason
                else ""
            )
            found.append(
                bad_input(f"{code} is not invited to {stored.reference}{why}", "consolidator")
            )
        issued = (stored.issued_at or now).date()
        found += check_holder_active(
            lot_holdings(conn, stored.lot_id, stored.lot), code, stored.lot, issued
        )
        found += cons.findings("offer")

    iso = check_iso_codes(currency=offer.currency)
    found += iso
    if stored.deadline is None or stored.fx_rate_date is None:
        found.append(bad_input(f"{stored.reference} has no deadline or FX rate date", None))
    elif not iso:
        found += rate_on(conn, offer.currency, stored.fx_rate_date)[1]

    if len(offer.line_prices) != len(stored.lines):
        found.append(
            bad_input(
                f"{len(offer.line_prices)} unit prices for {len(stored.lines)} requirement lines:"
                " give one per line",
                "line_prices",
            )
        )
    for line, price in zip(stored.lines, offer.line_prices, strict=False):
        n = line.line_no
        if not isinstance(price, Decimal):
            found.append(
                bad_input(f"line {n}: the unit price is not a number", line_field(n, "unit_price"))
            )
            continue
        found += check_quantity_and_price(line.quantity, price, n)
        if price.is_finite() and not within_decimals(price, SCALE_DIGITS):
            found.append(
                bad_input(
                    f"line {n}: unit price {price} has more than {SCALE_DIGITS} decimals",
                    line_field(n, "unit_price"),
                )
            )
    services = _check_services(stored, offer, found)

    if not _whole(offer.delivery_days, 1):
        found.append(bad_input("delivery days must be a whole number, at least 1", "delivery_days"))
    if not _whole(offer.warranty_months, 0):
        found.append(
            bad_input("warranty months must be a whole number, 0 or more", "warranty_months")
        )
    if offer.valid_until is not None and offer.valid_until < received.date():
        found.append(
            bad_input(
                f"the offer is valid until {day(offer.valid_until)}, before it was received",
                "valid_until",
            )
        )
    if not offer.compliant and not (offer.disqualification_reason or "").strip():
        found.append(
            bad_input("an offer that is not compliant needs the reason", "disqualification_reason")
        )

    replaces = stored.offer_of(code)
    if replaces is not None:
        if stored.deadline is not None and now > stored.deadline:
            found.append(
                bad_input(
                    f"{code}'s offer cannot change after the deadline:"
                    f" the offer received {moment(replaces.received_at)} stands",
                    "consolidator",
                )
            )
        elif received < replaces.received_at:
            found.append(
                bad_input(
                    f"a revision of {code}'s offer cannot be received before the offer it replaces",
                    "received_at",
                )
            )
    if found:
        raise Refused(found)
    assert cons is not None and stored.deadline is not None
    late = bool(check_offer_on_time(received, stored.deadline))  # R6: kept, marked late
    content = offer_content(stored.reference, code, offer, received, offer.line_prices, services)
    return CheckedOffer(cons.id, received, late, services, offer_hash(content), replaces)


def _check_services(
    stored: Stored, offer: OfferInput, found: list[Finding]
) -> tuple[tuple[str, Decimal], ...]:
    """A price for each service the competition asks (warranty optional), none it does not ask,
    each not negative and in the currency's minor unit."""
    needed = [code for code in stored.services_asked if code != OPTIONAL_SERVICE]
    allowed = (*needed, OPTIONAL_SERVICE)
    seen: dict[str, Decimal] = {}
    for code, price in offer.services:
        where = f"services.{code}"
        if code not in SERVICE_CODES:
            found.append(
                bad_input(f"unknown service {code!r} (use {', '.join(SERVICE_CODES)})", where)
            )
            continue
        if code in seen:
            found.append(bad_input(f"the price of {label(code)} is given twice", where))
            continue
        if code not in allowed:
            found.append(bad_input(f"{stored.reference} does not ask for {label(code)}", where))
            continue
        if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
            found.append(
                bad_input(f"the price of {label(code)} must be a number, 0 or more", where)
            )
            continue
        if not within_decimals(price, min(minor_units(offer.currency or "USD"), SCALE_DIGITS)):
            found.append(
                bad_input(
                    f"the price of {label(code)} {price} has more decimals than"
                    f" {offer.currency} has",
                    where,
                )
            )
            continue
        seen[code] = price
    for code in needed:
        if code not in seen and not any(c == code for c, _ in offer.services):
            found.append(
                bad_input(
                    f"{stored.reference} asks for {label(code)}: the offer needs its price",
                    f"services.{code}",
                )
            )
    return tuple(sorted(seen.items(), key=lambda s: service_order(s[0])))


def competition_snapshot(
    comp: CompetitionInput, status: str, invitations: Sequence[InvitationPlan]
) -> dict:
    """What a competition's audit event records of a draft (no offer, so no price)."""
    return {
        "status": status,
        "agency": comp.agency,
        "lot": comp.lot,
        "title": comp.title.strip(),
        "destination_country": comp.destination_country,
        "deadline": comp.deadline,
        "fx_rate_date": comp.fx_rate_date,
        "evaluation_method": comp.evaluation_method,
        "weights": {name: weight for name, weight in comp.weights},
        "needs_freight": comp.needs_freight,
        "needs_export_licensing": comp.needs_export_licensing,
        "needs_installation": comp.needs_installation,
        "warranty_months": comp.warranty_months,
        "lines": [
            [
                n,
                line.description.strip(),
                (line.specification or "").strip(),
                line.unspsc.strip(),
                line.quantity,
                (line.unit or "").strip() or "each",
            ]
            for n, line in enumerate(comp.lines, 1)
        ],
        "invited": [i.consolidator for i in invitations if i.invited],
        "left_out": {i.consolidator: i.exclusion_reason for i in invitations if not i.invited},
    }
