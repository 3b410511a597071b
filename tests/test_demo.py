"""The demo data set (`lta-tui demo`): deterministic, complete, consistent with the rules, and
written all or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlmodel import SQLModel

from lta_tui.domain.fx import Rate, rate_in_force, to_usd
from lta_tui.domain.money import line_amount
from lta_tui.domain.offer_hash import OfferContent, offer_hash
from lta_tui.domain.scoring import Bid, landed_total, landed_usd, score_bids
from lta_tui.domain.states import CompetitionStatus, OrderStatus
from lta_tui.services.demo import DemoError, generate_demo
from lta_tui.services.demo.vocabulary import (
    COMPETITION_THEMES,
    CURRENCY_COUNTRIES,
    DESTINATIONS,
    PRODUCTS,
)
from lta_tui.store.models import (
    Award,
    CatalogueItem,
    CompetitionCriterion,
    Consolidator,
    Delivery,
    ExchangeRate,
    MiniCompetition,
    Offer,
    OfferLine,
    OfferService,
    Order,
    OrderLine,
    RequirementLine,
    ServiceType,
)
from tests.conftest import DATA_DIR, write_config

UNTIL = date(2026, 11, 15)
ORDERS = 400


def _fresh(folder, orders=ORDERS, seed=7, until=UNTIL):
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine

    folder.mkdir(parents=True, exist_ok=True)
    cfg = load_config(write_config(folder))
    eng = open_engine(cfg)
    initialise(cfg, eng)
    summary = generate_demo(eng, cfg, orders=orders, seed=seed, until=until)
    return cfg, eng, summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cfg, eng, summary = _fresh(tmp_path_factory.mktemp("demo") / "a")
    yield cfg, eng, summary
    eng.dispose()


def rows(eng, sql: str, **params) -> list:
    with eng.connect() as conn:
        return conn.execute(text(sql), params).all()


def dump(eng) -> dict[str, list]:
    out = {}
    with eng.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = conn.execute(select(table).order_by(table.c.id)).all()
    return out


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_and_day_give_identical_tables_and_another_seed_differs(demo, tmp_path):
    _, eng, _ = demo
    _, again, _ = _fresh(tmp_path / "b")
    _, other, _ = _fresh(tmp_path / "c", seed=8)
    try:
        first, second = dump(eng), dump(again)
        assert first.keys() == second.keys()
        for name in first:
            assert first[name] == second[name], name
        assert dump(other)["orders"] != first["orders"]
    finally:
        again.dispose()
        other.dispose()


# --- completeness --------------------------------------------------------------------------


def test_exactly_n_orders_with_about_ten_lines_each(demo):
    _, eng, summary = demo
    ((orders, lines),) = rows(
        eng, "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines)"
    )
    assert orders == ORDERS
    assert 8.5 * ORDERS <= lines <= 11.5 * ORDERS
    ((longest,),) = rows(
        eng, "SELECT max(n) FROM (SELECT count(*) n FROM order_lines GROUP BY order_id)"
    )
    assert longest <= 40
    assert f"{ORDERS:,} orders" in summary and " s." in summary


def test_every_competition_state_and_every_order_state_is_present(demo):
    _, eng, _ = demo
    competition_states = {r[0] for r in rows(eng, "SELECT DISTINCT status FROM mini_competitions")}
    order_states = {r[0] for r in rows(eng, "SELECT DISTINCT status FROM orders")}
    assert competition_states == {s.value for s in CompetitionStatus}
    assert order_states == {s.value for s in OrderStatus}


def test_order_states_follow_age(demo):
    _, eng, _ = demo
    ages = defaultdict(list)
    for status, day in rows(eng, "SELECT status, order_date FROM orders"):
        ages[status].append((UNTIL - date.fromisoformat(day)).days)
    assert max(ages["draft"]) < 30
    assert sorted(ages["closed"])[len(ages["closed"]) // 2] > 365
    assert sorted(ages["issued"])[len(ages["issued"]) // 2] < 120
    assert all(
        r[0] for r in rows(eng, "SELECT cancellation_reason FROM orders WHERE status = 'cancelled'")
    )


@pytest.fixture(scope="module")
def bigger(tmp_path_factory):
    """A run large enough for shares to mean something."""
    cfg, eng, summary = _fresh(tmp_path_factory.mktemp("demo") / "big", orders=5000)
    yield cfg, eng, summary
    eng.dispose()


def test_orders_awaiting_delivery_are_recent(demo, bigger):
    for _, eng, _ in (demo, bigger):
        ages = [
            (UNTIL - date.fromisoformat(r[0])).days
            for r in rows(
                eng,
                "SELECT order_date FROM orders WHERE status IN ('issued', 'partially_delivered')",
            )
        ]
        assert ages and max(ages) <= 730
        assert sum(age > 365 for age in ages) <= 0.01 * len(ages)
        assert sum(age <= 183 for age in ages) >= 0.9 * len(ages)


def test_goods_lines_of_an_order_are_distinct_items_and_about_ten_lines_an_order(bigger):
    _, eng, _ = bigger
    ((repeated,),) = rows(
        eng,
        """SELECT count(*) FROM (SELECT order_id FROM order_lines WHERE kind = 'goods'
           GROUP BY order_id, coalesce(catalogue_item_id, description) HAVING count(*) > 1)""",
    )
    assert repeated == 0
    ((lines,),) = rows(eng, "SELECT count(*) FROM order_lines")
    assert 9.5 * 5000 <= lines <= 10.5 * 5000


def test_competition_lines_contain_the_product_of_the_title(demo):
    _, eng, _ = demo
    themes = [
        (re.compile(re.escape(t.title).replace(re.escape("{country}"), ".+") + "$"), lot, t)
        for lot, lot_themes in COMPETITION_THEMES.items()
        for t in lot_themes
    ]
    sku = {p.description: p.sku for products in PRODUCTS.values() for p in products}
    asked = defaultdict(set)
    for competition_id, description in rows(
        eng, "SELECT competition_id, description FROM requirement_lines"
    ):
        asked[competition_id].add(sku[description])
    found = rows(
        eng,
        "SELECT m.id, m.title, l.number FROM mini_competitions m JOIN lots l ON l.id = m.lot_id",
    )
    assert found
    for competition_id, title, lot in found:
        matches = [t for pattern, n, t in themes if n == lot and pattern.match(title)]
        assert len(matches) == 1, title
        for group in matches[0].groups:
            assert asked[competition_id] & set(group), (title, asked[competition_id])


def test_destinations_fit_the_currency_and_field_titles_go_to_programme_countries(demo, bigger):
    field = {code for code, _ in DESTINATIONS}
    for _, eng, _ in (demo, bigger):
        found = rows(eng, "SELECT currency, destination_country FROM orders")
        for currency, country in found:
            assert currency in ("USD", "EUR") or country in CURRENCY_COUNTRIES[currency], (
                currency,
                country,
            )
        xof = {country for currency, country in found if currency == "XOF"}
        assert xof and xof <= {"SN", "CI", "ML", "BF", "NE", "BJ", "TG", "GW"}
        for title, country in rows(eng, "SELECT title, destination_country FROM mini_competitions"):
            if "field" in title or "data collection" in title or "country office" in title:
                assert country in field, (title, country)
    # field agencies buy mostly for programme countries
    found = rows(
        bigger[1],
        """SELECT o.destination_country FROM orders o JOIN agencies a ON a.id = o.agency_id
           WHERE a.code IN ('UNDP', 'UNICEF', 'UNFPA') AND o.currency IN ('USD', 'EUR')""",
    )
    assert sum(r[0] in field for r in found) > 0.85 * len(found)


def test_every_holder_of_a_lot_gets_a_part_of_the_largest_agencys_orders(bigger):
    _, eng, _ = bigger
    found = rows(
        eng,
        """SELECT l.number, c.code, sum(o.total_usd) FROM orders o
           JOIN agencies a ON a.id = o.agency_id JOIN lots l ON l.id = o.lot_id
           JOIN consolidators c ON c.id = o.consolidator_id
           WHERE a.code = 'UNDP' AND o.status NOT IN ('draft', 'cancelled')
           GROUP BY 1, 2""",
    )
    by_lot = defaultdict(dict)
    for lot, holder, spend in found:
        by_lot[lot][holder] = spend
    held = defaultdict(set)
    for lot, holder in rows(
        eng,
        """SELECT l.number, c.code FROM lot_holdings h JOIN lots l ON l.id = h.lot_id
           JOIN consolidators c ON c.id = h.consolidator_id""",
    ):
        held[lot].add(holder)
    for lot, spend in by_lot.items():
        assert set(spend) == held[lot], lot
        assert min(spend.values()) > 0.05 * sum(spend.values()), (lot, spend)


def test_sub_ltas_catalogues_and_mix_of_currencies(demo):
    _, eng, _ = demo
    ((subs, agencies),) = rows(eng, "SELECT count(*), count(DISTINCT agency_id) FROM sub_ltas")
    assert subs >= 30 and agencies >= 25
    sizes = [r[0] for r in rows(eng, "SELECT count(*) FROM catalogue_items GROUP BY sub_lta_id")]
    assert min(sizes) >= 10 and max(sizes) <= 40
    shares = dict(
        rows(eng, "SELECT currency, 1.0 * count(*) / :n FROM orders GROUP BY currency", n=ORDERS)
    )
    assert 0.4 < shares["USD"] < 0.7 and 0.12 < shares["EUR"] < 0.4
    assert len(shares) >= 6
    top = [
        r[0]
        for r in rows(
            eng,
            "SELECT a.code FROM orders o JOIN agencies a ON a.id = o.agency_id"
            " GROUP BY a.code ORDER BY count(*) DESC LIMIT 3",
        )
    ]
    assert top[0] == "UNDP" and set(top) <= {"UNDP", "UNICEF", "UNFPA", "UNOPS"}


# --- money ---------------------------------------------------------------------------------


def test_totals_are_the_exact_sums_of_the_lines(demo):
    _, eng, _ = demo
    bad = rows(
        eng,
        """
        SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id
        GROUP BY o.id, o.total, o.total_usd
        HAVING o.total != sum(l.amount) OR o.total_usd != sum(l.amount_usd)""",
    )
    assert bad == []
    ((unset,),) = rows(eng, "SELECT count(*) FROM orders WHERE first_total IS NULL")
    assert unset == 0


def test_every_line_amount_is_line_amount_and_to_usd_at_the_stored_rate(demo):
    _, eng, _ = demo
    with eng.connect() as conn:
        found = conn.execute(
            select(OrderLine.quantity, OrderLine.unit_price, OrderLine.amount, OrderLine.amount_usd,
                   Order.currency, Order.fx_units_per_usd, Order.fx_effective_date)
            .join(Order, Order.id == OrderLine.order_id)
        ).all()  # fmt: skip
    for qty, price, amount, usd, currency, units, effective in found:
        assert amount == line_amount(qty, price, currency)
        assert usd == to_usd(amount, Rate(currency, effective, units))


def test_each_order_converts_at_the_rate_in_force_on_its_date(demo):
    _, eng, _ = demo
    with eng.connect() as conn:
        rates = defaultdict(list)
        for r in conn.execute(select(ExchangeRate).order_by(ExchangeRate.effective_date)).all():
            rates[r.currency].append(Rate(r.currency, r.effective_date, r.units_per_usd, r.source))
        orders = conn.execute(
            select(Order.currency, Order.order_date, Order.fx_units_per_usd,
                   Order.fx_effective_date, Order.fx_source)
        ).all()  # fmt: skip
    for currency, day, units, effective, source in orders:
        if currency == "USD":
            assert (units, effective, source) == (Decimal(1), day, "USD")
            continue
        rate = rate_in_force(rates[currency], currency, day)
        assert (units, effective, source) == (rate.units_per_usd, rate.effective_date, rate.source)


def test_rates_sample_is_kept_and_the_span_gets_monthly_and_mid_month_rates(demo):
    _, eng, _ = demo
    sample = (DATA_DIR / "rates.csv").read_text(encoding="utf-8").splitlines()[1:]
    currency, day, units, source = sample[0].split(",")
    with eng.connect() as conn:
        kept = conn.execute(
            select(ExchangeRate.units_per_usd, ExchangeRate.source).where(
                ExchangeRate.currency == currency,
                ExchangeRate.effective_date == date.fromisoformat(day),
            )
        ).one()
    assert kept == (Decimal(units), source)
    for code in ("EUR", "GBP", "CHF", "DKK", "JPY", "KES", "BDT", "KWD", "XOF", "INR"):
        days = {
            date.fromisoformat(r[0])
            for r in rows(
                eng, "SELECT effective_date FROM exchange_rates WHERE currency = :c", c=code
            )
        }
        month = date(2021, 11, 1)
        while month <= UNTIL:
            assert month in days, (code, month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    ((mid,),) = rows(eng, "SELECT count(*) FROM exchange_rates WHERE effective_date LIKE '%-15'")
    assert mid >= 3


# --- rules the data keeps ------------------------------------------------------------------


def test_orders_lie_inside_the_lta_and_the_holders_period_for_the_lot(demo):
    _, eng, _ = demo
    outside = rows(eng, """
        SELECT o.po_number FROM orders o JOIN ltas t ON t.id = o.lta_id
        WHERE o.order_date < t.valid_from OR o.order_date > t.valid_to OR o.order_date > :until
           OR NOT EXISTS (SELECT 1 FROM lot_holdings h
                          WHERE h.consolidator_id = o.consolidator_id AND h.lot_id = o.lot_id
                            AND h.active_from <= o.order_date
                            AND (h.active_to IS NULL OR o.order_date <= h.active_to))""",
        until=UNTIL.isoformat())  # fmt: skip
    assert outside == []
    ((first,),) = rows(eng, "SELECT min(order_date) FROM orders")
    assert date.fromisoformat(first) >= date(2021, 11, 16)


def test_direct_orders_take_catalogue_items_of_a_valid_sub_lta_at_their_price(demo):
    _, eng, _ = demo
    bad = rows(
        eng,
        """
        SELECT l.id FROM order_lines l JOIN orders o ON o.id = l.order_id
        JOIN sub_ltas s ON s.id = o.sub_lta_id
        LEFT JOIN catalogue_items c ON c.id = l.catalogue_item_id
        WHERE o.channel = 'direct' AND (
            o.order_date NOT BETWEEN s.valid_from AND s.valid_to
            OR o.currency != s.currency OR o.agency_id != s.agency_id
            OR o.consolidator_id != s.consolidator_id
            OR (l.kind = 'goods' AND (c.id IS NULL OR c.sub_lta_id != s.id
                OR c.unit_price != l.unit_price OR c.lot_id != o.lot_id
                OR o.order_date NOT BETWEEN c.valid_from AND c.valid_to)))""",
    )
    assert bad == []
    ((missing,),) = rows(
        eng, "SELECT count(*) FROM orders WHERE channel = 'direct' AND sub_lta_id IS NULL"
    )
    assert missing == 0


def test_orders_from_competitions_match_the_award(demo):
    _, eng, _ = demo
    found = rows(
        eng,
        """
        SELECT o.consolidator_id = f.consolidator_id, o.lot_id = m.lot_id, o.currency = f.currency,
               o.agency_id = m.agency_id, m.status
        FROM orders o JOIN awards a ON a.id = o.award_id JOIN offers f ON f.id = a.offer_id
        JOIN mini_competitions m ON m.id = a.competition_id
        WHERE o.channel = 'mini_competition'""",
    )
    assert found and all(r[:4] == (1, 1, 1, 1) and r[4] == "ordered" for r in found)
    ((ordered,),) = rows(eng, "SELECT count(*) FROM mini_competitions WHERE status = 'ordered'")
    assert ordered == len(found)


def test_lines_carry_unspsc_codes_within_the_lot_or_the_service(demo):
    _, eng, _ = demo
    scope = {r[0]: r[1].split() for r in rows(eng, "SELECT id, unspsc FROM lots")}
    services = {r[0]: r[1].split() for r in rows(eng, "SELECT id, unspsc FROM service_types")}
    checks = rows(eng, "SELECT o.lot_id, l.kind, l.service_type_id, l.unspsc FROM order_lines l"
                       " JOIN orders o ON o.id = l.order_id")  # fmt: skip
    checks += rows(eng, "SELECT lot_id, 'goods', NULL, unspsc FROM catalogue_items")
    checks += rows(eng, "SELECT m.lot_id, 'goods', NULL, r.unspsc FROM requirement_lines r"
                        " JOIN mini_competitions m ON m.id = r.competition_id")  # fmt: skip
    for lot_id, kind, service_id, code in checks:
        assert len(code) == 8 and code.isdigit()
        if kind == "goods":
            assert any(code.startswith(p) for p in scope[lot_id]), (lot_id, code)
        else:
            assert code in services[service_id]


def test_deliveries_add_up_to_the_delivered_quantities_of_each_state(demo):
    _, eng, _ = demo
    with eng.connect() as conn:
        delivered = dict(conn.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .group_by(Delivery.order_line_id)
        ).all())  # fmt: skip
        lines = conn.execute(
            select(
                Order.status, OrderLine.id, OrderLine.quantity, OrderLine.delivered_quantity
            ).join(Order, Order.id == OrderLine.order_id)
        ).all()
    by_status = defaultdict(lambda: [0, 0, 0])  # lines, fully delivered, partly or not
    for status, line_id, qty, done in lines:
        assert delivered.get(line_id, Decimal(0)) == done
        by_status[status][0] += 1
        by_status[status][1 if done == qty else 2] += 1
        assert 0 <= done <= qty
    for status in ("delivered", "closed"):
        assert by_status[status][2] == 0
    for status in ("draft", "issued", "cancelled"):
        assert by_status[status][1] == 0
    assert by_status["partially_delivered"][1] and by_status["partially_delivered"][2]


def test_competitions_keep_the_bidding_rules(demo):
    _, eng, _ = demo
    weights = rows(eng, "SELECT competition_id, sum(weight) FROM competition_criteria GROUP BY 1")
    ((competitions,),) = rows(eng, "SELECT count(*) FROM mini_competitions")
    assert len(weights) == competitions and {w for _, w in weights} == {100}
    # R1/R2: every active holder of the lot on the issue day is invited or left out with a reason
    uncovered = rows(
        eng,
        """
        SELECT m.id FROM mini_competitions m JOIN lot_holdings h ON h.lot_id = m.lot_id
        WHERE m.issued_at IS NOT NULL AND h.active_from <= date(m.issued_at)
          AND (h.active_to IS NULL OR date(m.issued_at) <= h.active_to)
          AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.competition_id = m.id
                          AND i.consolidator_id = h.consolidator_id
                          AND (i.invited OR length(i.exclusion_reason) > 0))""",
    )
    assert uncovered == []
    offers = rows(
        eng,
        """
        SELECT f.received_at > m.deadline, f.late, f.content_hash, i.invited
        FROM offers f JOIN mini_competitions m ON m.id = f.competition_id
        LEFT JOIN invitations i
               ON i.competition_id = m.id AND i.consolidator_id = f.consolidator_id""",
    )
    assert offers and all(after == late for after, late, _, _ in offers)
    assert all(len(h) == 64 and int(h, 16) >= 0 and invited for _, _, h, invited in offers)
    assert any(late for _, late, _, _ in offers) or len(offers) < 50
    # R10: rank other than 1 needs a justification; awards go to valid offers
    awards = rows(eng, "SELECT a.rank, a.justification, f.compliant, f.late FROM awards a"
                       " JOIN offers f ON f.id = a.offer_id")  # fmt: skip
    assert awards and all(c and not late for _, _, c, late in awards)
    assert all(j for rank, j, _, _ in awards if rank != 1)
    # unsuccessful: no valid offer; cancelled: a reason
    valid = rows(
        eng,
        "SELECT count(*) FROM offers f"
        " JOIN mini_competitions m ON m.id = f.competition_id"
        " WHERE m.status = 'unsuccessful' AND f.compliant AND NOT f.late",
    )
    assert valid == [(0,)]
    reasons = rows(
        eng, "SELECT cancellation_reason FROM mini_competitions WHERE status = 'cancelled'"
    )
    assert reasons and all(r[0] for r in reasons)


def test_open_competitions_have_deadlines_after_until_and_closed_ones_are_unopened(demo):
    _, eng, _ = demo
    end_of_until = datetime.combine(UNTIL + timedelta(days=1), datetime.min.time())
    with eng.connect() as conn:
        found = conn.execute(
            select(MiniCompetition.status, MiniCompetition.deadline, MiniCompetition.opened_at,
                   MiniCompetition.opened_by, MiniCompetition.issued_at)
        ).all()  # fmt: skip
    for status, deadline, opened_at, opened_by, issued_at in found:
        if status == "draft":
            assert issued_at is None and deadline is None
            continue
        assert issued_at < deadline
        if status == "open":
            assert deadline.replace(tzinfo=None) >= end_of_until
        elif status == "closed":
            assert deadline.replace(tzinfo=None) < end_of_until and opened_at is None
        elif status in ("opened", "evaluated", "awarded", "ordered"):
            assert opened_at > deadline and opened_by


def test_spend_feedback_is_computed_from_the_agencys_orders_of_the_year(demo):
    _, eng, _ = demo
    computed = dict(((a, y), s) for a, y, s in rows(eng, """
        SELECT o.agency_id, substr(o.order_date, 1, 4), sum(l.amount_usd) FROM orders o
        JOIN order_lines l ON l.order_id = o.id
        WHERE o.status IN ('issued', 'partially_delivered', 'delivered', 'closed')
        GROUP BY 1, 2"""))  # fmt: skip
    feedback = rows(eng, "SELECT agency_id, substr(period_from, 1, 4), computed_spend_usd,"
                         " spend_usd, override_reason FROM spend_feedback")  # fmt: skip
    assert feedback
    for agency, year, computed_usd, spend, reason in feedback:
        assert computed_usd == computed[(agency, year)]
        assert spend == computed_usd or reason


def test_consolidator_reports_sum_their_lines_and_every_change_is_audited(demo):
    _, eng, _ = demo
    reports = rows(
        eng,
        "SELECT r.reported_spend, sum(l.amount) FROM consolidator_reports r"
        " JOIN consolidator_report_lines l ON l.report_id = r.id GROUP BY r.id",
    )
    assert reports and all(a == b for a, b in reports)
    audited = rows(eng, "SELECT count(DISTINCT entity_id) FROM audit_events WHERE entity = 'order'")
    assert audited == [(ORDERS,)]
    per_competition = rows(
        eng,
        "SELECT min(n) FROM (SELECT count(*) n FROM audit_events"
        " WHERE entity = 'competition' GROUP BY entity_id)",
    )
    assert per_competition[0][0] >= 1


# --- running it ----------------------------------------------------------------------------


def test_a_second_run_is_refused_without_replace_and_replace_regenerates(config, engine):
    generate_demo(engine, config, orders=120, seed=1, until=UNTIL)
    before = dump(engine)
    with pytest.raises(DemoError, match="already holds 120 orders: pass --replace"):
        generate_demo(engine, config, orders=150, seed=2, until=UNTIL)
    assert dump(engine) == before
    generate_demo(engine, config, orders=150, seed=2, until=UNTIL, replace=True)
    ((orders,),) = rows(engine, "SELECT count(*) FROM orders")
    assert orders == 150
    ((agencies,),) = rows(engine, "SELECT count(*) FROM agencies")
    assert agencies == 34


def test_replace_with_the_same_seed_gives_the_same_transactions(config, engine, tmp_path):
    generate_demo(engine, config, orders=100, seed=3, until=UNTIL)
    first = dump(engine)
    generate_demo(engine, config, orders=100, seed=3, until=UNTIL, replace=True)
    again = dump(engine)
    for name in ("orders", "order_lines", "mini_competitions", "offers", "sub_ltas"):
        assert first[name] == again[name], name


#: The schema, without the planner statistics ANALYZE adds.
SCHEMA = (
    "SELECT type, name, tbl_name, sql FROM sqlite_master"
    " WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
)


def test_a_failure_midway_writes_nothing_and_keeps_the_indexes(config, engine, monkeypatch):
    from lta_tui.services.demo.orders import OrderStream

    before, schema = dump(engine), rows(engine, SCHEMA)
    run = OrderStream.run

    def breaks_after_writing(self, *args):
        run(self, *args)  # the big tables are full and their indexes set aside
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(OrderStream, "run", breaks_after_writing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_demo(engine, config, orders=100, seed=1, until=UNTIL)
    assert dump(engine) == before
    assert rows(engine, SCHEMA) == schema


def test_the_schema_is_the_same_after_a_run_and_a_replace(config, engine):
    schema = rows(engine, SCHEMA)
    generate_demo(engine, config, orders=50, seed=1, until=UNTIL)
    assert rows(engine, SCHEMA) == schema
    generate_demo(engine, config, orders=50, seed=1, until=UNTIL, replace=True)
    assert rows(engine, SCHEMA) == schema
    assert rows(engine, "PRAGMA foreign_key_check") == []


def test_a_day_before_the_lta_is_refused(config, engine):
    with pytest.raises(DemoError, match="--until 2021-06-30"):
        generate_demo(engine, config, orders=10, seed=1, until=date(2021, 6, 30))


def test_the_command_refuses_a_second_run_in_one_line(tmp_path, run_cli):
    path = write_config(tmp_path)
    first = run_cli("--config", str(path), "demo", "--orders", "60", "--until", "2026-11-15")
    assert first.returncode == 0, first.stderr
    assert "60 orders" in first.stdout
    second = run_cli("--config", str(path), "demo", "--orders", "60", "--until", "2026-11-15")
    assert second.returncode == 2
    assert second.stderr.strip() == (
        "lta-tui: the database already holds 60 orders: pass --replace to regenerate the demo data"
    )


def test_postgresql_gets_the_same_rows_as_sqlite(pg_url, config, demo):
    """A fresh schema of its own on the server, dropped afterwards."""
    from lta_tui.services.database import initialise

    schema = f"demo_test_{os.getpid()}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    eng = create_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})
    indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    try:
        initialise(config, eng)
        before = sorted(rows(eng, indexes))
        summary = generate_demo(eng, config, orders=ORDERS, seed=7, until=UNTIL)
        assert f"{ORDERS} orders" in summary
        assert sorted(rows(eng, indexes)) == before
        on_server, in_file = dump(eng), dump(demo[1])
        for name in in_file:
            assert on_server[name] == in_file[name], name
        with eng.begin() as conn:  # the id sequences continue after the ids the demo gave
            conn.execute(
                CatalogueItem.__table__.insert().values(
                    sub_lta_id=1,
                    sku="NEW-1",
                    description="x",
                    lot_id=1,
                    unspsc="43222612",
                    unit="each",
                    unit_price=Decimal(1),
                    currency="USD",
                    valid_from=UNTIL,
                    valid_to=UNTIL,
                )
            )
        with pytest.raises(DemoError, match=f"already holds {ORDERS} orders"):
            generate_demo(eng, config, orders=10, seed=7, until=UNTIL)
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def test_content_hash_is_the_sha256_of_the_offer_as_canonical_json(demo):
    """The hash covers the offer's content: a JSON with sorted keys and no spaces, amounts as
    decimal strings with the currency's decimals, times in UTC."""
    _, eng, _ = demo
    offer = rows(
        eng,
        """
        SELECT f.id, m.reference, c.code, f.currency, f.received_at, f.delivery_days,
               f.warranty_months, f.valid_until, f.takes_back_equipment, f.energy_label,
               f.content_hash
        FROM offers f JOIN mini_competitions m ON m.id = f.competition_id
        JOIN consolidators c ON c.id = f.consolidator_id ORDER BY f.id LIMIT 1""",
    )[0]
    lines = rows(eng, "SELECT r.line_no, l.unit_price FROM offer_lines l JOIN requirement_lines r"
                      " ON r.id = l.requirement_line_id WHERE l.offer_id = :o ORDER BY r.line_no",
                 o=offer[0])  # fmt: skip
    services = rows(eng, "SELECT t.code, s.price FROM offer_services s JOIN service_types t"
                         " ON t.id = s.service_type_id WHERE s.offer_id = :o ORDER BY s.id",
                    o=offer[0])  # fmt: skip
    from lta_tui.domain.money import from_units, round_money

    def amount(units: int) -> str:
        return str(round_money(from_units(units), offer[3]))

    content = {
        "competition": offer[1], "consolidator": offer[2], "currency": offer[3],
        "received_at": offer[4].replace(" ", "T").split(".")[0] + "Z",
        "delivery_days": offer[5], "warranty_months": offer[6], "valid_until": offer[7],
        "takes_back_equipment": bool(offer[8]), "energy_label": bool(offer[9]),
        "lines": [{"line_no": n, "unit_price": amount(p)} for n, p in lines],
        "services": [{"service": code, "price": amount(p)} for code, p in services],
    }  # fmt: skip
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert offer[10] == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- competitions: opening, evaluation and award as the competition service records them -----


