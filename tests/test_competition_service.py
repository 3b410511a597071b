"""The competition service (issue 4): a mini-competition from its draft to the order, and every
bidding rule (R1–R11, R17, R19, R20, R26) broken and kept through the service functions, with
their audit events (R25), the optimistic version check and the sealing of offers (R5)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from lta_tui.domain.rules import Refused
from lta_tui.services.competitions import (
    CompetitionConflict,
    NeedsAcknowledgement,
    award_competition,
    cancel_competition,
    competition_form_context,
    declare_unsuccessful,
    effective_status,
    evaluate_competition,
    issue_competition,
    load_competition_input,
    open_offers,
    record_offer,
    save_competition,
    set_offer_compliance,
)
from lta_tui.services.order_lifecycle import issue_order
from lta_tui.services.orders import load_order_input
from lta_tui.store.models import (
    Agency,
    Award,
    Consolidator,
    Invitation,
    Offer,
    OfferLine,
    Order,
    PerformanceReview,
)
from tests.competition_setup import (
    AFTER,
    ANA,
    BEFORE,
    BEN,
    CREATED,
    DEADLINE,
    FX_DAY,
    OFFERS,
    OTHER,
    RULES,
    UTC,
    VIEWER,
    WG,
    competition,
    competition_row,
    draft,
    events,
    issued,
    opened,
    raw_events,
    reinstate,
    suspend,
    with_offers,
)
from tests.order_rows import insert_orders
from tests.order_setup import audit_events, count

D = Decimal
CENT = D("0.01")


def refused(call, *args, **kw) -> Refused:
    with pytest.raises(Refused) as err:
        call(*args, **kw)
    return err.value


def rules_of(err: Refused) -> list[str]:
    return [f.rule for f in err.findings]


def offers_of(engine, competition_id: int) -> dict[str, dict]:
    with engine.connect() as conn:
        return {
            r.code: r._asdict()
            for r in conn.execute(
                select(Offer.__table__, Consolidator.code)
                .join(Consolidator, Consolidator.id == Offer.consolidator_id)
                .where(Offer.competition_id == competition_id)
            )
        }


# --- the whole path ----------------------------------------------------------------------------


def _landed(offer, quantities) -> Decimal:
    goods = sum(
        (
            (q * p).quantize(D(1) if offer.currency == "JPY" else CENT, rounding=ROUND_HALF_UP)
            for q, p in zip(quantities, offer.line_prices, strict=True)
        ),
        D(0),
    )
    return goods + sum((p for _, p in offer.services), D(0))


def _usd(amount: Decimal, rate: str) -> Decimal:
    return (amount / D(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def _landed_usd(offer, quantities, rate: str) -> Decimal:
    """As an order converts its lines: each line amount and each service price in USD, rounded
    to the cent, then summed."""
    digits = D(1) if offer.currency == "JPY" else CENT
    lines = [
        (q * p).quantize(digits, rounding=ROUND_HALF_UP)
        for q, p in zip(quantities, offer.line_prices, strict=True)
    ]
    return sum((_usd(a, rate) for a in [*lines, *(p for _, p in offer.services)]), D(0))


def _happy_path(engine):
    # create: a draft with every active, eligible holder of lot 2 invited
    saved = draft(engine)
    assert (saved.reference, saved.version, saved.status) == ("UNDP-MC-2026-001", 1, "draft")
    comp, version, status, reference = load_competition_input(engine, saved.id)
    assert comp == competition() and (version, status, reference) == (1, "draft", saved.reference)
    with engine.connect() as conn:
        invited = conn.execute(
            select(Consolidator.code, Invitation.invited)
            .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
            .where(Invitation.competition_id == saved.id)
            .order_by(Consolidator.code)
        ).all()
    assert invited == [("CONS-A", True), ("CONS-B", True), ("CONS-C", True)]

    # issue, then three offers in USD, EUR and JPY before the deadline
    saved = issue_competition(
        engine, saved.id, ANA, RULES, now=CREATED, expected_version=saved.version
    )
    assert saved.status == "open" and competition_row(engine, saved.id).issued_at == CREATED
    for code in ("CONS-A", "CONS-B", "CONS-C"):
        saved = record_offer(
            engine, saved.id, OFFERS[code], ANA, RULES, now=BEFORE, expected_version=saved.version
        )
    assert effective_status(saved.status, DEADLINE, BEFORE) == "open"
    assert effective_status(saved.status, DEADLINE, AFTER) == "closed"

    # past the deadline: the opening writes the landed totals and the hash checks
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    assert saved.status == "opened"
    row = competition_row(engine, saved.id)
    assert (row.opened_at, row.opened_by) == (AFTER, "Ana Ruiz")
    quantities = [D(40)] * 3
    totals = {code: _landed(offer, quantities) for code, offer in OFFERS.items()}
    assert totals == {"CONS-A": D("58300.00"), "CONS-B": D("47900.00"), "CONS-C": D("8440000")}
    stored = offers_of(engine, saved.id)
    assert {c: (o["total"], o["hash_ok"]) for c, o in stored.items()} == {
        c: (t, True) for c, t in totals.items()
    }
    opening = events(engine, saved.id)[-1]
    assert opening[0] == "open" and opening[3]["offers"] == [
        {"consolidator": "CONS-A", "currency": "USD", "total": "58300.00", "late": False,
         "hash_ok": True},
        {"consolidator": "CONS-B", "currency": "EUR", "total": "47900.00", "late": False,
         "hash_ok": True},
        {"consolidator": "CONS-C", "currency": "JPY", "total": "8440000", "late": False,
         "hash_ok": True},
    ]  # fmt: skip

    # evaluation: USD at the ORE rates in force on 2026-11-16 (effective 2026-11-01)
    saved = evaluate_competition(
        engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    # each line and service converted and rounded to the cent, then summed (as the order does):
    # B (EUR ÷ 0.8579): 32,000.00 → 37,300.38; 7,200.00 → 8,392.59; 6,000.00 → 6,993.82;
    #   freight 1,200.00 → 1,398.76; installation 1,500.00 → 1,748.46; sum 55,834.01
    # C (JPY ÷ 151.75): 5,600,000 → 36,902.80; 1,240,000 → 8,171.33; 1,080,000 → 7,116.97;
    #   freight 220,000 → 1,449.75; installation 300,000 → 1,976.94; sum 55,617.79
    # (here the same cents as converting the landed total at once)
    usd = {
        "CONS-A": totals["CONS-A"],
        "CONS-B": _landed_usd(OFFERS["CONS-B"], quantities, "0.8579"),
        "CONS-C": _landed_usd(OFFERS["CONS-C"], quantities, "151.75"),
    }
    assert usd == {"CONS-A": D("58300.00"), "CONS-B": D("55834.01"), "CONS-C": D("55617.79")}
    # by hand: price 70 × lowest / this; delivery 10 × 20 / days; warranty 10 × months / 36;
    # sustainability 10 × (take-back + label) / 2
    expected = {
        "CONS-A": D("66.78") + D("6.67") + D("10") + D("10"),
        "CONS-B": D("69.73") + D("4.44") + D("10") + D("5"),
        "CONS-C": D("70") + D("10") + D("6.67") + D("0"),
    }
    stored = offers_of(engine, saved.id)
    for code, offer in stored.items():
        assert offer["total_usd"] == usd[code], code
        assert offer["score"] == expected[code], code
    assert {c: o["rank"] for c, o in stored.items()} == {"CONS-A": 1, "CONS-B": 2, "CONS-C": 3}
    assert (stored["CONS-B"]["fx_units_per_usd"], stored["CONS-B"]["fx_effective_date"]) == (
        D("0.8579"),
        date(2026, 11, 1),
    )
    assert stored["CONS-A"]["fx_units_per_usd"] == 1
    assert competition_row(engine, saved.id).evaluated_by == "Ana Ruiz"

    # award to rank 2 with a justification: the award and a draft order of its offer
    result = award_competition(
        engine,
        saved.id,
        "CONS-B",
        ANA,
        RULES,
        now=AFTER,
        expected_version=saved.version,
        justification="CONS-A cannot deliver to Dhaka before the rainy season",
    )
    assert result.competition.status == "awarded"
    assert result.order.status == "draft" and result.order.total == D("47900.00")
    with engine.connect() as conn:
        award = conn.execute(select(Award.__table__)).one()
    assert (award.rank, award.decided_by, award.decided_at) == (2, "Ana Ruiz", AFTER)
    assert award.justification.startswith("CONS-A cannot deliver")
    order, _, order_status = load_order_input(engine, result.order.id)
    assert order_status == "draft"
    assert (order.channel, order.consolidator, order.lot, order.currency) == (
        "mini_competition",
        "CONS-B",
        2,
        "EUR",
    )
    assert (order.competition, order.destination_country, order.order_date) == (
        saved.reference,
        "BD",
        AFTER.date(),
    )
    assert [(x.kind, x.description, x.unspsc, x.quantity, x.unit_price) for x in order.lines] == [
        ("goods", "Laptop 14-inch", "43211503", D(40), D("800.00")),
        ("goods", "Monitor 24-inch", "43211902", D(40), D("180.00")),
        ("goods", "Docking station USB-C", "43211603", D(40), D("150.00")),
        ("service", "Transportation/freight to destination", "78141501", D(1), D("1200.00")),
        ("service", "Installation at destination and technical support", "81111809", D(1),
         D("1500.00")),
    ]  # fmt: skip
    assert [x.service for x in order.lines[3:]] == ["freight", "installation_support"]
    with engine.connect() as conn:
        award_id = conn.execute(select(Order.award_id)).scalar_one()
    assert award_id == award.id

    # issuing the order moves the competition to ordered
    issue_order(engine, result.order.id, ANA, RULES, now=AFTER, expected_version=1)
    assert competition_row(engine, saved.id).status == "ordered"
    actions = [e[0] for e in events(engine, saved.id)]
    assert actions == [
        "create", "issue", "record_offer", "record_offer", "record_offer", "open", "evaluate",
        "award", "ordered",
    ]  # fmt: skip
    assert all(e[1] == "Ana Ruiz" for e in events(engine, saved.id))
    return saved


def test_the_whole_path_from_draft_to_an_issued_order(engine):
    _happy_path(engine)


def test_the_whole_path_on_postgresql(new_db_url, tmp_path: Path):
    """The same path on this parameter's database (PostgreSQL when LTA_TUI_TEST_PG_URL is set)."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise
    from lta_tui.store.engine import make_engine
    from tests.conftest import write_config

    url = new_db_url()
    cfg = load_config(write_config(tmp_path, db_url=url))
    engine = make_engine(url)
    try:
        initialise(cfg, engine)
        _happy_path(engine)
    finally:
        engine.dispose()


