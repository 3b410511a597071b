"""The spend aggregate: every grouping adds up to the order lines, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import combinations

import pytest
from sqlalchemy import text

from lta_tui.domain.money import from_units, to_units
from lta_tui.store.spend import DIMENSIONS, SpendFilter, spend_summary

SPEND = "('issued','partially_delivered','delivered','closed')"


def lines_total(conn, where: str = "", **params) -> tuple[int, int, Decimal]:
    orders, lines, units = conn.execute(
        text(
            "SELECT count(DISTINCT o.id), count(*), coalesce(sum(l.amount_usd), 0) "
            f"FROM order_lines l JOIN orders o ON o.id = l.order_id "
            f"WHERE o.status IN {SPEND} {where}"
        ),
        params,
    ).one()
    return orders, lines, from_units(units)


@pytest.mark.parametrize(
    "group_by", [(), *[(d,) for d in DIMENSIONS], *combinations(DIMENSIONS[:4], 2)]
)
def test_every_grouping_sums_to_the_order_lines(demo_db, group_by):
    cfg, engine = demo_db
    with engine.connect() as conn:
        rows = spend_summary(conn, group_by, contract_start=cfg.lta.valid_from)
        orders, lines, total = lines_total(conn)
    assert sum(r.spend_usd for r in rows) == total
    assert sum(r.orders for r in rows) == orders
    assert sum(r.lines for r in rows) == lines
    assert all(r.goods_usd + r.services_usd == r.spend_usd for r in rows)
    assert [r.keys for r in rows] == sorted(r.keys for r in rows)
    assert len({r.keys for r in rows}) == len(rows)


def test_a_filtered_summary_counts_only_the_matching_orders(demo_db):
    _, engine = demo_db
    with engine.connect() as conn:
        agency = conn.execute(text("SELECT id FROM agencies WHERE code = 'UNDP'")).scalar_one()
        where = SpendFilter(
            date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), agency_id=agency
        )
        rows = spend_summary(conn, ("lot", "month"), where)
        expected = lines_total(
            conn,
            "AND o.agency_id = :a AND o.order_date BETWEEN '2025-01-01' AND '2025-12-31'",
            a=agency,
        )
    assert rows, "the demo data has UNDP orders in 2025"
    assert (sum(r.orders for r in rows), sum(r.lines for r in rows)) == expected[:2]
    assert sum(r.spend_usd for r in rows) == expected[2]
    assert {r.keys[1][:4] for r in rows} == {"2025"}


def test_quarters_and_lot_numbers_read_as_people_write_them(demo_db):
    _, engine = demo_db
    with engine.connect() as conn:
        rows = spend_summary(conn, ("quarter", "lot"))
    assert {r.keys[0][-2:] for r in rows} <= {"Q1", "Q2", "Q3", "Q4"}
    assert {r.keys[1] for r in rows} <= {"1", "2", "3", "4", "5"}


def test_an_unknown_dimension_is_refused(demo_db):
    _, engine = demo_db
    with engine.connect() as conn, pytest.raises(ValueError, match="unknown spend dimension"):
        spend_summary(conn, ("colour",))


# --- contract years, goods/services (R21), filters ------------------------------------------


def per_order(conn) -> list[tuple[date, int, int, int, str, str, str, int]]:
    """Every spend order: (date, goods units, total units, lines, agency, country, channel,
    lot number), summed in Python from the lines, not by the summary's SQL."""
    rows = conn.execute(
        text(
            "SELECT o.order_date, l.kind, l.amount_usd, a.code, o.destination_country, "
            "o.channel, lt.number, o.id FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "JOIN agencies a ON a.id = o.agency_id JOIN lots lt ON lt.id = o.lot_id "
            f"WHERE o.status IN {SPEND}"
        )
    ).all()
    orders: dict[int, list] = {}
    for day, kind, units, agency, country, channel, lot, order_id in rows:
        entry = orders.setdefault(order_id, [day, 0, 0, 0, agency, country, channel, lot])
        entry[1] += units if kind == "goods" else 0
        entry[2] += units
        entry[3] += 1
    return [
        (date.fromisoformat(str(e[0])[:10]), *e[1:])  # type: ignore[misc]
        for e in orders.values()
    ]


