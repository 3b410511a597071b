"""Spend aggregate: the app's query against the fastest plain-sqlite3 formulation."""

from __future__ import annotations

import sqlite3
import time
from datetime import date

SPEND_STATUSES = "('issued','partially_delivered','delivered','closed')"

#: Plain-SQL formulations of agency × lot × consolidator × month; the floor is the fastest.
RAW_FULL = {
    "preagg_named": f"""
        SELECT a.code, l.number, c.code, substr(o.order_date, 1, 7) AS month, count(*),
               sum(p.n), sum(p.g), sum(p.t)
        FROM (SELECT order_id, count(*) AS n,
                     sum(CASE WHEN kind = 'goods' THEN amount_usd ELSE 0 END) AS g,
                     sum(amount_usd) AS t
              FROM order_lines GROUP BY order_id) AS p
        JOIN orders o ON o.id = p.order_id
        JOIN agencies a ON a.id = o.agency_id
        JOIN lots l ON l.id = o.lot_id
        JOIN consolidators c ON c.id = o.consolidator_id
        WHERE o.status IN {SPEND_STATUSES}
        GROUP BY a.code, l.number, c.code, month ORDER BY a.code, l.number, c.code, month""",
    "preagg_ids": f"""
        SELECT o.agency_id, o.lot_id, o.consolidator_id, substr(o.order_date, 1, 7) AS month,
               count(*), sum(p.n), sum(p.g), sum(p.t)
        FROM (SELECT order_id, count(*) AS n,
                     sum(CASE WHEN kind = 'goods' THEN amount_usd ELSE 0 END) AS g,
                     sum(amount_usd) AS t
              FROM order_lines GROUP BY order_id) AS p
        JOIN orders o ON o.id = p.order_id
        WHERE o.status IN {SPEND_STATUSES}
        GROUP BY o.agency_id, o.lot_id, o.consolidator_id, month""",
    "join": f"""
        SELECT o.agency_id, o.lot_id, o.consolidator_id, substr(o.order_date, 1, 7) AS month,
               count(DISTINCT o.id), count(*),
               sum(CASE WHEN l.kind = 'goods' THEN l.amount_usd ELSE 0 END), sum(l.amount_usd)
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.status IN {SPEND_STATUSES}
        GROUP BY o.agency_id, o.lot_id, o.consolidator_id, month""",
}

RAW_ONE = f"""
    SELECT l.number, c.code, substr(o.order_date, 1, 7) AS month, count(*), sum(p.t)
    FROM orders o
    JOIN (SELECT order_id, sum(amount_usd) AS t FROM order_lines
          WHERE order_id IN (SELECT id FROM orders WHERE agency_id = :agency
                             AND order_date BETWEEN :start AND :end)
          GROUP BY order_id) AS p ON p.order_id = o.id
    JOIN lots l ON l.id = o.lot_id JOIN consolidators c ON c.id = o.consolidator_id
    WHERE o.status IN {SPEND_STATUSES}
    GROUP BY l.number, c.code, month"""


def busiest_agency_year(path: str) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        agency, year = conn.execute(
            "SELECT agency_id, substr(order_date,1,4) AS y FROM orders "
            "GROUP BY agency_id, y ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return agency, int(year)


def time_raw(path: str, sql: str, params: dict | None = None) -> tuple[float, int]:
    conn = sqlite3.connect(path)
    try:
        start = time.perf_counter()
        rows = conn.execute(sql, params or {}).fetchall()
        return time.perf_counter() - start, len(rows)
    finally:
        conn.close()


FULL_GROUPING = ("agency", "lot", "consolidator", "month")
ONE_GROUPING = ("lot", "consolidator", "month")


def time_app(engine, group_by, where) -> tuple[float, int]:
    from lta_tui.store.spend import SpendFilter, spend_summary

    with engine.connect() as conn:
        start = time.perf_counter()
        rows = spend_summary(conn, group_by, where or SpendFilter())
        return time.perf_counter() - start, len(rows)


def one_agency_filter(agency: int, year: int):
    from lta_tui.store.spend import SpendFilter

    return SpendFilter(date_from=date(year, 1, 1), date_to=date(year, 12, 31), agency_id=agency)
