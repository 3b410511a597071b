"""Checking an order against every order rule through `lta_tui.domain.rules`.

R12 (dates), R13 (direct orders under a sub-LTA), R14 (orders from an award), R15 (sub-LTA and
LTA ceilings), R16 (amendments of issued orders), R17 (suspended consolidator), R18 (every
line), R19 (ISO codes), R20 (rate in force) and R26 (the actor's role against the order's
agency), plus the shape of the input (at least one line, a service code on service lines only,
8-digit UNSPSC, descriptions, decimals within the storage scale). Every lookup is an indexed
one; nothing here scans the orders table, except the LTA ceiling's sum when the LTA has one.

Ceilings (R15): what is already used against a ceiling is the total of the *other* orders in a
spend status (issued, partially delivered, delivered, closed) — the consumption the Sub-LTAs
screen shows. Drafts are not counted: they commit nothing and many are abandoned; the order
being checked always adds its own total, so a draft is warned about as it is saved and checked
again (against the orders issued meanwhile) when it is issued.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, bindparam, case, func, select, type_coerce
from sqlalchemy.engine import Connection, Engine

from lta_tui.config import RulesConfig
from lta_tui.domain.fx import Rate, to_usd
from lta_tui.domain.money import (
    QUANTITY_DIGITS,
    SCALE_DIGITS,
    line_amount,
    round_money,
    within_decimals,
)
from lta_tui.domain.rules import (
    AwardTerms,
    CatalogueEntry,
    DirectLine,
    Finding,
    Holding,
    Period,
    SubLtaTerms,
    check_ceiling,
    check_consolidator_eligible,
    check_cumulative_amendments,
    check_direct_order,
    check_iso_codes,
    check_order_date,
    check_order_matches_award,
    check_permission,
    check_quantity_and_price,
    collect,
)
from lta_tui.domain.rules._render import line_field, line_prefix, money
from lta_tui.domain.rules.findings import Refused, Severity, error
from lta_tui.domain.states import SPEND_STATUSES, Channel, LineKind, OrderStatus, label
from lta_tui.services.fx_rates import rate_on
from lta_tui.services.offer_prices import landed_totals
from lta_tui.services.order_types import Actor, LineFigures, LineInput, OrderCheck, OrderInput
from lta_tui.store.models import (
    Agency,
    Award,
    CatalogueItem,
    Consolidator,
    Lot,
    LotHolding,
    Lta,
    MiniCompetition,
    Offer,
    Order,
    OrderAmendment,
    OrderLine,
    ServiceType,
    SubLta,
)

#: The rule label of findings about the shape of the input rather than a rule of DESIGN.md §2.
INPUT = "input"
_SPEND = [s.value for s in SPEND_STATUSES]
#: Statuses whose value change is an amendment (R16) rather than an edit of a draft.
AMENDABLE = (OrderStatus.issued.value, OrderStatus.partially_delivered.value)
_HEADER_LOCKED = (
    ("agency", "agency"),
    ("channel", "channel"),
    ("consolidator", "consolidator"),
    ("lot", "lot"),
    ("sub_lta", "sub_lta"),
    ("competition", "competition"),
    ("order_date", "order_date"),
    ("currency", "currency"),
    ("destination_country", "destination_country"),
)


def bad_input(text: str, field_name: str | None) -> Finding:
    """A finding about the input itself (a missing value, a malformed code): always an error."""
    return Finding(INPUT, Severity.error, text, field_name)


def refuse(text: str, field_name: str | None = "status") -> Refused:
    """A refusal that is not a numbered rule (a status that does not allow the action)."""
    return Refused([bad_input(text, field_name)])


@dataclass(frozen=True)
class ExistingLine:
    id: int
    line_no: int
    quantity: Decimal
    unit_price: Decimal
    delivered: Decimal


@dataclass(frozen=True)
class Existing:
    """The stored order a check or a save starts from."""

    id: int
    po_number: str
    status: str
    version: int
    agency: str
    input: OrderInput
    rate: Rate
    total: Decimal
    total_usd: Decimal
    first_total: Decimal | None
    acknowledged: tuple[dict, ...]
    lines: tuple[ExistingLine, ...]
    updated_by: str
    updated_at: datetime


@dataclass
class Resolved:
    """Ids found while checking, for the writer."""

    agency_id: int | None = None
    consolidator_id: int | None = None
    lot_id: int | None = None
    lta_id: int | None = None
    sub_lta_id: int | None = None
    award_id: int | None = None
    catalogue_ids: dict[int, int] = field(default_factory=dict)  # line_no → catalogue item id
    service_ids: dict[int, int] = field(default_factory=dict)  # line_no → service type id
    amendment_totals: list[Decimal] = field(default_factory=list)


# --- statements, built once (their compiled form is cached; a check only binds values) -----

_P = bindparam
Q_AGENCY = select(Agency.id).where(Agency.code == _P("code"))
Q_CONSOLIDATOR = select(
    Consolidator.id,
    Consolidator.eligibility,
    Consolidator.eligibility_since,
    Consolidator.eligibility_reason,
).where(Consolidator.code == _P("code"))
_LTA_COLUMNS = select(Lta.id, Lta.reference, Lta.valid_from, Lta.valid_to, Lta.ceiling_usd)
Q_LTA = _LTA_COLUMNS.where(Lta.id == _P("id"))
Q_FIRST_LTA = _LTA_COLUMNS.order_by(Lta.id).limit(1)
Q_LOT = select(Lot.id).where(Lot.lta_id == _P("lta_id"), Lot.number == _P("number"))
Q_HOLDINGS = select(LotHolding.active_from, LotHolding.active_to).where(
    LotHolding.consolidator_id == _P("consolidator_id"), LotHolding.lot_id == _P("lot_id")
)
Q_SERVICES = select(ServiceType.code, ServiceType.id)
Q_SUB_LTA = (
    select(
        SubLta.id,
        SubLta.lta_id,
        SubLta.valid_from,
        SubLta.valid_to,
        SubLta.currency,
        SubLta.ceiling,
        Agency.code,
        Consolidator.code,
    )
    .join(Agency, Agency.id == SubLta.agency_id)
    .join(Consolidator, Consolidator.id == SubLta.consolidator_id)
    .where(SubLta.reference == _P("reference"))
)
Q_CATALOGUE = (
    select(
        CatalogueItem.id,
        CatalogueItem.sku,
        CatalogueItem.unit_price,
        CatalogueItem.currency,
        CatalogueItem.valid_from,
        CatalogueItem.valid_to,
        CatalogueItem.description,
        Lot.number,
    )
    .join(Lot, Lot.id == CatalogueItem.lot_id)
    .where(
        CatalogueItem.sub_lta_id == _P("sub_lta_id"),
        CatalogueItem.sku.in_(_P("skus", expanding=True)),
    )
)
#: What the other orders in a spend status use of a ceiling (`other`: the order checked, or 0).
#: For a sub-LTA, the orders in its currency (`currency`) add their `total`; any other order (an
#: old or imported one in another currency, which R13 now refuses) adds its `total_usd`, which
#: `_used_sub_lta` converts at the sub-LTA currency's rate in force on the order date.
Q_USED_SUB_LTA = select(
    func.sum(
        case((Order.currency == _P("currency"), type_coerce(Order.total, BigInteger)), else_=0)
    ),
    func.sum(
        case((Order.currency != _P("currency"), type_coerce(Order.total_usd, BigInteger)), else_=0)
    ),
).where(Order.sub_lta_id == _P("scope"), Order.status.in_(_SPEND), Order.id != _P("other"))
Q_USED_LTA = select(func.sum(type_coerce(Order.total_usd, BigInteger))).where(
    Order.lta_id == _P("scope"), Order.status.in_(_SPEND), Order.id != _P("other")
)
Q_AMENDMENTS = (
    select(OrderAmendment.new_total)
    .where(OrderAmendment.order_id == _P("order_id"))
    .order_by(OrderAmendment.amended_at, OrderAmendment.id)
)


def check_order(
    engine: Engine,
    order: OrderInput,
    actor: Actor,
    rules: RulesConfig,
    *,
    order_id: int | None = None,
) -> OrderCheck:
    """Every order rule on `order` (a new one, or the stored order `order_id` changed to it).

    The preview of an amendment (an issued or partially delivered order) evaluates at the
    order's stored rate, as `save_order` does, so the USD total and the LTA ceiling shown are
    the ones that will be saved."""
    with engine.connect() as conn:
        existing = load_existing(conn, order_id) if order_id is not None else None
        amending = existing is not None and existing.status in AMENDABLE
        return evaluate(conn, order, actor, rules, existing, keep_rate=amending)[0]


# --- reading the stored order ------------------------------------------------------------------


class OrderMissing(LookupError):
    pass


def load_existing(conn: Connection, order_id: int) -> Existing:
    o = Order.__table__.c
    row = conn.execute(
        select(
            o.id,
            o.po_number,
            o.status,
            o.version,
            Agency.code,
            o.channel,
            Consolidator.code,
            Lot.number,
            SubLta.reference,
            MiniCompetition.reference,
            o.order_date,
            o.currency,
            o.destination_country,
            o.fx_units_per_usd,
            o.fx_effective_date,
            o.fx_source,
            o.total,
            o.total_usd,
            o.first_total,
            o.acknowledged_warnings,
            o.updated_by,
            o.updated_at,
        )
        .join(Agency, Agency.id == o.agency_id)
        .join(Consolidator, Consolidator.id == o.consolidator_id)
        .join(Lot, Lot.id == o.lot_id)
        .outerjoin(SubLta, SubLta.id == o.sub_lta_id)
        .outerjoin(Award, Award.id == o.award_id)
        .outerjoin(MiniCompetition, MiniCompetition.id == Award.competition_id)
        .where(o.id == order_id)
    ).first()
    if row is None:
        raise OrderMissing(f"order {order_id} does not exist (deleted?)")
    line_rows = conn.execute(
        select(
            OrderLine.id,
            OrderLine.line_no,
            OrderLine.kind,
            OrderLine.description,
            OrderLine.unspsc,
            OrderLine.quantity,
            OrderLine.unit_price,
            OrderLine.unit,
            CatalogueItem.sku,
            ServiceType.code,
            OrderLine.delivered_quantity,
        )
        .outerjoin(CatalogueItem, CatalogueItem.id == OrderLine.catalogue_item_id)
        .outerjoin(ServiceType, ServiceType.id == OrderLine.service_type_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.line_no)
    ).all()
    acknowledged = parse_acknowledged(row.acknowledged_warnings)
    order = OrderInput(
        agency=row[4],
        channel=row.channel,
        consolidator=row[6],
        lot=row.number,
        order_date=row.order_date,
        currency=row.currency,
        destination_country=row.destination_country,
        lines=tuple(
            LineInput(
                kind=r.kind,
                description=r.description,
                unspsc=r.unspsc,
                quantity=r.quantity,
                unit_price=r.unit_price,
                unit=r.unit,
                sku=r.sku,
                service=r.code,
            )
            for r in line_rows
        ),
        sub_lta=row[8],
        competition=row[9],
        ceiling_amendment=next(
            (a["ceiling_amendment"] for a in acknowledged if a.get("ceiling_amendment")), None
        ),
    )
    return Existing(
        id=row.id,
        po_number=row.po_number,
        status=row.status,
        version=row.version,
        agency=row[4],
        input=order,
        rate=Rate(row.currency, row.fx_effective_date, row.fx_units_per_usd, row.fx_source),
        total=round_money(row.total, row.currency),
        total_usd=round_money(row.total_usd, "USD"),
        first_total=None if row.first_total is None else round_money(row.first_total, row.currency),
        acknowledged=tuple(acknowledged),
        lines=tuple(
            ExistingLine(r.id, r.line_no, r.quantity, r.unit_price, r.delivered_quantity)
            for r in line_rows
        ),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def parse_acknowledged(text: str | None) -> list[dict]:
    """`orders.acknowledged_warnings`: a JSON list of {rule, message, by, at}; older or imported
    rows may hold plain text ("R16: ... (who)"), read as one entry of that rule."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    rule = text.split(":", 1)[0].strip()
    return [{"rule": rule, "message": text}]