def test_r21_the_kind_and_the_contract_year_agree_with_the_domain(demo_db):
    """Grouped by contract year × goods/services, the SQL puts every order where
    `contract_year_label` and R21's `order_category` put it."""
    from lta_tui.domain.periods import contract_year_label
    from lta_tui.domain.rules import order_category
    from lta_tui.domain.states import LineKind

    cfg, engine = demo_db
    start = cfg.lta.valid_from
    with engine.connect() as conn:
        rows = spend_summary(conn, ("contract_year", "kind"), contract_start=start)
        orders = per_order(conn)
    expected: dict[tuple[str, str], list] = {}
    for day, goods, total, lines, *_ in orders:
        category = order_category(from_units(goods), from_units(total - goods))
        kind = "services" if category is LineKind.service else "goods"
        entry = expected.setdefault((contract_year_label(day, start), kind), [0, 0, 0])
        entry[0] += 1
        entry[1] += lines
        entry[2] += total
    got = {r.keys: [r.orders, r.lines, to_units(r.spend_usd)] for r in rows}
    assert got == expected
    assert {k for _, k in got} == {"goods", "services"}, "the demo has both kinds of order"
    assert all("/" in year and len(year) == 7 for year, _ in got)


def test_a_contract_year_needs_the_lta_start(demo_db):
    _, engine = demo_db
    with engine.connect() as conn, pytest.raises(ValueError, match="start date"):
        spend_summary(conn, ("contract_year",))


def test_the_filters_narrow_to_the_matching_orders(demo_db):
    cfg, engine = demo_db
    with engine.connect() as conn:
        orders = per_order(conn)
        ids = dict(conn.execute(text("SELECT code, id FROM agencies")).all())
        lots = dict(conn.execute(text("SELECT number, id FROM lots")).all())
        agency, country, channel, lot = orders[0][4], orders[0][5], orders[0][6], orders[0][7]
        cases = [
            (SpendFilter(agency_ids=(ids[agency],)), lambda o: o[4] == agency),
            (SpendFilter(lot_ids=(lots[lot],)), lambda o: o[7] == lot),
            (SpendFilter(countries=(country,)), lambda o: o[5] == country),
            (SpendFilter(channels=(channel,)), lambda o: o[6] == channel),
            (SpendFilter(kinds=("services",)), lambda o: o[2] - o[1] > o[1]),
            (SpendFilter(kinds=("goods",)), lambda o: o[2] - o[1] <= o[1]),
            (
                SpendFilter(kinds=("goods",), channels=(channel,), lot_ids=(lots[lot],)),
                lambda o: o[2] - o[1] <= o[1] and o[6] == channel and o[7] == lot,
            ),
        ]
        for where, keep in cases:
            rows = spend_summary(conn, ("agency", "kind"), where)
            kept = [o for o in orders if keep(o)]
            assert kept, where
            assert sum(r.orders for r in rows) == len(kept), where
            assert sum(r.lines for r in rows) == sum(o[3] for o in kept), where
            assert to_units(sum(r.spend_usd for r in rows)) == sum(o[2] for o in kept), where


def test_an_unknown_kind_is_refused(demo_db):
    _, engine = demo_db
    with engine.connect() as conn, pytest.raises(ValueError, match="unknown order kind"):
        spend_summary(conn, ("agency",), SpendFilter(kinds=("stuff",)))


