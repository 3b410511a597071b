"""A competition after its deadline: the opening (R5), the technical compliance of the offers,
the evaluation (scores and ranks, R20) and the award that creates the order (R8–R10, R14, R17).

Each function is one transaction (`write_transaction`) with R26, the optimistic version check
and one audit event per step (R25); the award and its order commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from lta_tui.config import RulesConfig
from lta_tui.domain.money import round_money
from lta_tui.domain.rules import (
    Finding,
    OfferStanding,
    Refused,
    check_abnormally_low,
    check_award,
    check_offer_still_valid,
    check_prices_unsealed,
    check_valid_offer_count,
)
from lta_tui.domain.states import Channel, LineKind
from lta_tui.services.competition_checks import stored_hash
from lta_tui.services.competition_evaluation import evaluate_offers, landed
from lta_tui.services.competition_stored import (
    S,
    Stored,
    bump_version,
    change_status,
    eligibilities,
    load_for_action,
    load_stored,
    record,
    saved,
)
from lta_tui.services.competition_types import AwardResult, SavedCompetition
from lta_tui.services.order_checks import refuse
from lta_tui.services.order_types import Actor, LineInput, NeedsAcknowledgement, OrderInput
from lta_tui.services.order_write import (
    aware,
    pending_warnings,
    save_order_in,
    write_transaction,
)
from lta_tui.store.models import Award, Offer, ServiceType

_OFFERS = Offer.__table__
#: The unit of a service line of the order an award creates.
SERVICE_UNIT = "lot"


# --- the opening ---------------------------------------------------------------------------


def open_offers(
    engine: Engine,
    competition_id: int,
    actor: Actor,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """Record the opening (R5: only once the deadline has passed): the offers are unsealed, each
    one's landed total (goods + services, in its currency) is written with whether its content
    hash still matches what was received (`hash_ok`). The audit event holds the bid abstract:
    consolidator, currency, total, late and hash check of every offer, and who opened when."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor,
            only=(S.open.value, S.closed.value),
            needs="only an open competition whose deadline has passed is opened",
        )  # fmt: skip
        found = check_prices_unsealed(now, stored.deadline, now)
        if found:
            raise Refused(found)
        abstract = []
        rows = []
        for offer in stored.offers:
            total = landed(stored, offer).total
            ok = stored_hash(stored.reference, offer) == offer.content_hash
            rows.append({"b_id": offer.id, "b_total": total, "b_hash_ok": ok})
            abstract.append(
                {
                    "consolidator": offer.consolidator,
                    "currency": offer.currency,
                    "total": total,
                    "late": offer.late,
                    "hash_ok": ok,
                }
            )
        if rows:
            conn.execute(
                update(_OFFERS)
                .where(_OFFERS.c.id == bindparam("b_id"))
                .values(total=bindparam("b_total"), hash_ok=bindparam("b_hash_ok")),
                rows,
            )
        opened = {"opened_at": now, "opened_by": actor.name}
        version = change_status(
            conn, stored, S.opened.value, actor, now, "open",
            values=opened, after={**opened, "offers": abstract},
        )  # fmt: skip
        return saved(stored, version, S.opened.value)