# --- the check ---------------------------------------------------------------------------------


def evaluate(
    conn: Connection,
    order: OrderInput,
    actor: Actor,
    rules: RulesConfig,
    existing: Existing | None,
    *,
    keep_rate: bool = False,
) -> tuple[OrderCheck, Resolved]:
    """The check of `order` and the ids the writer needs. `existing` is the stored order being
    changed; `keep_rate` uses its stored rate (issue, amendments) instead of the rate in force."""
    found: list[list[Finding]] = []
    ids = Resolved()
    amending = existing is not None and existing.status in AMENDABLE

    # R26: the actor may change orders of the order's agency (and of the stored order's)
    found.append(
        [
            Finding(f.rule, f.severity, f.message, f.field or "agency")
            for f in check_permission(actor.role, actor.agency, "change", order.agency)
        ]
    )
    if existing is not None and existing.agency != order.agency:
        found.append(
            [bad_input(f"the agency of {existing.po_number} cannot change", "agency")]
            + [
                Finding(f.rule, f.severity, f.message, "agency")
                for f in check_permission(actor.role, actor.agency, "change", existing.agency)
            ]
        )
    if existing is not None and existing.status not in (OrderStatus.draft.value, *AMENDABLE):
        found.append(
            [
                bad_input(
                    f"{existing.po_number} is {label(existing.status)}:"
                    " only a draft, issued or partially delivered order can be changed",
                    "status",
                )
            ]
        )
    if amending:
        found.append(_amendment_header(order, existing))

    agency_id = conn.execute(Q_AGENCY, {"code": order.agency}).scalar()
    if agency_id is None:
        found.append([bad_input(f"unknown agency {order.agency!r}", "agency")])
    ids.agency_id = agency_id

    cons = conn.execute(Q_CONSOLIDATOR, {"code": order.consolidator}).first()
    if cons is None:
        found.append([bad_input(f"unknown consolidator {order.consolidator!r}", "consolidator")])
    else:
        ids.consolidator_id = cons.id
        if not amending:  # R17 blocks new orders; an issued order may still be amended
            found.append(
                check_consolidator_eligible(
                    order.consolidator,
                    cons.eligibility,
                    "order",
                    cons.eligibility_since,
                    cons.eligibility_reason,
                )
            )

    # the agreement the order is placed under: the sub-LTA's, the competition's, or the LTA
    sub = comp = None
    if order.channel == Channel.direct.value:
        sub = _sub_lta(conn, order, found)
    elif order.channel == Channel.mini_competition.value:
        comp = _competition(conn, order, existing, found)
    else:
        found.append(
            [
                bad_input(
                    f"unknown channel {order.channel!r} (use direct or mini_competition)",
                    "channel",
                )
            ]
        )
    lta_id = (sub and sub.lta_id) or (comp and comp.lta_id)
    lta = conn.execute(Q_LTA, {"id": lta_id}) if lta_id else conn.execute(Q_FIRST_LTA)
    lta = lta.first()
    ids.lta_id = lta.id if lta else None
    lot_id = None
    if lta is not None:
        lot_id = conn.execute(Q_LOT, {"lta_id": lta.id, "number": order.lot}).scalar()
    if lot_id is None:
        found.append([bad_input(f"lot {order.lot} is not a lot of the LTA", "lot")])
    ids.lot_id = lot_id

    # R12: the order date inside the LTA validity and the holder's period for the lot
    if lta is not None and cons is not None and lot_id is not None:
        holdings = [
            Holding(order.consolidator, order.lot, a, b)
            for a, b in conn.execute(Q_HOLDINGS, {"consolidator_id": cons.id, "lot_id": lot_id})
        ]
        found.append(
            check_order_date(
                order.order_date,
                lta.reference,
                Period(lta.valid_from, lta.valid_to),
                holdings,
                order.consolidator,
                order.lot,
            )
        )

    # R19 and R20: codes, then the rate in force (or the stored rate)
    iso = check_iso_codes(
        currency=order.currency,
        country=order.destination_country,
        country_field="destination_country",
    )
    found.append(iso)
    rate: Rate | None = None
    if not any(f.field == "currency" for f in iso):
        if keep_rate and existing is not None and existing.rate.currency == order.currency:
            rate = existing.rate
        else:
            rate, problems = rate_on(conn, order.currency, order.order_date)
            found.append(problems)

    # the lines: shape, R18, amounts
    figures, line_findings = _lines(conn, order, rate, ids)
    found.append(line_findings)
    total = sum((f.amount for f in figures), Decimal(0))
    total_usd = (
        sum((f.amount_usd for f in figures if f.amount_usd is not None), Decimal(0))
        if rate is not None and all(f.amount_usd is not None for f in figures)
        else None
    )

    # R13: a direct order's sub-LTA and catalogue
    if order.channel == Channel.direct.value:
        found.append(_direct(conn, order, sub, ids))
    # R14: an order from a competition matches its award
    if comp is not None:
        ids.award_id = comp.award_id
        found.append(
            check_order_matches_award(
                comp.terms,
                competition=comp.reference,
                agency=order.agency,
                consolidator=order.consolidator,
                lot=order.lot,
                currency=order.currency,
                total=total,
            )
        )

    # R15: ceilings of the sub-LTA (its currency) and of the LTA (USD). An order in another
    # currency than its sub-LTA's is refused by R13; it is still checked against the ceiling,
    # its amount converted through USD, so that a mismatch never skips R15.
    other = existing.id if existing is not None else None
    if sub is not None:
        sub_rate = _sub_lta_rate(conn, sub.currency, order.order_date, rate)
        amount = (
            total
            if sub.currency == order.currency
            else _from_usd(total_usd, sub_rate)
            if total_usd is not None
            else None
        )
        used = _used_sub_lta(conn, sub, other, sub_rate)
        if amount is not None and used is not None:
            found.append(
                check_ceiling(
                    label=f"sub-LTA {sub.reference}",
                    ceiling=sub.ceiling,
                    used=used,
                    amount=amount,
                    currency=sub.currency,
                    warn_pct=rules.ceiling_warn_pct,
                    amendment=order.ceiling_amendment,
                )
            )
    if lta is not None and lta.ceiling_usd is not None and total_usd is not None:
        used = _used(conn, Q_USED_LTA, lta.id, other)
        found.append(
            check_ceiling(
                label=f"LTA {lta.reference}",
                ceiling=lta.ceiling_usd,
                used=used,
                amount=total_usd,
                currency="USD",
                warn_pct=rules.ceiling_warn_pct,
                amendment=order.ceiling_amendment,
            )
        )

    # R16 and the amendment's own conditions
    if amending:
        found.append(_amendment(conn, order, existing, figures, total, rules, ids))

    findings = collect(*found)
    return (
        OrderCheck(
            findings=tuple(findings),
            lines=tuple(figures),
            total=total,
            total_usd=total_usd,
            rate=rate,
        ),
        ids,
    )


