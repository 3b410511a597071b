"""A small hand-made set of LTA records with known totals, for the dashboard and browse tests.

Today is 2026-11-15 (the demo's end). Figures the tests rely on:
- UNDP spend 2026: lot 1 = 1,000.00 (PO-2); lot 2 = 1,200.00 (PO-1) + 9,000.00 (PO-7) = 10,200.00
- awaiting delivery: UNDP PO-1 (issued 2026-03-01, 1,200.00); UNICEF PO-4 (partially delivered,
  5,000.00)
- sub-LTA SUB-UNDP-A: ceiling 100,000 SEK at 9.2 SEK/USD = 10,869.57 USD, consumed 9,000 (82.8 %)
- sub-LTA SUB-UNICEF-B: ends 2026-12-31 (46 days)
- competitions: MC-OPEN-1 (UNDP, open, one sealed offer with unit price 777.77),
  MC-OPEN-2 (UNICEF, open), MC-LATE (UNDP, open, deadline passed), MC-DONE (UNDP, awarded)
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlmodel import Session, select

from lta_tui.store.engine import session_scope
from lta_tui.store.models import (
    Agency,
    Award,
    CompetitionCriterion,
    Consolidator,
    ExchangeRate,
    Invitation,
    Lot,
    Lta,
    MiniCompetition,
    Offer,
    OfferLine,
    Order,
    OrderLine,
    RequirementLine,
    SubLta,
)

TODAY = date(2026, 11, 15)
NOW = datetime(2026, 11, 15, tzinfo=timezone.utc)
SEALED_PRICE = Decimal("777.77")
WHEN = datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)


def _ids(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for a in session.exec(select(Agency)):
        ids[a.code] = a.id
    for c in session.exec(select(Consolidator)):
        ids[c.code] = c.id
    for lot in session.exec(select(Lot)):
        ids[f"lot{lot.number}"] = lot.id
    ids["lta"] = session.exec(select(Lta)).first().id
    return ids


def _order(session, ids, po, agency, cons, lot, day, status, lines, **kw) -> Order:
    currency = kw.pop("currency", "USD")
    rate = kw.pop("rate", Decimal(1))
    order = Order(
        po_number=po,
        lta_id=ids["lta"],
        agency_id=ids[agency],
        consolidator_id=ids[cons],
        lot_id=ids[f"lot{lot}"],
        channel=kw.pop("channel", "mini_competition"),
        order_date=day,
        currency=currency,
        fx_units_per_usd=rate,
        fx_effective_date=date(day.year, day.month, 1),
        fx_source="UN ORE",
        destination_country="KE",
        status=status,
        total=sum((a * rate for _, a in lines), Decimal(0)),
        total_usd=sum((a for _, a in lines), Decimal(0)),
        created_at=WHEN,
        created_by="test",
        updated_at=WHEN,
        updated_by="test",
        **kw,
    )
    session.add(order)
    session.flush()
    for n, (kind, usd) in enumerate(lines, 1):
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=n,
                kind=kind,
                description=f"{kind} {n} [urgent]",
                unspsc="43211503",
                quantity=Decimal(1),
                unit_price=usd * rate,
                amount=usd * rate,
                amount_usd=usd,
            )
        )
    return order


def _competition(session, ids, ref, agency, lot, status, deadline, **kw) -> MiniCompetition:
    comp = MiniCompetition(
        reference=ref,
        lta_id=ids["lta"],
        agency_id=ids[agency],
        lot_id=ids[f"lot{lot}"],
        title=kw.pop("title", f"Laptops for {agency} [phase 2]"),
        destination_country="KE",
        status=status,
        created_at=WHEN,
        created_by="test",
        issued_at=WHEN,
        deadline=deadline,
        **kw,
    )
    session.add(comp)
    session.flush()
    return comp


def _offer(session, ids, comp, cons, unit_price) -> Offer:
    offer = Offer(
        competition_id=comp.id,
        consolidator_id=ids[cons],
        received_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
        recorded_by="test",
        currency="USD",
        delivery_days=30,
        content_hash="0" * 64,
    )
    session.add(offer)
    session.flush()
    for line in session.exec(
        select(RequirementLine).where(RequirementLine.competition_id == comp.id)
    ):
        session.add(
            OfferLine(offer_id=offer.id, requirement_line_id=line.id, unit_price=unit_price)
        )
    return offer


def _requirements(session, comp, quantity=Decimal(10)) -> None:
    session.add(
        RequirementLine(
            competition_id=comp.id,
            line_no=1,
            description="Laptop 14in [std]",
            quantity=quantity,
            unspsc="43211503",
        )
    )
    session.add(CompetitionCriterion(competition_id=comp.id, criterion="price", weight=100))
    session.flush()


def add_sample_records(engine) -> None:
    with session_scope(engine) as s:
        ids = _ids(s)
        for day, rate in ((date(2026, 1, 1), "9.0"), (date(2026, 11, 1), "9.2")):
            s.add(ExchangeRate(currency="SEK", effective_date=day, units_per_usd=Decimal(rate)))
        sub_a = SubLta(
            reference="SUB-UNDP-A",
            lta_id=ids["lta"],
            agency_id=ids["UNDP"],
            consolidator_id=ids["CONS-A"],
            valid_from=date(2025, 1, 1),
            valid_to=date(2027, 12, 31),
            ceiling=Decimal(100000),
            currency="SEK",
        )
        sub_b = SubLta(
            reference="SUB-UNICEF-B",
            lta_id=ids["lta"],
            agency_id=ids["UNICEF"],
            consolidator_id=ids["CONS-B"],
            valid_from=date(2024, 1, 1),
            valid_to=date(2026, 12, 31),
            ceiling=Decimal(50000),
            currency="USD",
        )
        sub_c = SubLta(
            reference="SUB-UNDP-C",
            lta_id=ids["lta"],
            agency_id=ids["UNDP"],
            consolidator_id=ids["CONS-C"],
            valid_from=date(2024, 1, 1),
            valid_to=date(2028, 12, 31),
            ceiling=Decimal(1000000),
            currency="USD",
        )
        s.add_all([sub_a, sub_b, sub_c])
        s.flush()
        one = Decimal
        _order(s, ids, "PO-1", "UNDP", "CONS-A", 2, date(2026, 3, 1), "issued",
               [("goods", one(1000)), ("service", one(200))])  # fmt: skip
        _order(s, ids, "PO-2", "UNDP", "CONS-B", 1, date(2026, 5, 1), "delivered",
               [("goods", one(1000))], currency="SEK", rate=one("9.2"))  # fmt: skip
        _order(s, ids, "PO-3", "UNDP", "CONS-A", 2, date(2026, 6, 1), "cancelled",
               [("goods", one(333))])  # fmt: skip
        _order(s, ids, "PO-4", "UNICEF", "CONS-C", 2, date(2026, 6, 1), "partially_delivered",
               [("goods", one(5000))])  # fmt: skip
        _order(s, ids, "PO-5", "UNDP", "CONS-A", 2, date(2025, 6, 1), "delivered",
               [("goods", one(4444))])  # fmt: skip
        _order(s, ids, "PO-6", "UNDP", "CONS-A", 2, date(2026, 7, 1), "draft",
               [("goods", one(55))])  # fmt: skip
        _order(s, ids, "PO-7", "UNDP", "CONS-A", 2, date(2026, 8, 1), "delivered",
               [("goods", one(9000))], currency="SEK", rate=one("9.2"),
               channel="direct", sub_lta_id=sub_a.id)  # fmt: skip
        _order(s, ids, "PO-8", "UNDP", "CONS-A", 2, date(2026, 9, 1), "cancelled",
               [("goods", one(900))], channel="direct", sub_lta_id=sub_a.id)  # fmt: skip

        open1 = _competition(
            s, ids, "MC-OPEN-1", "UNDP", 2, "open", datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
        )
        _requirements(s, open1)
        for code, invited, reason in (
            ("CONS-A", True, None),
            ("CONS-B", True, None),
            ("CONS-C", False, "no stock in region [R2]"),
        ):
            s.add(
                Invitation(
                    competition_id=open1.id,
                    consolidator_id=ids[code],
                    invited=invited,
                    exclusion_reason=reason,
                )
            )
        _offer(s, ids, open1, "CONS-A", SEALED_PRICE)
        _competition(
            s, ids, "MC-OPEN-2", "UNICEF", 1, "open", datetime(2026, 11, 18, tzinfo=timezone.utc)
        )
        _competition(
            s, ids, "MC-LATE", "UNDP", 3, "open", datetime(2026, 11, 10, tzinfo=timezone.utc)
        )
        done = _competition(
            s,
            ids,
            "MC-DONE",
            "UNDP",
            2,
            "awarded",
            datetime(2026, 2, 1, tzinfo=timezone.utc),
            opened_at=datetime(2026, 2, 2, tzinfo=timezone.utc),
            opened_by="test",
        )
        _requirements(s, done, quantity=Decimal(2))
        _offer(s, ids, done, "CONS-A", Decimal("500.00"))
        winner = _offer(s, ids, done, "CONS-B", Decimal("450.00"))
        s.flush()
        award = Award(
            competition_id=done.id, offer_id=winner.id, rank=1, decided_at=WHEN, decided_by="test"
        )
        s.add(award)
        s.flush()
        _order(s, ids, "PO-9", "UNDP", "CONS-B", 2, date(2025, 2, 10), "closed",
               [("goods", one(900))], award_id=award.id)  # fmt: skip
