"""Benchmark case: saving a 10-line direct order and checking it (DESIGN.md §5: a save of a
10-line order under 20 ms), on a copy of the benchmark database so the shared one never
changes.

`order_save(config_path)` prints one JSON line: medians (ms) of `check_order`, of `save_order`
(new drafts, each its own transaction with its audit event) and, as the floor, of a plain
`sqlite3` insert of the same order, lines and audit row in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

SAVES = 60
CHECKS = 60


def _copy(source: str, target: Path) -> None:
    """SQLite's online backup: a consistent copy even of a database in WAL mode."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _pick_order(engine, rules, day: date):
    """A valid 10-line direct order (9 catalogue items of one lot and freight) on a sub-LTA in
    force on `day`, and its actor; the first candidate the service accepts."""
    from sqlalchemy import func, select

    from lta_tui.domain.rules import Refused  # noqa: F401  (import cost paid before timing)
    from lta_tui.services.orders import Actor, LineInput, OrderInput, check_order
    from lta_tui.store.models import Agency, CatalogueItem, Consolidator, Lot, Order, SubLta

    with engine.connect() as conn:
        candidates = conn.execute(
            select(SubLta.reference, SubLta.id, Agency.code, Consolidator.code, Lot.number)
            .join(Agency, Agency.id == SubLta.agency_id)
            .join(Consolidator, Consolidator.id == SubLta.consolidator_id)
            .join(CatalogueItem, CatalogueItem.sub_lta_id == SubLta.id)
            .join(Lot, Lot.id == CatalogueItem.lot_id)
            .where(
                SubLta.valid_from <= day,
                SubLta.valid_to >= day,
                CatalogueItem.valid_from <= day,
                CatalogueItem.valid_to >= day,
                Consolidator.eligibility == "eligible",
            )
            .group_by(SubLta.id, Lot.number)
            .having(func.count() >= 9)
            .order_by(SubLta.id)
        ).all()
        sizes = dict(
            conn.execute(select(Order.sub_lta_id, func.count()).group_by(Order.sub_lta_id)).all()
        )  # the sub-LTA with the most orders first: the worst case of R15's consumption sum
        candidates = sorted(candidates, key=lambda c: -sizes.get(c[1], 0))
        for reference, sub_id, agency, consolidator, lot in candidates:
            items = conn.execute(
                select(
                    CatalogueItem.sku,
                    CatalogueItem.description,
                    CatalogueItem.unspsc,
                    CatalogueItem.unit,
                    CatalogueItem.unit_price,
                    CatalogueItem.currency,
                )
                .join(Lot, Lot.id == CatalogueItem.lot_id)
                .where(
                    CatalogueItem.sub_lta_id == sub_id,
                    Lot.number == lot,
                    CatalogueItem.valid_from <= day,
                    CatalogueItem.valid_to >= day,
                )
                .order_by(CatalogueItem.sku)
                .limit(9)
            ).all()
            currency = items[0].currency
            lines = tuple(
                LineInput("goods", i.description, i.unspsc, Decimal(2), i.unit_price, i.unit,
                          sku=i.sku)
                for i in items
            ) + (
                LineInput("service", "Freight to Nairobi, DAP", "78141501", Decimal(1),
                          Decimal(250), "lot", service="freight"),
            )  # fmt: skip
            order = OrderInput(
                agency=agency,
                channel="direct",
                consolidator=consolidator,
                lot=lot,
                order_date=day,
                currency=currency,
                destination_country="KE",
                lines=lines,
                sub_lta=reference,
            )
            actor = Actor("Bench Mark", agency, "focal_point")
            check = check_order(engine, order, actor, rules)
            if not check.errors:
                return order, actor, [w.rule for w in check.warnings], sizes.get(sub_id, 0)
    raise RuntimeError("no sub-LTA in the database takes a valid 10-line order on that day")


def _raw_insert(path: Path, rounds: int) -> list[float]:
    """The floor: the same rows written by plain sqlite3 in one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    template = conn.execute("SELECT * FROM orders ORDER BY id DESC LIMIT 1").fetchone()
    columns = [d[0] for d in conn.execute("SELECT * FROM orders LIMIT 0").description]
    line = conn.execute("SELECT * FROM order_lines ORDER BY id DESC LIMIT 1").fetchone()
    line_cols = [d[0] for d in conn.execute("SELECT * FROM order_lines LIMIT 0").description]
    times = []
    for n in range(rounds):
        row = dict(zip(columns, template, strict=True))
        row.pop("id")
        row["po_number"] = f"RAW-{n:06d}"
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            f"INSERT INTO orders ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        order_id = cur.lastrowid
        lines = []
        for k in range(10):
            values = dict(zip(line_cols, line, strict=True))
            values.pop("id")
            values.update(order_id=order_id, line_no=k + 1)
            lines.append(list(values.values()))
        names = [c for c in line_cols if c != "id"]
        conn.executemany(
            f"INSERT INTO order_lines ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            lines,
        )
        conn.execute(
            "INSERT INTO audit_events (at, who, entity, entity_id, action, before, after)"
            " VALUES (?, ?, 'order', ?, 'create', NULL, ?)",
            ("2026-11-15 09:00:00", "raw", order_id, "{}"),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def order_save(config_path: str) -> None:
    from lta_tui.config import load_config
    from lta_tui.store.engine import make_engine
    from tests.conftest import DEMO_UNTIL

    config = load_config(config_path)
    source = config.database.url.removeprefix("sqlite:///")
    with tempfile.TemporaryDirectory(prefix="lta-order-save-") as folder:
        copy = Path(folder) / "lta.db"
        _copy(source, copy)
        engine = make_engine(f"sqlite:///{copy}")
        from lta_tui.services.orders import check_order, save_order

        rules = config.rules
        order, actor, warnings, sub_lta_orders = _pick_order(engine, rules, DEMO_UNTIL)
        now = datetime.combine(DEMO_UNTIL, datetime.min.time(), timezone.utc)
        for _ in range(3):  # warm up: statement caches, pycountry, the pages read
            check_order(engine, order, actor, rules)
            save_order(engine, order, actor, rules, now=now, acknowledged=warnings)
        checks, saves = [], []
        for n in range(max(SAVES, CHECKS)):  # interleaved, so neither runs on a colder cache
            if n < CHECKS:
                start = time.perf_counter()
                check_order(engine, order, actor, rules)
                checks.append(time.perf_counter() - start)
            if n < SAVES:
                start = time.perf_counter()
                save_order(
                    engine, order, actor, rules, now=now + timedelta(seconds=n),
                    acknowledged=warnings,
                )  # fmt: skip
                saves.append(time.perf_counter() - start)
        engine.dispose()
        raw = _raw_insert(copy, SAVES)
    ms = 1000
    print(
        json.dumps(
            {
                "check_ms": statistics.median(checks) * ms,
                "save_ms": statistics.median(saves) * ms,
                "save_p90_ms": statistics.quantiles(saves, n=10)[-1] * ms,
                "raw_insert_ms": statistics.median(raw) * ms,
                "lines": len(order.lines),
                "warnings": warnings,
                "sub_lta": order.sub_lta,
                "sub_lta_orders": sub_lta_orders,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    order_save(sys.argv[1])