def _amendment_header(order: OrderInput, existing: Existing) -> list[Finding]:
    """An issued order's value changes through its lines; who, what and where stay."""
    found = []
    for attr, field_name in _HEADER_LOCKED:
        before, after = getattr(existing.input, attr), getattr(order, attr)
        if before != after and attr != "agency":
            found.append(
                bad_input(
                    f"{existing.po_number} is issued: its {label(attr)} cannot change"
                    f" ({before} → {after}); cancel it and place a new order instead",
                    field_name,
                )
            )
    return found


@dataclass(frozen=True)
class _SubLtaRow:
    id: int
    lta_id: int
    reference: str
    currency: str
    ceiling: Decimal
    terms: SubLtaTerms


def _sub_lta(conn: Connection, order: OrderInput, found: list) -> _SubLtaRow | None:
    ref = (order.sub_lta or "").strip()
    if not ref:
        return None  # check_direct_order refuses it (R13)
    row = conn.execute(Q_SUB_LTA, {"reference": ref}).first()
    if row is None:
        found.append([error("R13", f"there is no sub-LTA {ref!r}", "sub_lta")])
        return None
    terms = SubLtaTerms(ref, row[6], row[7], Period(row.valid_from, row.valid_to), row.currency)
    return _SubLtaRow(row.id, row.lta_id, ref, row.currency, row.ceiling, terms)