def _competition_offers(eng) -> dict[int, tuple[MiniCompetition, list[tuple]]]:
    """Every competition with its offers: (offer, consolidator code, line prices by line_no,
    services, requirement quantities), read back with the stored types."""
    with eng.connect() as conn:
        comps = {c.id: c for c in conn.execute(select(MiniCompetition)).all()}
        quantities = defaultdict(list)
        for comp_id, qty in conn.execute(
            select(RequirementLine.competition_id, RequirementLine.quantity).order_by(
                RequirementLine.competition_id, RequirementLine.line_no
            )
        ):
            quantities[comp_id].append(qty)
        prices = defaultdict(list)
        for offer_id, price in conn.execute(
            select(OfferLine.offer_id, OfferLine.unit_price)
            .join(RequirementLine, RequirementLine.id == OfferLine.requirement_line_id)
            .order_by(OfferLine.offer_id, RequirementLine.line_no)
        ):
            prices[offer_id].append(price)
        services = defaultdict(list)
        for offer_id, code, price in conn.execute(
            select(OfferService.offer_id, ServiceType.code, OfferService.price)
            .join(ServiceType, ServiceType.id == OfferService.service_type_id)
            .order_by(OfferService.id)
        ):
            services[offer_id].append((code, price))
        out = {comp_id: (comp, []) for comp_id, comp in comps.items()}
        for offer in conn.execute(
            select(Offer.__table__, Consolidator.code.label("consolidator_code"))
            .join(Consolidator, Consolidator.id == Offer.consolidator_id)
            .order_by(Offer.id)
        ):
            code = offer.consolidator_code
            content = (offer, code, tuple(prices[offer.id]), tuple(services[offer.id]))
            out[offer.competition_id][1].append((*content, quantities[offer.competition_id]))
    return out