def test_every_dimension_on_every_database(db_url, tmp_path):
    """SQLite and PostgreSQL group a small demo the same way and add up to its order lines."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from lta_tui.services.demo import generate_demo
    from lta_tui.services.spend import SpendQuery, order_lines_total, spend_report
    from tests.conftest import DEMO_UNTIL, write_config

    cfg = load_config(write_config(tmp_path, db_url=db_url))
    engine = open_engine(cfg)
    try:
        initialise(cfg, engine)
        generate_demo(engine, cfg, orders=120, seed=3, until=DEMO_UNTIL)
        start = cfg.lta.valid_from
        with engine.connect() as conn:
            whole = order_lines_total(conn, SpendQuery(), scope=None, contract_start=start)
            assert whole.orders > 0
            for name in DIMENSIONS:
                query = SpendQuery(group_by=(name,))
                report = spend_report(conn, query, scope=None, contract_start=start)
                assert report.total == whole, name
                assert len({r.keys for r in report.rows}) == len(report.rows)
            report = spend_report(
                conn, SpendQuery(group_by=("contract_year", "quarter", "kind")), scope=None,
                contract_start=start,
            )  # fmt: skip
            for row in report.rows:
                year, quarter, kind = row.keys
                assert kind in ("goods", "services")
                assert quarter[:4] in (year[:4], str(int(year[:4]) + 1)), row
            narrow = SpendQuery(group_by=("lot",), kinds=("goods",), channels=("direct",))
            assert spend_report(
                conn, narrow, scope="UNDP", contract_start=start
            ).total == order_lines_total(conn, narrow, scope="UNDP", contract_start=start)
    finally:
        engine.dispose()


# --- the service: scope (R26), query errors, drill-down ---------------------------------------


def report_of(demo_db, query, scope=None):
    from lta_tui.services.spend import spend_report

    cfg, engine = demo_db
    with engine.connect() as conn:
        return spend_report(conn, query, scope=scope, contract_start=cfg.lta.valid_from)


def test_a_scope_narrows_the_report_to_its_agency(demo_db):
    from lta_tui.services.spend import SpendQuery

    everyone = report_of(demo_db, SpendQuery(group_by=("agency",)))
    undp = report_of(demo_db, SpendQuery(group_by=("agency",)), scope="UNDP")
    assert [r.keys for r in undp.rows] == [("UNDP",)]
    assert undp.total.spend_usd == next(r.spend_usd for r in everyone.rows if r.keys == ("UNDP",))
    asked = report_of(demo_db, SpendQuery(agencies=("undp",)), scope="UNDP")
    assert asked.total == undp.total


def test_r26_a_scoped_user_cannot_read_another_agencys_spend(demo_db):
    from lta_tui.services.spend import SpendQuery, SpendQueryError

    with pytest.raises(SpendQueryError, match="^R26: .*not UNICEF's"):
        report_of(demo_db, SpendQuery(agencies=("UNICEF",)), scope="UNDP")
    # the Working Group (no scope) reads every agency's spend
    assert report_of(demo_db, SpendQuery(agencies=("UNICEF",))).total.orders > 0
    # a Working Group member looking at UNDP is told UNICEF is outside that view
    from lta_tui.services.spend import spend_report

    cfg, engine = demo_db
    with engine.connect() as conn, pytest.raises(SpendQueryError, match="outside the agency"):
        spend_report(conn, SpendQuery(agencies=("UNICEF",)), scope="UNDP",
                     contract_start=cfg.lta.valid_from, role="working_group")  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"group_by": ("colour",)}, "unknown spend dimension 'colour'"),
        ({"group_by": ("lot", "lot")}, "'lot' is asked for twice"),
        ({"date_from": date(2026, 2, 1), "date_to": date(2026, 1, 1)}, "starts .* after it ends"),
        ({"agencies": ("NOPE",)}, "unknown agency 'NOPE'"),
        ({"lots": (9,)}, "unknown lot 9"),
        ({"consolidators": ("CONS-Z",)}, "unknown consolidator 'CONS-Z'"),
        ({"kinds": ("stuff",)}, "unknown order kind 'stuff'"),
        ({"channels": ("email",)}, "unknown channel 'email'"),
    ],
)
def test_a_query_that_cannot_run_says_why(demo_db, query, message):
    from lta_tui.services.spend import SpendQuery, SpendQueryError

    with pytest.raises(SpendQueryError, match=message):
        report_of(demo_db, SpendQuery(**query))


def test_drilling_into_a_row_finds_exactly_its_orders(demo_db):
    """For every dimension, the query `drill_filter` makes for a row reports that row's figures."""
    from lta_tui.services.spend import DIMENSIONS, SpendQuery, drill_filter

    cfg, _ = demo_db
    base = SpendQuery(group_by=(), date_from=date(2023, 3, 15), date_to=date(2026, 8, 20))
    for name in DIMENSIONS:
        pair = (name, "kind" if name == "lot" else "lot")
        grouped = report_of(demo_db, SpendQuery(**{**base.__dict__, "group_by": pair}))
        for row in grouped.rows[:: max(1, len(grouped.rows) // 4)]:
            keys = dict(zip(pair, row.keys, strict=True))
            narrowed = drill_filter(base, keys, contract_start=cfg.lta.valid_from)
            total = report_of(demo_db, narrowed).total
            assert (total.orders, total.lines, total.spend_usd) == (
                row.orders,
                row.lines,
                row.spend_usd,
            ), (name, keys, narrowed)


def test_a_drilled_period_stays_within_the_query_period(demo_db):
    from lta_tui.services.spend import SpendQuery, SpendQueryError, drill_filter

    cfg, _ = demo_db
    query = SpendQuery(date_from=date(2026, 7, 10), date_to=date(2026, 11, 15))
    narrowed = drill_filter(query, {"contract_year": "2026/27"}, contract_start=date(2021, 6, 1))
    assert (narrowed.date_from, narrowed.date_to) == (date(2026, 7, 10), date(2026, 11, 15))
    narrowed = drill_filter(SpendQuery(), {"quarter": "2025-Q3"}, contract_start=date(2021, 6, 1))
    assert (narrowed.date_from, narrowed.date_to) == (date(2025, 7, 1), date(2025, 9, 30))
    with pytest.raises(SpendQueryError, match="is not a month"):
        drill_filter(query, {"month": "July"}, contract_start=cfg.lta.valid_from)


def test_the_spend_scope_follows_the_role(config):
    from lta_tui.services.spend import spend_scope

    assert spend_scope(config) == "UNDP"
    wg = config.model_copy(
        update={"user": config.user.model_copy(update={"role": "working_group"})}
    )
    assert spend_scope(wg) is None