def _direct(
    conn: Connection, order: OrderInput, sub: _SubLtaRow | None, ids: Resolved
) -> list[Finding]:
    """R13 through check_direct_order, on the goods lines and any line naming a catalogue item;
    a catalogue item of another lot than the order's is refused on its line."""
    if sub is None and (order.sub_lta or "").strip():
        return []  # the unknown reference is already reported
    must = [
        DirectLine(n, (line.sku or "").strip() or None, line.unit_price)
        for n, line in enumerate(order.lines, 1)
        if line.kind != LineKind.service.value or (line.sku or "").strip()
    ]
    entries: list[CatalogueEntry] = []
    found: list[Finding] = []
    if sub is not None:
        ids.sub_lta_id = sub.id
        skus = {line.sku for line in must if line.sku}
        items = {}
        if skus:
            for r in conn.execute(Q_CATALOGUE, {"sub_lta_id": sub.id, "skus": sorted(skus)}):
                items[r.sku] = r
                entries.append(
                    CatalogueEntry(
                        r.sku,
                        r.unit_price,
                        r.currency,
                        Period(r.valid_from, r.valid_to),
                        r.description,
                    )
                )
        for line in must:
            item = items.get(line.sku)
            if item is None:
                continue
            ids.catalogue_ids[line.line_no] = item.id
            if item.number != order.lot:
                found.append(
                    error(
                        "R13",
                        f"{line_prefix(line.line_no)}{line.sku} is a lot {item.number} item,"
                        f" the order is for lot {order.lot}",
                        line_field(line.line_no, "sku"),
                    )
                )
    found.extend(
        check_direct_order(
            agency=order.agency,
            consolidator=order.consolidator,
            order_date=order.order_date,
            currency=order.currency,
            lines=must,
            sub_lta=sub.terms if sub is not None else None,
            catalogue=entries,
        )
    )
    return found