def test_opened_offers_carry_their_landed_total_and_a_matching_hash(demo):
    _, eng, _ = demo
    opened = 0
    for comp, offers in _competition_offers(eng).values():
        for offer, _, prices, services, quantities in offers:
            if comp.opened_at is None:
                assert offer.total is None and offer.hash_ok is None, comp.reference
                continue
            landed = landed_total(quantities, prices, services, offer.currency)
            assert offer.total == landed.total and offer.hash_ok is True, comp.reference
            opened += 1
    assert opened > 20


def test_stored_content_hashes_are_offer_hash_of_the_stored_content(demo):
    _, eng, _ = demo
    checked = 0
    for comp, offers in _competition_offers(eng).values():
        for offer, code, prices, services, _ in offers:
            content = OfferContent(
                competition=comp.reference,
                consolidator=code,
                currency=offer.currency,
                received_at=offer.received_at,
                delivery_days=offer.delivery_days,
                warranty_months=offer.warranty_months,
                valid_until=offer.valid_until,
                takes_back_equipment=offer.takes_back_equipment,
                energy_label=offer.energy_label,
                line_prices=prices,
                services=services,
            )
            assert offer.content_hash == offer_hash(content), (comp.reference, code)
            checked += 1
    assert checked > 20


def test_evaluated_competitions_rescore_to_their_stored_scores_and_ranks(demo):
    """The stored figures (USD totals at the ORE rate in force on the FX date, past
    performance) give the stored scores and ranks again through `score_bids`."""
    _, eng, _ = demo
    with eng.connect() as conn:
        rates = defaultdict(list)
        for rate in conn.execute(select(ExchangeRate).order_by(ExchangeRate.effective_date)):
            rates[rate.currency].append(Rate(rate.currency, rate.effective_date,
                                             rate.units_per_usd))  # fmt: skip
        weights = defaultdict(dict)
        for comp_id, criterion, weight in conn.execute(
            select(CompetitionCriterion.competition_id, CompetitionCriterion.criterion,
                   CompetitionCriterion.weight)
        ):  # fmt: skip
            weights[comp_id][criterion] = weight
    evaluated = {"evaluated", "awarded", "ordered"}
    seen = defaultdict(int)
    for comp, offers in _competition_offers(eng).values():
        if comp.evaluated_at is None:
            assert comp.status not in evaluated and comp.evaluated_by is None, comp.reference
            for offer, *_ in offers:
                figures = (offer.total_usd, offer.fx_units_per_usd, offer.fx_effective_date,
                           offer.past_performance, offer.score, offer.rank)  # fmt: skip
                assert figures == (None,) * 6, comp.reference
            continue
        seen[comp.status] += 1
        assert comp.status in evaluated | {"cancelled"}, comp.reference
        assert comp.evaluated_by and comp.opened_at < comp.evaluated_at, comp.reference
        bids = []
        for offer, code, prices, services, quantities in offers:
            if offer.currency == "USD":
                rate = Rate("USD", comp.fx_rate_date, Decimal(1))
            else:
                rate = rate_in_force(rates[offer.currency], offer.currency, comp.fx_rate_date)
            # as an order converts: each line amount and each service price, to the cent
            amounts = [
                line_amount(q, p, offer.currency) for q, p in zip(quantities, prices, strict=True)
            ]
            amounts += [line_amount(Decimal(1), p, offer.currency) for _, p in services]
            assert offer.total_usd == sum((to_usd(a, rate) for a in amounts), Decimal(0))
            assert (offer.fx_units_per_usd, offer.fx_effective_date) == (
                rate.units_per_usd,
                rate.effective_date,
            )
            assert offer.past_performance is None or 1 <= offer.past_performance <= 4
            bids.append(
                Bid(code, offer.total_usd, offer.delivery_days, offer.warranty_months,
                    offer.takes_back_equipment, offer.energy_label, offer.past_performance,
                    offer.received_at, offer.compliant and not offer.late)
            )  # fmt: skip
        scores = score_bids(comp.evaluation_method, weights[comp.id], bids)
        stored = [(offer.score, offer.rank) for offer, *_ in offers]
        assert stored == [(s.total, s.rank) for s in scores], comp.reference
        assert any(rank == 1 for _, rank in stored), comp.reference
    assert all(seen[status] for status in evaluated), seen