def test_references_number_per_agency_and_year(engine):
    first = draft(engine)
    second = draft(engine)
    other_year = save_competition(
        engine,
        competition(deadline=datetime(2027, 1, 20, 12, tzinfo=UTC), fx_rate_date=date(2027, 1, 20)),
        ANA,
        RULES,
        now=datetime(2027, 1, 4, 9, tzinfo=UTC),
    )
    assert [first.reference, second.reference, other_year.reference] == [
        "UNDP-MC-2026-001",
        "UNDP-MC-2026-002",
        "UNDP-MC-2027-001",
    ]


def test_a_draft_is_replaced_and_unchanged_saves_write_nothing(engine):
    saved = draft(engine)
    same = save_competition(
        engine, competition(), ANA, RULES, now=CREATED, competition_id=saved.id,
        expected_version=1,
    )  # fmt: skip
    assert same.version == 1 and [e[0] for e in events(engine, saved.id)] == ["create"]
    changed = competition(title="Laptops for Dhaka", lines=competition().lines[:2])
    saved = save_competition(
        engine, changed, ANA, RULES, now=CREATED, competition_id=saved.id, expected_version=1
    )
    assert saved.version == 2
    assert load_competition_input(engine, saved.id)[0] == changed
    action, who, before, after = events(engine, saved.id)[-1]
    assert action == "update" and len(before["lines"]) == 3 and len(after["lines"]) == 2
    with pytest.raises(ValueError):
        save_competition(engine, changed, ANA, RULES, now=CREATED, competition_id=saved.id)