@dataclass(frozen=True)
class _CompetitionRow:
    reference: str
    lta_id: int
    award_id: int | None
    terms: AwardTerms | None


def _competition(
    conn: Connection, order: OrderInput, existing: Existing | None, found: list
) -> _CompetitionRow | None:
    """The competition the order comes from, with what R14 checks of its award: the
    competition's agency and status, the awarded offer (its landed total as written at the
    opening) and the award's other orders not cancelled."""
    ref = (order.competition or "").strip()
    if not ref:
        found.append(
            [bad_input("an order from a mini-competition names the competition", "competition")]
        )
        return None
    row = conn.execute(
        select(
            MiniCompetition.id,
            MiniCompetition.lta_id,
            MiniCompetition.status,
            Agency.code,
            Award.id,
            Offer.id,
            Offer.currency,
            Offer.total,
            Consolidator.code,
            Lot.number,
        )
        .join(Agency, Agency.id == MiniCompetition.agency_id)
        .join(Lot, Lot.id == MiniCompetition.lot_id)
        .outerjoin(Award, Award.competition_id == MiniCompetition.id)
        .outerjoin(Offer, Offer.id == Award.offer_id)
        .outerjoin(Consolidator, Consolidator.id == Offer.consolidator_id)
        .where(MiniCompetition.reference == ref)
    ).first()
    if row is None:
        found.append([bad_input(f"there is no mini-competition {ref!r}", "competition")])
        return None
    competition_id, lta_id, status, agency, award_id, offer_id, currency, total = row[:8]
    if award_id is None:
        return _CompetitionRow(ref, lta_id, None, None)  # R14 refuses: no award
    if total is None:  # a row older than the totals written at the opening
        total = landed_totals(conn, competition_id, [offer_id])[offer_id]
    others = conn.execute(
        select(Order.po_number)
        .where(
            Order.award_id == award_id,
            Order.status != OrderStatus.cancelled.value,
            Order.id != (existing.id if existing is not None else 0),
        )
        .order_by(Order.id)
    ).scalars()
    terms = AwardTerms(ref, agency, status, row[8], row[9], currency, total, tuple(others))
    return _CompetitionRow(ref, lta_id, award_id, terms)