def test_awards_carry_the_stored_rank_and_only_other_ranks_a_justification(demo):
    _, eng, _ = demo
    awards = rows(
        eng,
        """
        SELECT a.rank, f.rank, a.justification, m.evaluated_at IS NOT NULL
        FROM awards a JOIN offers f ON f.id = a.offer_id
        JOIN mini_competitions m ON m.id = a.competition_id""",
    )
    assert awards and all(award == offer and evaluated for award, offer, _, evaluated in awards)
    assert all(j is None for rank, _, j, _ in awards if rank == 1)
    assert all(j for rank, _, j, _ in awards if rank != 1)


def test_the_order_of_an_award_takes_the_winning_offers_prices(demo):
    _, eng, _ = demo
    offers = {
        offer.id: (prices, services, quantities)
        for _, listed in _competition_offers(eng).values()
        for offer, _, prices, services, quantities in listed
    }
    with eng.connect() as conn:
        won = dict(conn.execute(
            select(Order.id, Award.offer_id).join(Award, Award.id == Order.award_id)
        ).all())  # fmt: skip
        lines = defaultdict(list)
        for order_id, kind, code, qty, price in conn.execute(
            select(OrderLine.order_id, OrderLine.kind, ServiceType.code, OrderLine.quantity,
                   OrderLine.unit_price)
            .outerjoin(ServiceType, ServiceType.id == OrderLine.service_type_id)
            .where(OrderLine.order_id.in_(won))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        ):  # fmt: skip
            lines[order_id].append((kind, code, qty, price))
    assert won
    for order_id, offer_id in won.items():
        prices, services, quantities = offers[offer_id]
        expected = [("goods", None, q, p) for q, p in zip(quantities, prices, strict=True)]
        expected += [("service", code, Decimal(1), p) for code, p in services]
        assert lines[order_id] == expected, order_id