def test_the_form_context_lists_lot_scopes_holders_and_rated_currencies(engine):
    suspend(engine, "CONS-C")
    ctx = competition_form_context(engine, ANA, date(2026, 11, 2))
    assert ctx.scope_of(2)[:2] == ("43211503", "43211507")
    holders = ctx.holders_of(2)
    assert [h.code for h in holders] == ["CONS-A", "CONS-B", "CONS-C"]  # CONS-D ended 2025
    assert [h.eligible for h in holders] == [True, True, False]
    assert {"USD", "EUR", "JPY"} <= {c.code for c in ctx.currencies}
    assert "SEK" not in {c.code for c in ctx.currencies}
    assert ("freight", "78141501") in {(s.code, s.unspsc) for s in ctx.services}
    assert ctx.default_agency == "UNDP" and "BD" in {c.alpha2 for c in ctx.countries}


# --- R1, R2, R17: invitations --------------------------------------------------------------------


def test_r1_a_left_out_code_that_holds_no_lot_is_refused(engine):
    err = refused(draft, engine, left_out=(("CONS-D", "not a holder"),))
    assert rules_of(err) == ["R1"] and err.findings[0].field == "exclusions.CONS-D"


def test_r1_an_offer_from_a_consolidator_not_invited_is_refused(engine):
    saved = issued(engine)
    offer = replace(OFFERS["CONS-A"], consolidator="CONS-D")
    err = refused(record_offer, engine, saved.id, offer, ANA, RULES, now=BEFORE, expected_version=2)
    assert "R1" in rules_of(err) and "not invited" in str(err)
    assert count(engine, Offer) == 0


def test_r2_a_holder_left_out_needs_a_reason(engine):
    err = refused(draft, engine, left_out=(("CONS-B", "  "),))
    assert rules_of(err) == ["R2"] and err.findings[0].field == "exclusions.CONS-B"
    saved = draft(engine, left_out=(("CONS-B", "Delivers only to Europe"),))
    comp = load_competition_input(engine, saved.id)[0]
    assert comp.left_out == (("CONS-B", "Delivers only to Europe"),)
    saved = issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    err = refused(
        record_offer, engine, saved.id, OFFERS["CONS-B"], ANA, RULES, now=BEFORE,
        expected_version=saved.version,
    )  # fmt: skip
    assert "Delivers only to Europe" in str(err)


def invitations_of(engine, competition_id: int) -> dict[str, str | None]:
    """consolidator → None when invited, else the reason it is left out."""
    with engine.connect() as conn:
        return {
            code: None if invited else reason
            for code, invited, reason in conn.execute(
                select(Consolidator.code, Invitation.invited, Invitation.exclusion_reason)
                .join(Consolidator, Consolidator.id == Invitation.consolidator_id)
                .where(Invitation.competition_id == competition_id)
            )
        }


def test_r17_a_suspended_holder_is_left_out_and_cannot_offer_or_be_awarded(engine):
    suspend(engine, "CONS-C")
    saved = draft(engine)
    assert invitations_of(engine, saved.id)["CONS-C"] == (
        "R17: suspended since 2026-10-01 (audit findings)"
    )
    comp = load_competition_input(engine, saved.id)[0]
    assert comp.left_out == ()  # the form's left-out holders are the user's (R2) only
    saved = issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    err = refused(
        record_offer, engine, saved.id, OFFERS["CONS-C"], ANA, RULES, now=BEFORE,
        expected_version=saved.version,
    )  # fmt: skip
    assert "R17" in rules_of(err)