def _lines(
    conn: Connection, order: OrderInput, rate: Rate | None, ids: Resolved
) -> tuple[list[LineFigures], list[Finding]]:
    found: list[Finding] = []
    figures: list[LineFigures] = []
    if not order.lines:
        found.append(bad_input("an order needs at least one line", "lines"))
    services = dict(conn.execute(Q_SERVICES).all())
    for n, line in enumerate(order.lines, 1):
        where = line_prefix(n)
        if not (line.description or "").strip():
            found.append(
                bad_input(f"{where}a description is required", line_field(n, "description"))
            )
        unspsc = (line.unspsc or "").strip()
        if not (len(unspsc) == 8 and unspsc.isdecimal()):
            found.append(
                bad_input(
                    f"{where}UNSPSC {line.unspsc!r} is not an 8-digit code",
                    line_field(n, "unspsc"),
                )
            )
        if line.kind == LineKind.service.value:
            if not line.service:
                found.append(
                    bad_input(
                        f"{where}a service line needs its service ({', '.join(sorted(services))})",
                        line_field(n, "service"),
                    )
                )
            elif line.service not in services:
                found.append(
                    bad_input(
                        f"{where}unknown service {line.service!r}"
                        f" (use {', '.join(sorted(services))})",
                        line_field(n, "service"),
                    )
                )
            else:
                ids.service_ids[n] = services[line.service]
        elif line.kind == LineKind.goods.value:
            if line.service:
                found.append(
                    bad_input(
                        f"{where}a goods line has no service ({line.service!r}):"
                        " make it a service line",
                        line_field(n, "service"),
                    )
                )
        else:
            found.append(
                bad_input(
                    f"{where}kind {line.kind!r} is neither goods nor service",
                    line_field(n, "kind"),
                )
            )
        rule = check_quantity_and_price(line.quantity, line.unit_price, n)
        found.extend(rule)
        amount, amount_usd = Decimal(0), None
        usable = not rule
        if line.quantity.is_finite() and not within_decimals(line.quantity, QUANTITY_DIGITS):
            usable = False
            found.append(
                bad_input(
                    f"{where}quantity {line.quantity} has more than {QUANTITY_DIGITS} decimals",
                    line_field(n, "quantity"),
                )
            )
        if line.unit_price.is_finite() and not within_decimals(line.unit_price, SCALE_DIGITS):
            usable = False
            found.append(
                bad_input(
                    f"{where}unit price {line.unit_price} has more than {SCALE_DIGITS} decimals",
                    line_field(n, "unit_price"),
                )
            )
        if usable:
            amount = line_amount(line.quantity, line.unit_price, order.currency)
            if rate is not None:
                amount_usd = to_usd(amount, rate)
        figures.append(LineFigures(n, amount, amount_usd))
    return figures, found


