"""Competition health (services/health.py): counts, single-offer competitions, win and spend
shares, the Herfindahl–Hirschman index and R22 through the service, on crafted records.

Lot 2 in 2026 (today 2026-11-15), every agency:
- C1 UNDP 02-01 opened: A valid, B valid, C late; award B
- C2 UNDP 03-01 opened: A valid; award A                          (single-offer)
- C3 UNDP 04-01 opened: A not compliant, B late; unsuccessful     (single-offer: no valid offer)
- C4 UNDP 05-01 open, sealed offer from C                         (not opened)
- C6 UNDP 06-01 cancelled after its issue, invited A
- C9 UNICEF 07-01 opened: A valid, B valid; award A
- not counted: C5 draft, C7 issued 2025-12-15, C8 lot 1
Spend on lot 2 in 2026: A 5,000, B 3,000, C 2,000 USD (50/30/20 %, HHI 3,800); in 2025 only
A 100,000 (R22 broken).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlmodel import select

from lta_tui.services.health import (
    HHI_HIGH,
    PERIOD_SIZES,
    competition_health,
    hhi,
    hhi_floor,
    hhi_reading,
    monitor_period,
    next_size,
    step_monitor_period,
)
from lta_tui.services.spend import SpendQueryError
from lta_tui.store.engine import session_scope
from lta_tui.store.models import (
    Agency,
    Award,
    Consolidator,
    Invitation,
    Lot,
    Lta,
    MiniCompetition,
    Offer,
    Order,
    OrderLine,
)

TODAY = date(2026, 11, 15)
START = date(2021, 6, 1)
D = Decimal


def utc(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 9, tzinfo=timezone.utc)


class Records:
    """Adds competitions and orders by code, in one session."""

    def __init__(self, session) -> None:
        self.s = session
        self.ids: dict[str, int] = {}
        for a in session.exec(select(Agency)):
            self.ids[a.code] = a.id
        for c in session.exec(select(Consolidator)):
            self.ids[c.code] = c.id
        for lot in session.exec(select(Lot)):
            self.ids[f"lot{lot.number}"] = lot.id
        self.ids["lta"] = session.exec(select(Lta)).first().id
        self.orders = 0

    def competition(self, ref, agency, lot, issued, status, *, opened=None, invited=()):
        comp = MiniCompetition(
            reference=ref,
            lta_id=self.ids["lta"],
            agency_id=self.ids[agency],
            lot_id=self.ids[f"lot{lot}"],
            title=ref,
            destination_country="KE",
            status=status,
            created_at=utc(2025, 1, 1),
            created_by="test",
            issued_at=issued,
            opened_at=opened,
        )
        self.s.add(comp)
        self.s.flush()
        for code in invited:
            self.s.add(Invitation(competition_id=comp.id, consolidator_id=self.ids[code]))
        self.s.flush()
        return comp

    def offer(self, comp, code, *, late=False, compliant=True) -> Offer:
        offer = Offer(
            competition_id=comp.id,
            consolidator_id=self.ids[code],
            received_at=utc(2026, 1, 1),
            recorded_by="test",
            currency="USD",
            delivery_days=30,
            late=late,
            compliant=compliant,
            content_hash="0" * 64,
        )
        self.s.add(offer)
        self.s.flush()
        return offer

    def award(self, comp, offer) -> None:
        self.s.add(
            Award(
                competition_id=comp.id,
                offer_id=offer.id,
                rank=1,
                decided_at=utc(2026, 9, 1),
                decided_by="test",
            )
        )
        self.s.flush()

    def order(self, agency, code, lot, day, usd, status="delivered") -> None:
        self.orders += 1
        when = utc(2026, 1, 1)
        order = Order(
            po_number=f"PO-{self.orders}",
            lta_id=self.ids["lta"],
            agency_id=self.ids[agency],
            consolidator_id=self.ids[code],
            lot_id=self.ids[f"lot{lot}"],
            channel="direct",
            order_date=day,
            currency="USD",
            fx_units_per_usd=D(1),
            fx_effective_date=day,
            fx_source="UN ORE",
            destination_country="KE",
            status=status,
            total=D(usd),
            total_usd=D(usd),
            created_at=when,
            created_by="test",
            updated_at=when,
            updated_by="test",
        )
        self.s.add(order)
        self.s.flush()
        self.s.add(
            OrderLine(
                order_id=order.id,
                line_no=1,
                kind="goods",
                description="laptops",
                unspsc="43211503",
                quantity=D(1),
                unit_price=D(usd),
                amount=D(usd),
                amount_usd=D(usd),
            )
        )


def add_health_records(engine) -> None:
    with session_scope(engine) as s:
        r = Records(s)
        abc = ("CONS-A", "CONS-B", "CONS-C")
        c1 = r.competition("C1", "UNDP", 2, utc(2026, 2, 1), "ordered",
                           opened=utc(2026, 2, 9), invited=abc)  # fmt: skip
        r.offer(c1, "CONS-A")
        r.award(c1, r.offer(c1, "CONS-B"))
        r.offer(c1, "CONS-C", late=True)
        c2 = r.competition("C2", "UNDP", 2, utc(2026, 3, 1), "awarded",
                           opened=utc(2026, 3, 9), invited=abc)  # fmt: skip
        r.award(c2, r.offer(c2, "CONS-A"))
        c3 = r.competition("C3", "UNDP", 2, utc(2026, 4, 1), "unsuccessful",
                           opened=utc(2026, 4, 9), invited=("CONS-A", "CONS-B"))  # fmt: skip
        r.offer(c3, "CONS-A", compliant=False)
        r.offer(c3, "CONS-B", late=True)
        c4 = r.competition("C4", "UNDP", 2, utc(2026, 5, 1), "open", invited=abc)
        r.offer(c4, "CONS-C")
        r.competition("C5", "UNDP", 2, None, "draft", invited=abc)
        r.competition("C6", "UNDP", 2, utc(2026, 6, 1), "cancelled", invited=("CONS-A",))
        c7 = r.competition("C7", "UNDP", 2, utc(2025, 12, 15), "awarded",
                           opened=utc(2025, 12, 20), invited=abc)  # fmt: skip
        r.award(c7, r.offer(c7, "CONS-C"))
        c8 = r.competition("C8", "UNDP", 1, utc(2026, 2, 1), "awarded",
                           opened=utc(2026, 2, 9), invited=("CONS-A", "CONS-B"))  # fmt: skip
        r.award(c8, r.offer(c8, "CONS-B"))
        c9 = r.competition("C9", "UNICEF", 2, utc(2026, 7, 1), "awarded",
                           opened=utc(2026, 7, 9), invited=abc)  # fmt: skip
        r.award(c9, r.offer(c9, "CONS-A"))
        r.offer(c9, "CONS-B")

        r.order("UNDP", "CONS-A", 2, date(2026, 2, 20), "4000.00")
        r.order("UNICEF", "CONS-A", 2, date(2026, 8, 1), "1000.00", status="issued")
        r.order("UNDP", "CONS-B", 2, date(2026, 3, 20), "3000.00", status="closed")
        r.order("UNICEF", "CONS-C", 2, date(2026, 4, 20), "2000.00")
        r.order("UNDP", "CONS-C", 2, date(2026, 5, 1), "777.00", status="draft")
        r.order("UNDP", "CONS-B", 2, date(2026, 5, 2), "888.00", status="cancelled")
        r.order("UNDP", "CONS-B", 1, date(2026, 5, 3), "999.00")
        r.order("UNDP", "CONS-A", 2, date(2025, 6, 1), "100000.00")


@pytest.fixture(scope="module")
def health_engine(tmp_path_factory):
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from tests.conftest import write_config

    cfg = load_config(write_config(tmp_path_factory.mktemp("health")))
    engine = open_engine(cfg)
    initialise(cfg, engine)
    add_health_records(engine)
    yield engine
    engine.dispose()


def year(y: int):
    return monitor_period(date(y, 6, 1), "year", contract_start=START, window_months=12)


def report(engine, *, lot=2, period=None, scope=None, pct=50):
    with engine.connect() as conn:
        return competition_health(
            conn,
            lot=lot,
            period=period or year(2026),
            scope=scope,
            today=TODAY,
            contract_start=START,
            concentration_pct=pct,
            concentration_months=12,
        )


def holder(found, code):
    return next(h for h in found.holders if h.code == code)


# --- the index -----------------------------------------------------------------------------


def test_hhi_of_known_shares():
    assert hhi([D(50), D(30), D(20)]) == 3800
    assert hhi([D("5000.00"), D("3000.00"), D("2000.00")]) == 3800
    assert hhi([1, 1, 1, 1]) == 2500 == hhi_floor(4)
    assert hhi([D(100)]) == 10_000
    assert hhi([2, 1]) == 5556  # 4,444.4 + 1,111.1, exact then rounded half up
    assert hhi([]) is None and hhi([D(0)]) is None


def test_hhi_reading_follows_the_conventional_bands():
    assert hhi_reading(1499) == "unconcentrated"
    assert hhi_reading(1500) == "moderately concentrated"
    assert hhi_reading(HHI_HIGH) == "moderately concentrated"  # four equal holders
    assert hhi_reading(2501) == "highly concentrated"
    assert hhi_reading(None) == "no data"
    assert hhi_floor(3) == 3333 and hhi_floor(0) is None


# --- the periods ---------------------------------------------------------------------------


def test_periods_step_and_cycle_through_the_sizes():
    assert year(2026).label == "2026" and (year(2026).start, year(2026).end) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    back = step_monitor_period(year(2026), -1, contract_start=START, window_months=12)
    assert back.label == "2025"
    window = monitor_period(TODAY, "window", contract_start=START, window_months=12)
    assert (window.start, window.end) == (date(2025, 11, 16), TODAY)
    earlier = step_monitor_period(window, -1, contract_start=START, window_months=12)
    assert (earlier.start, earlier.end) == (date(2024, 11, 16), date(2025, 11, 15))
    lta_year = monitor_period(TODAY, "contract_year", contract_start=START, window_months=12)
    assert lta_year.label == "2026/27"
    sizes = [PERIOD_SIZES[0]]
    for _ in PERIOD_SIZES:
        sizes.append(next_size(sizes[-1]))
    assert sizes[0] == sizes[-1] == "year" and set(sizes) == set(PERIOD_SIZES)


# --- the report ----------------------------------------------------------------------------


def test_competitions_offers_and_single_offer_competitions(health_engine):
    found = report(health_engine)
    assert found.competitions == 6  # C1 C2 C3 C4 C6 C9: not the draft, 2025 or lot 1
    assert found.cancelled == 1
    assert found.opened == 4
    assert found.offers == 9
    assert found.valid_offers == 5  # the sealed offer of C4 is not counted as valid yet
    assert found.average_valid_offers == D("1.25")
    assert found.single_offer == 2  # C2 (one valid offer) and C3 (none)
    assert found.single_offer_share == D("50.0")
    a, b, c = (holder(found, code) for code in ("CONS-A", "CONS-B", "CONS-C"))
    assert (a.invited, a.responded, a.valid, a.wins) == (6, 4, 3, 2)
    assert (b.invited, b.responded, b.valid, b.wins) == (5, 3, 2, 1)
    assert (c.invited, c.responded, c.valid, c.wins) == (4, 2, 0, 0)


def test_win_and_spend_shares_add_up_to_100_and_give_the_hhi(health_engine):
    found = report(health_engine)
    assert found.awards == 3
    assert [holder(found, c).win_share for c in ("CONS-A", "CONS-B", "CONS-C")] == [
        D("66.7"),
        D("33.3"),
        D("0.0"),
    ]
    assert abs(sum(h.win_share for h in found.holders) - 100) <= D("0.1")
    assert found.spend_usd == D("10000.00")  # not the draft, the cancelled, lot 1 or 2025
    assert [holder(found, c).spend_share for c in ("CONS-A", "CONS-B", "CONS-C")] == [
        D("50.0"),
        D("30.0"),
        D("20.0"),
    ]
    assert sum(h.spend_share for h in found.holders) == 100
    assert sum(h.spend_usd for h in found.holders) == found.spend_usd
    assert found.hhi_spend == 3800
    assert found.hhi_wins == 5556
    assert found.top_winner.code == "CONS-A" and found.top_spender.code == "CONS-A"
    # CONS-D held lot 2 until 2025-12-31 (reference data): not a holder in 2026
    assert found.lot_holders == 3 and found.hhi_floor == 3333
    assert "CONS-D" not in {h.code for h in found.holders}


def test_scope_narrows_to_one_agency(health_engine):
    found = report(health_engine, scope="UNICEF")
    assert (found.competitions, found.opened, found.awards) == (1, 1, 1)
    assert found.spend_usd == D("3000.00")
    assert holder(found, "CONS-A").spend_share == D("33.3")
    with pytest.raises(SpendQueryError, match="unknown agency 'NOBODY'"):
        report(health_engine, scope="NOBODY")


def test_every_lot_adds_the_lots_up(health_engine):
    found = report(health_engine, lot=None)
    assert found.competitions == 7  # C8 of lot 1 too
    assert found.spend_usd == D("10999.00")


def test_r22_kept_at_the_threshold(health_engine):
    """A's share of lot 2 over the 12 months to today is exactly 50 %: not a concentration."""
    found = report(health_engine)
    assert (found.window.start, found.window.end) == (date(2025, 11, 16), TODAY)
    assert found.concentration == ()


