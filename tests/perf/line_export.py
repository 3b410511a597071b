"""Benchmark case: the CSV export of every order line (DESIGN.md §5: within 1.5× of a plain
`sqlite3` + `csv` writer over the same query, streamed, under 50 MB).

`lines_csv(config_path)` runs, in one fresh process, the app's `export_lines` to a CSV file
and the floor: the same lines (the same filter, columns and order) in one plain SQL query
executed with `sqlite3` and written by `csv.writer.writerows` from `fetchmany` batches, raw
values as SQLite returns them. The
order of the two alternates with the round (`LTA_PERF_ROUND`) so neither always runs on a
warmer cache. Memory: the highest RSS seen while each writes (sampled every batch; the app's at
each progress report) above the RSS just before it. Prints one JSON line: wall and CPU seconds
of both, rows, memory.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import time
from pathlib import Path

BATCH = 5000


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


#: Every spend line with its order's columns: the plain one-query formulation of the app's export
#: (the app reads the orders' columns once per order in a second query, merged in Python).
FLOOR_SQL = """
    SELECT o.id, o.order_date, o.po_number, a.code, c.code, lt.number, o.channel, o.status,
           o.destination_country, o.currency, o.fx_units_per_usd, o.fx_effective_date,
           l.line_no, l.kind, l.unspsc, l.description, l.quantity, l.unit, l.unit_price,
           l.amount, l.amount_usd
    FROM orders o
    JOIN order_lines l ON l.order_id = o.id
    JOIN agencies a ON a.id = o.agency_id
    JOIN consolidators c ON c.id = o.consolidator_id
    JOIN lots lt ON lt.id = o.lot_id
    WHERE o.status IN ('issued', 'partially_delivered', 'delivered', 'closed')
    ORDER BY o.order_date, o.id, l.line_no"""


def time_floor(path: str, sql: str, out: Path) -> tuple[float, float, int, float]:
    """Wall s, CPU s, rows and memory (MB) of the plain export."""
    rss0, peak = _rss_mb(), 0.0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    conn = sqlite3.connect(path)
    rows = 0
    try:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            cursor = conn.execute(sql)
            writer.writerow([d[0] for d in cursor.description])
            while batch := cursor.fetchmany(BATCH):
                writer.writerows(batch)
                rows += len(batch)
                peak = max(peak, _rss_mb())
    finally:
        conn.close()
    return time.perf_counter() - wall0, time.process_time() - cpu0, rows, peak - rss0


def time_app(engine, out: Path) -> tuple[float, float, int, float]:
    """Wall s, CPU s, rows and memory (MB) of `export_lines` to CSV."""
    from lta_tui.services.line_export import export_lines
    from lta_tui.services.spend import SpendQuery

    done, peak = [0], [0.0]
    rss0 = _rss_mb()

    def progress(n: int, total: int | None) -> None:
        done[0] = n
        peak[0] = max(peak[0], _rss_mb())

    cpu0, wall0 = time.process_time(), time.perf_counter()
    export_lines(
        engine,
        SpendQuery(),
        "csv",
        out,
        scope=None,
        role="working_group",
        progress=progress,
        cancelled=lambda: False,
    )
    return time.perf_counter() - wall0, time.process_time() - cpu0, done[0], peak[0] - rss0


def lines_csv(config_path: str) -> None:
    from lta_tui.config import load_config
    from lta_tui.services import line_export  # noqa: F401  (import cost paid before timing)
    from lta_tui.store.engine import make_engine

    config = load_config(config_path)
    path = config.database.url.removeprefix("sqlite:///")
    engine = make_engine(config.database.url)
    sql = FLOOR_SQL
    out = Path(path).with_name("lines-export.csv")
    with sqlite3.connect(path) as conn:  # warm the OS cache for whichever runs first
        conn.execute("SELECT count(*), sum(amount_usd) FROM order_lines").fetchone()
        conn.execute("SELECT count(*), sum(total_usd) FROM orders").fetchone()
    result: dict[str, float] = {}
    app_first = int(os.environ.get("LTA_PERF_ROUND", "0")) % 2 == 0
    for which in ("app", "floor") if app_first else ("floor", "app"):
        if which == "app":
            wall, cpu, rows, mb = time_app(engine, out)
        else:
            wall, cpu, rows, mb = time_floor(path, sql, out)
        result[f"{which}_wall"], result[f"{which}_cpu"] = wall, cpu
        result[f"{which}_rows"], result[f"{which}_rss_mb"] = rows, mb
        result[f"{which}_file_mb"] = out.stat().st_size / 2**20
        out.unlink()
    print(json.dumps(result), flush=True)