def _sub_lta_rate(
    conn: Connection, currency: str, on: date, order_rate: Rate | None
) -> Rate | None:
    """The rate of the sub-LTA's currency in force on `on` (the order's own when it is the same
    currency), to convert USD amounts of orders in another currency; None when there is none."""
    if order_rate is not None and order_rate.currency == currency:
        return order_rate
    return rate_on(conn, currency, on)[0]


def _from_usd(amount_usd: Decimal, rate: Rate | None) -> Decimal | None:
    if rate is None:
        return None
    return round_money(amount_usd * rate.units_per_usd, rate.currency)


def _used_sub_lta(
    conn: Connection, sub: _SubLtaRow, other: int | None, rate: Rate | None
) -> Decimal | None:
    """What the other orders in a spend status use of a sub-LTA's ceiling, in its currency.
    None when some of them are in another currency and there is no rate to convert them."""
    same, foreign = conn.execute(
        Q_USED_SUB_LTA, {"scope": sub.id, "other": other or 0, "currency": sub.currency}
    ).one()
    used = Decimal(int(same or 0)).scaleb(-SCALE_DIGITS)
    if foreign:
        converted = _from_usd(Decimal(int(foreign)).scaleb(-SCALE_DIGITS), rate)
        if converted is None:
            return None
        used += converted
    return used