def test_r17_award_to_a_suspended_consolidator_is_refused(engine):
    saved = opened(engine)
    saved = evaluate_competition(
        engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    suspend(engine, "CONS-A", since=date(2026, 11, 17))
    err = refused(
        award_competition, engine, saved.id, "CONS-A", ANA, RULES, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert rules_of(err) == ["R17"]
    assert count(engine, Award) == 0 and count(engine, Order) == 0


def test_r1_r17_the_issue_invites_a_holder_whose_suspension_was_lifted(engine):
    suspend(engine, "CONS-B")
    saved = draft(engine)
    assert invitations_of(engine, saved.id)["CONS-B"].startswith("R17: suspended since")
    reinstate(engine, "CONS-B")
    issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert invitations_of(engine, saved.id) == {"CONS-A": None, "CONS-B": None, "CONS-C": None}
    after = events(engine, saved.id)[-1][3]
    assert after["invited"] == ["CONS-A", "CONS-B", "CONS-C"] and after["left_out"] == {}


def test_r17_a_holder_suspended_after_the_draft_is_left_out_at_the_issue(engine):
    saved = draft(engine, left_out=(("CONS-A", "Delivers only to Europe"),))
    suspend(engine, "CONS-C")
    issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert invitations_of(engine, saved.id) == {
        "CONS-A": "Delivers only to Europe",  # the user's reason stays (R2)
        "CONS-B": None,
        "CONS-C": "R17: suspended since 2026-10-01 (audit findings)",
    }


def test_a_reason_cannot_pass_for_an_automatic_exclusion(engine):
    err = refused(draft, engine, left_out=(("CONS-B", "R17: my own words"),))
    assert err.findings[0].field == "exclusions.CONS-B" and "R17:" in str(err)


# --- R3, R4, R7, R18, R19: the draft ------------------------------------------------------------


def test_r3_requirement_lines_stay_within_the_lot_scope(engine):
    lines = (*competition().lines, replace(competition().lines[0], unspsc="43212105"))
    err = refused(draft, engine, lines=lines)
    assert rules_of(err) == ["R3"] and err.findings[0].field == "lines.4.unspsc"
    assert "outside the scope of lot 2" in str(err)
    assert draft(engine).status == "draft"  # the lot's own codes pass


def test_r4_the_deadline_must_be_after_now_and_after_the_issue(engine):
    err = refused(draft, engine, deadline=CREATED - timedelta(hours=1))
    assert rules_of(err) == ["R4"]
    saved = draft(engine)
    err = refused(
        issue_competition, engine, saved.id, ANA, RULES, now=DEADLINE + timedelta(minutes=1),
        expected_version=1,
    )  # fmt: skip
    assert rules_of(err) == ["R4"]
    assert competition_row(engine, saved.id).status == "draft"


def test_r4_a_short_response_time_needs_an_acknowledgement(engine):
    short = datetime(2026, 11, 4, 12, tzinfo=UTC)  # 2 working days after the issue
    saved = draft(engine, deadline=short)
    with pytest.raises(NeedsAcknowledgement) as ack:
        issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert [w.rule for w in ack.value.warnings] == ["R4"]
    assert competition_row(engine, saved.id).status == "draft"
    saved = issue_competition(
        engine, saved.id, ANA, RULES, now=CREATED, expected_version=1, acknowledged=("R4",)
    )
    assert saved.status == "open"
    assert "2 working days" in events(engine, saved.id)[-1][3]["acknowledged"][0]


def test_r7_weights_sum_to_100_and_are_fixed_once_issued(engine):
    err = refused(draft, engine, weights=(("price", 70), ("warranty", 20)))
    assert rules_of(err) == ["R7"] and "sum to 90" in str(err)
    saved = issued(engine)
    changed = competition(weights=(("price", 80), ("delivery_time", 20)))
    err = refused(
        save_competition, engine, changed, ANA, RULES, now=CREATED, competition_id=saved.id,
        expected_version=saved.version,
    )  # fmt: skip
    # R7: the weights stay as issued, since only a draft is edited
    assert str(err) == "UNDP-MC-2026-001 is open: only a draft can be edited"
    assert load_competition_input(engine, saved.id)[0].weights == competition().weights
    lowest = draft(engine, evaluation_method="lowest_price", weights=())
    assert lowest.status == "draft"


def test_r3_and_r19_are_checked_again_at_the_issue(engine):
    from lta_tui.store.models import MiniCompetition, RequirementLine

    saved = draft(engine)
    with engine.begin() as conn:  # a draft stored by an import or an older version
        conn.execute(
            update(RequirementLine).where(RequirementLine.line_no == 2).values(unspsc="43212105")
        )
        conn.execute(update(MiniCompetition).values(destination_country="XX"))
    err = refused(issue_competition, engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert sorted(rules_of(err)) == ["R19", "R3"]
    assert "outside the scope of lot 2" in str(err)
    assert competition_row(engine, saved.id).status == "draft"


def test_r18_and_r19_quantities_and_the_destination(engine):
    lines = (replace(competition().lines[0], quantity=D(0)),)
    err = refused(draft, engine, lines=lines, destination_country="BGD")
    assert sorted(rules_of(err)) == ["R18", "R19"]
    assert "did you mean BD" in str(err)
    err = refused(draft, engine, lines=())
    assert "at least one requirement line" in str(err)


# --- offers: R5, R6, R18–R20, revisions, hashes --------------------------------------------------


def test_r5_offers_stay_sealed_until_the_deadline_has_passed(engine):
    saved = with_offers(engine)
    err = refused(open_offers, engine, saved.id, ANA, now=BEFORE, expected_version=saved.version)
    assert rules_of(err) == ["R5"]
    err = refused(open_offers, engine, saved.id, ANA, now=DEADLINE, expected_version=saved.version)
    assert rules_of(err) == ["R5"]
    assert all(o["total"] is None for o in offers_of(engine, saved.id).values())


def test_r5_nothing_audited_before_the_opening_carries_a_price(engine):
    saved = with_offers(engine)
    revised = replace(OFFERS["CONS-A"], line_prices=(D("940.00"), D("205.00"), D("175.00")))
    saved = record_offer(
        engine, saved.id, revised, ANA, RULES, now=BEFORE, expected_version=saved.version
    )
    prices = {
        str(p)
        for offer in (*OFFERS.values(), revised)
        for p in (*offer.line_prices, *(x for _, x in offer.services))
    } | {"58300.00", "47900.00", "8440000", "57500.00"}
    banned_keys = {"total", "total_usd", "price", "prices", "unit_price", "line_prices", "services"}

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "weights":  # criteria names: "price" is one
                    continue
                assert key not in banned_keys, key
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            assert str(value) not in prices, value

    texts = raw_events(engine, saved.id)
    assert len(texts) == 11  # create (after only), issue, three offers, a revision
    for text in texts:
        walk(json.loads(text))
    recorded = events(engine, saved.id)[2][3]
    assert set(recorded) == {"consolidator", "received_at", "late", "content_hash"}


def test_r6_an_offer_after_the_deadline_is_recorded_late_and_excluded(engine):
    saved = with_offers(engine, ("CONS-A", "CONS-B"))
    late = replace(OFFERS["CONS-C"], received_at=DEADLINE + timedelta(minutes=5))
    saved = record_offer(
        engine, saved.id, late, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    assert saved.status == "open"
    assert offers_of(engine, saved.id)["CONS-C"]["late"] is True
    assert events(engine, saved.id)[-1][3]["late"] is True
    # an offer received before the deadline but recorded after it is on time
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    saved = evaluate_competition(
        engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    ranks = {c: o["rank"] for c, o in offers_of(engine, saved.id).items()}
    assert ranks == {"CONS-A": 1, "CONS-B": 2, "CONS-C": None}


def test_an_offer_received_before_the_deadline_and_recorded_after_it_is_on_time(engine):
    saved = with_offers(engine, ("CONS-A",))
    saved = record_offer(
        engine, saved.id, OFFERS["CONS-B"], ANA, RULES, now=AFTER, expected_version=saved.version
    )
    assert offers_of(engine, saved.id)["CONS-B"]["late"] is False


def test_a_revision_before_the_deadline_replaces_the_offer_and_none_after(engine):
    saved = with_offers(engine, ("CONS-A",))
    revised = replace(
        OFFERS["CONS-A"],
        received_at=datetime(2026, 11, 12, 9, tzinfo=UTC),
        line_prices=(D("940.00"), D("205.00"), D("175.00")),
    )
    first_hash = offers_of(engine, saved.id)["CONS-A"]["content_hash"]
    saved = record_offer(
        engine, saved.id, revised, ANA, RULES, now=datetime(2026, 11, 12, 10, tzinfo=UTC),
        expected_version=saved.version,
    )  # fmt: skip
    again = record_offer(
        engine, saved.id, revised, ANA, RULES, now=datetime(2026, 11, 12, 11, tzinfo=UTC),
        expected_version=saved.version,
    )  # fmt: skip
    assert again == saved  # the same offer recorded twice changes nothing
    stored = offers_of(engine, saved.id)
    assert len(stored) == 1 and stored["CONS-A"]["content_hash"] != first_hash
    assert stored["CONS-A"]["received_at"] == revised.received_at
    action, _, before, after = events(engine, saved.id)[-1]
    assert action == "revise_offer" and before["content_hash"] == first_hash
    err = refused(
        record_offer, engine, saved.id, OFFERS["CONS-A"], ANA, RULES, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert "cannot change after the deadline" in str(err)


def test_an_offer_needs_a_price_per_line_and_per_service_asked(engine):
    saved = issued(engine)
    bad = replace(
        OFFERS["CONS-A"],
        line_prices=(D("950.00"), D("-1")),
        services=(("installation_support", D("1")), ("export_licensing", D("300"))),
        delivery_days=0,
    )
    err = refused(record_offer, engine, saved.id, bad, ANA, RULES, now=BEFORE, expected_version=2)
    text = str(err)
    assert "R18" in rules_of(err)
    assert "2 unit prices for 3 requirement lines" in text
    assert "does not ask for export licensing" in text
    assert "asks for freight: the offer needs its price" in text
    assert "delivery days" in text
    future = replace(OFFERS["CONS-A"], received_at=BEFORE + timedelta(hours=1))
    err = refused(
        record_offer, engine, saved.id, future, ANA, RULES, now=BEFORE, expected_version=2
    )
    assert "in the future" in str(err)


def test_r19_and_r20_an_offer_currency_needs_an_ore_rate_on_the_fx_date(engine):
    saved = issued(engine)
    err = refused(
        record_offer, engine, saved.id, replace(OFFERS["CONS-B"], currency="EUX"), ANA, RULES,
        now=BEFORE, expected_version=2,
    )  # fmt: skip
    assert rules_of(err) == ["R19"]
    err = refused(
        record_offer, engine, saved.id, replace(OFFERS["CONS-B"], currency="SEK"), ANA, RULES,
        now=BEFORE, expected_version=2,
    )  # fmt: skip
    assert rules_of(err) == ["R20"] and "SEK" in str(err) and FX_DAY.isoformat() in str(err)


def test_a_changed_offer_is_visible_at_the_opening(engine):
    saved = with_offers(engine)
    with engine.begin() as conn:
        offer_id = conn.execute(
            select(Offer.id)
            .join(Consolidator, Consolidator.id == Offer.consolidator_id)
            .where(Consolidator.code == "CONS-B")
        ).scalar_one()
        conn.execute(
            update(OfferLine).where(OfferLine.offer_id == offer_id).values(unit_price=D("700.00"))
        )
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    hashes = {c: o["hash_ok"] for c, o in offers_of(engine, saved.id).items()}
    assert hashes == {"CONS-A": True, "CONS-B": False, "CONS-C": True}
    abstract = {o["consolidator"]: o["hash_ok"] for o in events(engine, saved.id)[-1][3]["offers"]}
    assert abstract["CONS-B"] is False


# --- compliance, evaluation, R8–R10 --------------------------------------------------------------


def test_compliance_needs_a_reason_and_excludes_the_offer(engine):
    saved = opened(engine)
    err = refused(
        set_offer_compliance, engine, saved.id, "CONS-A", False, " ", ANA, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert "record the reason" in str(err)
    saved = set_offer_compliance(
        engine, saved.id, "CONS-A", False, "No energy certificate", ANA, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert events(engine, saved.id)[-1][3] == {
        "consolidator": "CONS-A",
        "compliant": False,
        "reason": "No energy certificate",
    }
    saved = evaluate_competition(
        engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    ranks = {c: o["rank"] for c, o in offers_of(engine, saved.id).items()}
    assert ranks == {"CONS-A": None, "CONS-B": 1, "CONS-C": 2}


def test_past_performance_averages_the_reviews_of_the_year_before_the_issue(engine):
    insert_orders(engine, 3, seed=5, lines=1)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Consolidator.code, Consolidator.id)).all())
        undp = conn.execute(select(Agency.id).where(Agency.code == "UNDP")).scalar_one()
        orders = conn.execute(select(Order.id).order_by(Order.id)).scalars().all()
        reviews = [
            ("CONS-A", date(2026, 3, 1), (4, 4, 3, 3, 4)),
            ("CONS-A", date(2026, 11, 1), (2, 3, 3, 3, 3)),
            ("CONS-A", date(2025, 11, 1), (1, 1, 1, 1, 1)),  # more than 12 months before
        ]
        conn.execute(
            insert(PerformanceReview),
            [
                {
                    "order_id": order_id,
                    "agency_id": undp,
                    "consolidator_id": ids[code],
                    "reviewed_on": on,
                    "on_time_delivery": s[0],
                    "quantity": s[1],
                    "conformity": s[2],
                    "responsiveness": s[3],
                    "after_sales": s[4],
                    "reviewed_by": "Test User",
                }
                for order_id, (code, on, s) in zip(orders, reviews, strict=True)
            ],
        )
    weights = (("price", 60), ("past_performance", 40))
    saved = opened(engine, weights=weights)
    saved = evaluate_competition(
        engine, saved.id, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    stored = offers_of(engine, saved.id)
    assert stored["CONS-A"]["past_performance"] == D("3.20")  # 32 / 10
    assert stored["CONS-B"]["past_performance"] is None
    # 40 × 3.2 / 4 = 32 points; without reviews 40 × 2.5 / 4 = 25
    assert stored["CONS-A"]["score"] == D("57.24") + D("32")
    assert stored["CONS-B"]["score"] == D("59.77") + D("25")


def test_r8_fewer_valid_offers_than_the_minimum_need_a_justification(engine):
    saved = opened(engine, ("CONS-A",))
    with pytest.raises(NeedsAcknowledgement) as ack:
        award_competition(
            engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version,
            acknowledged=("R8",),
        )  # fmt: skip
    assert [w.rule for w in ack.value.warnings] == ["R8"]
    assert competition_row(engine, saved.id).status == "opened"  # the evaluation rolled back
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version,
        few_offers_justification="Only one holder delivers to Bangladesh in time",
    )  # fmt: skip
    row = competition_row(engine, saved.id)
    assert (row.status, row.justification) == (
        "awarded",
        "Only one holder delivers to Bangladesh in time",
    )
    assert result.competition.version == saved.version + 2  # evaluated, then awarded
    assert [e[0] for e in events(engine, saved.id)][-2:] == ["evaluate", "award"]


def test_r9_an_abnormally_low_offer_needs_an_acknowledgement(engine):
    low = replace(
        OFFERS["CONS-C"],
        # 40 × 60,000 = 2,400,000 JPY → 15,815.49 USD (÷ 151.75); 600,000 → 3,953.87;
        # 480,000 → 3,163.10; freight 220,000 → 1,449.75; installation 300,000 → 1,976.94:
        # 26,359.15 USD, 52.8 % under the median 55,834.01 (CONS-B; A is 58,300.00)
        line_prices=(D("60000"), D("15000"), D("12000")),
    )
    saved = issued(engine)
    for offer in (OFFERS["CONS-A"], OFFERS["CONS-B"], low):
        saved = record_offer(
            engine, saved.id, offer, ANA, RULES, now=BEFORE, expected_version=saved.version
        )
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    with pytest.raises(NeedsAcknowledgement) as ack:
        award_competition(
            engine, saved.id, "CONS-C", ANA, RULES, now=AFTER, expected_version=saved.version
        )
    assert [w.rule for w in ack.value.warnings] == ["R9"]
    assert "CONS-C" in ack.value.warnings[0].message
    result = award_competition(
        engine, saved.id, "CONS-C", ANA, RULES, now=AFTER, expected_version=saved.version,
        acknowledged=("R9",),
    )  # fmt: skip
    assert result.order.total == D("4000000")
    assert "acknowledged" in events(engine, saved.id)[-1][3]


def test_r10_award_only_to_a_valid_offer(engine):
    saved = with_offers(engine, ("CONS-A", "CONS-B"))
    late = replace(OFFERS["CONS-C"], received_at=DEADLINE + timedelta(minutes=1))
    saved = record_offer(
        engine, saved.id, late, ANA, RULES, now=AFTER, expected_version=saved.version
    )
    saved = open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)
    err = refused(
        award_competition, engine, saved.id, "CONS-C", ANA, RULES, now=AFTER,
        expected_version=saved.version, justification="cheapest",
    )  # fmt: skip
    assert rules_of(err) == ["R10"] and "not a valid offer" in str(err)
    err = refused(
        award_competition, engine, saved.id, "CONS-D", ANA, RULES, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert "made no offer" in str(err)
    assert count(engine, Award) == 0 and competition_row(engine, saved.id).status == "opened"


def test_r10_an_award_to_other_than_rank_1_needs_a_justification(engine):
    saved = opened(engine)
    err = refused(
        award_competition, engine, saved.id, "CONS-B", ANA, RULES, now=AFTER,
        expected_version=saved.version, justification="  ",
    )  # fmt: skip
    assert rules_of(err) == ["R10"] and "ranks 2" in str(err)
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version
    )
    assert result.competition.status == "awarded"


def test_r10_an_offer_expired_before_the_award_needs_an_acknowledgement(engine):
    saved = opened(engine)
    late = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # CONS-A's offer is valid until 2027-01-31
    with pytest.raises(NeedsAcknowledgement) as ack:
        award_competition(
            engine, saved.id, "CONS-A", ANA, RULES, now=late, expected_version=saved.version
        )
    (warning,) = ack.value.warnings
    assert warning.rule == "R10" and "valid until 2027-01-31" in warning.message
    assert count(engine, Award) == 0 and count(engine, Order) == 0
    assert competition_row(engine, saved.id).status == "opened"
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=late, expected_version=saved.version,
        acknowledged=("R10",),
    )  # fmt: skip
    assert result.competition.status == "awarded"
    assert "valid until 2027-01-31" in events(engine, saved.id)[-1][3]["acknowledged"][0]


def test_r10_an_offer_still_valid_on_the_award_day_needs_no_acknowledgement(engine):
    saved = opened(engine)
    on_its_last_day = datetime(2027, 1, 31, 16, 0, tzinfo=UTC)
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=on_its_last_day,
        expected_version=saved.version,
    )  # fmt: skip
    assert result.competition.status == "awarded"


def test_r10_no_valid_offer_means_unsuccessful(engine):
    saved = opened(engine, ("CONS-A",))
    saved = set_offer_compliance(
        engine, saved.id, "CONS-A", False, "Wrong model", ANA, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    err = refused(
        evaluate_competition, engine, saved.id, ANA, RULES, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert rules_of(err) == ["R10"] and "unsuccessful" in str(err)
    err = refused(
        award_competition, engine, saved.id, "CONS-A", ANA, RULES, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert rules_of(err) == ["R10"]
    err = refused(
        declare_unsuccessful, engine, saved.id, " ", ANA, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert "needs a reason" in str(err)
    saved = declare_unsuccessful(
        engine, saved.id, "The only offer was not compliant", ANA, now=AFTER,
        expected_version=saved.version,
    )  # fmt: skip
    assert saved.status == "unsuccessful"
    row = competition_row(engine, saved.id)
    assert row.cancellation_reason == "The only offer was not compliant"
    assert events(engine, saved.id)[-1][3] == {
        "status": "unsuccessful",
        "reason": "The only offer was not compliant",
    }


def test_unsuccessful_needs_no_valid_offer_and_a_passed_deadline(engine):
    saved = issued(engine)
    err = refused(
        declare_unsuccessful, engine, saved.id, "no offers", ANA, now=BEFORE, expected_version=2
    )
    assert "before its deadline" in str(err)
    saved = declare_unsuccessful(engine, saved.id, "No offer came", ANA, now=AFTER,
                                 expected_version=2)  # fmt: skip
    assert saved.status == "unsuccessful"
    other = with_offers(engine, ("CONS-A",))
    err = refused(
        declare_unsuccessful, engine, other.id, "no", ANA, now=AFTER,
        expected_version=other.version,
    )  # fmt: skip
    assert "1 valid offer (CONS-A)" in str(err)


# --- R11: cancellation -------------------------------------------------------------------------


def test_r11_cancelling_needs_a_reason(engine):
    saved = issued(engine)
    err = refused(cancel_competition, engine, saved.id, "", ANA, now=BEFORE, expected_version=2)
    assert rules_of(err) == ["R11"]
    saved = cancel_competition(
        engine, saved.id, "The office moved", ANA, now=BEFORE, expected_version=2
    )
    assert saved.status == "cancelled"
    assert competition_row(engine, saved.id).cancellation_reason == "The office moved"
    err = refused(
        cancel_competition, engine, saved.id, "again", ANA, now=BEFORE, expected_version=3
    )
    assert "can no longer be cancelled" in str(err)


def test_r11_an_awarded_competition_cancels_with_its_draft_order_not_once_issued(engine):
    saved = opened(engine)
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version
    )
    saved = cancel_competition(
        engine, saved.id, "Budget withdrawn", ANA, now=AFTER,
        expected_version=result.competition.version,
    )  # fmt: skip
    assert saved.status == "cancelled"
    assert load_order_input(engine, result.order.id)[2] == "cancelled"
    assert audit_events(engine, result.order.id)[-1][0] == "cancel"

    second = opened(engine)
    result = award_competition(
        engine, second.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=second.version
    )
    issue_order(engine, result.order.id, ANA, RULES, now=AFTER, expected_version=1)
    err = refused(
        cancel_competition, engine, second.id, "too late", ANA, now=AFTER,
        expected_version=result.competition.version + 1,
    )  # fmt: skip
    assert rules_of(err) == ["R11", "input"]  # an ordered competition is no longer cancelled
    assert "already issued" in str(err)


# --- R26, R25 and conflicts ----------------------------------------------------------------------


def test_r26_another_agency_and_a_viewer_change_nothing(engine):
    err = refused(save_competition, engine, competition(), VIEWER, RULES, now=CREATED)
    assert rules_of(err) == ["R26"]
    err = refused(save_competition, engine, competition(), OTHER, RULES, now=CREATED)
    assert rules_of(err) == ["R26"] and "UNICEF" in str(err)
    err = refused(save_competition, engine, competition(), WG, RULES, now=CREATED)
    assert rules_of(err) == ["R26"]
    saved = draft(engine)
    for actor in (OTHER, VIEWER):
        err = refused(
            issue_competition, engine, saved.id, actor, RULES, now=CREATED, expected_version=1
        )
        assert rules_of(err) == ["R26"]
    saved = with_offers(engine)
    err = refused(
        record_offer, engine, saved.id, OFFERS["CONS-A"], OTHER, RULES, now=BEFORE,
        expected_version=saved.version,
    )  # fmt: skip
    assert rules_of(err) == ["R26"]
    for call in (
        lambda a: open_offers(engine, saved.id, a, now=AFTER, expected_version=saved.version),
        lambda a: cancel_competition(
            engine, saved.id, "no", a, now=AFTER, expected_version=saved.version
        ),
    ):
        assert rules_of(refused(call, VIEWER)) == ["R26"]
    assert competition_row(engine, saved.id).status == "open"


def test_a_stale_version_is_a_conflict_naming_who_changed_it(engine):
    saved = draft(engine)
    save_competition(
        engine, competition(title="Changed by Ben"), BEN, RULES,
        now=CREATED + timedelta(minutes=5), competition_id=saved.id, expected_version=1,
    )  # fmt: skip
    with pytest.raises(CompetitionConflict) as err:
        issue_competition(engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert err.value.who == "Ben Osei"
    assert "changed by Ben Osei at 2026-11-02 09:05 UTC" in str(err.value)
    assert "reload it" in str(err.value)
    assert competition_row(engine, saved.id).status == "draft"


def test_the_warnings_of_the_order_are_acknowledged_with_the_award(engine):
    from lta_tui.store.models import Lta

    with engine.begin() as conn:
        conn.execute(update(Lta).values(ceiling_usd=D("70000")))  # 58,300 USD reaches 83 %
    saved = opened(engine)
    with pytest.raises(NeedsAcknowledgement) as ack:
        award_competition(
            engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version
        )
    assert [w.rule for w in ack.value.warnings] == ["R15"]
    assert count(engine, Award) == 0 and count(engine, Order) == 0
    result = award_competition(
        engine, saved.id, "CONS-A", ANA, RULES, now=AFTER, expected_version=saved.version,
        acknowledged=("R15",),
    )  # fmt: skip
    assert result.order.total_usd == D("58300.00")


def test_a_draft_without_a_deadline_is_not_issued(engine):
    from lta_tui.store.models import MiniCompetition

    saved = draft(engine)
    with engine.begin() as conn:
        conn.execute(update(MiniCompetition).values(deadline=None, fx_rate_date=None))
    comp = load_competition_input(engine, saved.id)[0]
    assert comp.deadline is None and comp.fx_rate_date is None
    err = refused(issue_competition, engine, saved.id, ANA, RULES, now=CREATED, expected_version=1)
    assert "has no deadline" in str(err)
