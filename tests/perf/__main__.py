"""`python -m tests.perf [--orders N] [--rounds R]`: the benchmark of DESIGN.md §5.

Builds (once, cached under tests/perf/work/) a demo database of N orders (~10 lines each) and a
small one, then runs every case in a fresh process, R rounds interleaved, and prints medians and
ratios against baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lta_tui.store import migrate
from tests.conftest import DEMO_UNTIL, write_config

WORK = Path(__file__).with_name("work")
SMALL_ORDERS = 1500


def build(orders: int) -> Path:
    """A config whose SQLite database holds the demo data set of `orders` orders."""
    folder = WORK / f"orders-{orders}"
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder)
    marker = folder / "built"
    # built with the schema of this checkout, or built again (a migration may add an index)
    head = migrate.head_revision()
    if not marker.exists() or marker.read_text() != head:
        (folder / "lta.db").unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lta_tui", "--config", str(config), "demo",
             "--orders", str(orders), "--seed", "42", "--until", DEMO_UNTIL.isoformat()],
            check=True,
        )  # fmt: skip
        print(f"built {orders:,} orders in {time.perf_counter() - start:.1f} s", flush=True)
        marker.write_text(head)
    return config


def run_case(case: str, config: Path) -> dict:
    cmd = [sys.executable, "-m", "tests.perf.cases", case, str(config)]
    if case.startswith("cold_"):
        start = time.perf_counter()
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
            line = proc.stdout.readline()
            elapsed = time.perf_counter() - start
            proc.wait(timeout=60)
        if line.strip() != "ready":
            raise RuntimeError(f"{case}: no first frame ({line!r})")
        return {"start_to_frame": elapsed}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.perf")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    big, small = build(args.orders), build(SMALL_ORDERS)
    plan = [
        ("cold_app", "cold_app", big),
        ("cold_bare", "cold_bare", big),
        ("table_big", "orders_table", big),
        ("table_small", "orders_table", small),
        ("spend", "spend", big),
        ("lines_csv", "lines_csv", big),
    ]
    # cases that interleave their own runs with their baseline inside one process: run once
    once = [
        ("order_form", "order_form", big),
        ("order_save", "order_save", big),
        ("import_rate", "import_rate", big),
    ]
    results: dict[str, list[dict]] = {name: [] for name, _, _ in plan + once}
    for round_no in range(args.rounds):
        os.environ["LTA_PERF_ROUND"] = str(round_no)  # lines_csv alternates app/floor order
        for name, case, config in plan:
            results[name].append(run_case(case, config))
        print(f"round {round_no + 1}/{args.rounds} done", flush=True)
    for name, case, config in once:
        results[name].append(run_case(case, config))
        print(f"{name} done", flush=True)
    report(results, args)


def med(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(results: dict[str, list[dict]], args) -> None:
    ms = 1000
    cold, bare = (
        med(results["cold_app"], "start_to_frame"),
        med(results["cold_bare"], "start_to_frame"),
    )
    big, small = results["table_big"], results["table_small"]
    spend = results["spend"]
    lines_csv = results["lines_csv"]
    form, save, imp = results["order_form"][0], results["order_save"][0], results["import_rate"][0]
    raw_names = [k for k in spend[0] if k.startswith("raw_full_")]
    raw_full = {k: med(spend, k) for k in raw_names}
    floor_name = min(raw_full, key=raw_full.get)
    lines = big[0]["rows"]
    print(f"\nlta-tui benchmark: {args.orders:,} orders / {lines:,} lines, "
          f"medians of {args.rounds} interleaved rounds\n")  # fmt: skip
    rows = [
        ("cold start to first frame (headless)", cold * ms, "ms",
         bare * ms, "bare Textual app", 600),
        ("orders section first paint, wall", med(big, "orders_paint_wall") * ms, "ms",
         med(small, "orders_paint_wall") * ms, f"{SMALL_ORDERS:,}-order db", 200),
        ("orders section first paint, CPU", med(big, "orders_paint_cpu") * ms, "ms",
         med(small, "orders_paint_cpu") * ms, f"{SMALL_ORDERS:,}-order db", None),
        ("all lines view first paint, wall", med(big, "lines_paint_wall") * ms, "ms",
         med(small, "lines_paint_wall") * ms, f"{SMALL_ORDERS:,}-order db", 200),
        ("all lines view first paint, CPU", med(big, "lines_paint_cpu") * ms, "ms",
         med(small, "lines_paint_cpu") * ms, f"{SMALL_ORDERS:,}-order db", None),
        ("CPU per page/cursor key", med(big, "key_cpu") * ms, "ms",
         med(small, "key_cpu") * ms, f"{SMALL_ORDERS:,}-order db", 15),
        ("memory growth while browsing", med(big, "rss_growth_mb"), "MB",
         med(small, "rss_growth_mb"), f"{SMALL_ORDERS:,}-order db", 10),
        ("spend agency×lot×consolidator×month", med(spend, "app_full") * ms, "ms",
         raw_full[floor_name] * ms, f"sqlite3 {floor_name.removeprefix('raw_full_')}", None),
        ("spend one agency × one year", med(spend, "app_one") * ms, "ms",
         med(spend, "raw_one") * ms, "sqlite3 same query", 50),
        ("CSV export of every line, wall", med(lines_csv, "app_wall"), "s",
         med(lines_csv, "floor_wall"), "sqlite3 + csv.writer, one query", None),
        ("CSV export of every line, CPU", med(lines_csv, "app_cpu"), "s",
         med(lines_csv, "floor_cpu"), "sqlite3 + csv.writer, one query", None),
        ("CSV export memory (RSS growth)", med(lines_csv, "app_rss_mb"), "MB",
         med(lines_csv, "floor_rss_mb"), "sqlite3 + csv.writer", 50),
        ("order form key to frame (median)", form["key_to_frame_median_ms"], "ms",
         form["frame_ms"], "one frame", round(form["frame_ms"] + 5)),
        ("order form key to frame (p90)", form["key_to_frame_p90_ms"], "ms",
         form["frame_ms"], "one frame", round(form["frame_ms"] + 5)),
        ("save a 10-line order", save["save_ms"], "ms",
         save["raw_insert_ms"], "sqlite3 insert of the same rows", 20),
        ("check an order (rules, rate, ceilings)", save["check_ms"], "ms",
         save["raw_insert_ms"], "sqlite3 insert of the same rows", None),
        ("import orders, k lines/s", imp["import_lines_per_s"] / 1000, "k",
         imp["floor_lines_per_s"] / 1000, "sqlite3 executemany, no checks", None),
    ]  # fmt: skip
    print(f"{'measure':40} {'value':>10} {'baseline':>10} {'ratio':>6}  budget  baseline is")
    for label, value, unit, base, base_name, budget in rows:
        ratio = value / base if base else float("nan")
        budget_text = f"{budget} {unit}" if budget else ""
        print(f"{label:40} {value:8.1f}{unit:>2} {base:8.1f}{unit:>2} {ratio:6.2f}  "
              f"{budget_text:7} {base_name}")  # fmt: skip
    print(f"\nimport budget: 60k lines/s or more ({imp['lines']:,} lines; by CPU time "
          f"{imp['import_cpu_lines_per_s'] / 1000:.0f}k lines/s, floor "
          f"{imp['floor_cpu_lines_per_s'] / 1000:.0f}k)")  # fmt: skip
    print(
        "\nspend budget: within 1.3x of the fastest plain-sqlite3 formulation; "
        "all plain formulations (ms): "
        + ", ".join(f"{k.removeprefix('raw_full_')} {v * ms:.0f}" for k, v in raw_full.items())
    )


if __name__ == "__main__":
    main()
