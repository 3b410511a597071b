"""Import rate of `lta-tui import orders`: lines per second into a fresh database, against a
plain-sqlite3 floor measured in the same process on the same file.

`import_rate(config_path)` takes the config of a demo database (read only), writes a CSV of
about `LINES` of its order lines under new PO numbers, prepares a fresh database holding the
same reference data, sub-LTAs and rates, then times, interleaved `ROUNDS` times on fresh copies:
- app: `lta_tui.services.import_orders.import_orders` (read, check every rule, compute, write;
  the R15 warnings the demo's sub-LTAs raise acknowledged);
- floor: csv.reader + one executemany of orders and one of lines, values converted to the
  stored integers but nothing checked and no FX, on a connection with the app's pragmas (WAL,
  synchronous NORMAL, foreign keys) and live indexes: the least any importer of this file into
  this database must do.
Prints one JSON line: lines, medians of wall seconds, lines/s of each, ratio (app / floor
time), and the same from process CPU time (steadier on a shared machine). Budget (DESIGN.md
§5): 60,000 lines/s or more. Run alone:
`python -m tests.perf.import_rate tests/perf/work/orders-100000/config.toml`.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

LINES = 200_000
ROUNDS = 5

_EXPORT = """
    SELECT o.po_number, a.code, c.code, l.number, o.channel, s.reference, o.order_date,
           o.currency, o.destination_country, ol.description, ol.unspsc, ol.kind, st.code,
           ol.quantity, ol.unit_price, o.status, ol.delivered_quantity, o.cancellation_reason
    FROM order_lines ol JOIN orders o ON o.id = ol.order_id
    JOIN agencies a ON a.id = o.agency_id JOIN consolidators c ON c.id = o.consolidator_id
    JOIN lots l ON l.id = o.lot_id LEFT JOIN sub_ltas s ON s.id = o.sub_lta_id
    LEFT JOIN service_types st ON st.id = ol.service_type_id
    WHERE a.code = ?
    ORDER BY o.id, ol.line_no"""
_HEADER = (
    "po_number", "agency", "consolidator", "lot", "channel", "sub_lta", "order_date", "currency",
    "destination_country", "description", "unspsc", "kind", "service_type", "quantity",
    "unit_price", "status", "delivered_quantity", "cancellation_reason",
)  # fmt: skip


def _units(value: int, digits: int) -> str:
    return f"{Decimal(value).scaleb(-digits).normalize():f}"


def write_file(source_db: Path, target: Path, agency: str, lines: int) -> int:
    """The agency's first orders of the demo, up to ~`lines` lines, as an import file with
    new PO numbers (a focal point imports the own agency's orders only, R26)."""
    with closing(sqlite3.connect(f"file:{source_db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(_EXPORT, (agency,)).fetchall()
    while len(rows) > lines and rows[lines][0] == rows[lines - 1][0]:
        lines += 1  # whole orders only
    rows = rows[:lines]
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(_HEADER)
        for row in rows:
            po, *middle, qty, price, status, delivered, reason = row
            out.writerow((f"IMP-{po}", *["" if v is None else v for v in middle],
                          _units(qty, 3), _units(price, 4), status, _units(delivered, 3),
                          reason or ""))  # fmt: skip
    return len(rows)


def fresh_database(config_path: str, folder: Path) -> Path:
    """A config whose new database holds the demo's reference data, sub-LTAs and rates (ids
    kept, so the file's codes resolve the same), and no order."""
    from lta_tui.config import load_config
    from lta_tui.services.database import initialise, open_engine
    from tests.conftest import write_config

    source = load_config(config_path).database.url.removeprefix("sqlite:///")
    config = write_config(folder)
    cfg = load_config(config)
    engine = open_engine(cfg)
    initialise(cfg, engine)
    engine.dispose()
    conn = sqlite3.connect(folder / "lta.db")
    try:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
        conn.execute("DELETE FROM exchange_rates")
        for name in ("exchange_rates", "sub_ltas", "catalogue_items"):
            conn.execute(f"INSERT INTO {name} SELECT * FROM src.{name}")
        conn.execute(
            "UPDATE consolidators SET (eligibility, eligibility_since, eligibility_reason) ="
            " (SELECT eligibility, eligibility_since, eligibility_reason FROM src.consolidators"
            "  s WHERE s.id = consolidators.id)"
        )
        conn.commit()
        conn.execute("DETACH DATABASE src")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file is copied without its WAL
    finally:
        conn.close()
    return config


def run_app(config: Path, file: Path) -> tuple[float, int]:
    from lta_tui.config import load_config
    from lta_tui.services.database import open_engine
    from lta_tui.services.import_orders import import_orders

    cfg = load_config(config)
    engine = open_engine(cfg)
    start, cpu = time.perf_counter(), time.process_time()
    # the demo's sub-LTAs reach the R15 warning %: acknowledged, as a user re-running would
    result = import_orders(
        engine, cfg, file, now=datetime.now(timezone.utc), acknowledge_warnings=True
    )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu, result.lines


def run_floor(db: Path, file: Path) -> tuple[float, int]:
    """csv.reader and two executemany: the same rows stored, with nothing checked."""
    start, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(db)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")  # the app's connection settings (store/engine.py)
    agencies = dict(conn.execute("SELECT code, id FROM agencies"))
    holders = dict(conn.execute("SELECT code, id FROM consolidators"))
    lots = {str(n): i for n, i in conn.execute("SELECT number, id FROM lots")}
    subs = dict(conn.execute("SELECT reference, id FROM sub_ltas"))
    services = dict(conn.execute("SELECT code, id FROM service_types"))
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")
    orders, lines = [], []
    order_id, last = 0, None
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            if r[0] != last:
                last, order_id, line_no = r[0], order_id + 1, 0
                orders.append((order_id, r[0], 1, agencies[r[1]], holders[r[2]], lots[r[3]], r[4],
                               subs.get(r[5]), r[6], r[7], 1_000_000, r[6], "x", r[8], r[15], 0,
                               0, r[17] or None, now, "floor", now, "floor"))  # fmt: skip
            line_no += 1
            qty, price = int(Decimal(r[13]) * 1000), int(Decimal(r[14]) * 10000)
            amount = qty * price // 1000
            lines.append((order_id, line_no, r[11], services.get(r[12]), r[9], r[10], "each", qty,
                          price, amount, amount, int(Decimal(r[16]) * 1000)))  # fmt: skip
    conn.executemany(
        "INSERT INTO orders (id, po_number, lta_id, agency_id, consolidator_id, lot_id, channel,"
        " sub_lta_id, order_date, currency, fx_units_per_usd, fx_effective_date, fx_source,"
        " destination_country, status, total, total_usd, cancellation_reason, created_at,"
        " created_by, updated_at, updated_by, version) VALUES (" + ", ".join("?" * 22) + ", 1)",
        orders,
    )
    conn.executemany(
        "INSERT INTO order_lines (order_id, line_no, kind, service_type_id, description, unspsc,"
        " unit, quantity, unit_price, amount, amount_usd, delivered_quantity)"
        " VALUES (" + ", ".join("?" * 12) + ")",
        lines,
    )
    conn.commit()
    conn.close()
    return time.perf_counter() - start, time.process_time() - cpu, len(lines)


def import_rate(config_path: str) -> None:
    from lta_tui.config import load_config

    cfg = load_config(config_path)
    source = Path(cfg.database.url.removeprefix("sqlite:///"))
    with tempfile.TemporaryDirectory(prefix="lta-import-") as tmp:
        work = Path(tmp)
        file = work / "orders.csv"
        count = write_file(source, file, cfg.user.agency, LINES)
        template = work / "template"
        template.mkdir()
        fresh_database(config_path, template)
        times: dict[str, list[tuple[float, float]]] = {"app": [], "floor": []}
        for n in range(ROUNDS):
            for kind in ("app", "floor"):
                folder = work / f"{kind}{n}"
                folder.mkdir()
                shutil.copy(template / "config.toml", folder / "config.toml")
                shutil.copy(template / "lta.db", folder / "lta.db")
                config = folder / "config.toml"
                config.write_text(
                    config.read_text(encoding="utf-8").replace(str(template), str(folder)),
                    encoding="utf-8",
                )
                if kind == "app":
                    elapsed, cpu, done = run_app(config, file)
                else:
                    elapsed, cpu, done = run_floor(folder / "lta.db", file)
                times[kind].append((elapsed, cpu))
                assert done == count, (kind, done, count)
                shutil.rmtree(folder)
    app = statistics.median(t for t, _ in times["app"])
    floor = statistics.median(t for t, _ in times["floor"])
    app_cpu = statistics.median(c for _, c in times["app"])
    floor_cpu = statistics.median(c for _, c in times["floor"])
    out = {
        "lines": count,
        "import_s": app,
        "import_lines_per_s": count / app,
        "floor_s": floor,
        "floor_lines_per_s": count / floor,
        "ratio": app / floor,
        # CPU time of the process: steadier than wall time on a shared machine
        "import_cpu_lines_per_s": count / app_cpu,
        "floor_cpu_lines_per_s": count / floor_cpu,
        "cpu_ratio": app_cpu / floor_cpu,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    import_rate(sys.argv[1])