def test_an_awarded_offer_in_usd_at_its_orders_rate_is_the_orders_usd_total(demo):
    """DESIGN §2–3: the competition's USD total (`landed_usd`: each line and service converted
    and rounded to the cent, then summed) of the winning offer, at the rate its order converts
    with, is the order's USD total to the cent (the demo's awards in EUR were ordered after a
    new rate, where the landed total converted at once would be a cent off)."""
    _, eng, _ = demo
    offers = {
        offer.id: (offer, prices, services, quantities)
        for _, listed in _competition_offers(eng).values()
        for offer, _, prices, services, quantities in listed
    }
    with eng.connect() as conn:
        orders = conn.execute(
            select(Order.po_number, Award.offer_id, Order.currency, Order.fx_effective_date,
                   Order.fx_units_per_usd, Order.total, Order.total_usd)
            .join(Award, Award.id == Order.award_id)
        ).all()  # fmt: skip
    assert any(o.currency != "USD" for o in orders), "no award in another currency"
    for po, offer_id, currency, effective, units, total, total_usd in orders:
        offer, prices, services, quantities = offers[offer_id]
        landed = landed_total(quantities, prices, services, offer.currency)
        assert (offer.currency, offer.total, landed.total) == (currency, total, total), po
        assert landed_usd(landed, Rate(currency, effective, units)) == total_usd, po