def set_offer_compliance(
    engine: Engine,
    competition_id: int,
    consolidator: str,
    compliant: bool,
    reason: str | None,
    actor: Actor,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """Record whether an opened offer is technically compliant; one that is not needs the
    reason (it then does not count). Only between the opening and the evaluation."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor, only=(S.opened.value,),
            needs="compliance is recorded between the opening and the evaluation",
        )  # fmt: skip
        offer = stored.offer_of(consolidator)
        if offer is None:
            raise refuse(f"{consolidator} made no offer in {stored.reference}", "consolidator")
        why = (reason or "").strip() or None
        if not compliant and why is None:
            raise refuse(
                f"{consolidator}'s offer is not compliant: record the reason",
                "disqualification_reason",
            )
        if compliant:
            why = None
        if (offer.compliant, offer.disqualification_reason) == (bool(compliant), why):
            return saved(stored, stored.version)
        conn.execute(
            update(_OFFERS)
            .where(_OFFERS.c.id == offer.id)
            .values(
                compliant=bool(compliant),
                disqualification_reason=why,
                version=offer.version + 1,
            )
        )
        version = bump_version(conn, stored, stored.version, {})
        record(
            conn,
            actor,
            now,
            stored.id,
            "compliance",
            {
                "consolidator": consolidator,
                "compliant": offer.compliant,
                "reason": offer.disqualification_reason,
            },
            {"consolidator": consolidator, "compliant": bool(compliant), "reason": why},
        )
        return saved(stored, version)


# --- the evaluation ----------------------------------------------------------------------------


def evaluate_competition(
    engine: Engine,
    competition_id: int,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    expected_version: int,
) -> SavedCompetition:
    """Evaluate an opened competition: per offer the landed total in USD at the ORE rate in
    force on the FX rate date (R20; a missing rate refuses, naming currency and date), the
    holder's past performance, score and rank (`lta_tui.domain.scoring`), all stored. With
    no valid offer it is refused (R10): declare the competition unsuccessful instead."""
    now = aware(now)
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor, only=(S.opened.value,),
            needs="only an opened competition is evaluated",
        )  # fmt: skip
        version = _evaluate(conn, stored, actor, now)
        return saved(stored, version, S.evaluated.value)


def _evaluate(conn: Connection, stored: Stored, actor: Actor, now: datetime) -> int:
    """Write the evaluation of `stored` (opened) and its audit event; the new version."""
    figures = evaluate_offers(conn, stored)
    if not any(f.rank is not None for f in figures):
        found = check_award(stored.reference, None, 0, None)
        raise Refused(
            [
                Finding(
                    f.rule,
                    f.severity,
                    f"{f.message}: declare it unsuccessful",
                    f.field,
                )
                for f in found
            ]
        )
    rows = []
    for f in figures:
        usd = f.rate is not None and f.rate.currency == "USD"
        rows.append(
            {
                "b_id": f.offer.id,
                "b_total": f.total,
                "b_total_usd": f.total_usd,
                "b_units": f.rate.units_per_usd if f.rate is not None else None,
                "b_effective": None if f.rate is None or usd else f.rate.effective_date,
                "b_past": f.past_performance,
                "b_score": f.score,
                "b_rank": f.rank,
            }
        )
    conn.execute(
        update(_OFFERS)
        .where(_OFFERS.c.id == bindparam("b_id"))
        .values(
            total=bindparam("b_total"),
            total_usd=bindparam("b_total_usd"),
            fx_units_per_usd=bindparam("b_units"),
            fx_effective_date=bindparam("b_effective"),
            past_performance=bindparam("b_past"),
            score=bindparam("b_score"),
            rank=bindparam("b_rank"),
        ),
        rows,
    )
    return change_status(
        conn,
        stored,
        S.evaluated.value,
        actor,
        now,
        "evaluate",
        values={"evaluated_at": now, "evaluated_by": actor.name},
        after={
            "fx_rate_date": stored.fx_rate_date,
            "method": stored.evaluation_method,
            "weights": dict(stored.weights),
            "offers": [
                {
                    "consolidator": f.offer.consolidator,
                    "valid": f.valid,
                    "currency": f.offer.currency,
                    "total": f.total,
                    "units_per_usd": row["b_units"],
                    "fx_effective_date": row["b_effective"],
                    "total_usd": f.total_usd,
                    "past_performance": f.past_performance,
                    "score": f.score,
                    "rank": f.rank,
                }
                for f, row in zip(figures, rows, strict=True)
            ],
        },
    )


# --- the award -----------------------------------------------------------------------------------


def award_competition(
    engine: Engine,
    competition_id: int,
    consolidator: str,
    actor: Actor,
    rules: RulesConfig,
    *,
    now: datetime,
    expected_version: int,
    justification: str | None = None,
    few_offers_justification: str | None = None,
    acknowledged: Collection[str] = (),
) -> AwardResult:
    """Award the offer of `consolidator` and create its order (a draft) through the order
    service, in one transaction. An opened competition is evaluated first (same transaction).

    R10 (E): only a valid offer of this competition; other than rank 1 needs `justification`;
    (W) an offer valid until before the award day must be acknowledged ("R10" in
    `acknowledged`). R17 (E): not to a suspended consolidator. R8 (W): fewer valid offers than
    `rules.min_valid_offers` need `few_offers_justification` (stored on the competition;
    `NeedsAcknowledgement` without it, whatever `acknowledged` holds). R9 (W): an abnormally low
    valid offer must be acknowledged ("R9" in `acknowledged`). The order's own warnings (R15…)
    are acknowledged through the same `acknowledged`. The order: channel mini_competition, the
    offer's currency, order date = the day of `now`, goods lines = the requirement lines at the
    offer's unit prices, a service line per priced service."""
    now = aware(now)
    code = (consolidator or "").strip()
    with write_transaction(engine) as conn:
        stored = load_for_action(
            conn, competition_id, expected_version, actor,
            only=(S.opened.value, S.evaluated.value),
            needs="only an opened or evaluated competition is awarded",
        )  # fmt: skip
        if stored.status == S.opened.value:
            _evaluate(conn, stored, actor, now)
            stored = load_stored(conn, stored.id)
        offer = stored.offer_of(code)
        if offer is None:
            raise refuse(f"{code or 'nobody'} made no offer in {stored.reference}", "offer")
        ranked = [o for o in stored.offers if o.rank is not None]
        standing = OfferStanding(code, stored.reference, offer.rank is not None, offer.rank)
        found = check_award(stored.reference, standing, len(ranked), justification)
        holder = eligibilities(conn).get(code)
        if holder is not None:
            found += holder.findings("award")
        if found:
            raise Refused(found)
        few = (few_offers_justification or "").strip() or None
        r8 = check_valid_offer_count(
            len(ranked), rules.min_valid_offers, few or stored.justification
        )
        totals = {o.consolidator: o.total_usd for o in ranked if o.total_usd is not None}
        r9 = check_abnormally_low(totals, rules.abnormally_low_pct, "USD")
        expired = check_offer_still_valid(code, offer.valid_until, now.date())
        acknowledging = r9 + expired
        # asked together with the order's own warnings below, in one acknowledgement
        pending = r8 + pending_warnings(acknowledging, acknowledged)
        why = (justification or "").strip() or None
        assert offer.rank is not None
        award_id = conn.execute(
            insert(Award.__table__).values(
                competition_id=stored.id,
                offer_id=offer.id,
                rank=offer.rank,
                decided_at=now,
                decided_by=actor.name,
                justification=why,
            )
        ).inserted_primary_key[0]
        values: dict[str, object] = {"status": S.awarded.value}
        if few is not None:
            values["justification"] = few
        version = bump_version(conn, stored, stored.version, values)  # R14: an awarded one
        placed = _order_of(conn, stored, code, now)
        try:
            order = save_order_in(conn, placed, actor, rules, now=now, acknowledged=acknowledged)
        except NeedsAcknowledgement as exc:
            raise NeedsAcknowledgement(pending + exc.warnings) from None
        if pending:
            raise NeedsAcknowledgement(pending)  # rolls the award and its order back
        after: dict[str, object] = {
            "status": S.awarded.value,
            "award": award_id,
            "consolidator": code,
            "rank": offer.rank,
            "justification": why,
            "few_offers_justification": few or stored.justification,
            "currency": offer.currency,
            "total": None if offer.total is None else round_money(offer.total, offer.currency),
            "total_usd": None if offer.total_usd is None else round_money(offer.total_usd, "USD"),
            "po_number": order.po_number,
        }
        if acknowledging:
            after["acknowledged"] = [w.message for w in acknowledging]
        record(conn, actor, now, stored.id, "award", {"status": S.evaluated.value}, after)
        return AwardResult(saved(stored, version, S.awarded.value), order)


def _order_of(conn: Connection, stored: Stored, consolidator: str, now: datetime) -> OrderInput:
    """The order of the awarded offer: its lines, prices and currency."""
    offer = stored.offer_of(consolidator)
    assert offer is not None
    goods = tuple(
        LineInput(
            kind=LineKind.goods.value,
            description=line.description,
            unspsc=line.unspsc,
            quantity=line.quantity,
            unit_price=price,
            unit=line.unit,
        )
        for line, price in zip(stored.lines, offer.line_prices, strict=True)
    )
    types = {
        code: (title, (unspsc or "").split())
        for code, title, unspsc in conn.execute(
            select(ServiceType.code, ServiceType.title, ServiceType.unspsc)
        )
    }
    services = tuple(
        LineInput(
            kind=LineKind.service.value,
            description=types[code][0],
            unspsc=types[code][1][0] if types[code][1] else "",
            quantity=Decimal(1),
            unit_price=price,
            unit=SERVICE_UNIT,
            service=code,
        )
        for code, price in offer.services
    )
    return OrderInput(
        agency=stored.agency,
        channel=Channel.mini_competition.value,
        consolidator=consolidator,
        lot=stored.lot,
        order_date=now.date(),
        currency=offer.currency,
        destination_country=stored.destination_country,
        lines=goods + services,
        competition=stored.reference,
    )