def test_r22_broken_above_the_threshold(health_engine):
    found = report(health_engine, pct=40)
    assert [f.rule for f in found.concentration] == ["R22"]
    assert "CONS-A has 50.0 % of lot 2 spend" in found.concentration[0].message


def test_r22_broken_in_a_past_year_over_the_window_ending_with_it(health_engine):
    found = report(health_engine, period=year(2025))
    assert (found.window.start, found.window.end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert len(found.concentration) == 1
    assert found.concentration[0].message.startswith("R22: CONS-A has 100.0 % of lot 2 spend")
    assert found.competitions == 1 and found.spend_usd == D("100000.00")


def test_on_postgresql_too(db_url, tmp_path):
    """The same figures from PostgreSQL (when LTA_TUI_TEST_PG_URL is set) as from SQLite."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from tests.conftest import write_config

    cfg = load_config(write_config(tmp_path, db_url=db_url))
    engine = open_engine(cfg)
    try:
        initialise(cfg, engine)
        add_health_records(engine)
        found = report(engine)
        assert (found.competitions, found.opened, found.valid_offers, found.single_offer) == (
            6,
            4,
            5,
            2,
        )
        assert (found.hhi_spend, found.hhi_wins, found.concentration) == (3800, 5556, ())
        assert len(report(engine, period=year(2025)).concentration) == 1
    finally:
        engine.dispose()
