"""The spend aggregate: every grouping adds up to the order lines, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import combinations

import pytest
from sqlalchemy import text

from lta_tui.domain.money import from_units
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
    _, engine = demo_db
    with engine.connect() as conn:
        rows = spend_summary(conn, group_by)
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
