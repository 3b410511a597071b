"""Orders placed from a mini-competition (R14, R11, R26, R25): only the competition's own agency
orders from it, only while it is awarded, and one order per award; cancelling the competition
cancels its draft order through the order service (R26 and the order's version checked,
audited on the order); issuing the order moves its competition from awarded to ordered."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from lta_tui.domain.rules import Refused
from lta_tui.services.competition_compare import comparison
from lta_tui.services.competitions import (
    award_competition,
    cancel_competition,
    open_offers,
    record_offer,
)
from lta_tui.services.order_lifecycle import cancel_order, issue_order
from lta_tui.services.orders import load_order_input, save_order
from lta_tui.store.models import Agency, Order
from tests.competition_setup import (
    AFTER,
    ANA,
    BEFORE,
    OFFERS,
    OTHER,
    RULES,
    awarded,
    competition_row,
    events,
    with_offers,
)
from tests.order_setup import audit_events, count

D = Decimal


def refused(call, *args, **kw) -> Refused:
    with pytest.raises(Refused) as err:
        call(*args, **kw)
    return err.value


def r14(err: Refused) -> list[str]:
    return [f.message for f in err.findings if f.rule == "R14"]


def test_r14_another_agency_cannot_order_from_the_competition(engine):
    result = awarded(engine)
    order, *_ = load_order_input(engine, result.order.id)
    cancel_order(engine, result.order.id, ANA, now=AFTER, reason="re-placed", expected_version=1)
    err = refused(save_order, engine, replace(order, agency="UNICEF"), OTHER, RULES, now=AFTER)
    assert r14(err) == [
        "R14: UNDP-MC-2026-001 is a UNDP competition: a UNICEF order cannot be placed from it"
    ]
    assert count(engine, Order) == 1


def test_r14_an_order_moved_to_another_agency_is_not_issued_nor_orders_the_competition(engine):
    result = awarded(engine)
    with engine.begin() as conn:  # a row written before R14 checked the agency
        unicef = conn.execute(select(Agency.id).where(Agency.code == "UNICEF")).scalar_one()
        conn.execute(update(Order).values(agency_id=unicef))
    err = refused(issue_order, engine, result.order.id, OTHER, RULES, now=AFTER, expected_version=1)
    assert r14(err) and "a UNICEF order cannot be placed from it" in r14(err)[0]
    assert competition_row(engine, result.competition.id).status == "awarded"
    # R26 on the order: UNDP cancelling its competition cannot cancel UNICEF's order
    err = refused(
        cancel_competition, engine, result.competition.id, "Budget withdrawn", ANA, now=AFTER,
        expected_version=result.competition.version,
    )  # fmt: skip
    assert [f.rule for f in err.findings] == ["R26"]
    assert competition_row(engine, result.competition.id).status == "awarded"
    assert load_order_input(engine, result.order.id)[2] == "draft"


def test_r14_one_order_per_award(engine):
    result = awarded(engine)
    po = result.order.po_number
    order, version, _ = load_order_input(engine, result.order.id)
    err = refused(save_order, engine, order, ANA, RULES, now=AFTER)
    assert r14(err) == [
        f"R14: the award of UNDP-MC-2026-001 already has order {po}: one order per award"
    ]
    # the award's own order is still edited and issued
    fewer = replace(order, lines=(replace(order.lines[0], quantity=D(30)), *order.lines[1:]))
    saved = save_order(
        engine, fewer, ANA, RULES, now=AFTER, order_id=result.order.id, expected_version=version
    )
    saved = issue_order(engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version)
    assert saved.status == "issued"
    assert competition_row(engine, result.competition.id).status == "ordered"
    assert events(engine, result.competition.id)[-1][:2] == ("ordered", "Ana Ruiz")
    err = refused(save_order, engine, order, ANA, RULES, now=AFTER)
    assert r14(err) == [
        f"R14: the award of UNDP-MC-2026-001 already has order {po}: one order per award"
    ]
    assert count(engine, Order) == 1


def test_r14_a_cancelled_order_frees_its_award(engine):
    result = awarded(engine)
    order, *_ = load_order_input(engine, result.order.id)
    cancel_order(
        engine, result.order.id, ANA, now=AFTER, reason="wrong quantities", expected_version=1
    )
    again = save_order(engine, order, ANA, RULES, now=AFTER)
    assert again.status == "draft" and again.po_number != result.order.po_number


def test_r14_no_order_from_a_cancelled_competition(engine):
    result = awarded(engine)
    order, *_ = load_order_input(engine, result.order.id)
    cancel_competition(
        engine, result.competition.id, "Budget withdrawn", ANA, now=AFTER,
        expected_version=result.competition.version,
    )  # fmt: skip
    err = refused(save_order, engine, order, ANA, RULES, now=AFTER)
    assert r14(err) == [
        "R14: UNDP-MC-2026-001 is cancelled: an order is placed only from an awarded competition"
    ]
    assert count(engine, Order) == 1


def test_cancelling_the_competition_cancels_its_draft_order_as_the_order_service_does(engine):
    result = awarded(engine)
    cancel_competition(
        engine, result.competition.id, "Budget withdrawn", ANA, now=AFTER,
        expected_version=result.competition.version,
    )  # fmt: skip
    _, version, status = load_order_input(engine, result.order.id)
    assert (status, version) == ("cancelled", 2)
    action, who, _, before, after = audit_events(engine, result.order.id)[-1]
    assert (action, who, before) == ("cancel", "Ana Ruiz", {"status": "draft"})
    assert after == {
        "status": "cancelled",
        "reason": "UNDP-MC-2026-001 was cancelled: Budget withdrawn",
    }
    with engine.connect() as conn:
        row = conn.execute(select(Order.updated_by, Order.cancellation_reason)).one()
    assert row == ("Ana Ruiz", "UNDP-MC-2026-001 was cancelled: Budget withdrawn")


def test_r14_an_issued_then_cancelled_order_frees_its_award_once_the_competition_is_ordered(
    engine,
):
    result = awarded(engine)
    order, *_ = load_order_input(engine, result.order.id)
    issue_order(engine, result.order.id, ANA, RULES, now=AFTER, expected_version=1)
    assert competition_row(engine, result.competition.id).status == "ordered"
    cancel_order(
        engine, result.order.id, ANA, now=AFTER, reason="supplier withdrew", expected_version=2
    )
    again = save_order(engine, order, ANA, RULES, now=AFTER)
    assert again.status == "draft"
    assert r14(refused(save_order, engine, order, ANA, RULES, now=AFTER)) == [
        f"R14: the award of UNDP-MC-2026-001 already has order {again.po_number}:"
        " one order per award"
    ]


def test_the_awards_usd_total_is_the_usd_total_of_its_order_to_the_cent(engine):
    """R20 and DESIGN §2–3 (totals agree to the cent): an offer's USD total converts each line
    and service and rounds it to the cent, then sums, as its order does, so at the same rate
    (EUR 0.8579 effective 2026-11-01 is in force on the FX day 2026-11-16 and on the order date
    2026-11-17) the comparison, the stored evaluation and the order show the same cents. These
    prices were picked where converting the landed total at once gives one cent less."""
    eur = replace(OFFERS["CONS-B"], line_prices=(D("800.05"), D("180.00"), D("150.00")))
    saved = with_offers(engine, ("CONS-A",))
    saved = record_offer(engine, saved.id, eur, ANA, RULES, now=BEFORE,
                         expected_version=saved.version)  # fmt: skip
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    # EUR: 40 × 800.05 = 32,002.00; 40 × 180.00 = 7,200.00; 40 × 150.00 = 6,000.00; freight
    # 1,200.00; installation 1,500.00; landed 47,902.00 EUR. In USD at 0.8579, line by line:
    #   32,002.00 ÷ 0.8579 = 37,302.7159… → 37,302.72
    #    7,200.00 ÷ 0.8579 =  8,392.5865… →  8,392.59
    #    6,000.00 ÷ 0.8579 =  6,993.8221… →  6,993.82
    #    1,200.00 ÷ 0.8579 =  1,398.7644… →  1,398.76
    #    1,500.00 ÷ 0.8579 =  1,748.4555… →  1,748.46
    #   sum 55,836.35 (at once: 47,902.00 ÷ 0.8579 = 55,836.3445… → 55,836.34, a cent less)
    usd = D("55836.35")
    with engine.connect() as conn:
        live = {o.consolidator: o for o in comparison(conn, saved.id, AFTER, RULES).offers}
    assert (live["CONS-B"].total, live["CONS-B"].total_usd) == (D("47902.00"), usd)

    result = award_competition(
        engine, saved.id, "CONS-B", ANA, RULES, now=AFTER, expected_version=saved.version,
        justification="Only CONS-B can deliver the docking stations in time",
    )  # fmt: skip
    with engine.connect() as conn:
        stored = {o.consolidator: o for o in comparison(conn, saved.id, AFTER, RULES).offers}
        order = conn.execute(
            select(Order.currency, Order.fx_units_per_usd, Order.total, Order.total_usd)
        ).one()
    assert stored["CONS-B"].total_usd == usd
    assert tuple(order) == ("EUR", D("0.8579"), D("47902.00"), usd)
    assert (result.order.total, result.order.total_usd) == (D("47902.00"), usd)
