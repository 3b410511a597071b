"""Building blocks of the competition service tests, on the `engine` fixture's seeded database
(LTA GP500454; lot 2 is held by CONS-A, CONS-B and CONS-C in 2026, CONS-D held it until
2025-12-31; the sample ORE rates: EUR 0.8579 and JPY 151.75 effective 2026-11-01).

The calendar: a competition is drafted and issued on Monday 2026-11-02, its deadline is Monday
2026-11-16 at 12:00 UTC (10 working days), offers arrive in between, the opening and award
follow on 2026-11-17."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Engine, select, update

from lta_tui.config import RulesConfig
from lta_tui.services.competitions import (
    AwardResult,
    CompetitionInput,
    OfferInput,
    RequirementInput,
    SavedCompetition,
    award_competition,
    issue_competition,
    open_offers,
    record_offer,
    save_competition,
)
from lta_tui.services.orders import Actor
from lta_tui.store.models import AuditEvent, Consolidator, MiniCompetition

D = Decimal
UTC = timezone.utc
CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # offers are received and recorded
AFTER = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # the opening, evaluation and award
FX_DAY = date(2026, 11, 16)
RULES = RulesConfig()
ANA = Actor("Ana Ruiz", "UNDP", "focal_point")
BEN = Actor("Ben Osei", "UNDP", "focal_point")
OTHER = Actor("Li Wei", "UNICEF", "focal_point")
VIEWER = Actor("Vic Viewer", "UNDP", "viewer")
WG = Actor("Wanda Group", "UNDP", "working_group")

LINES = (
    RequirementInput("Laptop 14-inch", "43211503", D("40"), "each", "16 GB RAM, 512 GB SSD"),
    RequirementInput("Monitor 24-inch", "43211902", D("40")),
    RequirementInput("Docking station USB-C", "43211603", D("40")),
)
WEIGHTS = (("price", 70), ("delivery_time", 10), ("warranty", 10), ("sustainability", 10))


def competition(**changes) -> CompetitionInput:
    """40 laptops, monitors and docks to Bangladesh on lot 2, with freight, installation and a
    three-year warranty, weighted 70/10/10/10."""
    comp = CompetitionInput(
        agency="UNDP",
        lot=2,
        title="Laptops and monitors for the Dhaka office",
        destination_country="BD",
        deadline=DEADLINE,
        fx_rate_date=FX_DAY,
        evaluation_method="weighted",
        weights=WEIGHTS,
        lines=LINES,
        needs_freight=True,
        needs_installation=True,
        warranty_months=36,
    )
    return replace(comp, **changes)


#: The three offers of the happy path: USD, EUR and JPY.
OFFERS = {
    "CONS-A": OfferInput(
        consolidator="CONS-A",
        received_at=datetime(2026, 11, 5, 10, 30, tzinfo=UTC),
        currency="USD",
        line_prices=(D("950.00"), D("210.00"), D("180.00")),
        services=(
            ("freight", D("1500.00")),
            ("installation_support", D("2000.00")),
            ("warranty", D("1200.00")),
        ),
        delivery_days=30,
        warranty_months=36,
        valid_until=date(2027, 1, 31),
        takes_back_equipment=True,
        energy_label=True,
    ),
    "CONS-B": OfferInput(
        consolidator="CONS-B",
        received_at=datetime(2026, 11, 9, 16, 5, tzinfo=UTC),
        currency="EUR",
        line_prices=(D("800.00"), D("180.00"), D("150.00")),
        services=(("freight", D("1200.00")), ("installation_support", D("1500.00"))),
        delivery_days=45,
        warranty_months=36,
        valid_until=date(2027, 2, 15),
        energy_label=True,
    ),
    "CONS-C": OfferInput(
        consolidator="CONS-C",
        received_at=datetime(2026, 11, 10, 8, 45, tzinfo=UTC),
        currency="JPY",
        line_prices=(D("140000"), D("31000"), D("27000")),
        services=(("freight", D("220000")), ("installation_support", D("300000"))),
        delivery_days=20,
        warranty_months=24,
        valid_until=date(2027, 1, 15),
    ),
}


def draft(engine: Engine, **changes) -> SavedCompetition:
    return save_competition(engine, competition(**changes), ANA, RULES, now=CREATED)


def issued(engine: Engine, **changes) -> SavedCompetition:
    saved = draft(engine, **changes)
    return issue_competition(
        engine, saved.id, ANA, RULES, now=CREATED, expected_version=saved.version
    )


def with_offers(engine: Engine, codes=("CONS-A", "CONS-B", "CONS-C"), **changes):
    """An issued competition with the offers of `codes` recorded before the deadline."""
    saved = issued(engine, **changes)
    for code in codes:
        saved = record_offer(
            engine, saved.id, OFFERS[code], ANA, RULES, now=BEFORE, expected_version=saved.version
        )
    return saved


def opened(engine: Engine, codes=("CONS-A", "CONS-B", "CONS-C"), **changes) -> SavedCompetition:
    """`with_offers`, then the opening after the deadline."""
    saved = with_offers(engine, codes, **changes)
    return open_offers(engine, saved.id, ANA, now=AFTER, expected_version=saved.version)


def awarded(engine: Engine, code: str = "CONS-A", **changes) -> AwardResult:
    """`opened`, then the award to `code` (rank 1 for CONS-A) with its draft order."""
    saved = opened(engine, **changes)
    return award_competition(
        engine, saved.id, code, ANA, RULES, now=AFTER, expected_version=saved.version,
        acknowledged=("R9",),
    )  # fmt: skip


def events(engine: Engine, competition_id: int) -> list[tuple]:
    """(action, who, before, after) of the competition's audit events, oldest first."""
    with engine.connect() as conn:
        return [
            (r.action, r.who, json.loads(r.before) if r.before else None, json.loads(r.after))
            for r in conn.execute(
                select(AuditEvent)
                .where(AuditEvent.entity == "competition", AuditEvent.entity_id == competition_id)
                .order_by(AuditEvent.id)
            )
        ]


def raw_events(engine: Engine, competition_id: int) -> list[str]:
    """The stored texts of every audit event of the competition (each before and after)."""
    with engine.connect() as conn:
        return [
            text
            for r in conn.execute(
                select(AuditEvent.before, AuditEvent.after).where(
                    AuditEvent.entity == "competition", AuditEvent.entity_id == competition_id
                )
            )
            for text in (r.before, r.after)
            if text
        ]


def competition_row(engine: Engine, competition_id: int):
    with engine.connect() as conn:
        return conn.execute(
            select(MiniCompetition.__table__).where(MiniCompetition.id == competition_id)
        ).one()


def suspend(engine: Engine, code: str, since=date(2026, 10, 1), reason="audit findings") -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Consolidator)
            .where(Consolidator.code == code)
            .values(eligibility="suspended", eligibility_since=since, eligibility_reason=reason)
        )


def reinstate(engine: Engine, code: str) -> None:
    """The suspension of `code` lifted."""
    with engine.begin() as conn:
        conn.execute(
            update(Consolidator)
            .where(Consolidator.code == code)
            .values(eligibility="eligible", eligibility_since=None, eligibility_reason=None)
        )