def _used(conn: Connection, statement, scope: int, other: int | None) -> Decimal:
    """What the other orders in a spend status already use of a ceiling."""
    units = conn.execute(statement, {"scope": scope, "other": other or 0}).scalar()
    return Decimal(int(units or 0)).scaleb(-SCALE_DIGITS)


def _amendment(
    conn: Connection,
    order: OrderInput,
    existing: Existing,
    figures: Sequence[LineFigures],
    total: Decimal,
    rules: RulesConfig,
    ids: Resolved,
) -> list[Finding]:
    """An amendment of an issued order: a reason, no line removed, nothing below what was
    delivered, and R16 on the cumulative amendments."""
    found: list[Finding] = []
    po, currency = existing.po_number, order.currency
    if not (order.amendment_reason or "").strip():
        found.append(
            bad_input(
                f"{po} is {label(existing.status)}: changing it is an amendment,"
                " which needs a reason",
                "amendment_reason",
            )
        )
    if len(order.lines) < len(existing.lines):
        found.append(
            bad_input(
                f"{po} is issued: its lines cannot be removed ({len(existing.lines)} issued,"
                f" {len(order.lines)} given); lower a quantity instead",
                "lines",
            )
        )
    delivered_value = Decimal(0)
    for old, line in zip(existing.lines, order.lines, strict=False):
        if old.delivered and line.quantity.is_finite() and line.quantity < old.delivered:
            found.append(
                bad_input(
                    f"line {old.line_no}: quantity {line.quantity.normalize():f} is below the"
                    f" {old.delivered.normalize():f} already delivered",
                    line_field(old.line_no, "quantity"),
                )
            )
        if old.delivered and line.unit_price.is_finite():
            delivered_value += line_amount(old.delivered, line.unit_price, currency)
    if total < delivered_value:
        found.append(
            bad_input(
                f"the new total {money(total, currency)} is below the"
                f" {money(delivered_value, currency)} already delivered",
                "total",
            )
        )
    totals = [t for (t,) in conn.execute(Q_AMENDMENTS, {"order_id": existing.id})]
    ids.amendment_totals = totals
    first = existing.first_total if existing.first_total is not None else existing.total
    if total != existing.total:
        found.extend(
            check_cumulative_amendments(first, [*totals, total], currency, rules.amendment_warn_pct)
        )
    return found


def acknowledged_rules(entries: Collection[dict]) -> set[str]:
    return {str(e.get("rule")) for e in entries if e.get("rule")}
